#!/bin/bash
# tests/compat/patterns.sh - regexp:, pcre: and cidr: tables, `pfc map -q`
# versus Postfix's `postmap -q`, on every pattern table of the corpus and on
# generated tables for each rule of SPEC.md section 9 (and the inline forms
# of section 4).
#
# Each case puts the table into a fresh directory and runs, at the same time,
# `postmap -c CFG -q KEY TYPE:FILE` and `$PFC map -c CFG -q KEY TYPE:FILE`
# there (relative file names, so that warnings name the same file), or the
# same with `-q -` and a batch of keys on stdin: keys taken from the table's
# own patterns, their upper-case variants, misses.  It compares stdout
# byte-equal, stderr as sets of lines ("postmap: " mapped to "pfc: ") and
# the exit status.  TAP output, ending with "# identical: N/M".
#
# Environment: PFC (path of the pfc binary), srcdir (repository root),
# CORPUS (default $srcdir/../shared/corpus), PFC_REQUIRE_ALL=1 (a missing
# postmap, pcre support, `pfc map` or corpus is a bail-out, not a skip),
# PATTERNS_VERBOSE=1 (also print postmap's output of every case).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
CORPUS=${CORPUS:-$srcdir/../shared/corpus}


command -v postmap >/dev/null 2>&1 || skip_all "postmap not found on PATH"
find_pfc
if "$PFC" map 2>&1 </dev/null | grep -q "is not in this release"; then
    skip_all "this pfc has no 'map' command"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# compatibility_level 3.6 (smtputf8_enable = yes), as SPEC section 9 was
# verified.  Postfix re-reads a main.cf changed within the last second.
CFG=$TMP/cfg
mkdir "$CFG"
echo 'compatibility_level = 3.6' >"$CFG/main.cf"
touch -d 2000-01-01 "$CFG/main.cf"

types=$(postconf -c "$CFG" -m 2>/dev/null)
for t in regexp pcre cidr; do
    grep -qx "$t" <<<"$types" || skip_all "postmap has no $t: support"
done
[ -d "$CORPUS" ] || skip_all "corpus not found at $CORPUS (set CORPUS)"

# Differences judged to be intended: CASE-NAME<TAB>REASON per line.  Such
# cases are reported "ok ... # intended: REASON" and not counted as
# identical.  Keep this table explicit.
KNOWN_DIFFS=$(cat <<'EOF'
EOF
)


n=0
failed=0
same=0
D=

# report NAME DIAG: print one TAP result
report() {
    local name=$1 diag=$2 reason
    n=$((n + 1))
    if [ -z "$diag" ]; then
        same=$((same + 1))
        echo "ok $n - $name"
    elif reason=$(known_reason "$name"); then
        echo "ok $n - $name # intended: $reason"
        printf '%s' "$diag" | sed 's/^/#   /'
    else
        failed=$((failed + 1))
        echo "not ok $n - $name"
        printf '%s' "$diag" | sed 's/^/# /'
    fi
}

# new FILE [SOURCE]: start a case in a fresh directory $D holding FILE,
# copied from SOURCE or read from stdin
new() {
    D=$(mktemp -d "$TMP/case.XXXXXX")
    if [ $# -ge 2 ]; then cp "$2" "$D/$1"; else cat >"$D/$1"; fi
}

# pair STDIN ARGS...: run `postmap -c $CFG ARGS` and `pfc map -c $CFG ARGS`
# in $D at the same time (a Postfix fatal error sleeps 1 s before exiting)
pair() {
    local in=$1 pid
    shift
    (cd "$D" && exec postmap -c "$CFG" "$@") <"$in" >"$TMP/p.out" 2>"$TMP/p.err" &
    pid=$!
    (cd "$D" && exec "$PFC" map -c "$CFG" "$@") <"$in" >"$TMP/f.out" 2>"$TMP/f.err"
    frc=$?
    wait "$pid"
    prc=$?
}

# compare: the outputs of the last pair; sets $diag
compare() {
    sed 's/^postmap: /pfc: /' "$TMP/p.err" | sort -u >"$TMP/p.errs"
    sort -u "$TMP/f.err" >"$TMP/f.errs"
    diag=
    if ! cmp -s "$TMP/p.out" "$TMP/f.out"; then
        diag+="stdout differs (--- postmap, +++ pfc):"$'\n'
        diag+=$(diff -u --label postmap --label pfc "$TMP/p.out" "$TMP/f.out" |
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
    if [ "${PATTERNS_VERBOSE:-0}" = 1 ]; then
        echo "# --- case $((n + 1)): postmap rc=$prc, stdout:"
        cut -c1-200 "$TMP/p.out" | head -n 30 | sed 's/^/#   /' | cat -v
        echo "# stderr:"
        cut -c1-200 "$TMP/p.err" | head -n 30 | sed 's/^/#   /' | cat -v
    fi
}

# q1 NAME KEY SPEC: `-q KEY SPEC`
q1() {
    pair /dev/null -q "$2" "$3"
    compare
    report "$1" "$diag"
}

# batch NAME SPEC [KEY...]: `-q - SPEC` with the keys (or stdin) one a line
batch() {
    local name=$1 spec=$2
    shift 2
    if [ $# -gt 0 ]; then printf '%s\n' "$@" >"$TMP/keys"; else cat >"$TMP/keys"; fi
    pair "$TMP/keys" -q - "$spec"
    compare
    report "$name" "$diag"
}

# pattern_keys FILE: lookup keys made from a regexp/pcre table's patterns:
# each pattern with its metacharacters removed, upper-cased, and with text
# after it, plus a few header lines and misses
pattern_keys() {
    {
        grep -v '^[[:space:]]*#' "$1" |
            sed -n 's/^!*\([^[:alnum:][:space:]]\)\(.*\)$/\2/p' |
            while IFS= read -r rest; do
                k=$(printf '%s' "${rest%%/*}" | sed -e 's/\\[sS]/ /g' -e 's/\\[dw]/1/g' \
                    -e 's/\[[^]]*\]/a/g' -e 's/([^)]*|/(/g' -e 's/[]^$\\(){}*+?|.[]//g')
                printf '%s\n%s\n%s x\n' "$k" "$(printf '%s' "$k" | tr a-z A-Z)" "$k"
            done
        printf '%s\n' "Subject: hello" "subject: HELLO" "From: a@b.example" \
            "Received: from mail.example.com" "X-Mailer: foo" "user@example.com" \
            "192.0.2.1" "" "no-such-key-at-all"
    } | awk 'length($0) < 300 && !seen[$0]++' | head -n 400
}

# cidr_keys FILE: each network of a cidr table, the next address, misses
cidr_keys() {
    {
        grep -v '^[[:space:]]*#' "$1" | awk '{ print ($1 == "if" || $1 == "IF") ? $2 : $1 }' |
            sed -e 's/^!*//' -e 's/[][]//g' -e 's#/.*##' | while IFS= read -r a; do
                printf '%s\n' "$a"
                case $a in
                    *:*) printf '%s1\n' "${a%::}::" ;;
                    *.*.*.*) printf '%s.%s\n' "${a%.*}" $(( (${a##*.} + 1) % 256 )) ;;
                esac
            done
        printf '%s\n' 127.0.0.1 ::1 192.0.2.1 2001:db8::1 not-an-address 1.2.3 "[192.0.2.1]"
    } | awk '!seen[$0]++' | head -n 600
}

########################################################################
# The corpus: every pattern table
########################################################################

corpus_case() { # TYPE FILE
    local type=$1 file=$2 base
    base=$(basename "$file")
    new "$base" "$file"
    if [ "$type" = cidr ]; then cidr_keys "$D/$base" >"$TMP/ckeys"
    else pattern_keys "$D/$base" >"$TMP/ckeys"; fi
    batch "corpus $type:$base: -q - ($(wc -l <"$TMP/ckeys") keys)" "$type:$base" <"$TMP/ckeys"
    q1 "corpus $type:$base: -q first key" "$(head -n 1 "$TMP/ckeys")" "$type:$base"
    q1 "corpus $type:$base: -q miss" "no-such-key-at-all" "$type:$base"
}

shopt -s nullglob
corpus_files=0
for f in "$CORPUS"/checks/*; do
    # All compile as pcre; as regexp, the POSIX compile errors are compared.
    corpus_case pcre "$f"
    corpus_case regexp "$f"
    corpus_files=$((corpus_files + 1))
done
for f in "$CORPUS"/map-access/*.regexp; do corpus_case regexp "$f"; corpus_files=$((corpus_files + 1)); done
for f in "$CORPUS"/map-access/*.pcre "$CORPUS"/map-other/*.pcre "$CORPUS"/map-transport/*.pcre; do
    corpus_case pcre "$f"
    corpus_files=$((corpus_files + 1))
done
for f in "$CORPUS"/map-access/*.cidr; do corpus_case cidr "$f"; corpus_files=$((corpus_files + 1)); done
[ "$corpus_files" -gt 0 ] || skip_all "no pattern tables in $CORPUS"

########################################################################
# §9.1 Syntax
########################################################################

for type in regexp pcre; do
    new t.$type <<'EOF'
/^a/ first
/^ab/ second
!/^z/ not-z
EOF
    batch "§9.1 $type: first match wins, negation" "$type:t.$type" ab AB b zz ""

    new t.$type <<'EOF'
|^pipe\|delim$| piped
%^per/cent$% percent
#^hash$# hashed
abc unrecognized
1abc unrecognized
EOF
    batch "§9.1 $type: any delimiter; a letter opens no rule" "$type:t.$type" 'pipe|delim' per/cent hash abc

    printf '/^multi/ part one\n  part two   \n\n# comment\n\tpart three\n/^next/ n\n' >"$TMP/src"
    new t.$type "$TMP/src"
    batch "§9.1 $type: result continued over lines" "$type:t.$type" multi next

    printf '/^crlf/ value\r\n/^cont/ a\r\n  b\r\n' >"$TMP/src"
    new t.$type "$TMP/src"
    batch "§9.1 $type: CRLF lines" "$type:t.$type" crlf cont

    printf '  /^lead/ x\n/^b/ y\n' >"$TMP/src"
    new t.$type "$TMP/src"
    batch "§9.1 $type: logical line starting with whitespace" "$type:t.$type" lead b

    new t.$type <<'EOF'
if /^a/
IF !/^ab/
/^a/ a-not-ab
EndIf
/^abc/ abc
ENDIF
/^abd/ outside
/./ any
EOF
    batch "§9.1 $type: if/endif nesting, case-insensitive" "$type:t.$type" ax abc abd ABD zz

    new t.$type <<'EOF'
endif
ENDIF junk
if /^a/
 /^ab/ indented
IF !/^abc/
/^ab/ ab-not-abc
endif junk
If/^ad/
/x/ adx
Endif
if
if /^q/x junk
ifx /y/ z
endif
/^a/ fallback
if /^z/
/^zz/ zz
EOF
    batch "§9.1 $type: IF/ENDIF warnings, unclosed IF" "$type:t.$type" ab abc ac adx zz zq a q

    new t.$type <<'EOF'
/a/q unknown-option
/unclosed x
/(a/ compile-error
/[z/ compile-error
!
/ok/ ok
EOF
    batch "§9.1 $type: bad rules skipped, the rest loads" "$type:t.$type" ok a z

    printf '/abc\\\n/^e/\n/^f/   \n' >"$TMP/src"
    new t.$type "$TMP/src"
    batch "§9.1 $type: trailing backslash, no replacement text" "$type:t.$type" abc e f
    q1 "§9.1 $type: -q empty result" e "$type:t.$type"

    printf '/^a/ first' >"$TMP/src"
    new t.$type "$TMP/src"
    q1 "§9.1 $type: no newline at end of file" a "$type:t.$type"

    new t.$type </dev/null
    q1 "§9.1 $type: empty file" a "$type:t.$type"

    new t.$type </dev/null
    q1 "§9.1 $type: missing file" a "$type:missing.$type"
    mkdir "$D/adir"
    q1 "§9.1 $type: directory" a "$type:adir"
done

########################################################################
# §9.2 Flags
########################################################################

new f.pcre <<'EOF'
/^abc$/ plain
/^CASE$/i sensitive
/^a.b$/ dotall
/^c.d$/s no-dotall
/^x$/m multiline
/^e f g$/x extended
/b/A anchored
/^dol$/E dollar-endonly
/(h+)/U ungreedy[$1]
/^xx/X obsolete
/^yy/iXs several
/^Subject:(.*)second/ WARN [$1]
/^sub\:/ escaped
/^s\.t/ dot
/^ab?c/ optional
/^pfx|other/ alternation
EOF
batch "§9.2 pcre: flags i m s x A E U X (batch)" pcre:f.pcre abc ABC CASE case x cxd efg 'e f g' \
    ab bab dol hhh xx yy YY SUB: Sub:x s.t sxt ac abc other xother pfx PFX
for key in $'a\nb' $'c\nd' $'q\nx\nz' $'dol\n' $'Subject: first\n\tsecond line'; do
    q1 "§9.2 pcre: key with a newline: $(printf '%s' "$key" | tr '\n\t' '|>')" "$key" pcre:f.pcre
done

new f.regexp <<'EOF'
/^abc$/ plain
/^CASE$/i sensitive
/^a.b$/ dot-newline
/^x$/m multiline
/^c.d$/m no-dot-newline
/^e\(f\)$/x basic[$1]
/^g(h)$/ extended[$1]
/^i{2}$/x basic-brace
/^(j)(k)?$/im both[$1$2]
/^s/s unknown
EOF
batch "§9.2 regexp: flags i m x (batch)" regexp:f.regexp abc CASE case cxd ef 'e(f)' gh 'i{2}' ii j JK
for key in $'a\nb' $'q\nx\nz' $'c\nd'; do
    q1 "§9.2 regexp: key with a newline: $(printf '%s' "$key" | tr '\n' '|')" "$key" regexp:f.regexp
done

two_patterns='/^(a)/!/b/ a-no-b[$1]
/^c/!!/d/ c-and-d
/^e/i!/F/i e-no-F
/^g/ !/h/ space-before-bang'
new two.regexp <<<"$two_patterns"
batch "§9.2 regexp: /a/!/b/ second pattern" regexp:two.regexp ac ab cd ce ex eF ef gh g
new two.pcre <<<"$two_patterns"
batch "§9.2 pcre: no second pattern" pcre:two.pcre ac ab

########################################################################
# §9.3 Substitution
########################################################################

for type in regexp pcre; do
    new s.$type <<'EOF'
/^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)$/ ten[$10] eleven[$11] one0[${1}0]
/^x(y)?z$/ opt[$1]
/^p(q)/ paren[$(1)x] dollar[$$1] $$$$
/^r(s)/ bad[$1x]
/^t(u)/ zero[$0]
/^v(w)/ trunc[${1]
/^e(f)/ empty[$]
/^g(h)/ space[${ 1 }]
/^i(j)/ nested[${1{x}}]
!/^n(o)/ neg[$1]
/^k(l)/ two $0 and $abc
/^m/ $$
/^big(x)/ [$99999999999]
/^br(x)/ [$(1]
/^dd(x)/ [$-]
/^range(x)/ [$2]
/^(u)(.*)/ $2
/^(o)?(only)/ $1
EOF
    batch "§9.3 $type: \$n forms and their errors" "$type:s.$type" abcdefghijk xz xyz pq m uVALUE only n
    q1 "§9.3 $type: -q empty substitution" only "$type:s.$type"
done

########################################################################
# §4 inline tables
########################################################################

for type in regexp pcre; do
    q1 "§4 $type:{...} inline" b "$type:{ {/a/ x}, {/b/ y} }"
    q1 "§4 $type:{...} inline with warnings" c "$type:{ {/a/ x}, {/(b/ y}, { /c/ \$2 }, {/c/ c} }"
    q1 "§4 $type:{...} inline substitution" xa "$type:{{/(a)/ [\$1]}}"
    q1 "§4 $type:{...} unbraced rule" a "$type:{/a/ x}"
    q1 "§4 $type:{...} missing brace" a "$type:{ {/a/ x}"
    q1 "§4 $type:{...} text after brace" a "$type:{ {/a/ x}} x"
    q1 "§4 $type:{} empty" a "$type:{}"
done
q1 "§4 cidr:{...} inline" 192.0.2.7 "cidr:{ {192.0.2.0/24 doc}, {::1 lo} }"
q1 "§4 cidr:{...} inline with warnings" ::1 "cidr:{ {192.0.2.1/24 doc}, {::1 lo} }"

########################################################################
# §9.5 cidr
########################################################################

new c.cidr <<'EOF'
192.0.2.0/24 net24
192.0.2.5 host5
192.0.2.1/24 bad
10.0.0.0/8
[2001:db8::]/32 v6
[2001:db8::1] v6host
[2001:db8::/48] v6b
[1.2.3.4 x
[1.2.3.4]x y
1.2.3.4/33 badlen
1.2.3.4/abc badmask
1.2.3.4/ emptymask
1.2.3.256/32 badnet
hello world
!198.51.100.0/24   not-doc2  
endif
if 203.0.113.0/24
203.0.113.7 seven
endif junk
endif
if !203.0.113.0/24 junk
if
IF 0.0.0.0/0
0.0.0.0/0 all4
ENDIF
::/0 all6
01.2.3.4 lead0
1.2.3.4/0 nonnull0
2001:db8::1/32 nonnull6
1.2.3.4/4294967296 wraps
if 2001:db8::/16 x
EOF
batch "§9.5 cidr: rules, warnings, first match" cidr:c.cidr 192.0.2.5 192.0.2.9 2001:db8::1 \
    2001:DB8:1::1 203.0.113.7 203.0.113.8 198.51.100.1 hello 10.1.1.1 ::1 '[192.0.2.5]' \
    192.0.2.5/32 ::ffff:192.0.2.5 1.2.3.4 "" 0.0.0.0

new if.cidr <<'EOF'
if 203.0.113.0/24
IF !203.0.113.0/25
203.0.113.128/25 high
ENDIF
0.0.0.0/0 low
endif
if ::/0
::1 v6-in-block
endif
0.0.0.0/0 outside
EOF
batch "§9.5 cidr: if/endif, families" cidr:if.cidr 203.0.113.200 203.0.113.1 192.0.2.1 ::1 ::2

new neg.cidr <<'EOF'
!192.0.2.0/24 not-doc
!!192.0.2.0/25 low-doc
! 2001:db8::/32 not-doc6
EOF
batch "§9.5 cidr: negation never matches the other family" cidr:neg.cidr 192.0.2.1 192.0.2.200 \
    10.0.0.1 2001:db8::1 ::1

printf '  192.0.2.0/24 x\n192.0.2.0/24 y\r\n10.0.0.0/8\tten\t\n' >"$TMP/src"
new ws.cidr "$TMP/src"
batch "§9.5 cidr: whitespace, CR and tabs" cidr:ws.cidr 192.0.2.1 10.1.1.1

new x.cidr </dev/null
mkdir "$D/adir"
q1 "§9.5 cidr: directory" 192.0.2.1 cidr:adir
q1 "§9.5 cidr: missing file" 192.0.2.1 cidr:missing.cidr

########################################################################
# UTF-8 (smtputf8_enable = yes): keys and results must be UTF-8
########################################################################

printf '/(.*)/ [$1]\n' >"$TMP/src"
new u.pcre "$TMP/src"
q1 "UTF-8: valid UTF-8 key" $'caf\xc3\xa9' pcre:u.pcre
q1 "UTF-8: non-UTF-8 key is not found" $'caf\xe9' pcre:u.pcre
printf '/^a/ caf\xe9\n' >"$TMP/src"
new v.regexp "$TMP/src"
q1 "UTF-8: non-UTF-8 result fails the query" a regexp:v.regexp

echo "# identical: $same/$n"
echo "1..$n"
[ "$failed" -eq 0 ] && exit 0
exit 1
