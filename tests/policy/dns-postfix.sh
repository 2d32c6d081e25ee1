#!/bin/bash
# dns-postfix.sh - runtime/policy/dns.c side by side with Postfix (TAP).
#
# In a mount, network and PID namespace of its own (so nothing leaks: the
# kernel ends every process in it when the test ends), /etc/resolv.conf
# points at nsd on 127.0.0.1:53, which serves tests/policy/zones. A private
# Postfix smtpd on loopback, one listener per DNS restriction, answers RCPT
# TO for each case; dnsq, through the same resolv.conf, gives pfc's DNS
# answers, from which the test derives the reply smtpd must give and the
# warnings it must log, and compares both with what Postfix did.
#
# Each case prints what Postfix replied ("# postfix: CASE: REPLY"): the
# policy engine is to give the same replies through the same sessions
# (tests/policy/dns-cases lists them, one a line: case, listener, client
# address, HELO, sender, recipient).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=$(cd "$srcdir" && pwd)
DNSQ=${DNSQ:-tests/policy/dnsq}
case $DNSQ in /*) ;; *) DNSQ=$(pwd)/$DNSQ ;; esac
. "$srcdir/tests/policy/lib.sh"

[ -x "$DNSQ" ] || skip_all "$DNSQ is not built"
export DNSQ
in_netns nsd postfix

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dns-postfix.XXXXXX") || exit 1
cleanup_add "rm -rf '$tmp'"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$tmp/resolv.conf"
mount --bind "$tmp/resolv.conf" /etc/resolv.conf || { echo "Bail out! cannot mount resolv.conf"; exit 1; }
nsd_start "$tmp/nsd" 53 127.0.0.1 || { echo "Bail out! nsd does not start"; exit 1; }

# The access tables of check_recipient_{mx,ns,a}_access: full names and
# addresses only, so the first host or address of the walk that is a key
# decides (no parent domain or shorter address matches).
printf '%s\n' "both.pfc.test REJECT mx name both" "192.0.2.10 REJECT mx addr host" \
    "192.0.2.99 REJECT mx addr numeric" > "$tmp/mx_access"
printf '%s\n' "ns.pfc.test REJECT ns name" > "$tmp/ns_access"
printf '%s\n' "192.0.2.11 REJECT a addr both" > "$tmp/a_access"

# One listener per restriction (the names are the listeners of dns-cases).
declare -A port
listeners=(domain helo rbl rblsoft rblfilter rhsbl mx ns a)
declare -A restr=(
    [domain]="-o smtpd_recipient_restrictions=reject_unknown_recipient_domain,permit"
    [helo]="-o smtpd_helo_restrictions=reject_unknown_helo_hostname"
    [rbl]="-o smtpd_client_restrictions=reject_rbl_client,rbl.pfc.test"
    [rblsoft]="-o smtpd_client_restrictions=reject_rbl_client,rbl.broken.test"
    [rblfilter]="-o smtpd_client_restrictions=reject_rbl_client,rbl.pfc.test=127.0.0.[3..5]"
    [rhsbl]="-o smtpd_sender_restrictions=reject_rhsbl_sender,dbl.pfc.test"
    [mx]="-o smtpd_recipient_restrictions=check_recipient_mx_access,texthash:$tmp/mx_access,permit"
    [ns]="-o smtpd_recipient_restrictions=check_recipient_ns_access,texthash:$tmp/ns_access,permit"
    [a]="-o smtpd_recipient_restrictions=check_recipient_a_access,texthash:$tmp/a_access,permit"
)
mastercf=
p=2600
for l in "${listeners[@]}"; do
    port[$l]=$p
    mastercf+="127.0.0.1:$p inet n - n - - smtpd ${restr[$l]}"$'\n'
    p=$((p + 1))
done
pfx_start "$tmp/pfx" "" "$mastercf" ||
    { echo "Bail out! Postfix does not start"; exit 1; }
for l in "${listeners[@]}"; do
    wait_listen "${port[$l]}" 20 || { echo "Bail out! nothing listens on ${port[$l]}"; exit 1; }
done

# The sessions: CASE LISTENER CLIENT HELO SENDER RECIPIENT (dns-cases).
cases=$srcdir/tests/policy/dns-cases
while IFS=$'\t' read -r c l src helo from rcpt; do
    case $c in ''|'#'*) continue ;; esac
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "${port[$l]}" "$src" "$helo" "$from" "$rcpt"
done < "$cases" > "$tmp/sessions"
python3 "$srcdir/tests/policy/smtp_probe.py" < "$tmp/sessions" > "$tmp/replies" ||
    { echo "Bail out! smtp_probe failed"; exit 1; }
sleep 1				# postlogd writes the last warnings

# pfc's answer, and the reply smtpd gives for it.
dnsq() { "$DNSQ" -4 "$@" 2> "$tmp/warn"; }
expect() {			# expect LISTENER CLIENT HELO SENDER RECIPIENT
    local l=$1 src=$2 helo=$3 from=$4 rcpt=$5 d=${5##*@} st out first
    case $l in
    domain)
        st=$(dnsq mailhost "$d")
        case $st in
        OK) echo "250 2.1.5 Ok" ;;
        NULLMX) echo "556 5.1.10 <$rcpt>: Recipient address rejected: Domain $d does not accept mail (nullMX)" ;;
        INVAL) echo "450 4.1.2 <$rcpt>: Recipient address rejected: Malformed DNS server reply" ;;
        *) echo "450 4.1.2 <$rcpt>: Recipient address rejected: Domain not found" ;;
        esac ;;
    helo)
        st=$(dnsq addr_or_mx "$helo")
        case $st in
        OK|NULLMX) echo "250 2.1.5 Ok" ;;
        INVAL) echo "450 4.7.1 <$helo>: Helo command rejected: Malformed DNS server reply" ;;
        *) echo "450 4.7.1 <$helo>: Helo command rejected: Host not found" ;;
        esac ;;
    rbl*|rhsbl)
        if [ "$l" = rhsbl ]; then
            out=$(dnsq rhsbl dbl.pfc.test "$from" "Sender address")
        else
            local dom=rbl.pfc.test
            [ "$l" = rblsoft ] && dom=rbl.broken.test
            [ "$l" = rblfilter ] && dom='rbl.pfc.test=127.0.0.[3..5]'
            out=$(dnsq rbl "$dom" "$src")
        fi
        # smtpd_check_reject() makes the status class agree with the code.
        case $out in
        *"reply: "*) out=${out##*reply: }; echo "${out:0:4}${out:0:1}${out:5}" ;;
        *) echo "250 2.1.5 Ok" ;;
        esac ;;
    mx|ns|a)
        first=$(dnsq walk "$l" "$rcpt" | awk -v t="$tmp/${l}_access" '
            BEGIN { while ((getline line < t) > 0) { split(line, f, " "); k = f[1];
                    sub(/^[^ ]+ REJECT /, "", line); key[k] = line } }
            $1 == "name" || $1 == "addr" { if ($2 in key) { print key[$2]; exit } }')
        if [ -n "$first" ]; then
            echo "554 5.7.1 <$rcpt>: Recipient address rejected: $first"
        else
            echo "250 2.1.5 Ok"
        fi ;;
    esac
}

while IFS=$'\t' read -r c l src helo from rcpt; do
    case $c in ''|'#'*) continue ;; esac
    got=$(awk -F'\t' -v c="$c" '$1 == c { print $2; exit }' "$tmp/replies")
    want=$(expect "$l" "$src" "$helo" "$from" "$rcpt")
    echo "# postfix: $c: $got"
    same "$c: the reply pfc's DNS answer gives is Postfix's" "$got" "$want"
    # What pfc warned while asking, Postfix logged.
    while IFS= read -r w; do
        w=${w#dnsq: warning: }
        grep -qF ": warning: $w" "$tmp/pfx/maillog"
        ok "$c: Postfix logged \"$w\"" $? "$(grep warning: "$tmp/pfx/maillog" | tail -n 5)"
    done < "$tmp/warn"
done < "$cases"

echo "1..$n"
[ "$failed" -eq 0 ]
