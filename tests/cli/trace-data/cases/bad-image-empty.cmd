: > e.pfi && pfc trace e.pfi < session.txt
