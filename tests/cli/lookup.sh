#!/bin/bash
# lookup.sh - pfc lookup on small configuration directories, exact output.
# Each case is a directory under tests/cli/lookup-cases/ holding main.cf and its
# tables (relative paths, so the output names no path of the machine that
# runs it), "args" (the pfc arguments, one per line, run inside the case
# directory), and expect.out, expect.err, expect.rc. The cases follow SPEC
# 8: key-major order over several tables, partial keys kept from pattern
# tables, a DUNNO that stops a table's search while the list goes on.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
cases=("$srcdir"/tests/cli/lookup-cases/*/)
echo "1..${#cases[@]}"
err_file=$(mktemp "${TMPDIR:-/tmp}/lookup.err.XXXXXX")
trap 'rm -f "$err_file"' EXIT
failed=0
n=0
for dir in "${cases[@]}"; do
    n=$((n + 1))
    name=$(basename "$dir")
    mapfile -t args < "$dir/args"
    out=$(cd "$dir" && "$PFC" "${args[@]}" 2>"$err_file")
    rc=$?
    err=$(cat "$err_file")
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
