printf 'test a\n  ehlo x\n  service submission\n' > s.test && pfc test policy.pfi s.test
