pfc trace nosuch.pfi < session.txt
