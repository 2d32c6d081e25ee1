pfc test --service submission policy.pfi - < pass.test
