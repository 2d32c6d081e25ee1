pfc test policy.pfi pass.test nosuch.test
