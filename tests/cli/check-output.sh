#!/bin/bash
# check-output.sh - what "pfc check" prints as text is safe and short, and
# notes are counted, not shown, unless asked for (TAP):
#   - control bytes of the input (ESC of a colour code) reach the terminal
#     as '?', as postconf prints them, in messages, source lines and paths;
#   - a table reader's warning does not repeat the location that the
#     finding starts with (virtual:2:1: warning: ./virtual, line 2: ...);
#   - a 1 MB line is not echoed whole: the message and the source line are
#     cut, and the output stays small;
#   - a table source of 1 MiB and more (mapped by the model, its digest
#     read from the file): clean when pfc map built its .db from it; one
#     byte changed at the same size is db-stale; a placeholder on its last
#     line is found at that line;
#   - examples/submission, deployed as its README says, has only notes
#     (its -o overrides are what -o is for): text and github output count
#     them on one line and exit 0; -v and --notes show them; json and sarif
#     keep them all.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-output.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "1..16"
n=0 failed=0
check() {  # check NAME COMMAND...: the command succeeds
    n=$((n + 1))
    local name=$1; shift
    if out=$("$@" 2>&1); then echo "ok $n - $name"
    else echo "not ok $n - $name"; printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; failed=1; fi
}

# ------------------------------------------------------------ control bytes
d=$tmp/esc
mkdir -p "$d"
cp "$srcdir/tests/check/base/master.cf" "$d/"
printf 'compatibility_level = 3.6\nalias_maps =\nfoo\033[31m = red\033[0m\n' >"$d/main.cf"
"$PFC" check -c "$d" >"$tmp/esc.out" 2>&1
check "no ESC byte reaches the terminal" bash -c '! grep -q "$(printf "\033")" "$0"' "$tmp/esc.out"
check "it is shown as ? (as postconf shows it)" grep -qF 'foo?[31m is not a Postfix parameter' "$tmp/esc.out"
check "the source line too" grep -qxF ' foo?[31m = red?[0m' "$tmp/esc.out"
"$PFC" check -c "$d" --format=github >"$tmp/esc.github" 2>&1
check "github output has no ESC byte either" bash -c '! grep -q "$(printf "\033")" "$0"' "$tmp/esc.github"

# ------------------------------------------------------------ one location
d=$tmp/loc
mkdir -p "$d"
cp "$srcdir/tests/check/base/master.cf" "$d/"
printf 'compatibility_level = 3.6\nalias_maps =\nvirtual_alias_maps = texthash:%s/virtual\n' "$d" >"$d/main.cf"
printf 'a@example.com b@example.com\nnovalue\n' >"$d/virtual"
"$PFC" check -c "$d" >"$tmp/loc.out" 2>&1
check "a table reader's warning: the location once" \
    grep -qx "$d/virtual:2:1: warning: expected format: key whitespace value -- ignoring this line \\[table-syntax\\]" "$tmp/loc.out"
"$PFC" check -c "$d" --format=json >"$tmp/loc.json" 2>&1
check "... json keeps Postfix's own words" grep -qF "\"postfix\": \"$d/virtual, line 2: expected format" "$tmp/loc.json"

# ------------------------------------------------------------ a 1 MB line
d=$tmp/long
mkdir -p "$d"
cp "$srcdir/tests/check/base/master.cf" "$d/"
{ printf 'compatibility_level = 3.6\nalias_maps =\n'; head -c 1000000 /dev/zero | tr '\0' x; printf '\n'; } >"$d/main.cf"
"$PFC" check -c "$d" >"$tmp/long.out" 2>&1
check "a 1 MB line gives a report of a few kB" test "$(wc -c <"$tmp/long.out")" -lt 8192
check "the message says how much is cut" grep -q '\.\.\. \[[0-9]* more bytes\]' "$tmp/long.out"
check "the source line is cut, with ..." grep -q '^ x*\.\.\.$' "$tmp/long.out"

# ------------------------------------------------------------ a large table
d=$tmp/large
mkdir -p "$d"
cp "$srcdir/tests/check/base/master.cf" "$d/"
printf 'compatibility_level = 3.6\nalias_maps =\nvirtual_alias_maps = hash:%s/virtual\n' "$d" >"$d/main.cf"
awk 'BEGIN { for (i = 0; i < 30000; i++) printf "user%d@example.com  dest%d@example.net\n", i, i }' >"$d/virtual"
"$PFC" map -c "$d" "hash:$d/virtual"
check "a 1.3 MB source its .db was built from: clean (exit 0, nothing said)" \
    bash -c 'out=$("$0" check -c "$1" 2>&1) && test -z "$out"' "$PFC" "$d"
sed -i '20000s/dest19999/dest19998/' "$d/virtual"
check "one byte changed, same size: db-stale" bash -c '"$0" check -c "$1" 2>&1 | grep -q "was built from a different .* \[db-stale\]$"' "$PFC" "$d"
printf 'last@example.com  {{ target }}\n' >>"$d/virtual"
"$PFC" map -c "$d" "hash:$d/virtual"
check "a placeholder on line 30,001 of a clean table: found there" \
    bash -c '"$0" check -c "$1" 2>&1 | grep -q "^$1/virtual:30001:19: error: unrendered template placeholder"' "$PFC" "$d"

# ------------------------------------------------------------ notes
root=$tmp/submission
mkdir -p "$root/etc/postfix"
cp "$srcdir"/examples/submission/{main.cf,master.cf,aliases,header_checks,sender_access} "$root/etc/postfix/"
(cd "$root" && "$PFC" map --root . -c /etc/postfix hash:/etc/postfix/sender_access &&
    "$PFC" alias --root . -c /etc/postfix hash:/etc/postfix/aliases) >/dev/null 2>&1
notes=$("$PFC" check --root "$root" -c /etc/postfix --format=json | grep -c '"severity": "note"')
text=$("$PFC" check --root "$root" -c /etc/postfix 2>&1); rc=$?
check "examples/submission: exit 0, only a count of its $notes notes" \
    test "$rc:$text" = "0:0 errors, 0 warnings, $notes notes (not shown: pfc check --notes shows them)"
check "-v shows them" bash -c '"$0" check -v --root "$1" -c /etc/postfix | grep -c "\[override-shadows\]$" | grep -qx "$2"' \
    "$PFC" "$root" "$notes"
check "--notes shows them" bash -c '"$0" check --notes --root "$1" -c /etc/postfix | grep -c "\[override-shadows\]$" | grep -qx "$2"' \
    "$PFC" "$root" "$notes"
check "json keeps every note" test "$notes" -gt 0
exit $failed
