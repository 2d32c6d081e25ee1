{ head -c 5000 /dev/zero | tr '\0' a; echo; } | pfc trace policy.pfi --envelopes
