pfc trace policy.pfi --envelopes < envelopes.txt
