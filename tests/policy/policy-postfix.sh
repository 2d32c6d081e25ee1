#!/bin/bash
# policy-postfix.sh - runtime/policy/policy_client.c side by side with
# Postfix's smtpd (TAP). In namespaces of its own (nothing outlives the
# test), a private Postfix asks the scripted policy server
# (policy_server.py) at RCPT TO, one smtpd process per session
# (max_use = 1, so no case inherits another's connection); policyq asks the
# same server the same question. For each case the test checks that the
# client fails where smtpd fails and warns as smtpd warns (smtpd's first
# warnings are the client's, in order; what follows them is the restriction
# engine's), and it prints what Postfix replied ("# postfix: CASE: REPLY")
# and the engine's own warnings ("# postfix engine: CASE: warning: ..."),
# for the policy engine to give the same replies in the same sessions.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=$(cd "$srcdir" && pwd)
POLICYQ=${POLICYQ:-tests/policy/policyq}
case $POLICYQ in /*) ;; *) POLICYQ=$(pwd)/$POLICYQ ;; esac
. "$srcdir/tests/policy/lib.sh"

[ -x "$POLICYQ" ] || skip_all "$POLICYQ is not built"
export POLICYQ
in_netns postfix python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/policy-postfix.XXXXXX") || exit 1
cleanup_add "rm -rf '$tmp'"

S=2700 DEAD=2799 pfx=$tmp/pfx
python3 "$srcdir/tests/policy/policy_server.py" "inet:127.0.0.1:$S" "$tmp/log" 140 &
cleanup_add "kill $!"

# One listener per way of naming the server; the cases say which.
declare -A port=([main]=2601 [slow]=2602 [dead]=2603 [deaddunno]=2604 [unix]=2605 [nosock]=2606)
declare -A spec=(
    [main]="inet:127.0.0.1:$S"
    [slow]="{ inet:127.0.0.1:$S, timeout=1s }"
    [dead]="inet:127.0.0.1:$DEAD"
    [deaddunno]="{ inet:127.0.0.1:$DEAD, default_action=DUNNO, try_limit=1 }"
    [unix]="unix:private/policy"
    [nosock]="unix:private/nosuch"
)
maincf= mastercf=
for l in "${!port[@]}"; do
    maincf+="${l}_restrictions = check_policy_service ${spec[$l]}, reject_unauth_destination"$'\n'
    mastercf+="127.0.0.1:${port[$l]} inet n - n - - smtpd -o max_use=1"
    mastercf+=" -o smtpd_recipient_restrictions=\$${l}_restrictions"$'\n'
done
pfx_start "$pfx" "$maincf" "$mastercf" || { echo "Bail out! Postfix does not start"; exit 1; }
python3 "$srcdir/tests/policy/policy_server.py" "unix:$pfx/queue/private/policy" "$tmp/ulog" 140 &
cleanup_add "kill $!"
for p in "$S" "${port[@]}"; do
    wait_listen "$p" 20 || { echo "Bail out! nothing listens on $p"; exit 1; }
done

# CASE LISTENER: the recipient is CASE@outside.example, which the scripted
# server answers by its local part; anything the policy does not decide
# ends in reject_unauth_destination.
cases="reject main
dunno main
ok main
dip main
custom main
bogus main
noaction main
empty main
extra main
twice main
novalue main
partial main
utf8bad main
close main
slow slow
refused dead
refused-dunno deaddunno
reject-unix unix
nosock nosock"

while read -r c l; do
    printf '%s\t%s\t127.0.0.1\tclient.example\ts@client.example\t%s@outside.example\n' \
        "$c" "${port[$l]}" "${c%%-*}"
done <<< "$cases" > "$tmp/sessions"
python3 "$srcdir/tests/policy/smtp_probe.py" --log "$pfx/maillog" < "$tmp/sessions" > "$tmp/replies" ||
    { echo "Bail out! smtp_probe failed"; exit 1; }

while read -r c l; do
    rcpt=${c%%-*}@outside.example
    got=$(awk -F'\t' -v c="$c" '$1 == c && $2 !~ /^warning: / { print $2; exit }' "$tmp/replies")
    pfx_warn=$(awk -F'\t' -v c="$c" '$1 == c && $2 ~ /^warning: / { print $2 }' "$tmp/replies")
    echo "# postfix: $c: $got"
    # The engine logs through diag, which shows bytes that are not
    # UTF-8 as '?', as Postfix's logger does.
    out=$("$POLICYQ" -o smtputf8=1 -o "queue_directory=$pfx/queue" "${spec[$l]}" "$rcpt" 2>&1 |
        LC_ALL=C tr -c '\11\12\40-\176' '?')
    pfc_warn=$(grep -a '^warning: ' <<< "$out")
    result=$(grep -av '^warning: ' <<< "$out")
    # smtpd's warnings begin with the client's.
    [ "${pfx_warn:0:${#pfc_warn}}" = "$pfc_warn" ]
    ok "$c: smtpd's policy client warned as pfc's did" $? "$(printf 'pfc:\n%s\npostfix:\n%s' "$pfc_warn" "$pfx_warn")"
    rest=${pfx_warn:${#pfc_warn}}
    while IFS= read -r w; do
        [ -n "$w" ] && echo "# postfix engine: $c: $w"
    done <<< "$rest"
    case $result in
    *": default: 451 4.3.5 Server configuration problem")
        same "$c: both fall back to the default action" "$got" \
            "451 4.3.5 <$rcpt>: Recipient address rejected: Server configuration problem" ;;
    *": default: DUNNO")
        same "$c: both fall back to DUNNO" "$got" "554 5.7.1 <$rcpt>: Relay access denied" ;;
    *": answered: "*)
        [[ $got != *"Server configuration problem"* ]]
        ok "$c: both have the server's answer (${result#*answered: })" $? "$got" ;;
    *)
        ok "$c: policyq answered" 1 "$out" ;;
    esac
done <<< "$cases"

# What smtpd sends, for the engine to send the same.
req=$(grep -m 1 '^request' "$tmp/log" | cut -d' ' -f3- | tr '|' '\n' | sed 's/=.*//' | tr '\n' ' ')
echo "# postfix sent: $req"
[ -n "$req" ]
ok "smtpd's request was seen" $? "$(head -n 3 "$tmp/log")"

echo "1..$n"
[ "$failed" -eq 0 ]
