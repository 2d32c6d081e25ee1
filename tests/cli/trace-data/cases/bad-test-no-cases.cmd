pfc test policy.pfi
