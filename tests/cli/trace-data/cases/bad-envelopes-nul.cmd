printf '192.0.2.7 pc7 a\0b@example.com postmaster@example.com\n' | pfc trace policy.pfi --envelopes
