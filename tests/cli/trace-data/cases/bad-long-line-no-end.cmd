{ printf 'EHLO a.example\n'; head -c 10485760 /dev/zero | tr '\0' X; } | pfc trace policy.pfi
