#!/bin/bash
# atomic.sh - a table build is atomic: killed half-way, it leaves the old
# table answering as before and no file of its own behind; finished, it
# replaces the table whole (TAP).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
printf 'compatibility_level = 3.6\n' > main.cf
export MAIL_CONFIG=$tmp
n=0 failed=0
check() {			# check NAME COMMAND...: one TAP case
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        failed=1
    fi
}
echo "1..6"

for type in hash btree; do
    printf 'key old-value\n' > table
    "$PFC" map "$type:table" 2>/dev/null
    # The source is a pipe: the build blocks after half the input, and is
    # killed there, before it could publish anything.
    rm -f table && mkfifo table
    "$PFC" map "$type:table" 2>/dev/null &
    pid=$!
    exec 3>table
    printf 'key new-value\nother x\n' >&3
    sleep 0.3
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    exec 3>&-
    check "$type: killed build leaves the old table" \
        test "$("$PFC" map -q key "$type:table")" = old-value
    check "$type: killed build leaves no temporary file" \
        test -z "$(find . -name 'table.db.tmp*')"
    rm -f table && printf 'key new-value\n' > table
    "$PFC" map "$type:table"
    check "$type: finished build replaces the table" \
        test "$("$PFC" map -q key "$type:table")" = new-value
done
exit $failed
