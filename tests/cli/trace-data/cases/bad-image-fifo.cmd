mkfifo p.pfi && pfc trace p.pfi < session.txt
