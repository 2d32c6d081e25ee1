pfc trace policy.pfi --service pickup < session.txt
