#!/bin/bash
# tests/compat/fatal.sh - `pfc conf` versus Postfix's `postconf` on generated
# configurations that end in a fatal error (expansion syntax errors, macro
# nesting, undefined names, host-derived defaults that depend on each other
# or cannot be computed), byte for byte: stdout, stderr and exit status.
#
# What comes out before a fatal error depends on the order in which postconf
# works: its phases (master.cf name spaces, then the host-derived defaults,
# then main.cf), the evaluation inside each (which values are expanded, and
# when), and the order in which it walks its hash tables. Postfix hashes
# from a random seed per process unless NORANDOMIZE is set; pfc follows the
# unrandomized order, so postconf runs here with NORANDOMIZE=1, and stderr
# is compared in order, not as a set of lines.
#
# Each case is a directory (main.cf, master.cf); each comparison runs both
# tools on it with one set of options. Postfix sleeps one second before it
# exits on a fatal error, so the comparisons run in parallel
# (FATAL_JOBS, default 16; they sleep more than they compute).
# postconf runs under the name "pfc" (exec -a), so that its messages and
# $process_name read as pfc's; the value of process_id is masked.
#
# Cases named "host.*" run with a dotted hostname in a new UTS name space
# (unshare -u), where this machine's name may have none: Postfix then never
# evaluates mydomain for myhostname. Without unshare they are skipped.
#
# TAP output, ending with "# identical: N/M". Environment: PFC (the pfc
# binary), srcdir (repository root), FATAL_JOBS, FATAL_ONLY (a pattern:
# only the cases whose names match it).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"

if ! command -v postconf >/dev/null 2>&1; then
    skip_all "postconf not found on PATH"
fi
find_pfc

# Differences judged to be Postfix's bug, one per line: NAME<TAB>REASON
# (a NAME ending in "*" covers every case starting with it). They are
# reported as "ok N - name # SKIP reason" and not counted as comparisons.
KNOWN_DIFFS=$(cat <<'EOF'
relop-loop -x	a loop through a relational operand: postconf recurses until its stack overflows (SIGSEGV, exit 139); pfc stops at a total depth of 1000 with the nesting warning and exit 1
relop-loop -nx	a loop through a relational operand: postconf recurses until its stack overflows (SIGSEGV, exit 139); pfc stops at a total depth of 1000 with the nesting warning and exit 1
EOF
)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/cases" "$TMP/jobs"

HAVE_UNSHARE=0
if unshare -u true 2>/dev/null; then
    HAVE_UNSHARE=1
fi

njobs=0
C=

# conf NAME MAIN [MASTER]: a case directory; MAIN and MASTER are printf %b
# texts (\n for newlines)
conf() {
    C=$TMP/cases/$1
    mkdir -p "$C"
    printf '%b' "$2" >"$C/main.cf"
    printf '%b' "${3:-}" >"$C/master.cf"
    # Postfix re-reads (and re-warns about) a main.cf changed within a second.
    touch -d 2000-01-01 "$C/main.cf" "$C/master.cf"
}

# run NAME OPTSET...: one comparison per option set (words split at spaces)
# on the case directory $C, named "NAME OPTSET"
run() {
    local name=$1 opts j
    shift
    # shellcheck disable=SC2053
    [[ $name == ${FATAL_ONLY:-*} ]] || return 0
    for opts in "$@"; do
        njobs=$((njobs + 1))
        j=$TMP/jobs/$(printf '%05d' "$njobs")
        mkdir "$j"
        printf '%s\n' "$C" >"$j/dir"
        printf '%s\n' "$name${opts:+ $opts}" >"$j/name"
        : >"$j/args"
        if [ -n "$opts" ]; then printf '%s\n' $opts >"$j/args"; fi
        case $name in host.*) echo mail.example.org >"$j/hostname" ;; esac
    done
}

# The option sets most cases run with: main.cf and master.cf views.
MAIN_SETS=("-n" "-nx" "-x" "-Mx")
MASTER_SETS=("-n" "-x" "-M" "-Mx" "-P" "-Px" "-Fx")

# lines FORMAT FROM TO: FORMAT (printf, one %d used twice: i and i+1) for
# each i, as one %b text
lines() {
    local i line out=
    for ((i = $2; i <= $3; i++)); do
        printf -v line "$1" "$i" "$((i + 1))"
        out+=$line'\n'
    done
    printf '%s' "$out"
}

# refs N: " $p1 $p2 ... $pN"
refs() {
    local i out=
    for ((i = 1; i <= $1; i++)); do out+=" \$p$i"; done
    printf '%s' "$out"
}

########################################################################
# Macro nesting: cycles and chains (the nesting limit is 100 levels)
########################################################################

conf cycle-host 'myhostname = $mydomain\nmydomain = $myhostname\n'
run cycle-host "" "${MAIN_SETS[@]}" -d -dx "-x myhostname" "-x mydomain" "-n mydomain" \
    "-dx myhostname" -P -Px -F
conf cycle-user 'a = $b\nb = $a\n'
run cycle-user "" "${MAIN_SETS[@]}" "-x a" "-x b" -dx
conf cycle-user-used 'a = $b\nb = $a\nsmtpd_banner = $a\n'
run cycle-user-used "${MAIN_SETS[@]}"
conf self-builtin 'smtpd_banner = $smtpd_banner\n'
run self-builtin "${MAIN_SETS[@]}" "-x smtpd_banner"
conf self-user 'foo = $foo\nbar = $foo\n'
run self-user "${MAIN_SETS[@]}"
conf cycle-conditional 'b = 1\na = ${b?{$a}}\nsmtpd_banner = $a\n'
run cycle-conditional "${MAIN_SETS[@]}"
conf chain-100 "$(lines 'p%d = $p%d' 0 99)p100 = end\nsmtpd_banner = \$p0\n"
run chain-100 "${MAIN_SETS[@]}" "-x p0"
conf chain-101 "$(lines 'p%d = $p%d' 0 100)p101 = end\nsmtpd_banner = \$p0\n"
run chain-101 "${MAIN_SETS[@]}" "-x p0"
conf chain-2000 "$(lines 'p%d = $p%d' 0 1999)p2000 = end\n"
run chain-2000 "" "${MAIN_SETS[@]}" -d -dx "-x p0" "-x p1999" "-n p0" "-hx p1"
conf chain-2000-used "$(lines 'p%d = $p%d' 0 1999)p2000 = end\nsmtpd_banner = \$p0\n"
run chain-2000-used "" "${MAIN_SETS[@]}" -d -dx
conf chain-undefined "$(lines 'p%d = $p%d' 0 150)p151 = \$undefined_end\n"
run chain-undefined "${MAIN_SETS[@]}"
# After an error, every later piece of the value raises the level without
# lowering it again: past 100 pieces each one warns.
conf leak-builtin "smtpd_banner = \${bad-name}$(refs 110)\n"
run leak-builtin "${MAIN_SETS[@]}"
conf leak-user "foo = \${bad-name}$(refs 110)\n"
run leak-user "${MAIN_SETS[@]}"
conf leak-master '' "smtp inet n - n - - smtpd\n  -o {smtpd_banner=\${bad-name}$(refs 110)}\n"
run leak-master "${MASTER_SETS[@]}"
# The default of proxy_read_maps names 80 parameters: a long value, no error.
conf many-references ''
run many-references -x -dx "-x proxy_read_maps" "-dx proxy_read_maps"
# Each operand of a relational expression starts at level 0 again.
conf relop-restart "$(lines 'p%d = $p%d' 0 59)p60 = \${{\$q0} == {x}?{yes}:{no}}\n$(lines 'q%d = $q%d' 0 59)q60 = x\nsmtpd_banner = \$p0\n"
run relop-restart "${MAIN_SETS[@]}"
conf relop-loop 'a = ${{$a} == {x}?y}\n'
run relop-loop "${MAIN_SETS[@]}"

########################################################################
# Undefined names before and after the fatal error
########################################################################

conf undefined-then-error 'foo = $undef1 ${x\n'
run undefined-then-error "${MAIN_SETS[@]}"
conf undefined-around 'a = $undef1\nb = $undef2\nsmtpd_banner = ${x\nc = $undef3\nd = $undef4\ne = $undef5\n'
run undefined-around "${MAIN_SETS[@]}"
conf undefined-master 'b = ${x\n' 'smtp inet n - n - - smtpd\n  -o a=$u1 -o c=$b\n'
run undefined-master "${MASTER_SETS[@]}"
conf undefined-both 'a = $u1\n' 'smtp inet n - n - - smtpd\n  -o b=$u2 -o smtpd_banner=$u3\nrelay unix - - n - - smtp\n  -o c=$u4 -o smtp_helo_name=${x\n'
run undefined-both "${MASTER_SETS[@]}"
conf conditional-branches 'full_p = yes\nsmtpd_banner = ${full_p?{ok}:{${x}}\nfoo = ${full_p?{ok}:{$undef ${y}}\n'
run conditional-branches "${MAIN_SETS[@]}"
conf two-errors 'smtpd_banner = ${x ${y\nfoo = $ ${z\n'
run two-errors "${MAIN_SETS[@]}"

########################################################################
# Read-only names, restriction classes, database client names
########################################################################

conf readonly-main 'process_id = 1\nprocess_name = $undef\nsmtpd_banner = ${x\n'
run readonly-main "${MAIN_SETS[@]}"
conf readonly-master '' 'smtp inet n - n - - smtpd\n  -o process_name=x -o a=$undef -o smtpd_banner=${x\n'
run readonly-master "${MASTER_SETS[@]}"
conf classes-error 'smtpd_restriction_classes = ${x\n'
run classes-error "${MAIN_SETS[@]}"
conf classes-error-master '' 'smtp inet n - n - - smtpd\n  -o smtpd_restriction_classes=${x\n'
run classes-error-master "${MASTER_SETS[@]}"
conf classes-undefined 'smtpd_restriction_classes = $undef1, ${x?{a}:{b}}\n'
run classes-undefined "${MAIN_SETS[@]}"
conf dbms-error 'mynetworks = ldap:foo\nfoo_server_host = ${x\n'
run dbms-error "${MAIN_SETS[@]}"
conf dbms-undefined 'mynetworks = ldap:foo\nfoo_server_host = $undef\nfoo_bogus = 1\nsmtpd_banner = ${x\n'
run dbms-undefined "${MAIN_SETS[@]}"

########################################################################
# master.cf: -o values, name spaces, a bad entry
########################################################################

conf master-two-errors '' 'smtp inet n - n - - smtpd\n  -o smtpd_banner=${x\nsub inet n - n - - smtpd\n  -o smtpd_banner=${y\n'
run master-two-errors "${MASTER_SETS[@]}"
conf master-cycle '' 'smtp inet n - n - - smtpd\n  -o a=$b -o b=$a -o smtpd_banner=$a\n'
run master-cycle "${MASTER_SETS[@]}"
# Two entries with one name space: the first, before any -o, has none.
conf master-shared-space '' 'smtp inet n - n - - smtpd\nsmtp inet n - n - - smtpd\n  -o smtpd_banner=x -o foo=${y\n'
run master-shared-space "${MASTER_SETS[@]}"
conf master-bad-entry 'smtpd_banner = ${x\n' 'smtp inet n - n - - \n'
run master-bad-entry "${MAIN_SETS[@]}" -P
conf master-mynetworks '' 'smtp inet n - n - - smtpd\n  -o mynetworks={inline:{a=b} -o smtpd_banner=${x\n'
run master-mynetworks "${MASTER_SETS[@]}"

########################################################################
# Host-derived defaults that depend on other values
########################################################################

conf mydomain-error 'mydomain = ${x\n'
run mydomain-error "${MAIN_SETS[@]}" -dx
conf myhostname-error 'myhostname = ${x\n'
run myhostname-error "${MAIN_SETS[@]}"
conf interfaces-error 'inet_interfaces = ${x\n'
run interfaces-error "${MAIN_SETS[@]}"
conf interfaces-chain 'inet_interfaces = $myhostname\nmyhostname = $mydomain\nmydomain = ${x\n'
run interfaces-chain "${MAIN_SETS[@]}"
conf style-undefined 'mynetworks_style = $undefined_style\n'
run style-undefined "${MAIN_SETS[@]}"
conf compat-error 'compatibility_level = ${x\n'
run compat-error "${MAIN_SETS[@]}"
conf compat-malformed 'compatibility_level = 3.x\n'
run compat-malformed "${MAIN_SETS[@]}"
conf compat-undefined 'compatibility_level = $undef\nmynetworks = 1.2.3.4\n'
run compat-undefined "${MAIN_SETS[@]}"
conf protocols-bogus 'inet_protocols = bogus\n'
run protocols-bogus "${MAIN_SETS[@]}"
conf protocols-then-domain 'inet_protocols = ipv4, ipx\nmydomain = ${x\n'
run protocols-then-domain "${MAIN_SETS[@]}"
conf domain-is-hostname 'mydomain = $myhostname\n'
run domain-is-hostname "${MAIN_SETS[@]}"
conf hostname-is-domain 'myhostname = $mydomain\n'
run hostname-is-domain "${MAIN_SETS[@]}"
conf domain-and-interfaces 'mydomain = ${x\ninet_interfaces = ${y\n'
run domain-and-interfaces "${MAIN_SETS[@]}"
conf hostname-and-interfaces 'myhostname = ${x\ninet_interfaces = ${y\n'
run hostname-and-interfaces "${MAIN_SETS[@]}"
conf domain-and-style 'mydomain = ${x\nmynetworks_style = bogus\n'
run domain-and-style "${MAIN_SETS[@]}"
conf hostname-set-domain-error 'mydomain = ${x\nmyhostname = a.b.c\n'
run hostname-set-domain-error "${MAIN_SETS[@]}"
# With a dotted hostname, myhostname's default never reads mydomain.
C=$TMP/cases/mydomain-error
run host.mydomain-error "${MAIN_SETS[@]}"
C=$TMP/cases/domain-and-interfaces
run host.domain-and-interfaces "${MAIN_SETS[@]}"
C=$TMP/cases/cycle-host
run host.cycle-host -n -x

# The lists mynetworks is computed from are split at commas and spaces,
# whatever braces they hold (postconf reads them with mystrtok()).
conf style-braces 'mynetworks_style = {host}\n'
run style-braces "" -x
conf style-braces-two 'mynetworks_style = {host, subnet}\n'
run style-braces-two "" -x
conf style-case 'mynetworks_style = HOST\n'
run style-case ""
conf protocols-braces 'inet_protocols = {ipv4}\n'
run protocols-braces ""
conf protocols-braces-two 'inet_protocols = {ipv4, ipv6}\n'
run protocols-braces-two "" -x
conf protocols-case 'inet_protocols = IPv4\n'
run protocols-case ""
conf protocols-empty 'inet_protocols =\n'
run protocols-empty "" "-x mynetworks"
conf interfaces-braces 'inet_interfaces = {127.0.0.1, ::1}\n'
run interfaces-braces "" -x
conf interfaces-inline 'inet_interfaces = inline:{a=b, c=d}\n'
run interfaces-inline "" -x
conf interfaces-sorted 'inet_interfaces = [::1], 127.0.0.1\n'
run interfaces-sorted "" "-x mynetworks"
conf interfaces-duplicates 'inet_interfaces = 127.0.0.1 127.0.0.1, localhost [::1]\n'
run interfaces-duplicates "-x mynetworks"
conf interfaces-not-local 'inet_interfaces = 192.0.2.254\n'
run interfaces-not-local "" "-x mynetworks"
conf interfaces-case 'inet_interfaces = ALL\n'
run interfaces-case "-x mynetworks"
conf interfaces-space 'empty =\ninet_interfaces = $empty all\n'
run interfaces-space "-x mynetworks"
conf interfaces-family 'inet_interfaces = ::1\ninet_protocols = ipv4\n'
run interfaces-family "-x mynetworks"
conf interfaces-class 'inet_interfaces = 127.0.0.1\nmynetworks_style = class\n'
run interfaces-class "-x mynetworks"
# mynetworks itself holding a table with braces
conf mynetworks-inline 'mynetworks = inline:{a=b, c=d}\nsmtpd_client_restrictions = permit_mynetworks\n'
run mynetworks-inline "${MAIN_SETS[@]}"
conf mynetworks-inline-error 'mynetworks = inline:{a=b, c=d} $foo\nfoo = ${x\n'
run mynetworks-inline-error "${MAIN_SETS[@]}"
conf mynetworks-nested 'mynetworks = { inline:{a=b}, {c=d} } ${x\n'
run mynetworks-nested "${MAIN_SETS[@]}"
conf mynetworks-open 'mynetworks = inline:{a=b\n'
run mynetworks-open "${MAIN_SETS[@]}"
conf mynetworks-open-undefined 'mynetworks = { a b\nfoo = $undef\n'
run mynetworks-open-undefined "${MAIN_SETS[@]}"
conf mynetworks-tables 'mynetworks = proxy:ldap:{a=b, c=d}, ldap:foo, mysql:/nonexistent $undef\n'
run mynetworks-tables "${MAIN_SETS[@]}"
conf mynetworks-style-bogus 'mynetworks = inline:{a=b, c=d}\nmynetworks_style = bogus\n'
run mynetworks-style-bogus "${MAIN_SETS[@]}"
conf mynetworks-braced-error 'mynetworks = {inline:{a=b, c=d}} ${x\n'
run mynetworks-braced-error "${MAIN_SETS[@]}"
conf mynetworks-lists 'mynetworks = inline:{{a=b}, {c=d}}, cidr:{ {1.2.3.4 OK} }\nsmtpd_banner = ${x\n'
run mynetworks-lists "${MAIN_SETS[@]}"

########################################################################
# Generated: each kind of expansion error in each kind of place
########################################################################

ERRORS=(
    'truncated:${x'
    'empty-name:a $ b'
    'name-syntax:${my-param}'
    'colon-expected:${full_p?{a}x}'
    'unexpected-input:${full_p?{a}:{b}:{c}}'
    'operator:${{a} === {a}?x}'
    'operator-suffix:${{a} ==foo {a}?x}'
    'operand-expected:${{a} == a?x}'
    'unbalanced:$(full_p?{a)'
    'bad-level:${{3.x} <level {3}?x}'
    'nesting:$SELF'
    'undefined-only:$undefined_x'
)
# Every main.cf and master.cf also sets a few names around the error.
AROUND='full_p = yes\na1 = $undef_a\nz1 = $undef_z\n'
MASTER_AROUND='smtp inet n - n - - smtpd\n  -o m1=$undef_m\n'
# Every kind of error goes in these places; four kinds go everywhere.
EVERY_PLACE=" truncated nesting operator undefined-only "

# gen_main KIND ERROR PLACE NAME: ERROR as main.cf's NAME in a PLACE
gen_main() {
    local kind=$1 place=$3 pname=$4 value extra=
    value=${2//\$SELF/\$$pname}
    case $place in
        user-used) extra='smtpd_banner = $foo\n' ;;
        user-used-by-user) extra='bar = $foo\n' ;;
        conditional) extra='smtpd_banner = ${full_p?{$foo}}\n' ;;
    esac
    conf "gen-$kind-$place" "$AROUND$pname = $value\n$extra" "$MASTER_AROUND"
    run "gen-$kind-$place" -n -x
}

# gen_master KIND ERROR NAME EXTRA: ERROR as master.cf's -o NAME=, braced
# when it holds spaces
gen_master() {
    local kind=$1 pname=$3 value
    value=${2//\$SELF/\$$pname}
    case $value in *' '*) value="{$pname=$value}" ;; *) value="$pname=$value" ;; esac
    conf "gen-$kind-master-$pname" "$AROUND" \
        "smtp inet n - n - - smtpd\n  -o m1=\$undef_m -o $value ${4:-}\n"
    run "gen-$kind-master-$pname" -n -Px
}

for e in "${ERRORS[@]}"; do
    kind=${e%%:*}
    err=${e#*:}
    gen_main "$kind" "$err" builtin smtpd_banner
    gen_main "$kind" "$err" user-used foo
    gen_master "$kind" "$err" smtpd_banner
    # the command line: -o with a value without spaces
    value=${err//\$SELF/\$smtpd_banner}
    value=${value// /}
    [ "$kind" = empty-name ] && value='a$'
    conf "gen-$kind-override" "$AROUND"
    run "gen-$kind-override" "-n -o smtpd_banner=$value" "-Mx -o smtpd_banner=$value"
    case $EVERY_PLACE in *" $kind "*) ;; *) continue ;; esac
    gen_main "$kind" "$err" raw luser_relay
    gen_main "$kind" "$err" user-unused foo
    gen_main "$kind" "$err" user-used-by-user foo
    gen_main "$kind" "$err" conditional foo
    gen_main "$kind" "$err" mydomain mydomain
    gen_main "$kind" "$err" myhostname myhostname
    gen_main "$kind" "$err" interfaces inet_interfaces
    gen_main "$kind" "$err" style mynetworks_style
    gen_main "$kind" "$err" compat compatibility_level
    gen_master "$kind" "$err" foo '-o smtpd_banner=$foo'
done

########################################################################
# Run every comparison, in parallel, then report them in order.
########################################################################

cat >"$TMP/worker.sh" <<'EOF'
# worker.sh JOB: run postconf and pfc conf for one comparison, and compare:
# JOB/diag is empty when they agree
j=$1
read -r dir <"$j/dir"
mapfile -t args <"$j/args"
host=
[ -f "$j/hostname" ] && read -r host <"$j/hostname"
# in_host NAME CMD...: CMD run as NAME (argv[0]), in a UTS name space with
# that hostname when asked
in_host() {
    if [ -n "$host" ]; then
        unshare -u bash -c 'hostname "$0" && exec -a "$@"' "$host" "$@"
    else
        (exec -a "$@")
    fi
}
# postconf runs as "pfc": its messages and $process_name then read as pfc's.
NORANDOMIZE=1 in_host pfc postconf -c "$dir" "${args[@]}" \
    >"$j/p.out" 2>"$j/p.err" </dev/null &
pid=$!
in_host pfc "$PFC" conf -c "$dir" "${args[@]}" >"$j/f.out" 2>"$j/f.err" </dev/null
frc=$?
wait "$pid"
prc=$?
diag=
if ! cmp -s "$j/p.out" "$j/f.out"; then
    sed -i 's/^process_id = [0-9]*$/process_id = PID/' "$j/p.out" "$j/f.out"
    if ! cmp -s "$j/p.out" "$j/f.out"; then
        diag+="stdout differs (--- postconf, +++ pfc):"$'\n'
        diag+=$(diff -u --label postconf --label pfc "$j/p.out" "$j/f.out" | cut -c1-300 | head -n 20)$'\n'
    fi
fi
if ! cmp -s "$j/p.err" "$j/f.err"; then
    diag+="stderr differs (--- postconf, +++ pfc):"$'\n'
    diag+=$(diff -u --label postconf --label pfc "$j/p.err" "$j/f.err" | cut -c1-300 | head -n 20)$'\n'
fi
if [ "$prc" != "$frc" ]; then
    diag+="exit status: postconf $prc, pfc $frc"$'\n'
fi
printf '%s' "$diag" >"$j/diag"
EOF

export PFC
for j in "$TMP"/jobs/*; do
    if [ -f "$j/hostname" ] && [ "$HAVE_UNSHARE" = 0 ]; then
        continue
    fi
    printf '%s\n' "$j"
done | xargs -P "${FATAL_JOBS:-16}" -n 1 bash "$TMP/worker.sh"

n=0
failed=0
identical=0
listed=0
for j in "$TMP"/jobs/*; do
    read -r name <"$j/name"
    if [ ! -f "$j/diag" ]; then
        n=$((n + 1))
        listed=$((listed + 1))
        echo "ok $n - $name # SKIP unshare -u is not available here"
        continue
    fi
    diag=$(cat "$j/diag")
    [ -n "$diag" ] && diag+=$'\n'
    tap_result "$name" "$diag"
done

echo "# identical: $identical/$((n - listed)) ($listed listed differences or skips above)"
echo "1..$n"
[ "$failed" -eq 0 ] && exit 0
exit 1
