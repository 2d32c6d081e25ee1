printf 'test a\n  ehlo x\n  expekt 250\n' > k.test && pfc test policy.pfi k.test
