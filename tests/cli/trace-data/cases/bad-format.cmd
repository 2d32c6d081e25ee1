pfc trace policy.pfi --format=xml < session.txt
