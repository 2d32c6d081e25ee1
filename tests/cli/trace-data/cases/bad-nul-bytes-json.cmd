printf 'EHLO a\0b.example\nNOOP\0x\nMAIL FROM:<alice@exa\0mple.net>\nQUIT\n' | pfc trace policy.pfi --format=json
