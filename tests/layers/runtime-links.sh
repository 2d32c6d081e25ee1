#!/bin/bash
# runtime-links.sh - the layers hold: what pfcd links (runtime/ and lib/,
# every object of both, see Makefile.am) carries no symbol of the parser
# side - no flex or bison scanner, no postmap or aliases(5) reader, no
# table layer, no GDBM - and verifies an image on its own; nor does
# pfc-postdrop (TAP).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-./pfc}
prog=${RUNTIME_ONLY:-tests/layers/runtime_only}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/layers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
echo "1..5"
check() {		# check NAME RESULT DETAIL
    n=$((n + 1))
    if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# $3"; fi
}

[ -x "$prog" ]
check "runtime_only is linked from runtime/ and lib/ alone" $? "$prog is missing"

# parser_symbols BINARY: defined or undefined, any of these names means a
# parser-side object got in.
parser_symbols() {
    nm "$1" 2>/dev/null | awk '{ print $NF }' |
        grep -E '^(yy|cfline_|cf_logical|tok822_|dict_|gdbm_|mapsource_|aliases_|pat_|memtable_)' |
        sort -u | head -n 5 | tr '\n' ' '
}
bad=$(parser_symbols "$prog")
[ -z "$bad" ]
check "no parser, table-layer or GDBM symbol in it" $? "found: $bad"

# pfcd itself, linked the same way (Makefile.am).
pfcd=${PFCD:-$(dirname "$PFC")/pfcd}
bad=$(parser_symbols "$pfcd")
[ -x "$pfcd" ] && [ -z "$bad" ] && nm "$pfcd" | grep -q ' T smtpd_session_open$'
check "pfcd holds no parser, table-layer or GDBM symbol" $? "pfcd: $pfcd, found: $bad"

# pfc-postdrop, set-group-id: the runtime side only too.
postdrop=${POSTDROP:-$(dirname "$PFC")/pfc-postdrop}
bad=$(parser_symbols "$postdrop")
[ -x "$postdrop" ] && [ -z "$bad" ] && nm "$postdrop" | grep -q ' T match_user_acl$'
check "pfc-postdrop holds no parser, table-layer or GDBM symbol" $? "pfc-postdrop: $postdrop, found: $bad"

mkdir -p "$tmp/etc/postfix" && cp -R "$srcdir/examples/local-only/." "$tmp/etc/postfix/" &&
    "$PFC" build --root "$tmp" -c /etc/postfix -o "$tmp/p.pfi" > "$tmp/out" 2>&1 &&
    "$prog" "$tmp/p.pfi" > "$tmp/out" 2>&1 && grep -q ': ok$' "$tmp/out"
check "it verifies an image pfc built" $? "$(cat "$tmp/out")"
