#!/bin/bash
# golden.sh - fixed inputs with their exact stdout, stderr and exit status.
# Each case is a directory under tests/cli/golden-cases/ holding the config files,
# "args" (the pfc arguments, one per line, run inside the case directory),
# and expect.out, expect.err, expect.rc. Broken input lives here: the
# diagnostic text and the exit code are part of pfc's interface.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
cases=("$srcdir"/tests/cli/golden-cases/*/)
echo "1..${#cases[@]}"
n=0 failed=0
for dir in "${cases[@]}"; do
    n=$((n + 1))
    name=$(basename "$dir")
    mapfile -t args < "$dir/args"
    out=$(cd "$dir" && "$PFC" "${args[@]}" 2>"${TMPDIR:-/tmp}/golden.err.$$")
    rc=$?
    err=$(cat "${TMPDIR:-/tmp}/golden.err.$$")
    rm -f "${TMPDIR:-/tmp}/golden.err.$$"
    problems=""
    [ "$out" = "$(cat "$dir/expect.out")" ] || problems+=" stdout"
    [ "$err" = "$(cat "$dir/expect.err")" ] || problems+=" stderr"
    [ "$rc" = "$(cat "$dir/expect.rc")" ] || problems+=" exit($rc)"
    if [ -z "$problems" ]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name:$problems differ"
        diff <(cat "$dir/expect.out") <(printf '%s\n' "$out") | sed 's/^/# out /'
        diff <(cat "$dir/expect.err") <(printf '%s\n' "$err") | sed 's/^/# err /'
        failed=1
    fi
done
exit $failed
