pfc trace policy.pfi --to postmaster@example.com --message nosuch.eml
