printf '  ehlo x\n' > n.test && pfc test policy.pfi n.test
