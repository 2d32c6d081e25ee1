pfc trace policy.pfi --from alice@example.net
