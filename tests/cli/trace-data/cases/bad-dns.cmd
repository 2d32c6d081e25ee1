pfc trace policy.pfi --dns ns.example < session.txt
