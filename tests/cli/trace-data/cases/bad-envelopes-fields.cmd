printf '192.0.2.7 pc7.example.com alice@example.com someone@elsewhere.example\n192.0.2.7 pc7 alice@example.com\n192.0.2.7 pc7 a@example.com b@example.com\n' | pfc trace policy.pfi --envelopes
