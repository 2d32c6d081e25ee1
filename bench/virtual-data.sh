# virtual-data.sh - the test data of map-build.sh, map-query.sh and
# image.sh, deterministic (sourced by them, not run). Two shapes of the
# same size, so that a cost that depends on the data's shape shows:
#
#   spread   "user42@example-domain-7.com  dest42@other.example": users
#            spread over ~1000 domains, one destination domain, two
#            spaces between key and value (the default);
#   domains  "user42@domain7.example target42@dest3.example": ~1000 user
#            domains, ~100 destination domains, one space.

# virtual_map N [SHAPE]: a virtual(5) source of N entries
virtual_map() {
    awk -v n="$1" -v shape="${2:-spread}" 'BEGIN {
        for (i = 0; i < n; i++)
            if (shape == "domains")
                printf "user%d@domain%d.example target%d@dest%d.example\n", i, (i * 7919) % 997, i, (i * 31) % 101
            else
                printf "user%d@example-domain-%d.com  dest%d@other.example\n", i, (i * 7919) % 997, i
    }'
}

# virtual_keys N K [SHAPE]: K keys for virtual_map N SHAPE, shuffled: K/2
# hits, K/2 misses of the same shape (right user with a wrong domain, or
# unknown user)
virtual_keys() {
    awk -v n="$1" -v k="$2" -v shape="${3:-spread}" 'BEGIN {
        srand(42)
        fmt = shape == "domains" ? "%s%d@domain%d.example\n" : "%s%d@example-domain-%d.com\n"
        for (j = 0; j < k; j++) {
            i = int(rand() * n)
            if (j % 2 == 0)
                printf fmt, "user", i, (i * 7919) % 997
            else if (j % 4 == 1)
                printf fmt, "user", i, (i * 7919 + 1) % 997
            else
                printf fmt, "nobody", i, (i * 7919) % 997
        }
    }' | shuf --random-source=<(yes)
}

# virtual_key N I [SHAPE]: the key of entry I of virtual_map N SHAPE
virtual_key() {
    awk -v i="$2" -v shape="${3:-spread}" 'BEGIN {
        printf (shape == "domains" ? "user%d@domain%d.example\n" : "user%d@example-domain-%d.com\n"), i, (i * 7919) % 997
    }'
}
