pfc trace policy.pfi --client 203.0.113.9,mail.example.net --explain < session.txt
