pfc test policy.pfi - < pass.test
