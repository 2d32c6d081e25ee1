# golden-lib.sh - the one runner of the golden-file tests; sourced.
#
# A case is a directory: the files the command reads, "args" (the pfc
# arguments, one a line; optional), expect.out and expect.rc, and
# expect.err where stderr is compared on its own; without expect.err,
# stderr is part of expect.out, as 2>&1 interleaves them. The diagnostic
# text and the exit code are part of pfc's interface: broken input lives
# in these cases.
#
#   golden_run DIR...       every case under each DIR, one TAP line each;
#                           returns 1 when one failed
#   golden_prepare CASE     hook, may be redefined: set work, the directory
#                           the command runs in (default: CASE itself);
#                           non-zero when the case cannot be set up
#   golden_command ARG...   hook, may be redefined: run the command inside
#                           work (default: "$PFC" ARG...)
#   check_case_copy CASE DIR
#                           a case of tests/check/cases as a configuration
#                           directory DIR: its files, the stock master.cf
#                           of tests/check/base unless the case has one or
#                           a file "no-master.cf", its "setup" run there;
#                           non-zero when setup fails
#
# Needs srcdir and PFC.

golden_prepare() {
    work=$1
}

golden_command() {
    "$PFC" "$@"
}

check_case_copy() {
    local case=$1 dir=$2
    mkdir -p "$dir" || return 1
    [ -e "$case/master.cf" ] || [ -e "$case/no-master.cf" ] ||
        cp "$srcdir/tests/check/base/master.cf" "$dir/"
    cp -R "$case/." "$dir/" &&
        rm -f "$dir/args" "$dir/expect.out" "$dir/expect.err" "$dir/expect.rc" \
            "$dir/no-master.cf" || return 1
    # A case may need a built table or a touched file: "setup" runs first.
    if [ -x "$case/setup" ]; then
        (cd "$dir" && PFC="$PFC" ./setup) || return 1
        rm -f "$dir/setup"
    fi
}

golden_run() {
    local cases=() dir n=0 failed=0 name out err rc problems args errfile
    for dir in "$@"; do
        cases+=("$dir"/*/)
    done
    errfile=$(mktemp "${TMPDIR:-/tmp}/golden.err.XXXXXX") || return 1
    echo "1..${#cases[@]}"
    for dir in "${cases[@]}"; do
        n=$((n + 1))
        name=$(basename "$dir")
        if ! golden_prepare "$dir"; then
            echo "not ok $n - $name: setup failed"
            failed=1
            continue
        fi
        args=()
        [ -f "$dir/args" ] && mapfile -t args < "$dir/args"
        if [ -f "$dir/expect.err" ]; then
            out=$(cd "$work" && golden_command "${args[@]}" 2>"$errfile")
            rc=$?
            err=$(cat "$errfile")
        else
            out=$(cd "$work" && golden_command "${args[@]}" 2>&1)
            rc=$?
        fi
        problems=""
        [ "$out" = "$(cat "$dir/expect.out")" ] || problems+=" stdout"
        [ -f "$dir/expect.err" ] && [ "$err" != "$(cat "$dir/expect.err")" ] &&
            problems+=" stderr"
        [ "$rc" = "$(cat "$dir/expect.rc")" ] || problems+=" exit($rc)"
        if [ -z "$problems" ]; then
            echo "ok $n - $name"
        else
            echo "not ok $n - $name:$problems differ"
            diff <(cat "$dir/expect.out") <(printf '%s\n' "$out") | sed 's/^/# out /'
            [ -f "$dir/expect.err" ] &&
                diff <(cat "$dir/expect.err") <(printf '%s\n' "$err") | sed 's/^/# err /'
            failed=1
        fi
    done
    rm -f "$errfile"
    return $failed
}
