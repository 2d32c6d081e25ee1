pfc trace policy.pfi --envelopes --explain < envelopes.txt
