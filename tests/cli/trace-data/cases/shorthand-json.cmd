pfc trace policy.pfi --client 203.0.113.9,mail.example.net --helo mail.example.net --from winner@lottery.example --to postmaster@example.com --message lottery.eml --format=json
