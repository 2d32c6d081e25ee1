head -c 1000 policy.pfi > t.pfi && pfc trace t.pfi < session.txt 2>&1 | sed -E 's/[0-9]+/N/g'
