printf 'test a\n  service nosuch\n' > s.test && pfc test policy.pfi s.test
