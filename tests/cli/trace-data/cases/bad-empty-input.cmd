pfc trace policy.pfi
