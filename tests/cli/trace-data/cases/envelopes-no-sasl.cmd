printf '198.51.100.7,laptop.example.net laptop carol@example.com someone@elsewhere.example\n' | pfc trace policy.pfi --envelopes --service submission
