#!/bin/bash
# manpage-examples.sh - the examples in man/pfc.1 and man/pfc-test.5 are
# true.
#
# An example is a ".Bd -literal" block, anywhere in a page, whose first
# line starts with "$ "; in the EXAMPLES section every literal block must
# be one, or a file.  Each line of the block that starts with "$ " is a
# command, and the lines after it, up to the next command or the end of
# the block, are its exact standard output.  A comment line
#     .\" exit N ...
# right before the ".Bd" gives the exit status of each command of the
# block in turn; without it every command must exit 0.  A comment line
#     .\" file NAME
# right before a ".Bd" makes the block a file: its lines are written to
# NAME in the directory of every example that follows it in the page (a
# case file of pfc-test(5), say, that the next example runs).
#
# Each block runs in a scratch directory of its own that holds a fresh copy
# of $srcdir/examples, so that "examples/..." paths work and tables built
# by an example never land in the source tree (which make distcheck keeps
# read-only).  Each command runs with bash in that directory, with standard
# input from /dev/null and MAIL_CONFIG=examples/small-company; "pfc" at the
# start of a pipeline stage stands for $PFC.  A command passes when its
# stdout matches byte for byte, its exit status is the one expected and
# its stderr is empty (an example that shows diagnostics says 2>&1).  The
# mdoc escapes \e and \& are undone in commands and output.
#
# Environment: PFC (the pfc binary; default ./pfc in the current
# directory), srcdir (the top of the source tree; default this script's
# directory's ../..).  TAP output, one case per block; exit status 1 if any
# case failed.

set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$here/../..}
srcdir=$(cd "$srcdir" && pwd)
pages=(man/pfc.1 man/pfc-test.5)
PFC=${PFC:-./pfc}
case $PFC in
/*) ;;
*/*) PFC=$(pwd)/$PFC ;;
esac

for page in "${pages[@]}"; do
    if [ ! -f "$srcdir/$page" ]; then
        echo "Bail out! $page not found under srcdir"
        exit 1
    fi
done
if [ ! -d "$srcdir/examples" ]; then
    echo "Bail out! examples/ not found under srcdir"
    exit 1
fi
if ! command -v "$PFC" >/dev/null 2>&1; then
    echo "Bail out! pfc binary not found; set PFC"
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# Split the examples out of the pages.  For block N: $tmp/N.line (its page
# and line), N.exit (the statuses of its ".\" exit" comment, if any),
# N.count (its number of commands), N.files (the files to write first:
# NAME, then the path of its text, a line each), and for its command K:
# N.K.cmd (without "$ ") and N.K.want (the expected output).  A literal
# block of EXAMPLES that is neither an example nor a file gets N.bad.
count=0
for pidx in "${!pages[@]}"; do
    page=${pages[$pidx]}
awk -v dir="$tmp" -v page="$page" -v pidx="$pidx" -v n="$count" '
    function undo(s) {
        gsub(/\\&/, "", s)
        gsub(/\\e/, "\\", s)
        return s
    }
    /^\.Sh / { inex = ($0 == ".Sh EXAMPLES"); prev = $0; next }
    !inbd && /^\.Bd -literal/ {
        inbd = 1; first = 1; cur = ""; file = ""
        exits = (prev ~ /^\.\\" exit( [0-9]+)+$/) ? substr(prev, 10) : ""
        if (prev ~ /^\.\\" file [^ \/]+$/) {
            nfiles++
            file = dir "/" pidx "." nfiles ".file"
            files = files substr(prev, 10) "\n" file "\n"
            printf "" > file
        }
        prev = $0
        next
    }
    !inbd { prev = $0; next }
    /^\.Ed/ {
        if (cur != "") { close(want); print k > (cur ".count"); close(cur ".count") }
        if (file != "") close(file)
        inbd = 0; cur = ""; file = ""; prev = $0
        next
    }
    file != "" { print undo($0) > file; next }
    {
        line = undo($0)
        if (first) {
            first = 0
            if (line !~ /^\$ /) {
                if (inex) {
                    n++
                    print page ":" FNR > (dir "/" n ".line"); close(dir "/" n ".line")
                    print "" > (dir "/" n ".bad"); close(dir "/" n ".bad")
                    print 0 > (dir "/" n ".count"); close(dir "/" n ".count")
                }
                next
            }
            n++
            cur = dir "/" n
            k = 0
            print page ":" FNR > (cur ".line"); close(cur ".line")
            if (exits != "") { print exits > (cur ".exit"); close(cur ".exit") }
            printf "%s", files > (cur ".files"); close(cur ".files")
        }
        if (cur == "") next
        if (line ~ /^\$ /) {
            if (k > 0) close(want)
            k++
            printf "%s\n", substr(line, 3) > (cur "." k ".cmd")
            close(cur "." k ".cmd")
            want = cur "." k ".want"
            printf "" > want
            next
        }
        printf "%s\n", line > want
    }
    END { print n + 0 > (dir "/count") }
' "$srcdir/$page"
    if [ "$(cat "$tmp/count")" -eq "$count" ]; then
        echo "1..1"
        echo "not ok 1 - $page has examples"
        exit 1
    fi
    count=$(cat "$tmp/count")
done

export PFC
export LC_ALL=C
export MAIL_CONFIG=examples/small-company

# as_bash - the command with "pfc" at the start of each pipeline stage (or
# list element) replaced by "$PFC", for bash -c.
as_bash() {
    printf '%s\n' "$1" |
        sed -E 's/(^|[|&;(][[:space:]]*)pfc([[:space:]]|$)/\1"$PFC"\2/g'
}

echo "1..$count"
failed=0
for i in $(seq 1 "$count"); do
    where=$(cat "$tmp/$i.line")
    if [ -f "$tmp/$i.bad" ]; then
        failed=1
        echo "not ok $i - $where: a literal block in EXAMPLES that is no example"
        echo "# its first line must start with \"\$ \""
        continue
    fi
    n=$(cat "$tmp/$i.count")
    read -r -a exits < <(cat "$tmp/$i.exit" 2>/dev/null || true)
    title="$where: $(cat "$tmp/$i.1.cmd")"
    [ "$n" -gt 1 ] && title="$title (and $((n - 1)) more)"
    problems=()
    if [ "${#exits[@]}" -gt 0 ] && [ "${#exits[@]}" -ne "$n" ]; then
        problems+=("the exit comment gives ${#exits[@]} statuses for $n commands")
    fi

    # A fresh, writable copy of the examples for each block.
    work=$tmp/run$i
    mkdir "$work" && cp -R "$srcdir/examples" "$work/" && chmod -R u+w "$work" ||
        { echo "Bail out! cannot copy examples into $work"; exit 1; }
    while IFS= read -r name && IFS= read -r text; do
        cp "$text" "$work/$name"
    done <"$tmp/$i.files"

    for k in $(seq 1 "$n"); do
        [ "${#problems[@]}" -gt 0 ] && break
        cmd=$(cat "$tmp/$i.$k.cmd")
        want_rc=${exits[$((k - 1))]:-0}
        (cd "$work" && bash -c "$(as_bash "$cmd")" </dev/null \
            >"$tmp/$i.$k.got" 2>"$tmp/$i.$k.err")
        rc=$?
        if [ "$rc" -ne "$want_rc" ] || [ -s "$tmp/$i.$k.err" ] ||
            ! cmp -s "$tmp/$i.$k.want" "$tmp/$i.$k.got"; then
            problems+=("command $k: $cmd")
            problems+=("exit status $rc, expected $want_rc")
            while IFS= read -r l; do problems+=("stderr: $l"); done <"$tmp/$i.$k.err"
            while IFS= read -r l; do problems+=("$l"); done \
                < <(diff -u "$tmp/$i.$k.want" "$tmp/$i.$k.got" | tail -n +3)
        fi
    done
    if [ "${#problems[@]}" -eq 0 ]; then
        echo "ok $i - $title"
    else
        failed=1
        echo "not ok $i - $title"
        printf '# %s\n' "${problems[@]}"
    fi
    chmod -R u+w "$work" 2>/dev/null
    rm -rf "$work"
done
exit "$failed"
