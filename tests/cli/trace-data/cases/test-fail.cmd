pfc test policy.pfi pass.test fail.test
