cp policy.pfi f.pfi && printf Z | dd of=f.pfi bs=1 seek=2000 conv=notrunc 2>/dev/null && pfc trace f.pfi < session.txt 2>&1 | sed -E 's/[0-9]+/N/g'
