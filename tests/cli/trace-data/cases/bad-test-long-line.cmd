{ printf 'test a\n  send '; head -c 70000 /dev/zero | tr '\0' x; echo; } > long.test && pfc test policy.pfi long.test
