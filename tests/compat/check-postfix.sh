#!/bin/bash
# tests/compat/check-postfix.sh - the pfc check rules that stand for a
# Postfix failure, side by side with the real Postfix on the same files.
#
# Each case writes a configuration directory, runs the Postfix program
# that fails or warns on it (postconf, postmap, smtpd in stand-alone mode)
# and pfc check -c DIR --format=json, and asserts:
#   - Postfix does fail or warn (else the case proves nothing);
#   - pfc check exits as the rule's severity says and reports the rule;
#   - Postfix's message (without "program: warning: " or "fatal: ") is
#     the "postfix" text of one of those findings, when the case says so.
# TAP output. Environment: PFC (the pfc binary), srcdir (top of the tree).
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
command -v postconf >/dev/null 2>&1 || skip_all "postconf not found on PATH"
command -v postmap >/dev/null 2>&1 || skip_all "postmap not found on PATH"
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
find_pfc
SMTPD=$(postconf -dh daemon_directory 2>/dev/null)/smtpd

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0 failed=0
echo "1..11"

# new_dir MAIN.CF-LINES... - a fresh configuration directory $d
new_dir() {
    d=$TMP/cfg$((n + 1))
    rm -rf "$d"
    mkdir -p "$d"
    cp "$srcdir/tests/check/base/master.cf" "$d/"
    printf '%s\n' 'compatibility_level = 3.6' 'alias_maps =' "$@" >"$d/main.cf"
    # Postfix re-reads (and re-warns about) a main.cf changed in the last second.
    touch -d 2000-01-01 "$d/main.cf" "$d/master.cf"
}

# findings RULE -> the "postfix" texts of pfc's findings of RULE (one a line)
findings() {
    python3 - "$TMP/pfc.json" "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for f in doc["findings"]:
    if f["rule"] == sys.argv[2]:
        print(f.get("postfix") or "")
PY
}

# judge NAME RULE WANT_RC PF_RC PF_OUT [match]: Postfix exited PF_RC with
# PF_OUT on stderr (it must have failed or warned); pfc check of $d must
# exit WANT_RC and report RULE; with "match", Postfix's first message is
# the postfix text of such a finding.
judge() {
    local name=$1 rule=$2 want=$3 prc=$4 pout=$5 match=${6:-} diag="" msg
    n=$((n + 1))
    "$PFC" check -c "$d" --format=json >"$TMP/pfc.json" 2>"$TMP/pfc.err"
    local rc=$?
    [ "$prc" != 0 ] || [ -n "$pout" ] || diag+="Postfix neither fails nor warns"$'\n'
    [ "$rc" = "$want" ] || diag+="pfc check exits $rc, expected $want: $(head -c 200 "$TMP/pfc.err")"$'\n'
    findings "$rule" >"$TMP/pf.texts" 2>/dev/null
    [ -s "$TMP/pf.texts" ] || grep -q "\"rule\": \"$rule\"" "$TMP/pfc.json" ||
        diag+="no $rule finding"$'\n'
    if [ "$match" = match ]; then
        msg=$(printf '%s\n' "$pout" | head -n 1 | sed 's/^[a-z/]*\(\[[0-9]*\]\)\{0,1\}: \(warning\|fatal\|error\): //')
        grep -qxF -- "$msg" "$TMP/pf.texts" ||
            diag+="Postfix says \"$msg\"; pfc's $rule findings say: $(tr '\n' '|' <"$TMP/pf.texts")"$'\n'
    fi
    if [ -z "$diag" ]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        printf '%s' "$diag" | sed 's/^/# /'
        failed=1
    fi
    printf '%s\n' "$pout" | head -n 2 | sed 's/^/# Postfix: /'
}

# run CMD...: $prc and $pout, the exit status and stderr of a Postfix program
run() {
    pout=$("$@" 2>&1 >/dev/null </dev/null)
    prc=$?
}

# A $myhostname <-> $mydomain loop: postmap, as every daemon, expands
# myhostname when it starts.
new_dir 'myhostname = $mydomain' 'mydomain = $myhostname'
run postmap -c "$d" -q a 'inline:{a=b}'
judge "a \$myhostname <-> \$mydomain loop (postmap)" expansion-nesting 1 "$prc" "$pout" match

# A 2,000-deep chain, as postconf -x expands it.
new_dir 'smtpd_banner = $p0'
i=0; while [ $i -lt 2000 ]; do echo "p$i = \$p$((i + 1))"; i=$((i + 1)); done >>"$d/main.cf"
echo "p2000 = end" >>"$d/main.cf"
touch -d 2000-01-01 "$d/main.cf"
run postconf -c "$d" -xh smtpd_banner
judge "a \$p0 -> ... -> \$p2000 chain (postconf -x)" expansion-nesting 1 "$prc" "$pout" match

# myhostname that is no host name
new_dir 'myhostname = %hostname.example.com'
run postmap -c "$d" -q a 'inline:{a=b}'
judge "myhostname = %hostname.example.com (postmap)" bad-hostname 1 "$prc" \
    "$(printf '%s\n' "$pout" | grep fatal)" match

# myhostname that expands to nothing (an envsubst leftover)
new_dir 'myhostname = ${MAIL_HOSTNAME}'
run postmap -c "$d" -q a 'inline:{a=b}'
judge "myhostname = \${MAIL_HOSTNAME}, undefined (postmap)" bad-hostname 1 "$prc" "$pout" match

# myorigin from a file that is not there, and from an empty one
new_dir "myorigin = $TMP/mailname"
run postmap -c "$d" -q a 'inline:{a=b}'
judge "myorigin = a missing file (postmap)" parameter-file 1 "$prc" "$pout" match
: >"$TMP/mailname"
run postmap -c "$d" -q a 'inline:{a=b}'
judge "myorigin = an empty file (postmap)" parameter-file 1 "$prc" "$pout" match

# texthash: on a directory
mkdir "$TMP/adir"
new_dir "transport_maps = texthash:$TMP/adir"
run postmap -c "$d" -q a "texthash:$TMP/adir"
judge "texthash: on a directory (postmap -q)" table-source-missing 1 "$prc" "$pout" match

# mysql: with a client file that is not there (postconf -n warns)
new_dir "virtual_alias_maps = mysql:$TMP/nosuch-mysql.cf"
run postconf -c "$d" -n
judge "mysql: client file missing (postconf -n)" table-source-missing 1 "$prc" "$pout" match

# a .db that is no database, without its source
new_dir "transport_maps = hash:$TMP/junk"
printf 'garbage\n' >"$TMP/junk.db"
run postmap -c "$d" -q a "hash:$TMP/junk"
judge "a .db that is no database (postmap -q)" db-unreadable 1 "$prc" "$pout" match

# an aliases(5) file built with postmap for virtual_alias_maps
printf 'postmaster@example.com: alice\ninfo@example.com: bob\n' >"$TMP/virtual"
new_dir "virtual_alias_maps = hash:$TMP/virtual" 'virtual_alias_domains = example.com'
run postmap -c "$d" "hash:$TMP/virtual"
judge "aliases(5) lines in a virtual table (postmap)" aliases-format 0 "$prc" "$pout" match

# restriction classes that name each other: smtpd, in stand-alone mode,
# looks through them for the relay guard at start and dies (signal 11).
new_dir 'smtpd_restriction_classes = a, b' 'a = permit_mynetworks, b' 'b = a' \
    'smtpd_recipient_restrictions = a, reject_unauth_destination' 'smtpd_relay_restrictions =' \
    'local_recipient_maps =' 'myhostname = mail.example.com'
if [ -x "$SMTPD" ] && [ "$(id -u)" = 0 ]; then
    { MAIL_CONFIG=$d timeout 20 "$SMTPD" -S </dev/null >/dev/null 2>&1; } 2>/dev/null
    prc=$?
    [ "$prc" = 139 ] && pout="killed by signal 11" || pout=""
    judge "a restriction class loop (smtpd -S exits $prc)" class-cycle 1 "$prc" "$pout"
else
    n=$((n + 1))
    echo "ok $n - a restriction class loop # SKIP smtpd stand-alone needs root and $SMTPD"
fi
exit $failed
