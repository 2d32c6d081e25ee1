pfc trace policy.pfi --envelopes --to postmaster@example.com < envelopes.txt
