mkdir d.pfi && pfc trace d.pfi < session.txt
