{ printf 'EHLO a.example\nMAIL FROM:<'; head -c 10485760 /dev/zero | tr '\0' a; printf '@example.net>\nQUIT\n'; } | pfc trace policy.pfi
