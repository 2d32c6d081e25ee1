{ yes || true; } | pfc trace policy.pfi
