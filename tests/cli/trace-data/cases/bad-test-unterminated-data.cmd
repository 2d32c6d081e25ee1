pfc test policy.pfi unterminated.test
