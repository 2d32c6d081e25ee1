pfc trace < session.txt
