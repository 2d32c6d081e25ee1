#!/bin/bash
# check-golden.sh - one case per pfc check rule: bad input, the exact
# findings and the exit status. Each case is a directory under
# tests/check/cases/ holding the files of a configuration directory (the
# stock master.cf of tests/check/base/ is added unless the case has one, or
# a file "no-master.cf"), "args" (extra pfc check arguments, one per line;
# optional), expect.out (stdout) and expect.rc. pfc runs as
# "pfc check --root . -c . ARGS" inside a scratch copy of the case, so paths
# in the findings are relative, and the system files Postfix's defaults name
# are the case's, not this machine's: the scratch copy has an etc/aliases
# (tests/check/base/aliases) with its aliases.db built, as alias_maps'
# default wants, before "setup" runs.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
cases=("$srcdir"/tests/check/cases/*/)
echo "1..${#cases[@]}"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/check-golden.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# The system files of every case's root, built once with an empty main.cf.
mkdir -p "$scratch/host/etc/postfix"
: >"$scratch/host/etc/postfix/main.cf"
cp "$srcdir/tests/check/base/aliases" "$scratch/host/etc/aliases"
(cd "$scratch/host" && "$PFC" alias --root . -c /etc/postfix hash:/etc/aliases) ||
    { echo "Bail out! cannot build etc/aliases.db"; exit 1; }
rm -r "$scratch/host/etc/postfix"
n=0 failed=0
for dir in "${cases[@]}"; do
    n=$((n + 1))
    name=$(basename "$dir")
    work=$scratch/$name
    mkdir -p "$work"
    [ -e "$dir/master.cf" ] || [ -e "$dir/no-master.cf" ] ||
        cp "$srcdir/tests/check/base/master.cf" "$work/"
    cp -R "$dir/." "$work/"
    rm -f "$work/args" "$work/expect.out" "$work/expect.rc" "$work/no-master.cf"
    cp -R "$scratch/host/etc" "$work/"
    # A case may need a built table or a touched file: "setup" runs first.
    if [ -x "$dir/setup" ]; then
        (cd "$work" && PFC="$PFC" ./setup) || { echo "not ok $n - $name: setup failed"; failed=1; continue; }
        rm -f "$work/setup"
    fi
    args=()
    [ -f "$dir/args" ] && mapfile -t args < "$dir/args"
    out=$(cd "$work" && "$PFC" check --root . -c . "${args[@]}" 2>&1)
    rc=$?
    problems=""
    [ "$out" = "$(cat "$dir/expect.out")" ] || problems+=" stdout"
    [ "$rc" = "$(cat "$dir/expect.rc")" ] || problems+=" exit($rc)"
    if [ -z "$problems" ]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name:$problems differ"
        diff <(cat "$dir/expect.out") <(printf '%s\n' "$out") | sed 's/^/# /'
        failed=1
    fi
done
exit $failed
