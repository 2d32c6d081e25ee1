printf 'EHLO a.example\nMAIL FROM:<alice@example.net>\nRCPT TO:<postmaster@example.com>\nDATA\nSubject: x\n\nno end\n' | pfc trace policy.pfi --format=json
