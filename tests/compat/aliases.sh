#!/bin/bash
# tests/compat/aliases.sh - `pfc alias` and `pfc newaliases` versus Postfix's
# `postalias` and `newaliases` (SPEC.md sections 6 and 7): every aliases
# file of the corpus (map-aliases/) and generated cases, one or more per rule.
#
# Postfix builds lmdb:FILE, pfc builds hash:FILE, each in its own directory
# under the same relative name, so the warnings name the same file. For each
# case the tools are compared on: building (exit status, warnings), `-s`
# (as sorted sets: database order differs; YP_LAST_MODIFIED's time masked),
# `-q -` with every stored key, case variants and misses, and a few `-q KEY`.
# Stdout byte-equal (sorted for -s), stderr equal as sets of lines, exit
# status equal. Postfix's stderr is mapped: "postalias: " and "newaliases: "
# to "pfc: ", the lmdb table names to hash ones ("lmdb:F" -> "hash:F",
# "F.lmdb" -> "F.db"; a duplicate is "lmdb:F: ..." for lmdb and "F.db: ..."
# for hash, and a UTF-8 warning names hash tables "hash:F.db: ..."
# for hash), and the two case directories to "DIR". TAP output.
#
# Environment: PFC (path of the pfc binary), CORPUS (corpus dir; default
# $srcdir/../shared/corpus), srcdir (repository root), PFC_REQUIRE_ALL=1
# (a missing tool or corpus is a failure, not a skip), ALIASES_VERBOSE=1
# (print Postfix's output of every step as comments).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
CORPUS=${CORPUS:-$srcdir/../shared/corpus}


command -v postalias >/dev/null 2>&1 || skip_all "postalias not found on PATH"
command -v newaliases >/dev/null 2>&1 || skip_all "newaliases not found on PATH"
[ -d "$CORPUS/map-aliases" ] || skip_all "corpus not found"
find_pfc

# Known differences judged to be a Postfix quirk or machine-dependent
# behaviour. One entry per line: CASE-NAME<TAB>REASON. Such cases are
# reported as "ok N - name # SKIP reason" when they differ.
KNOWN_DIFFS=$(cat <<'EOF'
§7 build with an unknown table type	Postfix adds "Is the postfix-bogus package installed?", a hint about Debian's plugin packages
§7 unknown options	pfc says it in one line that names 'pfc help alias' (tests/cli/help.sh), where postalias prints getopt's line and its usage; both exit 1
EOF
)


TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Two configurations: compatibility level 3.6 (smtputf8_enable = yes, the
# UTF-8 rules) and none at all (level 0: bytes pass, ASCII folding).
CFG=$TMP/cfg36
CFG0=$TMP/cfg0
mkdir -p "$CFG" "$CFG0"
echo 'compatibility_level = 3.6' >"$CFG/main.cf"
: >"$CFG0/main.cf"
# Postfix re-reads (and re-warns about) a main.cf changed within a second.
touch -d 2000-01-01 "$CFG/main.cf" "$CFG0/main.cf"

n=0
failed=0
identical=0
listed=0
D=
diag=

# new: start a case; $D/p is Postfix's directory, $D/f pfc's
new() {
    D=$(mktemp -d "$TMP/case.XXXXXX")
    mkdir -p "$D/p" "$D/f"
    diag=
}
# src [NAME]: the aliases source (stdin) for both tools, as $D/{p,f}/NAME
src() {
    local name=${1:-aliases}
    cat >"$D/p/$name"
    cp "$D/p/$name" "$D/f/$name"
}

# report NAME: print one TAP result for the comparisons of the case
report() {
    tap_result "$1" "$diag"
}

# normalise_err FILE: the mapping of Postfix's words described above
normalise_err() {
    sed -e 's/^postalias: /pfc: /' -e 's/^newaliases: /pfc: /' \
        -e 's/usage: postalias /usage: pfc alias /' \
        -e 's/lmdb:\([^ :"]*\): duplicate entry/\1.db: duplicate entry/' \
        -e 's/lmdb:\([^ :"]*\): non-UTF-8/hash:\1.db: non-UTF-8/' \
        -e 's/\.lmdb\b/.db/g' -e 's/lmdb:/hash:/g' \
        -e "s|$D/p|DIR|g" -e "s|$D/f|DIR|g" "$1" | sort -u
}

# compare STEP SORTED: compare $TMP/{p,f}.{out,err} and $prc/$frc
compare() {
    local step=$1 sorted=$2
    local p_out=$TMP/p.out f_out=$TMP/f.out
    if [ "$sorted" = 1 ]; then
        sed 's/^\(YP_LAST_MODIFIED:	\)[0-9]*$/\1TIME/' "$TMP/p.out" | sort >"$TMP/p.sorted"
        sed 's/^\(YP_LAST_MODIFIED:	\)[0-9]*$/\1TIME/' "$TMP/f.out" | sort >"$TMP/f.sorted"
        p_out=$TMP/p.sorted
        f_out=$TMP/f.sorted
    fi
    normalise_err "$TMP/p.err" >"$TMP/p.errs"
    sed -e "s|$D/p|DIR|g" -e "s|$D/f|DIR|g" "$TMP/f.err" | sort -u >"$TMP/f.errs"
    if ! cmp -s "$p_out" "$f_out"; then
        diag+="$step: stdout differs (--- postalias, +++ pfc):"$'\n'
        diag+=$(diff -u --label postalias --label pfc "$p_out" "$f_out" | cut -c1-300 | head -n 40)$'\n'
    fi
    if ! cmp -s "$TMP/p.errs" "$TMP/f.errs"; then
        diag+="$step: stderr line sets differ (--- postalias, +++ pfc):"$'\n'
        diag+=$(diff -u --label postalias --label pfc "$TMP/p.errs" "$TMP/f.errs" | cut -c1-300 | head -n 40)$'\n'
    fi
    if [ "$prc" != "$frc" ]; then
        diag+="$step: exit status: postalias $prc, pfc $frc"$'\n'
    fi
    if [ "${ALIASES_VERBOSE:-0}" = 1 ]; then
        echo "# --- $step: postalias rc=$prc, stdout:"
        cut -c1-200 "$TMP/p.out" | head -n 30 | sed 's/^/#   /'
        echo "# stderr:"
        cut -c1-200 "$TMP/p.err" | head -n 30 | sed 's/^/#   /'
    fi
}

# pair STEP SORTED STDIN ARGS...: run `postalias -c $CFG ARGS` in $D/p and
# `pfc alias -c $CFG ARGS` in $D/f, then compare. In ARGS "@T" stands for
# the table (lmdb:aliases, hash:aliases) and "@TX" for lmdb:aliasesX.
pair() {
    local step=$1 sorted=$2 input=$3 a
    shift 3
    local pargs=() fargs=()
    for a in "$@"; do
        case $a in
            @T*) pargs+=("lmdb:aliases${a#@T}"); fargs+=("hash:aliases${a#@T}") ;;
            *) pargs+=("$a"); fargs+=("$a") ;;
        esac
    done
    # Both run at once: a Postfix fatal error sleeps 1 s before exiting.
    (cd "$D/p" && exec postalias -c "$CFG" "${pargs[@]}") <"$input" >"$TMP/p.out" 2>"$TMP/p.err" &
    local pid=$!
    (cd "$D/f" && exec "$PFC" alias -c "$CFG" "${fargs[@]}") <"$input" >"$TMP/f.out" 2>"$TMP/f.err"
    frc=$?
    wait "$pid"
    prc=$?
    compare "$step" "$sorted"
}

# keys_of FILE: the keys of a "-s" listing, with case variants and misses
keys_of() {
    local keys
    keys=$(sed -n 's/^\(.*\):	.*$/\1/p' "$1" | grep -v '^YP_')
    printf '%s\n' "$keys"
    printf '%s\n' "$keys" | tr 'a-z' 'A-Z'
    printf '%s\n' "$keys" | sed 's/^[a-z]/\U&/'
    # No empty key: lmdb cannot look one up in a table built with -n.
    printf '%s\n' nosuchkey NoSuchKey '@' yp_master_name YP_MASTER_NAME
}

# check_table STEP: -s, -q - with every key, and -q of a few keys
check_table() {
    local step=$1 k
    pair "$step -s" 1 /dev/null "${QOPTS[@]}" -s @T
    keys_of "$TMP/p.out" >"$D/keys"
    pair "$step -q -" 0 "$D/keys" "${QOPTS[@]}" -q - @T
    while IFS= read -r k; do
        [ -n "$k" ] && pair "$step -q $k" 0 /dev/null "${QOPTS[@]}" -q "$k" @T
    done < <(grep -v '^$' "$D/keys" | awk 'NR <= 2 || /^[A-Z]/ && !u++ || /^nosuchkey$/')
}

# t NAME [BUILD-OPTION...]: build $D/{p,f}/aliases, compare, check the table
t() {
    local name=$1
    shift
    pair build 0 /dev/null "$@" @T
    check_table build
    report "$name"
}
QOPTS=()

########################################################################
# The corpus
########################################################################

for f in "$CORPUS"/map-aliases/*; do
    [ -f "$f" ] || continue
    new; src <"$f"
    t "corpus $(basename "$f")"
done

########################################################################
# §6.1 Source syntax: keys
########################################################################

new; src <<'EOF'
"quoted name": q1
Root: r
"with:colon@at": q2
spacebefore : v
a b: c
a	  b2: c
x\@y: escaped at
(note) MixedCase: v
EOF
t "§6.1 keys internalized and lowercased"

new; printf '"": empty key\n(c): comment key\na: ""\n' | src
t "§6.1 an empty quoted key and an empty quoted value"

########################################################################
# §6.1 values
########################################################################

new; printf 'c1: a  ,   b,,c\nc2: t1\tt2\nc3: a , ,\nc4: ,\nc5: x, "" \n' | src
t "§6.1 whitespace after commas collapses"

new; src <<'EOF'
bs: \bob
bq: \"q\"
e2: a\\b, a\ b, a\:b
qs: "a\\b"
un: "unterminated
tab: "tab	here"
end: \
EOF
t "§6.1 backslash quoting"

new; src <<'EOF'
p: "|/usr/bin/procmail -a foo"
f: /var/mail/file
i: :include:/etc/postfix/list
c: |/bin/cat
cm: user@example.com (comment)
r: <user@example.com>
fn: Full Name <addr@example.com>
d: a.b@c.d
nest: (a (b) c) x
unc: (unterminated
EOF
t "§6.1 values stored as written"

new; src <<'EOF'
e: a[b] (c) <d> Full Name <e@f>
route: <@a,@b:c@d>
lit: [1.2.3.4
ops: a @ b . c
EOF
t "§6.1 values respaced around operators"

new; src <<'EOF'
name:: x
trail: v1, v2   # not a comment
hash#key: v
EOF
t "§6.1 double colon and # inside a value"

new; printf 'vt: a\vb\ndel: a\x7fb\nhi: caf\xc3\xa9\n' | src
t "§6.1 control characters make quoted strings"

########################################################################
# §6.1 warnings
########################################################################

new; src <<'EOF'
ok1: v
nocolon
noval:
noval2:    
: novalue
a, b: c
x@y: z
x%y: z
"x@y": quoted at is local
a@b, c: d
ok2: v
EOF
t "§6.1 need name:value pair and name must be local"

########################################################################
# §1.1 logical lines in aliases files
########################################################################

new; src <<'EOF'
list: a,
# comment inside
	b,

  c
nocolon
  continued: makes a name with a space
#commented: out
   joined to the line above
EOF
t "§1.1 continuation lines and comments"

new; src <<'EOF'
  leading: whitespace on the first line is dropped, with a long text
ok: v
EOF
t "§1.1 leading whitespace"

new; printf 'crlf: a, b\r\ncrlf2: c\r\n' | src
t "§1.1 CRLF line ends"

new; printf 'nul: x\0y\n\0zz: q\nlast: no newline' | src
t "§1.1 NUL bytes and a missing final newline"

########################################################################
# §6.1 duplicates
########################################################################

dups() {
    new; src <<'EOF'
dup: 1
Dup: 2
other: x
DUP: 3
EOF
}
dups; t "§6.1 duplicates: first wins with a warning"
dups; t "§6.1 duplicates -r: last wins" -r
dups; t "§6.1 duplicates -w: first wins quietly" -w

########################################################################
# §6.2 what gets stored
########################################################################

new; src <<'EOF'
"@": at key
a: b
EOF
t "§6.2 a source key @ collides with the sentinel"

new; printf 'Alpha: b\nbeta: c\n' | src
t "§6.2 -N: NULs forced" -N
new; printf 'Alpha: b\nbeta: c\n' | src
t "§6.2 -n: no NULs" -n

new; printf 'MixedCase: v\nlower: w\n' | src
QOPTS=(-f)
t "§6.2 -f: no folding when building and querying" -f
QOPTS=()

new; printf 'k\xff: latin1\nok: \xc3\xa4\n\xc3\x84B: v2\nUpper: v3\n' | src
t "§6.2 UTF-8: non-UTF-8 lines dropped, UTF-8 folding"
new; printf 'ok: v\n' | src
pair build 0 /dev/null @T
printf 'ok\nk\xff\n\xc3\x84B\n' >"$D/keys"
pair "-q - non-UTF-8 key" 0 "$D/keys" -q - @T
report "§6.2 UTF-8: a non-UTF-8 query key"
CFG_SAVED=$CFG
CFG=$CFG0
new; printf 'k\xff: latin1\nok: \xc3\xa4\n\xc3\x84B: v2\nUpper: v3\n' | src
t "§6.2 level 0: bytes pass, ASCII folding"
CFG=$CFG_SAVED

########################################################################
# §7 options shared with postmap
########################################################################

new; printf 'a: 1\nb: 2\n' | src; printf 'b: other\nc: 3\n' | src aliases2
pair build 0 /dev/null @T @T2
printf 'a\nB\nc\nnone\n' >"$D/keys"
pair "-q - two tables" 0 "$D/keys" -q - @T @T2
pair "-q c two tables" 0 /dev/null -q c @T @T2
pair "-q none two tables" 0 /dev/null -q none @T @T2
pair "-s two tables: the first only" 1 /dev/null -s @T @T2
report "§7 several tables"

new; printf 'a: 1\nb: 2\nc: 3\n' | src
pair build 0 /dev/null @T
pair "-d B" 0 /dev/null -d B @T
pair "-d nosuch" 0 /dev/null -d nosuch @T
printf 'a\nnosuch\n' >"$D/keys"
pair "-d -" 0 "$D/keys" -d - @T
printf 'nosuch\n' >"$D/keys"
pair "-d - none found" 0 "$D/keys" -d - @T
check_table "after -d"
report "§7 -d deletes"

new; printf 'a: 1\nroot: r\n' | src
pair build 0 /dev/null @T
printf 'new: val\nbad line\nRoot: changed\nx@y: z\n' >"$D/more"
pair "-i" 0 "$D/more" -i @T
check_table "after -i"
report "§7 -i adds stdin"

new; printf 'a: 1\nroot: r\n' | src
pair build 0 /dev/null @T
printf 'Root: changed\n' >"$D/more"
pair "-ir" 0 "$D/more" -i -r @T
check_table "after -ir"
report "§7 -i -r replaces"

new; printf 'a: 1\n' | src
pair "-q without a table" 0 /dev/null -q a
pair "-s without a table" 0 /dev/null -s
pair "-d without a table" 0 /dev/null -d a
pair "no arguments" 0 /dev/null
pair "-q then -s" 0 /dev/null -q a -s @T
pair "-s then -q" 0 /dev/null -s -q a @T
pair "-d then -q" 0 /dev/null -d a -q b @T
report "§7 usage errors"

new; printf 'a: 1\n' | src
pair "unknown option" 0 /dev/null -Z @T
pair "-q missing argument" 0 /dev/null -q
report "§7 unknown options"

new
pair "missing source" 0 /dev/null @T
pair "-q missing table" 0 /dev/null -q a @T
pair "-s missing table" 0 /dev/null -s @T
pair "-q unknown type" 0 /dev/null -q a bogus:aliases
report "§7 missing files"

new; printf 'a: 1\n' | src
pair build 0 /dev/null bogus:aliases
report "§7 build with an unknown table type"

new; printf 'a: 1\n' | src
pair "missing main.cf" 0 /dev/null -c "$TMP/nonexistent" @T
report "§7 missing main.cf"

########################################################################
# §6.2 newaliases
########################################################################

# na NAME MAIN.CF-BODY [OPTION...]: run `newaliases -C` and `pfc newaliases
# -c` on a main.cf whose "@TYPE" and "@DIR" are lmdb/hash and the case dir;
# then compare -s of every table named "al*" in the case dir.
na() {
    local name=$1 body=$2 side tab
    shift 2
    for side in p f; do
        local type=lmdb
        [ $side = f ] && type=hash
        printf '%s\n' "$body" | sed -e "s|@TYPE|$type|g" -e "s|@DIR|$D/$side|g" >"$D/$side/main.cf"
        touch -d 2000-01-01 "$D/$side/main.cf"
    done
    local pargs=() fargs=() a
    for a in "$@"; do
        pargs+=("$(printf '%s' "$a" | sed -e "s|@TYPE|lmdb|g" -e "s|@DIR|$D/p|g")")
        fargs+=("$(printf '%s' "$a" | sed -e "s|@TYPE|hash|g" -e "s|@DIR|$D/f|g")")
    done
    newaliases -C "$D/p" "${pargs[@]}" </dev/null >"$TMP/p.out" 2>"$TMP/p.err" &
    local pid=$!
    "$PFC" newaliases -c "$D/f" "${fargs[@]}" </dev/null >"$TMP/f.out" 2>"$TMP/f.err"
    frc=$?
    wait "$pid"
    prc=$?
    compare newaliases 0
    for tab in "$D"/p/al*; do
        case $tab in *.lmdb) continue ;; esac
        tab=$(basename "$tab")
        (cd "$D/p" && postalias -c "$D/p" -s "lmdb:$tab") >"$TMP/p.out" 2>"$TMP/p.err"
        prc=$?
        (cd "$D/f" && "$PFC" alias -c "$D/f" -s "hash:$tab") >"$TMP/f.out" 2>"$TMP/f.err"
        frc=$?
        compare "-s $tab" 1
    done
    report "$name"
}

new; printf 'root: me\nbad\n' | src al1; printf 'x: y\nX: dup\n' | src al2
na "§6.2 newaliases rebuilds every alias_database table" \
    "$(printf 'compatibility_level = 3.6\nalias_database = @TYPE:@DIR/al1, @TYPE:$mydir/al2\nmydir = @DIR')"

new; printf 'root: me\n' | src al1; printf 'x: y\n' | src al2
na "§6.2 newaliases -oA names one table" \
    "$(printf 'compatibility_level = 3.6\nalias_database = @TYPE:@DIR/al1')" "-oA@TYPE:@DIR/al2"

new; printf 'root: me\n' | src al1
na "§6.2 newaliases with an empty alias_database" \
    "$(printf 'compatibility_level = 3.6\nalias_database =')"

new; printf 'root: me\n' | src al1
na "§6.2 newaliases with a missing source" \
    "$(printf 'compatibility_level = 3.6\nalias_database = @TYPE:@DIR/nosuch')"

new; printf 'root: me\n' | src al1
na "§6.2 newaliases with a recipient" \
    "$(printf 'compatibility_level = 3.6\nalias_database = @TYPE:@DIR/al1')" extra

########################################################################
# finish
########################################################################

echo "# identical: $identical/$((n - listed)) ($listed listed differences above)"
echo "1..$n"
[ "$failed" -eq 0 ] && exit 0
exit 1
