pfc trace policy.pfi --format=json --explain < session.txt
