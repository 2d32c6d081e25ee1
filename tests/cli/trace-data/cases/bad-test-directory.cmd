mkdir cases.d && pfc test policy.pfi cases.d
