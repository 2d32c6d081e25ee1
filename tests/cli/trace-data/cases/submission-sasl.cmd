pfc trace policy.pfi --service submission --sasl carol --client 198.51.100.7,laptop.example.net --helo laptop.example.net --from carol@example.com --to someone@elsewhere.example --explain
