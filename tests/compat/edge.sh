#!/bin/bash
# tests/compat/edge.sh - generated edge cases for `pfc conf` versus Postfix's
# `postconf`, one or more per rule of SPEC.md sections 1-5.
#
# Each case writes a tiny config dir (main.cf, master.cf) into a temp dir,
# runs `postconf -c DIR ARGS` and `$PFC conf -c DIR ARGS`, and compares:
# stdout byte-equal; stderr byte-equal in order (postconf's leading
# "postconf: " mapped to "pfc: "); exit status equal.  TAP output.
# postconf runs with NORANDOMIZE set: its warnings then come in the
# hash-table order that pfc follows (compiler/model/htorder.h), not in one
# of its random orders.
# pfc conf does not edit files: for postconf's -e, -# and -X the cases check
# pfc's refusal instead, and the usage text is pfc's own.
#
# Environment: PFC (path of the pfc binary), srcdir (repository root),
# EDGE_VERBOSE=1 (also print postconf's output of every case as comments).

set -u
export LC_ALL=C
export NORANDOMIZE=1

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"

if ! command -v postconf >/dev/null 2>&1; then
    skip_all "postconf not found on PATH"
fi
find_pfc

# Known differences judged to be a Postfix bug or machine-dependent behaviour.
# One entry per line: CASE-NAME<TAB>REASON.  Such cases are reported as
# "ok N - name # SKIP reason" when they differ.  Keep this table explicit.
KNOWN_DIFFS=$(cat <<'EOF'
EOF
)


TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

n=0
failed=0
D=

# new: start a case with an empty main.cf and an empty master.cf in $D
new() {
    D=$(mktemp -d "$TMP/case.XXXXXX")
    : >"$D/main.cf"
    : >"$D/master.cf"
}
main_cf() { cat >"$D/main.cf"; }
master_cf() { cat >"$D/master.cf"; }

# report NAME DIAG: print one TAP result
report() {
    local name=$1 diag=$2 reason
    n=$((n + 1))
    if [ -z "$diag" ]; then
        echo "ok $n - $name"
    elif reason=$(known_reason "$name"); then
        echo "ok $n - $name # SKIP $reason"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name"
        printf '%s' "$diag" | sed 's/^/# /'
    fi
}

# compare_outputs: compare $TMP/{p,f}.{out,err} and exit codes $prc/$frc;
# sets $diag
compare_outputs() {
    sed 's/^postconf: /pfc: /' "$TMP/p.err" >"$TMP/p.errs"
    cp "$TMP/f.err" "$TMP/f.errs"
    diag=
    if ! cmp -s "$TMP/p.out" "$TMP/f.out"; then
        diag+="stdout differs (--- postconf, +++ pfc):"$'\n'
        diag+=$(diff -u --label postconf --label pfc "$TMP/p.out" "$TMP/f.out" | cut -c1-300 | head -n 40)$'\n'
    fi
    if ! cmp -s "$TMP/p.errs" "$TMP/f.errs"; then
        diag+="stderr differs (--- postconf, +++ pfc):"$'\n'
        diag+=$(diff -u --label postconf --label pfc "$TMP/p.errs" "$TMP/f.errs" | cut -c1-300 | head -n 40)$'\n'
    fi
    if [ "$prc" != "$frc" ]; then
        diag+="exit status: postconf $prc, pfc $frc"$'\n'
    fi
    if [ "${EDGE_VERBOSE:-0}" = 1 ]; then
        echo "# --- case $((n + 1)): postconf rc=$prc, stdout:"
        cut -c1-200 "$TMP/p.out" | head -n 30 | sed 's/^/#   /'
        echo "# stderr:"
        cut -c1-200 "$TMP/p.err" | head -n 30 | sed 's/^/#   /'
    fi
}

# old_mtime: Postfix re-reads (and re-warns about) a main.cf changed within
# the last second; give every file of the case an old modification time.
old_mtime() {
    find "$1" -maxdepth 1 -type f -exec touch -d 2000-01-01 {} +
}

# t_raw NAME ARGS...: compare `postconf ARGS` with `pfc conf ARGS` verbatim
t_raw() {
    local name=$1
    shift
    old_mtime "$D"
    # Both tools run at the same time (they only read $D): a Postfix fatal
    # error sleeps 1 s before exiting.
    postconf "$@" >"$TMP/p.out" 2>"$TMP/p.err" </dev/null &
    local pid=$!
    "$PFC" conf "$@" >"$TMP/f.out" 2>"$TMP/f.err" </dev/null
    frc=$?
    wait "$pid"
    prc=$?
    compare_outputs
    report "$name" "$diag"
}

# t NAME ARGS...: compare `postconf -c $D ARGS` with `pfc conf -c $D ARGS`
t() {
    local name=$1
    shift
    t_raw "$name" -c "$D" "$@"
}

# t_refused NAME ARGS...: pfc conf does not edit files (postconf's -e, -#,
# -X): it must refuse with one clear fatal message and exit 1, as postconf
# exits on a fatal error, and leave main.cf and master.cf untouched.
t_refused() {
    local name=$1 want diag= f
    shift
    old_mtime "$D"
    rm -rf "$TMP/ef"
    cp -pr "$D" "$TMP/ef"
    "$PFC" conf -c "$TMP/ef" "$@" >"$TMP/f.out" 2>"$TMP/f.err" </dev/null
    frc=$?
    case " $* " in
        *" -e "*) want="option -e (editing main.cf or master.cf)" ;;
        *" -X "*) want="option -X (removing parameters)" ;;
        *) want="option -# (commenting out parameters)" ;;
    esac
    want="pfc: fatal: $want is not supported by pfc conf; use postconf(1)"
    [ "$frc" = 1 ] || diag+="exit status $frc, want 1"$'\n'
    [ -s "$TMP/f.out" ] && diag+="unexpected standard output"$'\n'
    [ "$(cat "$TMP/f.err")" = "$want" ] || diag+="stderr: $(cat "$TMP/f.err")"$'\n'
    for f in main.cf master.cf; do
        if [ -e "$D/$f" ] && ! cmp -s "$D/$f" "$TMP/ef/$f"; then
            diag+="$f was changed"$'\n'
        fi
    done
    report "$name" "$diag"
}

# A small master.cf used by the selector cases.
stock_master() {
    master_cf <<'EOF'
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
local     unix  -       n       n       -       -       local
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

########################################################################
# §1.1 Logical-line reader
########################################################################

# §1.1: continuation lines: newline deleted, leading whitespace of the
# continuation kept (postconf then collapses whitespace for display)
new; printf 'syslog_name = a\n\t\tb\n   c  \n' >"$D/main.cf"
t "§1.1 continuation lines joined" -n

# §1.1: a column-1 comment line inside a continuation does not end it
new; main_cf <<'EOF'
relay_domains = a,
# col-1 comment
  b
EOF
t "§1.1 comment line inside continuation" -n

# §1.1: an indented comment line inside a continuation vanishes too
new; main_cf <<'EOF'
relay_domains = a,
     # indented comment
  b
EOF
t "§1.1 indented comment inside continuation" -n

# §1.1: a blank line does not end a logical line
new; main_cf <<'EOF'
relay_domains = a,

  b
EOF
t "§1.1 blank line inside continuation" -n

# §1.1: a whitespace-only line does not end a logical line
new; printf 'relay_domains = a,\n   \t \n  b\n' >"$D/main.cf"
t "§1.1 whitespace-only line inside continuation" -n

# §1.1: commenting out a parameter makes its continuation lines join the
# parameter above it
new; main_cf <<'EOF'
mydestination = x
#commented_out = 1
    indented after comment
EOF
t "§1.1 commented-out parameter continuation joins previous" -n

# §1.1: '#' not at the start of a line is data
new; main_cf <<'EOF'
smtpd_banner = mail.example.com # trailing text
EOF
t "§1.1 hash inside value is data" -n

# §1.1: leading whitespace on a first line: warning, line dropped
new; main_cf <<'EOF'
  leading = x
myorigin = example.com
EOF
t "§1.1 leading whitespace warning" -n

# §1.1: the dropped line takes its continuation lines with it
new; main_cf <<'EOF'
   leading = x
   continued
	more
myorigin = example.com
EOF
t "§1.1 leading whitespace drops continuation lines" -n

# §1.1: quoted text of the leading-whitespace warning is cut at 30 chars + ...
new; main_cf <<'EOF'
   this_is_a_long_parameter_name_over_thirty = value
myorigin = example.com
EOF
t "§1.1 leading whitespace warning truncated to 30 chars" -n

# §1.1: truncation boundary: exactly 30 characters of text, and 31
new; main_cf <<'EOF'
 abcdefghijklmnopqrstuvwxyz123
myorigin = example.com
EOF
t "§1.1 leading whitespace warning text of 30 chars" -n
new; main_cf <<'EOF'
 abcdefghijklmnopqrstuvwxyz1234
myorigin = example.com
EOF
t "§1.1 leading whitespace warning text of 31 chars" -n

# §1.1: leading whitespace as the very first line, after comments and blanks
new; main_cf <<'EOF'
# header comment

	indented_first = 1
myorigin = example.com
EOF
t "§1.1 leading whitespace after comment header" -n

# §1.1: last line without a trailing newline
new; printf 'myorigin = example.com\nsmtpd_banner = a\n  b' >"$D/main.cf"
t "§1.1 no newline at end of file" -n

# §1.1: file with only comments and blank lines
new; printf '# only\n\n   # comments\n\n' >"$D/main.cf"
t "§1.1 comments and blank lines only" -n

# §1.1: leading whitespace in master.cf
new; master_cf <<'EOF'
   smtp inet n - y - - smtpd
pickup unix n - y 60 1 pickup
EOF
t "§1.1 master.cf leading whitespace warning" -M

########################################################################
# §1.2 name = value
########################################################################

# §1.2: missing '=' is fatal
new; main_cf <<'EOF'
myorigin = example.com
this line has no equals
EOF
t "§1.2 missing '='" -n

# §1.2: a lone name is a missing '='
new; main_cf <<'EOF'
myhostname
EOF
t "§1.2 missing '=' lone name" -n

# §1.2: a name with a space is a missing '='
new; main_cf <<'EOF'
my hostname = a
EOF
t "§1.2 missing '=' name with space" -n

# §1.2: '= a' is a missing attribute name
new; main_cf <<'EOF'
= a
EOF
t "§1.2 missing attribute name" -n

# §1.2: line number of an error following a multi-line logical line
new; main_cf <<'EOF'
# comment
smtpd_banner = a
  b
  c

broken line here
EOF
t "§1.2 error line number after continuation" -n

# §1.2: a missing-'=' error on a continued logical line
new; main_cf <<'EOF'
myorigin = x
noequals
   still no equals
EOF
t "§1.2 missing '=' on continued logical line" -n

# §1.2: whitespace around '=' is optional
new; printf 'myorigin=a.example\nsmtpd_banner   =\t  b\nrelayhost\t=c.example\n' >"$D/main.cf"
t "§1.2 optional whitespace around '='" -n

# §1.2: the value may contain '=' (split on the first '=')
new; main_cf <<'EOF'
smtpd_banner = a = b
relayhost==x
EOF
t "§1.2 value containing '='" -n

# §1.2: trailing whitespace removed
new; printf 'smtpd_banner = value   \t \nmyorigin = o  \n' >"$D/main.cf"
t "§1.2 trailing whitespace removed" -h smtpd_banner myorigin

# §1.2: CRLF line endings give clean values
new; printf 'myorigin = example.com\r\nsmtpd_banner = hello world\r\n' >"$D/main.cf"
t "§1.2 CRLF line endings" -n

# §1.2: CRLF with continuation lines and comments
new; printf 'relay_domains = a,\r\n  b,\r\n# c\r\n  c\r\nmyorigin = x\r\n' >"$D/main.cf"
t "§1.2 CRLF with continuation" -n

# §1.2: empty values (with and without spaces)
new; main_cf <<'EOF'
alias_maps =
relayhost=
smtpd_banner =   
EOF
t "§1.2 empty values" -n

# §1.2: names are case-sensitive (MyOrigin is an unknown, unused name)
new; main_cf <<'EOF'
MyOrigin = x
myorigin = y
EOF
t "§1.2 case-sensitive names" -n

# §1.2: a name may contain any character except whitespace and '='
new; main_cf <<'EOF'
my-param = 1
my.dotted:name = 2
EOF
t "§1.2 unusual characters in names" -n

# §1.2: duplicates: last wins, warning quotes the earlier value
new; main_cf <<'EOF'
myorigin = one
mydomain = example.com
myorigin = two
EOF
t "§1.2 duplicate overriding earlier entry" -n

# §1.2: three definitions give two warnings
new; main_cf <<'EOF'
myorigin = one
myorigin = two
myorigin = three
EOF
t "§1.2 triple duplicate" -n

# §1.2: duplicate of a multi-line value (line number and quoted old value)
new; main_cf <<'EOF'
relay_domains = a,
   b,
   c
relay_domains = d
EOF
t "§1.2 duplicate of continued value" -n

# §1.2: duplicate of an unused user parameter
new; main_cf <<'EOF'
foo_bar = 1
foo_bar = 2
EOF
t "§1.2 duplicate of unused parameter" -n

# §1.2: no line-length limit: a 200,000-byte value
new; { printf 'smtpd_banner = '; head -c 200000 /dev/zero | tr '\0' x; printf '\n'; } >"$D/main.cf"
t "§1.2 200000-byte value" -n

# §1.2: a 200,000-byte value made of many words, folded
new; { printf 'smtpd_banner ='; for i in $(seq 1 20000); do printf ' w%08d' "$i"; done; printf '\n'; } >"$D/main.cf"
t "§1.2 long multi-word value with -f" -nf

# §1.2: non-ASCII bytes, including invalid UTF-8, stored as they are
new; printf 'smtpd_banner = caf\xc3\xa9 \xff\xfe end\nmyorigin = \xe2\x82\xac.example\n' >"$D/main.cf"
t "§1.2 non-ASCII bytes" -n

# §1.2: non-ASCII bytes at a high compatibility_level
new; printf 'compatibility_level = 3.6\nsmtpd_banner = \xff\xc3\n' >"$D/main.cf"
t "§1.2 non-ASCII bytes at compatibility_level 3.6" -n

# §1.2: non-ASCII bytes in a parameter name (unused warning)
new; printf 'caf\xc3\xa9_param = 1\n' >"$D/main.cf"
t "§1.2 non-ASCII parameter name" -n

########################################################################
# §1.3 What postconf prints
########################################################################

# §1.3: -n sorted with strcmp (underscore vs letters, upper case first)
new; main_cf <<'EOF'
smtpd_banner = b
smtp_helo_name = h.example
Zed = 1
alias_maps = $Zed
alias_database = hash:/etc/aliases
EOF
t "§1.3 -n strcmp order" -n

# §1.3: a parameter set to its default value is still listed
new; main_cf <<'EOF'
biff = yes
append_dot_mydomain = yes
EOF
t "§1.3 default value still listed" -n

# §1.3: display whitespace is normalised
new; printf 'smtpd_banner = a    b\t\tc\n' >"$D/main.cf"
t "§1.3 whitespace normalised for display" -n

# §1.3: -f folds at 80 columns, 4-space indent, breaks at whitespace
new; main_cf <<'EOF'
smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, reject_unknown_recipient_domain, check_policy_service unix:private/policy
EOF
t "§1.3 -f folding at 80 columns" -nf

# §1.3: -f with a single word longer than 80 columns
new; main_cf <<'EOF'
smtpd_banner = short aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end
EOF
t "§1.3 -f long single word" -nf

# §1.3: -f boundary: "name = value" lines of exactly 79, 80, 81 and 82
# characters, whose last word would end at that column
fold_line() { # NAME LENGTH: "NAME = aaa... bbb..." of LENGTH characters
    local head
    head="$1 = $(printf '%040d' 0 | tr 0 a) "
    printf '%s%s\n' "$head" "$(printf "%0$(($2 - ${#head}))d" 0 | tr 0 b)"
}
new; { fold_line smtpd_banner 79; fold_line myorigin 80; fold_line relayhost 81; fold_line mydomain 82; } >"$D/main.cf"
t "§1.3 -f boundary at 79/80/81/82 columns" -nf

# §1.3: -h prints values only
new; main_cf <<'EOF'
myorigin = example.com
alias_maps =
EOF
t "§1.3 -h values only" -nh

# §1.3: -H prints names only
new; main_cf <<'EOF'
myorigin = example.com
alias_maps =
EOF
t "§1.3 -H names only" -nH

# §1.3: -d name shows the default, ignoring main.cf
new; main_cf <<'EOF'
myorigin = example.com
EOF
t "§1.3 -d name" -d myorigin biff mail_name

# §1.3: -d does not warn about unused parameters
new; main_cf <<'EOF'
bogus_unused = 1
EOF
t "§1.3 -d without unused warnings" -d biff

# §1.3: -o name=value overrides for a single run
new; main_cf <<'EOF'
smtpd_banner = from file
EOF
t "§1.3 -o override" -o smtpd_banner=overridden smtpd_banner

# §1.3: -o with -n
new; main_cf <<'EOF'
smtpd_banner = from file
EOF
t "§1.3 -o override with -n" -o smtpd_banner=overridden -o myorigin=o.example -n

# §1.3: -o with an unknown name, then asked for
new
t "§1.3 -o unknown name" -o foo_custom=1 foo_custom

# §1.3: parameter names on the command line (known)
new; main_cf <<'EOF'
myorigin = example.com
EOF
t "§1.3 known names on command line" myorigin biff

# §1.3: an unknown name on the command line warns, exit 0
new
t "§1.3 unknown parameter on command line" biff nosuch_parameter_xyz

# §1.3: a user-defined (unused) main.cf name asked for on the command line
new; main_cf <<'EOF'
my_custom = 42
EOF
t "§1.3 unused user parameter on command line" my_custom

# §1.3: command-line options stop at the first name (getopt, no permutation)
new
t "§1.3 option after parameter name" biff -h

# §1.3: conflicting options
new
t "§1.3 conflicting -d -n" -d -n

# §1.3: an unknown option: exit 1 for both. postconf prints getopt's
# message and its usage line; pfc's words are its own: one line that names
# "pfc help conf" (tests/cli/help.sh has every command's).
new
postconf -Q >"$TMP/p.out" 2>"$TMP/p.err" </dev/null
prc=$?
"$PFC" conf -Q >"$TMP/f.out" 2>"$TMP/f.err" </dev/null
frc=$?
diag=
[ "$frc" = "$prc" ] || diag+="exit status: postconf $prc, pfc $frc"$'\n'
[ "$(cat "$TMP/f.err")" = "pfc: conf: unknown option '-Q'; see 'pfc help conf'" ] ||
    diag+="stderr: $(cat "$TMP/f.err")"$'\n'
[ -s "$TMP/f.out" ] && diag+="unexpected standard output"$'\n'
report "§1.3 invalid option usage" "$diag"

# §1.3: -e replaces an existing value in place
new; main_cf <<'EOF'
# comment
myorigin = old
  continued
biff = no
EOF
t_refused "§1.3 -e replace in place is refused" -e 'myorigin = new.example'

# §1.3: -e adds a new name at the end
new; main_cf <<'EOF'
biff = no
EOF
t_refused "§1.3 -e add a new name is refused" -e 'c_new = d'

# §1.3: -e with several new names
new; main_cf <<'EOF'
biff = no
EOF
t_refused "§1.3 -e several names is refused" -e 'a_new=b' 'c_new = d' 'myorigin=x'

# §1.3: -# comments a line out, -X deletes one
new; main_cf <<'EOF'
biff = no
myorigin = x
  y
relayhost = r
EOF
t_refused "§1.3 -# comment out is refused" -'#' myorigin
t_refused "§1.3 -X delete is refused" -X myorigin relayhost

########################################################################
# §2.1 Expansion forms (smtpd_banner = EXPR; full_p = yes, empty_p =)
########################################################################

# x_case NAME EXPR: smtpd_banner = EXPR with helpers, shown with -x
x_case() {
    new
    printf 'full_p = yes\nempty_p =\nsmtpd_banner = %s\n' "$2" >"$D/main.cf"
    t "$1" -xh smtpd_banner
}

# §2.1: $name, ${name}, $(name)
x_case '§2.1 $name' 'v=$full_p'
x_case '§2.1 ${name}' 'v=${full_p}'
x_case '§2.1 $(name)' 'v=$(full_p)'
# §2.1: whitespace inside the braces is allowed
x_case '§2.1 ${ name }' 'v=${ full_p }'
# §2.1: names stop at the first char outside [A-Za-z0-9_]
x_case '§2.1 $name.suffix and $name-x' '$full_p.suffix $full_p-x'
x_case '§2.1 $name_x is a different name' '[$full_p_x]'
x_case '§2.1 $1 is a parameter name' '[$1]'
# §2.1: ? and : with plain values
x_case '§2.1 ${name?VAL}' '[${full_p?VAL}] [${empty_p?VAL}]'
x_case '§2.1 ${name:VAL}' '[${full_p:VAL}] [${empty_p:VAL}]'
# §2.1: braced values with nested braces and commas; whitespace kept inside
x_case '§2.1 braced value with braces and commas' '[${full_p?{with {braces} and , comma}}]'
x_case '§2.1 whitespace kept inside braces' '[${empty_p:{ spaced value }}]'
# §2.1: if/else
x_case '§2.1 ${name?{a}:{b}}' '[${full_p?{A}:{B}}] [${empty_p?{A}:{B}}]'
x_case '§2.1 else without braces' '[${empty_p?{A}:B C}] [${full_p?{A}:B C}]'
x_case '§2.1 whitespace around ? and :' '[${empty_p ? {A} : {B}}] [${full_p ? {A} : {B}}]'
x_case '§2.1 ${name?A:B} colon is text' '[${full_p?A:B}]'
# §2.1: $$ is a literal $
x_case '§2.1 $$' 'cost $$5 and $$full_p'
# §2.1: braces outside ${} have no meaning
x_case '§2.1 literal braces' '{literal braces} {$full_p}'
# §2.1: expansion with -n -x of a whole file
new; main_cf <<'EOF'
full_p = yes
smtpd_banner = ${full_p?{on}:{off}} $full_p
relayhost = [$full_p]
EOF
t "§2.1 -n -x whole file" -n -x

########################################################################
# §2.2 Relational expressions
########################################################################

x_case '§2.2 == with parameter' '${{$full_p} == {yes}?{EQ}:{NE}}'
x_case '§2.2 == without spaces' '${{a}=={a}?{eq}:{ne}}'
x_case '§2.2 != operator' '${{a} != {b}?{ne}:{eq}}'
x_case '§2.2 numeric comparison 010 == 10' '${{010} == {10}?{eq}:{ne}}'
x_case '§2.2 numeric comparison 10 < 9' '${{10} < {9}?{lt}:{ge}}'
x_case '§2.2 lexicographic abc < b' '${{abc} < {b}?{lt}:{ge}}'
x_case '§2.2 lexicographic 3.10 > 3.9' '${{3.10} > {3.9}?{gt}:{le}}'
x_case '§2.2 <= and >=' '${{5} <= {5}?{le}:{gt}} ${{4} >= {5}?{ge}:{lt}}'
x_case '§2.2 whitespace inside operand braces counts' '${{ 10 } == {10}?{eq}:{ne}}'
x_case '§2.2 bare relation true' '[${{a} == {a}}]'
x_case '§2.2 bare relation false' '[${{a} == {b}}]'
x_case '§2.2 >level' '${{3.10} >level {3.9}?{gt}:{le}}'
x_case '§2.2 ==level 3.6 vs 3.6.0' '${{3.6} ==level {3.6.0}?{eq}:{ne}}'
x_case '§2.2 <level <=level >=level !=level' '${{1} <level {2}?{a}:{b}} ${{2} <=level {2}?{c}:{d}} ${{3.7} >=level {3.10}?{e}:{f}} ${{3} !=level {3.0}?{g}:{h}}'
x_case '§2.2 ${name==value} unsupported' '${full_p==yes?{x}:{y}}'

# §2.2: compatibility_level-dependent defaults (-dx), no main.cf at all
new; rm -f "$D/main.cf"
t "§2.2 -dx compat defaults without main.cf" -dx smtputf8_enable smtpd_relay_before_recipient_restrictions respectful_logging
# §2.2: ... with an empty main.cf (level 0)
new
t "§2.2 -dx compat defaults at level 0" -dx smtputf8_enable append_dot_mydomain smtpd_tls_fingerprint_digest
# §2.2: -dx evaluates defaults at the default level, whatever main.cf says
new; printf 'compatibility_level = 3.6\n' >"$D/main.cf"
t "§2.2 -dx ignores main.cf compatibility_level" -dx smtputf8_enable append_dot_mydomain smtpd_relay_before_recipient_restrictions smtpd_tls_fingerprint_digest respectful_logging
# §2.2: -x (without -d) evaluates <level defaults at main.cf's level
for lvl in 1 2 3.6 3.10; do
    new; printf 'compatibility_level = %s\n' "$lvl" >"$D/main.cf"
    t "§2.2 -x compat defaults at level $lvl" -x smtputf8_enable append_dot_mydomain smtpd_relay_before_recipient_restrictions smtpd_tls_fingerprint_digest respectful_logging
done
# §2.2: -d without -x shows the raw <level expression
new
t "§2.2 -d raw <level expression" -d smtputf8_enable smtpd_relay_before_recipient_restrictions
# §2.2: -x of compat-dependent defaults with an empty main.cf (level 0)
new
t "§2.2 -x compat defaults at level 0" -x smtputf8_enable smtp_tls_fingerprint_digest respectful_logging

########################################################################
# §2.3 Errors, undefined names, recursion
########################################################################

x_case '§2.3 undefined parameter' '$undefined_thing end'
x_case '§2.3 undefined with ? and :' '[${undefined?x}] [${undefined:y}]'
x_case '§2.3 trailing $' 'trailing $'
x_case '§2.3 a $ b' 'a $ b'
x_case '§2.3 truncated ${unterminated' '${unterminated'
x_case '§2.3 truncated ${p?{a}:{b}' '${full_p?{a}:{b}'
x_case '§2.3 ":" expected' '${full_p?{a}x}'
x_case '§2.3 unexpected input after else' '${full_p?{a}:{b}:{c}}'
x_case '§2.3 bad relational operator ===' '${{a} === {a}?x}'
x_case '§2.3 attribute name syntax error ${my-param}' '${my-param}'
x_case '§2.3 self reference' '${smtpd_banner}'

# §2.3: a reference loop a=$b, b=$a
new; main_cf <<'EOF'
loop_a = $loop_b
loop_b = $loop_a
smtpd_banner = $loop_a
EOF
t "§2.3 reference loop" -xh smtpd_banner

# §2.3: syntax errors are found by -n too (postconf scans every value)
new; main_cf <<'EOF'
smtpd_banner = ${unterminated
EOF
t "§2.3 syntax error with -n" -n

# §2.3: undefined-name warnings in every main.cf value, even without -x and
# even inside ${x:...}, and from values of unused parameters
new; main_cf <<'EOF'
smtpd_banner = $undef_one ${undef_two:x} ${empty_p:$undef_three}
unused_thing = $undef_four
empty_p =
EOF
t "§2.3 undefined warnings without -x" -n

# nest_case NAME N: smtpd_banner = $p1, p1 = $p2, ..., pN = end
nest_case() {
    local i
    new
    {
        echo 'smtpd_banner = $p1'
        for ((i = 1; i < $2; i++)); do echo "p$i = \$p$((i + 1))"; done
        echo "p$2 = end"
    } >"$D/main.cf"
    t "$1" -xh smtpd_banner
}
# §2.3: nesting limit: 100 nested references expand, 101 fail
nest_case "§2.3 nesting limit 100 ok" 100
nest_case "§2.3 nesting limit 101 fatal" 101

########################################################################
# §3 postconf warnings, what counts as used
########################################################################

# §3.1: unused main.cf parameters (several: in postconf's hash order)
new; main_cf <<'EOF'
myorigin = example.com
unused_one = 1
unused_two = 2
unused_three =
EOF
t "§3.1 unused main.cf parameters" -n

# §3.1: unused parameter from a master.cf -o
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -o bogus_override=1 -o syslog_name=x
EOF
t "§3.1 unused master.cf -o parameter with -n" -n
t "§3.1 unused master.cf -o parameter with -P" -P

# §3.1: undefined $NAME inside a master.cf -o value
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -o smtpd_banner=$no_such_thing
EOF
t "§3.1 undefined parameter in master.cf -o" -P
t "§3.1 undefined parameter in master.cf -o with -Px" -Px

# §3.1: obsolete names accepted without a word
new; main_cf <<'EOF'
virtual_maps = hash:/etc/postfix/virtual
fallback_relay = r.example
disable_dns_lookups = yes
authorized_verp_clients = $mynetworks
EOF
t "§3.1 obsolete names accepted" -n

# §3.1/§4: restriction names and parameter value types are not checked
new; main_cf <<'EOF'
smtpd_recipient_restrictions = bogus_restriction
ipc_timeout = 5x
enable_long_queue_ids = true
line_length_limit = 10k
EOF
t "§4 restriction names and value types not checked" -n

# §3.2: $name reference from any main.cf value makes a user parameter used
# (aaa stays unused, bbb becomes used)
new; main_cf <<'EOF'
aaa = $bbb
bbb = 1
EOF
t "§3.2 user parameter used by \$name reference" -n

# §3.2: ${name}, $(name) and ${name?..} forms also make it used
new; main_cf <<'EOF'
smtpd_banner = ${ref_a} $(ref_b) ${ref_c?x} ${ref_d:y}
ref_a = 1
ref_b = 2
ref_c = 3
ref_d = 4
ref_e = 5
EOF
t "§3.2 user parameters used by braced references" -n

# §3.2: a reference from a master.cf -o value makes it used
new; main_cf <<'EOF'
my_filter = smtp:[127.0.0.1]:10025
other_unused = 1
EOF
master_cf <<'EOF'
smtp inet n - y - - smtpd -o content_filter=$my_filter
EOF
t "§3.2 user parameter used from master.cf -o" -n
t "§3.2 user parameter used from master.cf -o with -Px" -Px

# §3.2: names listed in smtpd_restriction_classes are used
new; main_cf <<'EOF'
smtpd_restriction_classes = cls_one, cls_two
cls_one = permit
cls_two = reject
cls_three = reject
EOF
t "§3.2 smtpd_restriction_classes" -n

# §3.2: per-service delivery-agent parameters
new; main_cf <<'EOF'
mysvc_destination_concurrency_limit = 5
mysvc_foo = 1
othersvc_destination_concurrency_limit = 3
EOF
master_cf <<'EOF'
mysvc unix - - n - - smtp
EOF
t "§3.2 per-service delivery-agent parameters (smtp)" -n

# §3.2: per-service names for lmtp, pipe, local, virtual agents
new; main_cf <<'EOF'
mylmtp_destination_recipient_limit = 1
mypipe_destination_recipient_limit = 1
mylocal_destination_concurrency_limit = 2
myvirt_destination_concurrency_limit = 2
myerr_destination_concurrency_limit = 2
EOF
master_cf <<'EOF'
mylmtp unix - - n - - lmtp
mypipe unix - n n - - pipe flags=R user=nobody argv=/bin/true
mylocal unix - n n - - local
myvirt unix - n n - - virtual
myerr unix - - n - - error
EOF
t "§3.2 per-service parameters for other agents" -n

# §3.2: a non-delivery-agent service does not create per-service names
new; main_cf <<'EOF'
mysmtpd_destination_concurrency_limit = 5
EOF
master_cf <<'EOF'
mysmtpd inet n - y - - smtpd
EOF
t "§3.2 no per-service names for smtpd" -n

# §3.2: per-service parameter names asked for on the command line
new; master_cf <<'EOF'
mysvc unix - - n - - smtp
EOF
t "§3.2 per-service parameter default on command line" -d mysvc_destination_concurrency_limit

# §3.2 (postconf_dbms): a table "mysql:NAME" (also ldap, pgsql, sqlite,
# memcache; proxy: unwrapped) with a NAME that is not a pathname makes the
# legacy NAME_suffix parameters used
new; main_cf <<'EOF'
virtual_alias_maps = mysql:mysqlsrc, proxy:ldap:ldapsrc
mysqlsrc_hosts = h
mysqlsrc_bogus = b
ldapsrc_server_host = l
ldapsrc_query_filter = q
other_hosts = o
EOF
t "§3.2 dbms: legacy prefix parameters used" -n

# §3.2 (postconf_dbms): "mysql:/path" makes postconf open the client
# configuration file: missing file, not a regular file, unknown names and
# duplicates inside it (paths under the config dir, so deterministic)
new; mkdir "$D/adir"
main_cf <<'EOF'
virtual_alias_maps = mysql:$config_directory/my.cf, proxy:mysql:${config_directory}/my.cf
virtual_mailbox_maps = pgsql:$config_directory/adir, ldap:$config_directory/missing.cf
transport_maps = sqlite:./relative.cf, memcache:$config_directory/missing-mc.cf
EOF
cat >"$D/my.cf" <<'EOF'
hosts = db.example
user = u
bogus = 1
query = SELECT 1
bogus = 2
EOF
t "§3.2 dbms: client configuration files with -n" -n
t "§3.2 dbms: client configuration files with -M" -M

# §3.2 (postconf_dbms): tables in master.cf -o values, inside braces, and in
# conditional expressions; unused parameters and restriction classes are not
# scanned
new; main_cf <<'EOF'
empty_p =
alias_maps = ${empty_p?mysql:$config_directory/cond_true.cf}${empty_p:mysql:$config_directory/cond_false.cf}
header_checks = pcre:{{/x/ mysql:$config_directory/inpcre.cf}}
smtpd_restriction_classes = cls
cls = check_sender_access ldap:$config_directory/cls.cf
unused_x = pgsql:$config_directory/unused.cf
EOF
master_cf <<'EOF'
smtp inet n - y - - smtpd -o smtpd_sender_login_maps=pgsql:$config_directory/inmaster.cf
EOF
t "§3.2 dbms: which values are scanned" -n

########################################################################
# §5.1 master.cf syntax and validation
########################################################################

# §5.1: basic -M with continuation lines and comments
new; master_cf <<'EOF'
# comment
smtp      inet  n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=may
# comment inside

  -o smtpd_sasl_auth_enable=no
pickup    unix  n       -       y       60      1       pickup
EOF
t "§5.1 -M with continuation and comments" -M

# §5.1: bad field count
new; master_cf <<'EOF'
smtp inet n - y - -
EOF
t "§5.1 bad field count" -M

# §5.1: bad field count on a later line
new; master_cf <<'EOF'
smtp inet n - y - - smtpd
pickup unix n - y 60
EOF
t "§5.1 bad field count line 2" -M

# §5.1: invalid type fields
new; master_cf <<'EOF'
smtp tcp n - y - - smtpd
EOF
t "§5.1 invalid type tcp" -M
new; master_cf <<'EOF'
smtp INET n - y - - smtpd
EOF
t "§5.1 invalid type INET" -M

# §5.1: all legal types
new; master_cf <<'EOF'
smtp inet n - y - - smtpd
cleanup unix n - y - 0 cleanup
postlog unix-dgram n - n - 1 postlogd
qmgr fifo n - n 300 1 qmgr
smtpd pass - - y - - smtpd
EOF
t "§5.1 legal types" -M

# §5.1: invalid private / unpriv / chroot fields
new; master_cf <<'EOF'
smtp inet N - y - - smtpd
EOF
t "§5.1 invalid private field" -M
new; master_cf <<'EOF'
smtp inet n x y - - smtpd
EOF
t "§5.1 invalid unpriv field" -M
new; master_cf <<'EOF'
smtp inet n - maybe - - smtpd
EOF
t "§5.1 invalid chroot field" -M

# §5.1: wakeup field: legal forms and an invalid one
new; master_cf <<'EOF'
a unix n - n 60 1 pickup
b unix n - n 60? 1 pickup
c unix n - n ? 1 pickup
d unix n - n -? 1 pickup
e unix n - n 0 1 pickup
EOF
t "§5.1 legal wakeup fields" -F
new; master_cf <<'EOF'
pickup unix n - n 5x 1 pickup
EOF
t "§5.1 invalid wakeup field" -M

# §5.1: process_limit field
new; master_cf <<'EOF'
smtp inet n - y - -5 smtpd
EOF
t "§5.1 invalid process_limit -5" -M
new; master_cf <<'EOF'
smtp inet n - y - abc smtpd
EOF
t "§5.1 invalid process_limit abc" -M
new; master_cf <<'EOF'
smtp inet n - y - 0 smtpd
relay unix - - y - 100 smtp
EOF
t "§5.1 process_limit 0 and 100" -F

# §5.1: a master.cf field error is fatal for -n too
new; master_cf <<'EOF'
smtp tcp n - y - - smtpd
EOF
t "§5.1 invalid type with -n" -n

# §5.1: inet service names with host and IPv6 address
new; master_cf <<'EOF'
127.0.0.1:10025 inet n - n - 10 smtpd -o content_filter=
[::1]:25 inet n - n - - smtpd
EOF
t "§5.1 inet host:port and [ipv6]:port" -M

# §5.1: duplicate entries are all shown
new; master_cf <<'EOF'
smtp inet n - y - - smtpd
smtp inet n - y - - smtpd -o syslog_name=second
EOF
t "§5.1 duplicate entries" -M

# §5.1: CRLF line endings in master.cf
new; printf 'smtp inet n - y - - smtpd\r\n  -o syslog_name=x\r\npickup unix n - y 60 1 pickup\r\n' >"$D/master.cf"
t "§5.1 CRLF master.cf" -M

# §5.1: missing master.cf
new; rm -f "$D/master.cf"
t "§5.1 missing master.cf" -M

########################################################################
# §5.2 Command and arguments
########################################################################

# §5.2: { ... } groups an argument; spaces next to the braces stripped
new; master_cf <<'EOF'
mypipe unix - n n - - pipe flags=R user=nobody argv=/bin/prog { arg with spaces } {x}
EOF
t "§5.2 braced argument" -M

# §5.2: quotes have no meaning; trailing # comment turns into arguments
new; master_cf <<'EOF'
mypipe unix - n n - - pipe argv=/bin/prog "a b" 'c' # not a comment
EOF
t "§5.2 quotes and trailing hash are arguments" -M

# §5.2: -o long form with spaces
new; master_cf <<'EOF'
submission inet n - y - - smtpd
  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }
  -o{x=y}
EOF
t "§5.2 -o { name = value } long form -M" -M
t "§5.2 -o { name = value } long form -P" -P

# §5.2: attached option arguments: -o{...}, -oname=value, bundled -vo.
# Postfix 3.7 splits an attached argument at every letter 'o' (so
# "-osyslog_name=x" becomes "-o sysl -o g_name=x"); deterministic, emulate it.
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -ox=y -vo a=b
EOF
t "§5.2 attached -ox=y and bundled -vo" -M
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -osyslog_name=x
EOF
t "§5.2 attached -oname=value containing 'o'" -M
t "§5.2 attached -oname=value containing 'o' with -P" -P
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -o{syslog_name=sub}
EOF
t "§5.2 attached -o{name=value} containing 'o'" -M
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -o{smtpd_banner=foo}
EOF
t "§5.2 attached -o{...} with 'o' in the value" -P

# §5.2: -o long form missing '}'
new; master_cf <<'EOF'
submission inet n - y - - smtpd -o {a = b
EOF
t "§5.2 -o missing '}'" -M
t "§5.2 -o missing '}' with -P" -P

# §5.2: -o name= sets an empty value
new; master_cf <<'EOF'
127.0.0.1:10025 inet n - n - - smtpd -o content_filter= -o smtpd_banner=x
EOF
t "§5.2 -o empty value" -P

# §5.2: -o without value, -o nameonly, -o =v are accepted; -P ignores them
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -o nameonly -o =v -o syslog_name=ok -o
EOF
t "§5.2 -o nameonly, -o =v, trailing -o with -M" -M
t "§5.2 -o nameonly, -o =v, trailing -o with -P" -P

# §5.2: options stop at the first non-option argument
new; master_cf <<'EOF'
smtp inet n - y - - smtpd
  -o smtpd_client_restrictions=permit,
  reject
  -o smtpd_helo_restrictions=a,b
EOF
t "§5.2 getopt stop at first non-option" -P
t "§5.2 getopt stop at first non-option -n" -n

# §5.2: a blank line separating -o from its value ends the options too
new; master_cf <<'EOF'
smtp inet n - y - - smtpd
  -o smtpd_banner=

  x
  -o syslog_name=y
EOF
t "§5.2 getopt stop after -o name= and blank line" -P

# §5.2: -o value with = inside and $name, expanded by -Px
new; main_cf <<'EOF'
full_p = yes
EOF
master_cf <<'EOF'
smtp inet n - y - - smtpd -o smtpd_banner=a=b -o syslog_name=pre-$full_p-${full_p?{t}:{f}}
EOF
t "§5.2 -o values with = and \$name -P" -P
t "§5.2 -o values with = and \$name -Px" -Px

# §5.2: -o with other options mixed in (-v, -D)
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -v -o syslog_name=a -D -o smtpd_banner=b
EOF
t "§5.2 -o mixed with other options" -P

########################################################################
# §5.3 -M, -F, -P output, selectors
########################################################################

# §5.3: column goals 0, 11, 17, 25, 33, 41, 49, 57, at least one space
new; master_cf <<'EOF'
s inet n - y - - smtpd
tenchars10 inet n - y - - smtpd
elevenchar1 inet n - y - - smtpd
postlog unix-dgram n - n - 1 postlogd
a_very_long_service_name_here unix-dgram - - n 1000000? 12345678 cmd
EOF
t "§5.3 -M column goals" -M

# §5.3: -M joins command and arguments with single spaces
new; master_cf <<'EOF'
smtp	inet	n	-	y	-	-	smtpd    -v     -o    syslog_name=x
EOF
t "§5.3 -M single spaces between arguments" -M

# §5.3: -Mf folding: each -o on its own line
stock_master_case() { new; stock_master; }
stock_master_case
t "§5.3 -Mf folding" -Mf

# §5.3: -Mf folding of a long argument list
new; master_cf <<'EOF'
mypipe unix - n n - - pipe flags=DRhu user=vmail:vmail argv=/usr/local/bin/some-long-program-name --first-option value --second-option another-value ${nexthop} ${user} ${extension} ${recipient}
EOF
t "§5.3 -Mf long argument list" -Mf

# §5.3: -F fields
stock_master_case
t "§5.3 -F all fields" -F

# §5.3: -P sorted by name within each service
new; master_cf <<'EOF'
smtp inet n - y - - smtpd -o zz_last=1 -o smtpd_banner=b -o aa_first=2 -o syslog_name=s
pickup unix n - y 60 1 pickup -o content_filter=x -o biff=no
EOF
t "§5.3 -P sorted within service" -P

# §5.3: selectors
stock_master_case
t "§5.3 -M smtp selects all types" -M smtp
t "§5.3 -M smtp/inet" -M smtp/inet
t "§5.3 -M several selectors" -M pickup/unix smtp/unix
t "§5.3 -F submission/inet/command" -F submission/inet/command
t "§5.3 -F smtp/inet/process_limit and wakeup" -F smtp/inet/process_limit pickup/unix/wakeup
t "§5.3 -F smtp/inet all fields" -F smtp/inet
t "§5.3 -P svc/type/name" -P submission/inet/smtpd_tls_security_level
t "§5.3 -P svc selects all parameters" -P submission
t "§5.3 unmatched selector warning -M" -M nosuch/inet
t "§5.3 unmatched selector warning -M bare type" -M inet
t "§5.3 -F invalid field name" -F smtp/inet/nosuchfield
t "§5.3 unmatched selector warning -P" -P submission/inet/nosuch_param
t "§5.3 matched and unmatched selectors" -M smtp/inet nosuch
t "§5.3 -Mx expands -o values" -Mx relay
t "§5.3 -P -h values only" -Ph submission
t "§5.3 -P -H names only" -PH submission

# §2 host-derived defaults: mynetworks from this machine's interfaces for
# each mynetworks_style, myhostname and mydomain (both tools run here).
for style in subnet host class; do
    new; printf 'mynetworks_style = %s\n' "$style" | main_cf
    t "§2 host default mynetworks, style $style" -x mynetworks
done
new; : | main_cf
t "§2 host defaults myhostname and mydomain" -x myhostname mydomain

# §3.2 parameter classes (-C): user names made valid by $name, built-ins
new; printf 'unused_x = $foo\nfoo = 1\nmyorigin = a\n' | main_cf
t "§3.2 -C user" -n -C user
t "§3.2 -C builtin" -n -C builtin
t "§3.2 -C bogus is fatal" -n -C bogus

########################################################################
# finish
########################################################################

echo "1..$n"
[ "$failed" -eq 0 ] && exit 0
exit 1
