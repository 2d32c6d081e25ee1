printf 'EHLO a.example\r\nQUIT\r' | pfc trace policy.pfi
