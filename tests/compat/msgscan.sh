#!/bin/bash
# tests/compat/msgscan.sh - what header_checks and body_checks see: `pfc map`
# versus Postfix's `postmap` with -h, -b and -m and `-q -` (SPEC.md 9.4).
#
# Each case feeds one message on standard input to
#     postmap -c CFG -FLAGSq - pcre:TABLE
#     $PFC map -c CFG -FLAGSq - pcre:TABLE
# and compares: stdout byte-equal; stderr equal as sets of lines (postmap's
# leading "postmap: " mapped to "pfc: "); exit status equal.  TAP output.
#
# Tables: a probe table (/^(.*)$/ WARN [$1]) that shows every string looked
# up, and every header/body checks table of the corpus.  Messages: the files
# in tests/compat/messages/ (names with "crlf" get CRLF line ends here) and a
# few generated ones (long lines, a header over header_size_limit, NUL and
# 8-bit bytes).  One group runs with small MIME limits in main.cf.
#
# Environment: PFC (path of the pfc binary), srcdir (repository root),
# CORPUS (default $srcdir/../shared/corpus), PFC_REQUIRE_ALL=1 (a missing
# postmap, pcre or corpus is a failure, not a skip), MSGSCAN_VERBOSE=1 (also
# print postmap's output of every case as comments).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
CORPUS=${CORPUS:-$srcdir/../shared/corpus}
MESSAGES=$srcdir/tests/compat/messages

# skip_all REASON: skip the whole test, or bail out under PFC_REQUIRE_ALL=1

command -v postmap >/dev/null 2>&1 || skip_all "postmap not found on PATH"
find_pfc
[ -d "$MESSAGES" ] || { echo "Bail out! $MESSAGES not found"; exit 1; }

# Known differences judged to be a Postfix bug or machine-dependent behaviour.
# One entry per line: CASE-NAME<TAB>REASON.  Such cases are reported as
# "ok N - name # SKIP reason" when they differ.  Keep this table explicit.
KNOWN_DIFFS=$(cat <<'EOF'
EOF
)


TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# old_mtime: Postfix re-reads (and re-warns about) a main.cf changed within
# the last second; give every file of a directory an old modification time.
old_mtime() {
    find "$1" -maxdepth 1 -type f -exec touch -d 2000-01-01 {} +
}

# Two configuration directories: stock limits, and small MIME limits.
mkdir "$TMP/cfg" "$TMP/small"
echo 'compatibility_level = 3.6' >"$TMP/cfg/main.cf"
cat >"$TMP/small/main.cf" <<'EOF'
compatibility_level = 3.6
header_size_limit = 200
mime_boundary_length_limit = 5
mime_nesting_limit = 1
EOF
old_mtime "$TMP/cfg"
old_mtime "$TMP/small"

# pcre must be there (Debian: postfix-pcre).
echo '/x/ y' >"$TMP/x.pcre"
[ "$(postmap -c "$TMP/cfg" -q x "pcre:$TMP/x.pcre" 2>/dev/null)" = y ] ||
    skip_all "postmap has no pcre table support"

mkdir "$TMP/tables"
# shellcheck disable=SC2016  # $1 is the table's, not the shell's
printf '/^(.*)$/ WARN [$1]\n' >"$TMP/tables/probe"
old_mtime "$TMP/tables"

# The messages: copies, CRLF where the name says so, and generated ones.
mkdir "$TMP/msgs"
for f in "$MESSAGES"/*.eml; do
    b=${f##*/}
    case $b in
        *crlf*) sed 's/$/\r/' "$f" >"$TMP/msgs/$b" ;;
        *) cp "$f" "$TMP/msgs/$b" ;;
    esac
done
# repeat CHAR N: N copies of CHAR
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }
{
    printf 'Subject: %s\n' "$(repeat s 5000)"
    printf 'X-Folded: start\n\t%s\n\tend\n' "$(repeat f 3000)"
    printf 'X-Exact: %s\n' "$(repeat e 2039)"	# 2048 bytes
    printf '\n%s\n' "$(repeat b 10000)"
    printf '%s\n' "$(repeat c 2048)"
    printf '4111111111111111 after a long line\n'
} >"$TMP/msgs/g1-long-lines.eml"
# The id once, not once a line: 1,500 subshells, heads and trs took a
# minute here.
id40=$(repeat x 40)
{
    printf 'Received: from start\n'
    for i in $(seq 1 1500); do printf '\tby relay%04d.example.com with ESMTP id %s\n' "$i" "$id40"; done
    printf 'X-After: still a header\n\nbody\n'
} >"$TMP/msgs/g2-huge-header.eml"
printf 'Subject: nul\0inside\n\tcont\0inued\nX-Nul\0Name: v\n\nbody\0after nul\n\0\nend\n' \
    >"$TMP/msgs/g3-nul-bytes.eml"
printf 'Subject: Gr\303\274\303\237e aus M\303\274nchen\nX-L\303\244nge: 8-bit name\nFrom: a@example.org\n\nK\303\244se 4111111111111111\n\377\376 raw bytes\n' \
    >"$TMP/msgs/g4-8bit.eml"
: >"$TMP/msgs/g5-empty.eml"
printf '\n' >"$TMP/msgs/g6-one-newline.eml"

n=0
failed=0
compared=0
identical=0

# report NAME DIAG: print one TAP result
report() {
    tap_result "$1" "$2"
}

# compare_outputs: compare $TMP/{p,f}.{out,err} and exit codes $prc/$frc;
# sets $diag
compare_outputs() {
    sed 's/^postmap: /pfc: /' "$TMP/p.err" | sort -u >"$TMP/p.errs"
    sort -u "$TMP/f.err" >"$TMP/f.errs"
    diag=
    if ! cmp -s "$TMP/p.out" "$TMP/f.out"; then
        diag+="stdout differs (--- postmap, +++ pfc):"$'\n'
        diag+=$(diff -u -a --label postmap --label pfc "$TMP/p.out" "$TMP/f.out" | cut -c1-300 | head -n 40)$'\n'
    fi
    if ! cmp -s "$TMP/p.errs" "$TMP/f.errs"; then
        diag+="stderr line sets differ (--- postmap, +++ pfc):"$'\n'
        diag+=$(diff -u -a --label postmap --label pfc "$TMP/p.errs" "$TMP/f.errs" | cut -c1-300 | head -n 40)$'\n'
    fi
    if [ "$prc" != "$frc" ]; then
        diag+="exit status: postmap $prc, pfc $frc"$'\n'
    fi
    if [ "${MSGSCAN_VERBOSE:-0}" = 1 ]; then
        echo "# --- case $((n + 1)): postmap rc=$prc, stdout:"
        cut -c1-200 "$TMP/p.out" | head -n 30 | sed 's/^/#   /'
        echo "# stderr:"
        cut -c1-200 "$TMP/p.err" | head -n 30 | sed 's/^/#   /'
    fi
}

# t CFG FLAGS TABLE MESSAGE: one case, `-FLAGSq - pcre:TABLE < MESSAGE`
t() {
    local cfg=$1 flags=$2 table=$3 msg=$4 name
    name="${table##*/} ${msg##*/} -${flags}q${cfg:+ ($cfg limits)}"
    cfg=$TMP/${cfg:-cfg}
    # Both tools run at the same time (they only read): a Postfix fatal
    # error sleeps 1 s before exiting.
    postmap -c "$cfg" "-${flags}q" - "pcre:$table" <"$msg" >"$TMP/p.out" 2>"$TMP/p.err" &
    local pid=$!
    "$PFC" map -c "$cfg" "-${flags}q" - "pcre:$table" <"$msg" >"$TMP/f.out" 2>"$TMP/f.err"
    frc=$?
    wait "$pid"
    prc=$?
    compare_outputs
    compared=$((compared + 1))
    report "$name" "$diag"
}

########################################################################
# The probe table shows every string, in order, for every combination.
########################################################################
for msg in "$TMP"/msgs/*.eml; do
    for flags in h b hm bm hb hbm; do
        t "" "$flags" "$TMP/tables/probe" "$msg"
    done
done

# -m without -b or -h: a warning, then plain `-q -` key lookups.
t "" m "$TMP/tables/probe" "$TMP/msgs/01-folded-received.eml"

# Small limits from main.cf: header_size_limit, mime_boundary_length_limit,
# mime_nesting_limit.
for msg in "$TMP"/msgs/0[1-5]*.eml "$TMP"/msgs/1[1-5]*.eml "$TMP"/msgs/g2-huge-header.eml; do
    for flags in hm bm; do
        t small "$flags" "$TMP/tables/probe" "$msg"
    done
done

########################################################################
# The corpus's header_checks and body_checks tables.
########################################################################
if [ -d "$CORPUS/checks" ]; then
    mkdir "$TMP/corpus"
    cp "$CORPUS"/checks/* "$TMP/corpus/"
    old_mtime "$TMP/corpus"
    for table in "$TMP"/corpus/*; do
        case ${table##*/} in
            *body*) modes="b bm" ;;
            *) modes="h hm" ;;
        esac
        for msg in "$TMP"/msgs/*.eml; do
            # Some corpus rules backtrack for minutes on a 100 kB header.
            case $msg in *huge-header*) continue ;; esac
            for flags in $modes; do
                t "" "$flags" "$table" "$msg"
            done
        done
    done
else
    if [ "${PFC_REQUIRE_ALL:-0}" = 1 ]; then
        echo "Bail out! corpus not found at $CORPUS (PFC_REQUIRE_ALL=1)"
        exit 1
    fi
    n=$((n + 1))
    echo "ok $n - corpus checks tables # SKIP corpus not found at $CORPUS"
fi

########################################################################
# finish
########################################################################

echo "# identical: $identical/$compared"
echo "1..$n"
[ "$failed" -eq 0 ] && exit 0
exit 1
