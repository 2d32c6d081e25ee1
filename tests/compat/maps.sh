#!/bin/bash
# tests/compat/maps.sh - `pfc map` versus Postfix's `postmap`, on every
# postmap source of the corpus and on generated sources for each rule of
# SPEC.md section 7 (and the table forms of section 4).
#
# Each case puts the source into two fresh directories and runs, at the same
# time, `postmap -c CFG ARGS` in one and `$PFC map -c CFG ARGS` in the other,
# with relative file names so that messages name the same files.  It compares:
# stdout byte-equal (`-s` output as a sorted set when the two tools store the
# table in different databases, whose order differs); stderr equal as sets of
# lines, "postmap: " mapped to "pfc: "; exit status equal; after a build, the
# files left in the directory and their permissions (no temporary file may
# be left behind).
# TAP output, ending with "# identical: N/M" (side-by-side comparisons).
#
# Table pairs:
#   pfc hash:FILE  (GDBM, FILE.db)   versus  postmap lmdb:FILE
#   pfc btree:FILE (GDBM, FILE.db)   versus  postmap btree:FILE (Berkeley DB)
# lmdb and btree both keep a trailing NUL in keys and values by default, as
# hash does (SPEC 6.2), so lookups with -N/-n behave alike.  The btree pair
# also compares `-s` output byte for byte: both list keys in byte order.
#
# Environment: PFC (path of the pfc binary), srcdir (repository root),
# CORPUS (default $srcdir/../shared/corpus), PFC_REQUIRE_ALL=1 (a missing
# postmap, lmdb/btree support or corpus is a bail-out instead of a skip),
# MAPS_VERBOSE=1 (also print postmap's output of every case as comments).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
CORPUS=${CORPUS:-$srcdir/../shared/corpus}


command -v postmap >/dev/null 2>&1 || skip_all "postmap not found on PATH"
find_pfc

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Configuration directories.  Postfix re-reads (and re-warns about) a
# main.cf changed within the last second: give them an old mtime.
CFG36=$TMP/cfg36            # compatibility_level 3.6: smtputf8_enable = yes
CFG0=$TMP/cfg0              # no compatibility_level: level 0, no UTF-8 rules
mkdir "$CFG36" "$CFG0"
echo 'compatibility_level = 3.6' >"$CFG36/main.cf"
: >"$CFG0/main.cf"
touch -d 2000-01-01 "$CFG36/main.cf" "$CFG0/main.cf"

types=$(postconf -c "$CFG36" -m 2>/dev/null)
for t in lmdb btree hash; do
    grep -qx "$t" <<<"$types" || skip_all "postmap has no $t: support"
done

# Differences judged to be intended.  Only the pfc-only refusal checks below
# (t_refused) use them: they assert pfc's own message exactly and print the
# reason.  One entry per line: CASE-NAME<TAB>REASON.  Side-by-side cases that
# differ and are listed here are reported "ok ... # intended: REASON" and are
# not counted as identical.  Keep this table explicit.
KNOWN_DIFFS=$(cat <<'EOF'
no table named	the usage text is pfc's own ("pfc map", and only the options pfc has)
-q on a file that is not a database	the reason comes from the database library: Berkeley DB says "Invalid argument", GDBM "Unexpected end of file"
-F *	pfc map has no -F (values read from files, base64-encoded, and -U): it refuses the option with one message instead
unknown table type (build)	Debian's postmap adds a hint about its plugin packages ("Is the postfix-bogus package installed?"), which means nothing for pfc
source is a directory	postmap builds an empty table from a directory without a word; pfc refuses it ("read DIR: Is a directory")
EOF
)
# Normalisations applied before comparing (intended differences too):
#  * postmap lmdb:FILE says "lmdb:FILE: duplicate entry"; pfc's hash: words it
#    as Postfix's hash: does, "FILE.db: duplicate entry" (checked: `postmap
#    hash:FILE` prints "FILE.db: duplicate entry").  Mapped lmdb -> hash.
#  * Other messages name the table "lmdb:FILE"; Postfix's hash: names it
#    "hash:FILE.db" (checked: `postmap -q - hash:FILE` warns "hash:FILE.db:
#    non-UTF-8 key").  Mapped lmdb:FILE -> hash:FILE.db.
#  * postmap lmdb:FILE writes FILE.lmdb, pfc hash:FILE writes FILE.db (GDBM,
#    not Berkeley DB; the name is Postfix's hash: name).  Mapped in messages
#    and in the list of files left after a build.
#  * LMDB cannot store keys over 511 bytes nor look up an empty key
#    (MDB_BAD_VALSIZE): the cases that need those compare pfc hash: with
#    postmap hash: (Berkeley DB) instead.
#  * Errors about a missing table are compared with postmap hash: (the
#    Berkeley DB type, same file name FILE.db), not lmdb.


n=0
failed=0
same=0
compared=0
intended=0
D=
S=src
CFG=$CFG36
PT=lmdb     # postmap's table type of the current pair
FT=hash     # pfc's table type of the current pair

# report NAME DIAG [COMPARED]: print one TAP result; COMPARED=1 (default)
# counts it in the identical N/M tally
report() {
    local name=$1 diag=$2 counted=${3:-1} reason
    n=$((n + 1))
    if [ -z "$diag" ]; then
        [ "$counted" = 1 ] && compared=$((compared + 1)) && same=$((same + 1))
        echo "ok $n - $name"
    elif reason=$(known_reason "$name"); then
        # Listed differences are reported, and not counted as comparisons.
        intended=$((intended + 1))
        echo "ok $n - $name # intended: $reason"
        printf '%s' "$diag" | sed 's/^/#   /'
    else
        [ "$counted" = 1 ] && compared=$((compared + 1))
        failed=$((failed + 1))
        echo "not ok $n - $name"
        printf '%s' "$diag" | sed 's/^/# /'
    fi
}

# new_src NAME [FILE]: start a case: fresh directories $D/p (postmap) and
# $D/f (pfc), each with the source NAME (mode 0644), copied from FILE or stdin
new_src() {
    S=$1
    D=$(mktemp -d "$TMP/case.XXXXXX")
    mkdir "$D/p" "$D/f"
    if [ $# -ge 2 ]; then cat "$2" >"$D/p/$S"; else cat >"$D/p/$S"; fi
    cp "$D/p/$S" "$D/f/$S"
    # a new table takes its source's mode: give sources the usual 0644
    chmod 644 "$D/p/$S" "$D/f/$S"
}

# pair STDIN POSTMAP-ARGS... -- PFC-ARGS...: run `postmap -c $CFG ARGS` in
# $D/p and `pfc map -c $CFG ARGS` in $D/f at the same time (a Postfix fatal
# error sleeps 1 s before exiting); sets prc, frc, $TMP/{p,f}.{out,err}
pair() {
    local in=$1 pid
    shift
    local -a pa=() fa=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do pa+=("$1"); shift; done
    shift
    fa=("$@")
    (cd "$D/p" && exec postmap -c "$CFG" "${pa[@]}") <"$in" >"$TMP/p.out" 2>"$TMP/p.err" &
    pid=$!
    (cd "$D/f" && exec "$PFC" map -c "$CFG" "${fa[@]}") <"$in" >"$TMP/f.out" 2>"$TMP/f.err"
    frc=$?
    wait "$pid"
    prc=$?
}

# norm_err: postmap's stderr with the intended differences mapped (above)
norm_err() {
    local s=${S//./\\.}
    if [ "$PT" = lmdb ]; then
        sed -e 's/^postmap: /pfc: /' \
            -e "s/lmdb:\\($s\\): duplicate entry: /\\1.db: duplicate entry: /" \
            -e "s/lmdb:\\($s\\)\\([^A-Za-z0-9_.]\\|\$\\)/hash:\\1.db\\2/g" \
            -e "s/\\($s\\)\\.lmdb\\([^A-Za-z0-9_]\\|\$\\)/\\1.db\\2/g"
    else
        sed -e 's/^postmap: /pfc: /'
    fi
}

# compare MODE [FILES]: compare the outputs of the last pair; MODE exact or
# sorted (stdout as a sorted list); FILES=1 also compares the files left in
# $D/p and $D/f; sets $diag
compare() {
    local mode=$1 files=${2:-0}
    norm_err <"$TMP/p.err" | sort -u >"$TMP/p.errs"
    sort -u "$TMP/f.err" >"$TMP/f.errs"
    # exact: the outputs themselves, not copies (cp was 5% of this test's
    # processor time)
    local pc=$TMP/p.out fc=$TMP/f.out
    if [ "$mode" = sorted ]; then
        sort "$TMP/p.out" >"$TMP/p.cmp"
        sort "$TMP/f.out" >"$TMP/f.cmp"
        pc=$TMP/p.cmp fc=$TMP/f.cmp
    fi
    diag=
    if ! cmp -s "$pc" "$fc"; then
        diag+="stdout differs (--- postmap, +++ pfc):"$'\n'
        diag+=$(diff -u --label postmap --label pfc "$pc" "$fc" |
                cut -c1-300 | head -n 40 | cat -v)$'\n'
    fi
    if ! cmp -s "$TMP/p.errs" "$TMP/f.errs"; then
        diag+="stderr line sets differ (--- postmap, +++ pfc):"$'\n'
        diag+=$(diff -u --label postmap --label pfc "$TMP/p.errs" "$TMP/f.errs" |
                cut -c1-300 | head -n 40 | cat -v)$'\n'
    fi
    if [ "$prc" != "$frc" ]; then
        diag+="exit status: postmap $prc, pfc $frc"$'\n'
    fi
    if [ "$files" = 1 ]; then
        local pf ff
        pf=$(cd "$D/p" && stat -c '%n:%a' -- * | sed 's/\.lmdb:/.db:/' | sort)
        ff=$(cd "$D/f" && stat -c '%n:%a' -- * | sort)
        if [ "$pf" != "$ff" ]; then
            diag+="files left differ: postmap: $(echo $pf); pfc: $(echo $ff)"$'\n'
        fi
    fi
    if [ "${MAPS_VERBOSE:-0}" = 1 ]; then
        echo "# --- case $((n + 1)): postmap rc=$prc, stdout:"
        cut -c1-200 "$TMP/p.out" | head -n 30 | sed 's/^/#   /'
        echo "# stderr:"
        cut -c1-200 "$TMP/p.err" | head -n 30 | sed 's/^/#   /'
    fi
}

# The checks.  Each uses the current pair PT/FT, source $S and config $CFG;
# OPTS are postmap options given to both tools.

# t_build NAME [OPTS...]: build the table from the source
t_build() {
    local name=$1
    shift
    pair /dev/null "$@" "$PT:$S" -- "$@" "$FT:$S"
    compare exact 1
    report "$name" "$diag"
}

# t_query NAME KEYSFILE [OPTS...]: `-q -` with the keys in KEYSFILE
t_query() {
    local name=$1 keys=$2
    shift 2
    pair "$keys" "$@" -q - "$PT:$S" -- "$@" -q - "$FT:$S"
    compare exact
    report "$name" "$diag"
}

# t_q1 NAME KEY [OPTS...]: `-q KEY`
t_q1() {
    local name=$1 key=$2
    shift 2
    pair /dev/null "$@" -q "$key" "$PT:$S" -- "$@" -q "$key" "$FT:$S"
    compare exact
    report "$name" "$diag"
}

# t_seq NAME [OPTS...]: `-s`, as a sorted set unless both are btree
t_seq() {
    local name=$1 mode=sorted
    shift
    [ "$PT" = "$FT" ] && [ "$PT" = btree ] && mode=exact
    pair /dev/null "$@" -s "$PT:$S" -- "$@" -s "$FT:$S"
    compare "$mode"
    report "$name" "$diag"
}

# t_del NAME KEY [OPTS...]: `-d KEY`, then compare the contents with -s
t_del() {
    local name=$1 key=$2
    shift 2
    pair /dev/null "$@" -d "$key" "$PT:$S" -- "$@" -d "$key" "$FT:$S"
    compare exact 1
    report "$name" "$diag"
    t_seq "$name: contents after -d"
}

# t_incr NAME INPUT [OPTS...]: `-i` adding INPUT (stdin), then -s
t_incr() {
    local name=$1 input=$2
    shift 2
    pair "$input" "$@" -i "$PT:$S" -- "$@" -i "$FT:$S"
    compare exact 1
    report "$name" "$diag"
    t_seq "$name: contents after -i"
}

# t_raw NAME STDIN MODE POSTMAP-ARGS... -- PFC-ARGS...: any other pair of
# command lines (MODE exact or sorted)
t_raw() {
    local name=$1 in=$2 mode=$3
    shift 3
    pair "$in" "$@"
    compare "$mode"
    report "$name" "$diag"
}

# t_same NAME ARGS...: the same arguments for both tools, stdin /dev/null
t_same() {
    local name=$1
    shift
    t_raw "$name" /dev/null exact "$@" -- "$@"
}

# t_refused NAME WANT ARGS...: pfc alone: it must fail with exactly the
# message WANT (one line) and exit 1, leaving no table behind.  postmap's
# behaviour differs on purpose: the reason is printed with the result.
t_refused() {
    local name=$1 want=$2 why=$3 diag= before after
    shift 3
    before=$(ls -A "$D/f")
    (cd "$D/f" && exec "$PFC" map -c "$CFG" "$@") </dev/null >"$TMP/f.out" 2>"$TMP/f.err"
    frc=$?
    after=$(ls -A "$D/f")
    [ "$frc" = 1 ] || diag+="exit status $frc, want 1"$'\n'
    [ -s "$TMP/f.out" ] && diag+="unexpected standard output"$'\n'
    [ "$(cat "$TMP/f.err")" = "$want" ] || diag+="stderr: $(cat "$TMP/f.err")"$'\n'
    [ "$before" = "$after" ] || diag+="files changed: $(echo $after)"$'\n'
    n=$((n + 1))
    if [ -z "$diag" ]; then
        echo "ok $n - $name # intended: $why"
    else
        [ "$counted" = 1 ] && compared=$((compared + 1))
        failed=$((failed + 1))
        echo "not ok $n - $name"
        printf '%s' "$diag" | sed 's/^/# /'
    fi
}

# keys_of FILE: the keys of a source (first field of each logical line,
# quoted keys whole), each also upper-cased and as a miss, and a few misses
keys_of() {
    awk '
        /^[ \t]*#/ || /^[ \t]*$/ || /^[ \t]/ { next }
        {
            k = $1
            if (substr($0, 1, 1) == "\"") {
                # up to the whitespace after the matching quote
                i = 2
                while (i <= length($0) && substr($0, i, 1) != "\"") {
                    if (substr($0, i, 1) == "\\") i++
                    i++
                }
                j = i
                while (j <= length($0) && substr($0, j, 1) !~ /[ \t]/) j++
                k = substr($0, 1, j - 1)
            }
            print k
            print toupper(k)
            print k ".miss"
        }
        END {
            print "nosuch@example.com"
            print "NOSUCH.EXAMPLE"
            print "*"
        }' "$1"
}

# build_and_query NAME: the standard round for the current source and pair:
# build, query every key (-q -), one -q KEY, -s
build_and_query() {
    local name=$1 first
    t_build "$name: build"
    keys_of "$D/p/$S" >"$TMP/keys"
    t_query "$name: -q - keys, upper-case keys, misses" "$TMP/keys"
    first=$(head -n 1 "$TMP/keys")
    if [ -n "$first" ]; then
        t_q1 "$name: -q first key" "$first"
        t_q1 "$name: -q first key upper-cased" "$(printf '%s' "$first" | tr a-z A-Z)"
    fi
    t_q1 "$name: -q miss" "no.such.key.example"
    t_seq "$name: -s"
}

# each_pair FUNCTION: run FUNCTION for each pair POSTMAP-TYPE:PFC-TYPE of
# $PAIRS (default: pfc hash vs postmap lmdb, pfc btree vs postmap btree),
# on fresh copies of the current source; FUNCTION gets a label
DEFAULT_PAIRS="lmdb:hash btree:btree"
PAIRS=$DEFAULT_PAIRS
each_pair() {
    local fn=$1 src p label
    src=$(mktemp "$TMP/src.XXXXXX")
    cp "$D/p/$S" "$src"
    for p in $PAIRS; do
        PT=${p%%:*} FT=${p#*:}
        label=$FT
        [ "$PT" != lmdb ] && [ "$PT" = "$FT" ] && [ "$PT" = hash ] && label="hash vs postmap hash"
        new_src "$S" "$src"
        "$fn" "$label"
    done
    PT=lmdb FT=hash
}

########################################################################
# Corpus: every postmap source (not regexp, pcre or cidr tables)
########################################################################

# is_pattern_table FILE: a regexp/pcre table (first entry /.../ or if/endif)
# or a cidr table (first key an address/prefix)
is_pattern_table() {
    awk '
        /^[ \t]*#/ || /^[ \t]*$/ || /^[ \t]/ { next }
        {
            if ($0 ~ /^\// || $1 == "if" || $1 == "endif") r = 1
            else if ($1 ~ /^[0-9a-fA-F.:]+\/[0-9]+$/) r = 1
            exit
        }
        END { exit !r }' "$1"
}

corpus_round() { build_and_query "corpus $S ($1)"; }

if [ -d "$CORPUS/map-virtual" ]; then
    ncorpus=0
    for f in "$CORPUS"/map-virtual/* "$CORPUS"/map-transport/* \
             "$CORPUS"/map-access/* "$CORPUS"/map-other/*; do
        [ -f "$f" ] || continue
        case $f in
            */map-transport/*.pcre) continue ;;
            */map-access/*.regexp | */map-access/*.pcre | */map-access/*.cidr) continue ;;
            */map-other/*.pcre) continue ;;
        esac
        if is_pattern_table "$f"; then
            echo "# corpus: $(basename "$f") is a regexp/pcre/cidr table: not a postmap source"
            continue
        fi
        ncorpus=$((ncorpus + 1))
        new_src "$(basename "$f")" "$f"
        each_pair corpus_round
    done
    echo "# corpus: $ncorpus postmap sources"
else
    if [ "${PFC_REQUIRE_ALL:-0}" = 1 ]; then
        echo "Bail out! no corpus at $CORPUS (PFC_REQUIRE_ALL=1)"
        exit 1
    fi
    n=$((n + 1))
    echo "ok $n - corpus # SKIP no corpus at $CORPUS"
fi
S=src

########################################################################
# Generated sources, one or more per rule of SPEC.md section 7
########################################################################

gen_round() { build_and_query "$CASE ($1)"; }

# gen NAME: run the standard round on the source read from stdin, for both
# pairs, at the current $CFG
gen() {
    CASE=$1
    new_src src
    each_pair gen_round
}

# §1.1/§7: continuation lines: newline deleted, leading whitespace kept
gen "§7 continuation lines joined" < <(printf 'k1 a\n\t\tb\n k2x\nk2 v\n')

# §1.1: blank, whitespace-only and comment lines inside a continuation
gen "§7 comment and blank lines inside continuation" < <(printf 'k1 a,\n# col-1 comment\n  b\n\nk2 x\n   \t \n  y\n    # indented comment\n  z\nk3 v\n#k4 x\n    joined to k3\n')

# §1.1: a first line with leading whitespace (and its continuation)
gen "§7 leading whitespace on first line" < <(printf '  lead v\n  cont\nnext v\n\tlead2 w\nlast v\n')

# §7: comment lines, '#' inside a line is data
gen "§7 comments, # inside data" < <(printf '# comment\n   # indented comment\nhash#key  v # trailing\nk #v\n')

# §7: internal whitespace kept, trailing whitespace removed
gen "§7 internal whitespace kept, trailing removed" < <(printf 'tabbed\tvalue with   internal   spaces   \nk2    \t lead ws\t\nk3 v\t\t\n')

# §1.2/§7: CRLF line ends
gen "§7 CRLF line ends" < <(printf 'crlf v\r\ncrlf2 v w \r\nkeyonlycr\r\ncrlf3\tx\r\n')

# §7: quoted keys
gen "§7 quoted keys" <<'EOF'
"a b"@example.com v1
"with \"esc\" and \\" v2
"unterminated  v3
a"b v4
"a"b"c v5
"x y"z@example.com v6
"" v7
"q"
"tab	in" v8
plain"q"@example.com v9
"UPPER Case"@Example.COM v10
EOF

# §7: "key: value" records (warning, stored with the colon)
gen "§7 key: value warning" <<'EOF'
user@example.com: value
alias: a, b
k:v v
onlycolon:
a::  b
EOF

# §7: lines without a value
gen "§7 keyonly lines" < <(printf 'keyonly\nkeyonly2   \nk v\n\t\nkeyonly3\t\n')

# §7: keys are lowercased, values keep their case
gen "§7 case folding" < <(printf 'User2@Example.COM Value\nMIXED.example MiXeD\nlower UPPER\n')

# §7: duplicates, default (first wins, warning), also across case
gen "§7 duplicates" < <(printf 'dup a\ndup b\nDUP c\nother x\nother x\n')

# §7: very long key and value.  LMDB limits keys to 511 bytes (postmap
# lmdb: fails with MDB_BAD_VALSIZE), so pfc hash: is compared with postmap
# hash: (Berkeley DB) here.
PAIRS="hash:hash btree:btree"
gen "§7 long key and value" < <(
    printf 'long%s v\n' "$(head -c 3000 /dev/zero | tr '\0' k)"
    printf 'k %s\n' "$(head -c 100000 /dev/zero | tr '\0' v)")
PAIRS=$DEFAULT_PAIRS

# §7: empty source
gen "§7 empty source" </dev/null

# §6.2/§7: a NUL byte inside a source line
gen "§7 NUL byte in source" < <(printf 'a\0b v1\nc v\0w\nd v\n')

# -f: no case folding when building and when querying
f_round() {
    t_build "$CASE ($1): build -f" -f
    t_query "$CASE ($1): -q - -f" "$TMP/fkeys" -f
    t_query "$CASE ($1): -q - without -f" "$TMP/fkeys"
    t_q1 "$CASE ($1): -q Upper -f" User2@Example.COM -f
    t_q1 "$CASE ($1): -q Upper" User2@Example.COM
    t_seq "$CASE ($1): -s" -f
    t_del "$CASE ($1): -d MIXED -f" MIXED -f
}
printf 'User2@Example.COM Value\nuser2@example.com lower\nMIXED m\nlow l\nLOW L\n' >"$TMP/fsrc"
printf 'User2@Example.COM\nuser2@example.com\nUSER2@EXAMPLE.COM\nMIXED\nmixed\nlow\nLOW\nLow\n' >"$TMP/fkeys"
CASE="-f"
new_src src "$TMP/fsrc"
each_pair f_round

# default build, then -f queries: stored keys are lowercase
ff_round() {
    t_build "$CASE ($1): build"
    t_query "$CASE ($1): -q - -f" "$TMP/fkeys" -f
}
CASE="build folded, query -f"
new_src src "$TMP/fsrc"
each_pair ff_round

# -r and -w: duplicates
dup_round() {
    t_build "$CASE ($1): build -r" -r
    t_seq "$CASE ($1): -s after -r"
    t_build "$CASE ($1): build -w" -w
    t_seq "$CASE ($1): -s after -w"
    t_build "$CASE ($1): build -r -w (last wins)" -r -w
    t_seq "$CASE ($1): -s after -r -w"
    t_build "$CASE ($1): build -w -r (last wins)" -w -r
    t_seq "$CASE ($1): -s after -w -r"
}
printf 'dup a\ndup b\nDUP c\nx 1\nx 2\n' >"$TMP/dsrc"
CASE="§7 duplicates -r/-w"
new_src src "$TMP/dsrc"
each_pair dup_round

# -N and -n: trailing NULs (SPEC 6.2)
printf 'a\nb\nmiss\n' >"$TMP/nkeys"
nul_round() {
    t_build "$CASE ($1): build -N" -N
    t_query "$CASE ($1): -N table, -q -" "$TMP/nkeys"
    t_query "$CASE ($1): -N table, -q - -N" "$TMP/nkeys" -N
    t_query "$CASE ($1): -N table, -q - -n" "$TMP/nkeys" -n
    t_build "$CASE ($1): build -n" -n
    t_query "$CASE ($1): -n table, -q -" "$TMP/nkeys"
    t_query "$CASE ($1): -n table, -q - -N" "$TMP/nkeys" -N
    t_query "$CASE ($1): -n table, -q - -n" "$TMP/nkeys" -n
    t_seq "$CASE ($1): -n table, -s"
    t_del "$CASE ($1): -n table, -d a -N" a -N
    t_del "$CASE ($1): -n table, -d a" a
    t_build "$CASE ($1): build -n -N" -n -N
    t_query "$CASE ($1): -n -N table, -q - -n" "$TMP/nkeys" -n
}
printf 'a 1\nb 2\n' >"$TMP/nsrc"
CASE="§6.2 -N/-n"
new_src src "$TMP/nsrc"
each_pair nul_round

# -i: add stdin to an existing table (duplicates, bad lines, case)
printf 'new v\nA replaced?\nkeyonly\nNew2 V2\nnew dup\n"unbalanced x\n' >"$TMP/iadd"
incr_round() {
    t_build "$CASE ($1): build"
    t_incr "$CASE ($1): -i" "$TMP/iadd"
    t_incr "$CASE ($1): -i -r" "$TMP/iadd" -r
    t_incr "$CASE ($1): -i -w" "$TMP/iadd" -w
    t_incr "$CASE ($1): -i -f" "$TMP/iadd" -f
    t_incr "$CASE ($1): -i empty stdin" /dev/null
}
printf 'a 1\nb 2\n' >"$TMP/isrc"
CASE="§7 -i"
new_src src "$TMP/isrc"
each_pair incr_round

# -i on a table that does not exist yet
incr_new_round() {
    t_incr "$CASE ($1): -i creates the table" "$TMP/iadd"
}
CASE="§7 -i new table"
new_src src "$TMP/isrc"
each_pair incr_new_round

# -d: found, not found, folded, twice
del_round() {
    t_build "$CASE ($1): build"
    t_del "$CASE ($1): -d found" a
    t_del "$CASE ($1): -d again (not found)" a
    t_del "$CASE ($1): -d not found" nosuch
    t_del "$CASE ($1): -d upper-case key" B
    t_del "$CASE ($1): -d quoted key" '"x y"@example.com'
    t_del "$CASE ($1): -d with -f, wrong case" C -f
}
printf 'a 1\nb 2\nc 3\n"x y"@example.com q\n' >"$TMP/delsrc"
CASE="§7 -d"
new_src src "$TMP/delsrc"
each_pair del_round

# -F: the value names a file whose contents are stored base64-encoded;
# -F -q decodes.  -o and -p (ownership, permissions) and -U (UTF-8 checks
# with -b/-h) are accepted.
F_round() {
    printf 'hello world\n' >"$D/p/content"
    printf 'hello world\n' >"$D/f/content"
    printf '\001\002bin\377\n' >"$D/p/binary"
    printf '\001\002bin\377\n' >"$D/f/binary"
    t_build "$CASE ($1): build -F" -F
    t_q1 "$CASE ($1): -q k (base64)" k
    t_q1 "$CASE ($1): -F -q k (decoded)" k -F
    t_q1 "$CASE ($1): -F -q bin (decoded)" bin -F
    printf 'k\nbin\nmiss\n' >"$TMP/Fkeys"
    t_query "$CASE ($1): -F -q -" "$TMP/Fkeys" -F
    t_seq "$CASE ($1): -s" -F
    t_build "$CASE ($1): build -o -p" -o -p
    t_q1 "$CASE ($1): -U -q k" k -U
}
printf 'k content\nbin binary\n' >"$TMP/Fsrc"
CASE="-F"
new_src src "$TMP/Fsrc"
each_pair F_round
F_missing_round() {
    t_build "$CASE ($1): build -F" -F
}
CASE="-F with a missing file"
new_src src < <(printf 'k nosuchfile\n')
each_pair F_missing_round

# several tables: -q KEY and -q - take the first table that has the key
multi_round() {
    t_build "$CASE ($1): build"
    cp "$TMP/m2" "$D/p/src2"
    cp "$TMP/m2" "$D/f/src2"
    t_raw "$CASE ($1): build second" /dev/null exact "$PT:src2" -- "$FT:src2"
    t_raw "$CASE ($1): -q b" /dev/null exact -q b "$PT:src" "$PT:src2" -- -q b "$FT:src" "$FT:src2"
    t_raw "$CASE ($1): -q c (second table)" /dev/null exact \
        -q c "$PT:src" "$PT:src2" -- -q c "$FT:src" "$FT:src2"
    printf 'a\nb\nc\nd\n' >"$TMP/mkeys"
    t_raw "$CASE ($1): -q -" "$TMP/mkeys" exact \
        -q - "$PT:src" "$PT:src2" -- -q - "$FT:src" "$FT:src2"
    t_raw "$CASE ($1): -d b in both" /dev/null exact \
        -d b "$PT:src" "$PT:src2" -- -d b "$FT:src" "$FT:src2"
    t_raw "$CASE ($1): -s lists the first table only" /dev/null sorted \
        -s "$PT:src" "$PT:src2" -- -s "$FT:src" "$FT:src2"
}
printf 'a 1\nb 2\n' >"$TMP/m1"
printf 'b 20\nc 30\n' >"$TMP/m2"
CASE="several tables"
new_src src "$TMP/m1"
each_pair multi_round

# permissions: a new table takes the source's mode, or 0644 with -p
perm_round() {
    chmod 600 "$D/p/src" "$D/f/src"
    t_build "$CASE ($1): source mode 600"
    t_build "$CASE ($1): source mode 600, again"
    t_incr "$CASE ($1): -i keeps the mode" /dev/null
    rm -f "$D/p/src.lmdb" "$D/p/src.db" "$D/f/src.db"
    t_build "$CASE ($1): source mode 600, -p" -p
    chmod 640 "$D/p/src" "$D/f/src"
    t_build "$CASE ($1): source mode 640 over an existing 644 table"
}
CASE="permissions"
new_src src "$TMP/m1"
each_pair perm_round

# -q - details: empty lines, whitespace around keys, CR, a key given twice
qq_round() {
    t_build "$CASE ($1): build"
    t_query "$CASE ($1): -q -" "$TMP/qkeys"
    t_q1 "$CASE ($1): -q empty key" ""
    t_query "$CASE ($1): -q - from empty stdin" /dev/null
    t_query "$CASE ($1): -q - all misses" "$TMP/qmiss"
}
printf 'a 1\nb 2\n"a b" 3\n' >"$TMP/qsrc"
printf '\na\n a\na \nb\r\nA\na\n"a b"\n"A B"\n' >"$TMP/qkeys"
printf 'x\ny\n' >"$TMP/qmiss"
CASE="-q - input"
new_src src "$TMP/qsrc"
PAIRS="hash:hash btree:btree"   # LMDB fails on the empty key
each_pair qq_round
PAIRS=$DEFAULT_PAIRS

# The default type: no "type:" means default_database_type (hash)
new_src src "$TMP/dsrc"
t_same "default type: build without type:" src
t_same "default type: -q dup" -q dup src
printf 'dup\nx\n' >"$TMP/dk"
t_raw "default type: -q - keys" "$TMP/dk" exact -q - src -- -q - src
t_raw "default type: -q - hash:" "$TMP/dk" exact -q - hash:src -- -q - hash:src

# Option conflicts and usage errors (postmap's own words)
new_src src "$TMP/dsrc"
t_same "-s with -q: conflict" -s -q a hash:src
t_same "-q with -d: conflict" -q a -d b hash:src
t_same "-d with -s: conflict" -d a -s hash:src
t_same "-b without -q -" -b hash:src

########################################################################
# §7 UTF-8: level 0 (bytes, ASCII folding) and level 3.6 (smtputf8_enable:
# UTF-8 folding, non-UTF-8 lines dropped)
########################################################################

utf_round() {
    t_build "$CASE ($1): build"
    t_query "$CASE ($1): -q -" "$TMP/ukeys"
    t_q1 "$CASE ($1): -q ÄBC" ÄBC
    t_q1 "$CASE ($1): -q STRASSE" STRASSE
    t_q1 "$CASE ($1): -q non-UTF-8 key" "$(printf 'bad\377key')"
    t_seq "$CASE ($1): -s"
    t_build "$CASE ($1): build -f" -f
    t_query "$CASE ($1): -f -q -" "$TMP/ukeys" -f
}
{
    printf 'ÄBC v1\n'
    printf 'bad\377key v2\n'
    printf 'goodkey bad\376value\n'
    printf 'Ünïcode@Exämple.COM Wert\n'
    printf 'Straße s1\n'
    printf 'ẞig s2\n'
    printf 'ΣΊΣΥΦΟΣ s3\n'
    printf 'ﬁle s4\n'
    printf 'İstanbul s5\n'
    printf 'ǅemal s6\n'
    printf 'plain p\n'
    printf 'over\300\257long v\n'
    printf 'surrogate\355\240\200 v\n'
    printf 'trunc\342\202 v\n'
    printf 'ok\342\202\254euro v\n'
    printf '"Quoted Ä"@X.example q\n'
} >"$TMP/usrc"
{
    printf 'ÄBC\näbc\nabc\n'
    printf 'bad\377key\nBAD\377KEY\n'
    printf 'goodkey\n'
    printf 'Ünïcode@Exämple.COM\nünïcode@exämple.com\nÜNÏCODE@EXÄMPLE.COM\n'
    printf 'Straße\nstraße\nstrasse\nSTRASSE\nSTRAẞE\n'
    printf 'ẞig\nßig\nssig\n'
    printf 'ΣΊΣΥΦΟΣ\nσίσυφοσ\nσίσυφος\n'
    printf 'ﬁle\nfile\n'
    printf 'İstanbul\ni̇stanbul\nistanbul\n'
    printf 'ǅemal\nǆemal\nǄEMAL\n'
    printf 'PLAIN\n'
    printf 'over\300\257long\n'
    printf 'ok\342\202\254euro\nOK\342\202\254EURO\n'
    printf '"Quoted Ä"@X.example\n"quoted ä"@x.example\n'
} >"$TMP/ukeys"
CFG=$CFG0
CASE="§7 UTF-8 at level 0"
new_src src "$TMP/usrc"
each_pair utf_round
CFG=$CFG36
CASE="§7 UTF-8 at level 3.6"
new_src src "$TMP/usrc"
each_pair utf_round
# -u: no UTF-8 rules even at level 3.6 (bytes kept, ASCII folding)
utf_u_round() {
    t_build "$CASE ($1): build -u" -u
    t_query "$CASE ($1): -q - -u" "$TMP/ukeys" -u
    t_query "$CASE ($1): -q - without -u" "$TMP/ukeys"
    t_seq "$CASE ($1): -s -u" -u
}
CASE="§7 UTF-8 -u at level 3.6"
new_src src "$TMP/usrc"
each_pair utf_u_round
# -d of a UTF-8 key at 3.6 (folded)
CASE="§7 UTF-8 -d at level 3.6"
utf_del_round() {
    t_build "$CASE ($1): build"
    t_del "$CASE ($1): -d ÄBC" ÄBC
}
new_src src "$TMP/usrc"
each_pair utf_del_round

########################################################################
# §4 table forms queried with -q: inline, static, unionmap, pipemap,
# texthash, fail
########################################################################

new_src src "$TMP/usrc"
printf 'a\nb\nA\nc\nk1\n' >"$TMP/fkeys2"
t_same "§4 inline: hit" -q a 'inline:{a=1, b=2}'
t_same "§4 inline: upper-case key" -q A 'inline:{a=1, b=2}'
t_same "§4 inline: upper-case stored key" -q b 'inline:{a=1, B=2}'
t_same "§4 inline: -f upper-case key" -f -q A 'inline:{A=1, b=2}'
t_same "§4 inline: miss" -q c 'inline:{a=1, b=2}'
t_same "§4 inline: braced pair" -q a 'inline:{ {a = one, two}, b=2 }'
t_same "§4 inline: whitespace around =" -q a 'inline:{ a = 1 , b=2 }'
t_same "§4 inline: empty" -q a 'inline:{}'
t_same "§4 inline: no braces" -q a 'inline:a=1'
t_same "§4 inline: unbalanced brace" -q a 'inline:{a=1'
t_same "§4 inline: empty value" -q a 'inline:{a=}'
t_same "§4 inline: duplicate key" -q a 'inline:{a=1, a=2}'
t_raw "§4 inline: -q -" "$TMP/fkeys2" exact -q - 'inline:{a=1, b=2}' -- -q - 'inline:{a=1, b=2}'
t_raw "§4 inline: -s" /dev/null sorted -s 'inline:{a=1, b=2, c=3}' -- -s 'inline:{a=1, b=2, c=3}'
t_same "§4 inline: build" 'inline:{a=1}'
t_same "§4 static: braced" -q anything 'static:{some value}'
t_same "§4 static: plain" -q anything static:plain
t_same "§4 static: empty" -q anything static:
t_same "§4 static: empty braces" -q anything 'static:{}'
t_raw "§4 static: -q -" "$TMP/fkeys2" exact -q - 'static:{x y}' -- -q - 'static:{x y}'
t_same "§4 static: -s" -s static:x
t_same "§4 static: build" static:x
t_same "§4 unionmap: both" -q a 'unionmap:{inline:{a=1},,, inline:{a=2}}'
t_same "§4 unionmap: one" -q b 'unionmap:{inline:{a=1}, inline:{b=2}}'
t_same "§4 unionmap: miss" -q c 'unionmap:{inline:{a=1}, inline:{b=2}}'
t_same "§4 unionmap: with static" -q a 'unionmap:{inline:{a=1}, static:s}'
t_same "§4 unionmap: no braces" -q a 'unionmap:inline:{a=1}'
t_same "§4 unionmap: empty" -q a 'unionmap:{}'
t_raw "§4 unionmap: -q -" "$TMP/fkeys2" exact \
    -q - 'unionmap:{inline:{a=1}, inline:{a=2, b=3}}' -- -q - 'unionmap:{inline:{a=1}, inline:{a=2, b=3}}'
t_same "§4 pipemap: chain" -q a 'pipemap:{inline:{a=b}, inline:{b=c}}'
t_same "§4 pipemap: second misses" -q a 'pipemap:{inline:{a=b}, inline:{x=c}}'
t_same "§4 pipemap: first misses" -q z 'pipemap:{inline:{a=b}, inline:{b=c}}'
t_same "§4 pipemap: one table" -q a 'pipemap:{inline:{a=b}}'
t_same "§4 pipemap: case" -q A 'pipemap:{inline:{a=B}, inline:{b=c}}'
t_raw "§4 pipemap: -q -" "$TMP/fkeys2" exact \
    -q - 'pipemap:{inline:{a=b, b=a}, inline:{b=c, a=d}}' -- -q - 'pipemap:{inline:{a=b, b=a}, inline:{b=c, a=d}}'
t_same "§4 fail: -q" -q a fail:x
t_raw "§4 fail: -q -" "$TMP/fkeys2" exact -q - fail:x -- -q - fail:x
t_same "§4 fail: build" fail:x
t_same "§4 nested: unionmap of pipemap" -q a 'unionmap:{pipemap:{inline:{a=b}, inline:{b=c}}, static:s}'

# texthash: the source is the table
printf 'a 1\nA 2\nb   two words  \n"q k" 3\nkeyonly\nk: v\n"unbalanced x\nc 1\nc 2\n' >"$TMP/thsrc"
new_src src "$TMP/thsrc"
t_same "§4 texthash: -q hit" -q a texthash:src
t_same "§4 texthash: -q upper-case" -q B texthash:src
t_same "§4 texthash: -q miss" -q zz texthash:src
t_same "§4 texthash: -q quoted key" -q '"q k"' texthash:src
t_raw "§4 texthash: -q -" "$TMP/fkeys2" exact -q - texthash:src -- -q - texthash:src
t_raw "§4 texthash: -s" /dev/null sorted -s texthash:src -- -s texthash:src
t_same "§4 texthash: -q missing file" -q a texthash:nosuch
# building a texthash table fails in postmap: pfc must fail the same way
t_same "§4 texthash: build is refused" texthash:src
t_same "§4 texthash: -d is refused" -d a texthash:src
t_raw "§4 texthash: -i is refused" "$TMP/iadd" exact -i texthash:src -- -i texthash:src

########################################################################
# Bad input
########################################################################

new_src src "$TMP/dsrc"
t_same "missing source file (hash)" hash:nosuch
t_same "missing source file (btree)" btree:nosuch
t_same "missing source directory" hash:nodir/src
t_same "-q on a table that does not exist (hash)" -q a hash:nosuch
t_same "-q on a table that does not exist (btree)" -q a btree:nosuch
t_same "-q - on a table that does not exist" -q - hash:nosuch
t_same "-s on a table that does not exist" -s hash:nosuch
t_same "-d on a table that does not exist" -d a hash:nosuch
t_same "unknown table type (build)" bogus:src
t_same "unknown table type (-q)" -q a bogus:src
t_same "empty table type" -q a :src
t_same "no table named" -q a
# a source that is a directory
mkdir "$D/p/adir" "$D/f/adir"
t_same "source is a directory" hash:adir
# texthash: reads its source when it opens: a directory is a read error
t_same "texthash: -q on a directory" -q a texthash:adir
# a .db that is not a database
printf 'garbage\n' >"$D/p/junk.db"
printf 'garbage\n' >"$D/f/junk.db"
t_same "-q on a file that is not a database" -q a hash:junk

# Types pfc refuses (no lmdb, cdb, SQL, network or NIS tables).  postmap
# builds lmdb: and cdb: tables and fails on the others with its own words:
# pfc says plainly that it does not serve the type, and exits 1 as postmap
# exits on a fatal error.
refusal() {
    printf 'pfc: fatal: unsupported dictionary type: %s: pfc does not serve %s tables (it serves hash, btree, texthash, inline, static, regexp, pcre, cidr, unionmap, pipemap and fail)' "$1" "$1"
}
new_src src "$TMP/dsrc"
for t in lmdb cdb dbm sdbm; do
    t_refused "refuses $t: build" "$(refusal $t)" \
        "postmap builds $t tables; pfc builds hash/btree (GDBM) only" "$t:src"
    t_refused "refuses $t: -q" "$(refusal $t)" \
        "postmap reads $t tables; pfc does not" -q a "$t:src"
done
for t in mysql pgsql ldap sqlite memcache tcp socketmap proxy nis nisplus environ unix randmap internal mongodb; do
    t_refused "refuses $t: -q" "$(refusal $t)" \
        "pfc does not serve $t tables (postmap fails or looks up with its own words)" -q a "$t:src"
done
t_refused "refuses mysql: build" "$(refusal mysql)" \
    "postmap: \"unsupported dictionary type: mysql. Is the postfix-mysql package installed?\"" mysql:src
t_refused "refuses proxy: build" "$(refusal proxy)" \
    "postmap: \"can't create maps via the proxy service\"" proxy:src

########################################################################
# finish
########################################################################

echo "# identical: $same/$compared ($intended intended differences listed above)"
echo "1..$n"
[ "$failed" -eq 0 ] && exit 0
exit 1
