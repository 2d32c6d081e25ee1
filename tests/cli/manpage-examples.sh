#!/bin/bash
# manpage-examples.sh - the examples in man/pfc.1 are true.
#
# In the EXAMPLES section of man/pfc.1, every ".Bd -literal" block whose
# first line starts with "$ pfc " is an example: the rest of that line is
# the command, and the other lines of the block are its exact standard
# output.  Each command is run from $srcdir (so that relative paths such as
# examples/small-company work) with $PFC standing for pfc.  A case passes
# when stdout matches byte for byte, the exit status is 0 and stderr is
# empty.
#
# Environment: PFC (the pfc binary; default ./pfc in the current
# directory), srcdir (the top of the source tree; default this script's
# directory's ../..).  TAP output; exit status 1 if any case failed.

set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$here/../..}
page=$srcdir/man/pfc.1
PFC=${PFC:-./pfc}
case $PFC in
/*) ;;
*/*) PFC=$(pwd)/$PFC ;;
esac

if [ ! -f "$page" ]; then
    echo "Bail out! man/pfc.1 not found under srcdir"
    exit 1
fi
if ! command -v "$PFC" >/dev/null 2>&1; then
    echo "Bail out! pfc binary not found; set PFC"
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# Split the examples out of the page: $tmp/N.cmd holds the command (without
# "$ "), $tmp/N.want the expected output.  mdoc escapes \e and \& are undone.
awk -v dir="$tmp" '
    /^\.Sh / { inex = ($0 == ".Sh EXAMPLES"); next }
    !inex { next }
    /^\.Bd -literal/ { inbd = 1; first = 1; next }
    /^\.Ed/ { if (cur) close(cur ".want"); inbd = 0; cur = ""; next }
    !inbd { next }
    {
        line = $0
        gsub(/\\&/, "", line)
        gsub(/\\e/, "\\", line)
        if (first) {
            first = 0
            if (line !~ /^\$ pfc /) { cur = ""; next }
            n++
            cur = dir "/" n
            printf "%s\n", substr(line, 3) > (cur ".cmd")
            close(cur ".cmd")
            printf "" > (cur ".want")
            next
        }
        if (cur) printf "%s\n", line > (cur ".want")
    }
    END { print n + 0 > (dir "/count") }
' "$page"

count=$(cat "$tmp/count")
if [ "$count" -eq 0 ]; then
    echo "1..1"
    echo "not ok 1 - man/pfc.1 has examples"
    exit 1
fi

echo "1..$count"
failed=0
cd "$srcdir" || exit 1
for i in $(seq 1 "$count"); do
    cmd=$(cat "$tmp/$i.cmd")
    # The page is ours, so eval is safe; it gives the shell's quoting rules.
    eval "set -- ${cmd#pfc }"
    "$PFC" "$@" >"$tmp/$i.got" 2>"$tmp/$i.err"
    rc=$?
    if [ "$rc" -eq 0 ] && [ ! -s "$tmp/$i.err" ] && cmp -s "$tmp/$i.want" "$tmp/$i.got"; then
        echo "ok $i - $cmd"
    else
        failed=1
        echo "not ok $i - $cmd"
        echo "# exit status $rc"
        sed 's/^/# stderr: /' "$tmp/$i.err"
        diff -u "$tmp/$i.want" "$tmp/$i.got" | tail -n +3 | sed 's/^/# /'
    fi
done
exit "$failed"
