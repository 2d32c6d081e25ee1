# virtual-data.sh - the test data of map-build.sh, map-query.sh and
# image.sh, deterministic (sourced by them, not run).

# virtual_map N: a virtual(5) source of N entries, users spread over ~1000
# domains, destinations elsewhere
virtual_map() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "user%d@example-domain-%d.com  dest%d@other.example\n", i, (i * 7919) % 997, i
    }'
}

# virtual_keys N K: K keys for virtual_map N, shuffled: K/2 hits, K/2
# misses of the same shape (right user with a wrong domain, or unknown user)
virtual_keys() {
    awk -v n="$1" -v k="$2" 'BEGIN {
        srand(42)
        for (j = 0; j < k; j++) {
            i = int(rand() * n)
            if (j % 2 == 0)
                printf "user%d@example-domain-%d.com\n", i, (i * 7919) % 997
            else if (j % 4 == 1)
                printf "user%d@example-domain-%d.com\n", i, (i * 7919 + 1) % 997
            else
                printf "nobody%d@example-domain-%d.com\n", i, (i * 7919) % 997
        }
    }' | shuf --random-source=<(yes)
}
