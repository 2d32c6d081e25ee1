pfc trace policy.pfi --service submission/inet --client 198.51.100.7,laptop.example.net < session.txt
