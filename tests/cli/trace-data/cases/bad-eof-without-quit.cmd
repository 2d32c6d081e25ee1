printf 'EHLO a.example\nMAIL FROM:<alice@example.net>\n' | pfc trace policy.pfi
