printf 'test a\n  client mail.example.net\n' > c.test && pfc test policy.pfi c.test
