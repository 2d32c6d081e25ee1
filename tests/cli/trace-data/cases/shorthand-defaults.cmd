pfc trace policy.pfi --to postmaster@example.com --to nobody@example.com
