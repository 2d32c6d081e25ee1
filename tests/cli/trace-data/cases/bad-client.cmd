pfc trace policy.pfi --client mail.example.net < session.txt
