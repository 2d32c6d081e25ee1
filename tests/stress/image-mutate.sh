#!/bin/bash
# image-mutate.sh - 10,000 damaged copies of a real image (the bundled
# small-company example, built by pfc build): each is refused by the
# verifier, or verifies and answers lookups on every table, with no crash
# and, in the sanitizer build, no ASan/UBSan report (TAP, from mutate.c).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
MUTATE=${MUTATE:-$(dirname "$PFC")/tests/stress/mutate}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

root=$tmp/root
mkdir -p "$root/etc/postfix"
cp -R "$srcdir/tests/stress/mixed/." "$root/etc/postfix/"
if ! "$PFC" build --root "$root" -c /etc/postfix -o "$tmp/policy.pfi" 2>"$tmp/err"; then
    echo "1..1"
    echo "not ok 1 - pfc build of tests/stress/mixed: $(head -n 1 "$tmp/err")"
    exit 0
fi
exec "$MUTATE" "$tmp/policy.pfi" "${MUTANTS:-10000}"
