head -c 1000 policy.pfi > t.pfi && pfc test t.pfi pass.test 2>&1 | sed -E 's/[0-9]+/N/g'
