cp policy.pfi h.pfi && printf Z | dd of=h.pfi bs=1 seek=20 conv=notrunc 2>/dev/null && pfc trace h.pfi < session.txt
