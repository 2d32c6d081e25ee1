{ printf 'EHLO a.example\n'; head -c 10485760 /dev/zero | tr '\0' X; printf '\nQUIT\n'; } | pfc trace policy.pfi --format=json
