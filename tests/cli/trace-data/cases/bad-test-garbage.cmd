printf '\211PNG\r\n\032\n' > g.test && pfc test policy.pfi g.test
