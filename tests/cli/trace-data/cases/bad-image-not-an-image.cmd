pfc trace session.txt < session.txt
