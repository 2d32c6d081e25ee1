printf 'EHLO a.example\nQUIT' | pfc trace policy.pfi
