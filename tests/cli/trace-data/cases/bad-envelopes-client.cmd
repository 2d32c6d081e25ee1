pfc trace policy.pfi --envelopes --client 192.0.2.1 < envelopes.txt
