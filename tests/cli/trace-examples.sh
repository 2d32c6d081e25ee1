#!/bin/bash
# trace-examples.sh - each example configuration's pfc-test(5) file passes.
#
# For every directory examples/NAME with a NAME.test: the example is
# deployed as its README says, under a scratch root standing for / (its
# files in etc/postfix, which its main.cf names), built with
#     pfc build --root ROOT -c /etc/postfix -o policy.pfi
# and
#     pfc test policy.pfi examples/NAME/NAME.test
# must exit 0 with nothing on standard error, one "ok - " line per case
# and a last line "N passed, 0 failed" with N the number of "test" lines.
# Every example must have its case file.  Environment: PFC, srcdir.  TAP.
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
[ -x "$PFC" ] || { echo "Bail out! pfc binary not found (set PFC)"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trace-examples.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

examples=("$srcdir"/examples/*/)
echo "1..${#examples[@]}"
n=0 failed=0
for dir in "${examples[@]}"; do
    n=$((n + 1))
    name=$(basename "$dir")
    cases=$dir/$name.test
    root=$tmp/$name
    problems=()
    if [ ! -f "$cases" ]; then
        problems+=("examples/$name has no $name.test")
    else
        mkdir -p "$root/etc" && cp -R "$dir" "$root/etc/postfix" && chmod -R u+w "$root"
        if ! "$PFC" build --root "$root" -c /etc/postfix -o "$root/policy.pfi" \
            >"$tmp/out" 2>&1; then
            problems+=("pfc build failed:" "$(head -n 5 "$tmp/out")")
        else
            (cd "$dir" && timeout 120 "$PFC" test "$root/policy.pfi" "$name.test") \
                >"$tmp/out" 2>"$tmp/err"
            rc=$?
            want=$(grep -c '^[[:space:]]*test[[:space:]]' "$cases")
            [ "$rc" = 0 ] || problems+=("exit status $rc")
            [ -s "$tmp/err" ] && problems+=("stderr: $(head -n 3 "$tmp/err")")
            [ "$(tail -n 1 "$tmp/out")" = "$want passed, 0 failed" ] ||
                problems+=("last line \"$(tail -n 1 "$tmp/out")\", expected \"$want passed, 0 failed\"")
            [ "$(grep -c '^ok - ' "$tmp/out")" = "$want" ] ||
                problems+=("$(grep -c '^ok - ' "$tmp/out") ok lines for $want cases")
            [ "${#problems[@]}" -eq 0 ] || problems+=("$(grep -v '^ok - ' "$tmp/out" | head -n 40)")
        fi
    fi
    if [ "${#problems[@]}" -eq 0 ]; then
        echo "ok $n - examples/$name: $want cases pass"
    else
        failed=1
        echo "not ok $n - examples/$name"
        printf '%s\n' "${problems[@]}" | sed 's/^/# /'
    fi
done
exit $failed
