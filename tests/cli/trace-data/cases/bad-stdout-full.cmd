pfc trace policy.pfi < session.txt > /dev/full
