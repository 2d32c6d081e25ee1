#!/bin/bash
# trace.sh - pfc trace and pfc test on fixed input: exact standard output
# (the replies, byte for byte with CRLF), standard error (the explanation,
# or the one-line message of bad input) and exit status.
#
# tests/cli/trace-data/etc/postfix is the configuration; it is built once
# into policy.pfi in a scratch directory that also holds the session
# files of tests/cli/trace-data (*.txt, *.eml, *.test).  Each case is
# tests/cli/trace-data/cases/NAME.cmd: one line of bash, run in that
# directory with "pfc" at the start of a pipeline stage standing for $PFC,
# under pipefail and a time limit of 120 s, standard input /dev/null;
# NAME.out, NAME.err and NAME.rc are what it must write and exit with.  A
# case whose name has "json" in it must also print valid JSON (python3 -m
# json.tool).  The bad input the cases feed - a 10 MB line, NUL bytes,
# damaged images - is made by their commands, not kept in the tree.
#
# TRACE_GOLDEN_UPDATE=1 writes the expectations from what pfc does instead
# (review the diff before committing it).  Environment: PFC, srcdir.  TAP.
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
data=$srcdir/tests/cli/trace-data
export PFC

[ -x "$PFC" ] || { echo "Bail out! pfc binary not found (set PFC)"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "Bail out! python3 is needed to check JSON"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trace.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
work=$tmp/work
mkdir "$work" && cp "$data"/*.txt "$data"/*.eml "$data"/*.test "$work"/ ||
    { echo "Bail out! cannot copy the session files"; exit 1; }
if ! "$PFC" build --root "$data" -c /etc/postfix -o "$work/policy.pfi" >"$tmp/build.out" 2>&1; then
    echo "Bail out! pfc build of tests/cli/trace-data failed: $(head -n 3 "$tmp/build.out")"
    exit 1
fi

# as_bash - the command with "pfc" at the start of each pipeline stage (or
# list element) replaced by "$PFC", for bash -c.
as_bash() {
    printf '%s\n' "$1" |
        sed -E 's/(^|[|&;(][[:space:]]*)pfc([[:space:]]|$)/\1"$PFC"\2/g'
}

cases=("$data"/cases/*.cmd)
echo "1..${#cases[@]}"
n=0 failed=0
for cmdfile in "${cases[@]}"; do
    n=$((n + 1))
    name=$(basename "$cmdfile" .cmd)
    want=${cmdfile%.cmd}
    cmd=$(cat "$cmdfile")
    (cd "$work" && timeout 120 bash -o pipefail -c "$(as_bash "$cmd")" \
        </dev/null >"$tmp/out" 2>"$tmp/err")
    rc=$?
    if [ -n "${TRACE_GOLDEN_UPDATE:-}" ]; then
        cp "$tmp/out" "$want.out" && cp "$tmp/err" "$want.err" && echo "$rc" >"$want.rc"
    fi
    problems=()
    [ "$rc" = 124 ] && problems+=("timed out after 120 s")
    [ "$rc" = "$(cat "$want.rc" 2>/dev/null)" ] || problems+=("exit status $rc, expected $(cat "$want.rc" 2>/dev/null)")
    cmp -s "$want.out" "$tmp/out" || problems+=("stdout differs:" \
        "$(diff <(cat -A "$want.out" 2>/dev/null) <(cat -A "$tmp/out") | head -n 20)")
    cmp -s "$want.err" "$tmp/err" || problems+=("stderr differs:" \
        "$(diff "$want.err" "$tmp/err" 2>&1 | cut -c1-300 | head -n 20)")
    case $name in
    *json*)
        python3 -m json.tool <"$tmp/out" >/dev/null 2>"$tmp/json.err" ||
            problems+=("not valid JSON: $(head -n 1 "$tmp/json.err")")
        ;;
    esac
    if [ "${#problems[@]}" -eq 0 ]; then
        echo "ok $n - $name"
    else
        failed=1
        echo "not ok $n - $name: $cmd"
        printf '%s\n' "${problems[@]}" | sed 's/^/# /'
    fi
done
exit $failed
