pfc trace policy.pfi < .
