printf 'test a\n  send NOOP\0\n' > nul.test && pfc test policy.pfi nul.test
