pfc trace policy.pfi --service nosuch < session.txt
