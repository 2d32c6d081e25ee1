#!/bin/bash
# trace-envelopes.sh - "pfc trace IMAGE --envelopes": the RCPT stage's
# reply to each envelope line, the same as the session "pfc trace --client
# --helo --from --to" answers, and the text Postfix 3.7 answers.
#
# The configuration is bench/engine.sh's at a small size:
# examples/small-company deployed under a scratch root, with
# check_client_access and check_recipient_access tables in the restriction
# lists and a second virtual alias domain without a catch-all. The
# envelopes cover each kind of answer; some ask of the same recipient
# twice in a row (with another sender, another client), which the batch
# mode answers from what it kept of the first (the resolver's and
# mydestination's last answers) while a traced session, or the batch
# mode with --explain, asks afresh. The expected replies are what a
# Postfix 3.7.11 instance with this configuration answered
# (bench/engine.sh compares the two live).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
n=0 failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trace-envelopes.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
etc=$root/etc/postfix
mkdir -p "$etc"
cp -R "$srcdir/examples/small-company/." "$etc/"
sed -i '/^virtual_alias_domains *=/d' "$etc/main.cf"
cat >>"$etc/main.cf" <<'CF'
smtpd_client_restrictions = check_client_access hash:/etc/postfix/client_access
smtpd_recipient_restrictions = check_recipient_access hash:/etc/postfix/recipient_access
virtual_alias_domains = example.org, example-staff.org
default_transport = discard:
relay_transport = discard:
local_transport = discard:
virtual_transport = discard:
CF
cat >"$etc/client_access" <<'EOF'
10.0.0.1 REJECT
10.0.0.2 554 5.7.1 Client host blocked by local policy
10.0.0.3 OK
10.0.0.4 DUNNO
EOF
cat >"$etc/recipient_access" <<'EOF'
acc0@example.com REJECT
acc1@example.org REJECT This mailbox is closed
acc2@example-staff.org 550 5.1.6 Recipient has moved
acc3@example.com OK
acc4@example.org DUNNO
EOF
printf 'v1@example-staff.org\talice\nv2@example-staff.org\tfwd2@elsewhere.example\n' >>"$etc/virtual"

# ENVELOPE|REPLY: the envelope as --envelopes reads it, the reply expected
cases=$(cat <<'EOF'
10.0.0.1 h.example s@sender.example info@example.com|554 5.7.1 <unknown[10.0.0.1]>: Client host rejected: Access denied
10.0.0.2,mx.blocked.example h.example s@sender.example info@example.com|554 5.7.1 <mx.blocked.example[10.0.0.2]>: Client host rejected: Client host blocked by local policy
10.0.0.3 h.example s@sender.example r1@remote.example|554 5.7.1 <r1@remote.example>: Relay access denied
10.0.0.4 h.example s@sender.example info@example.com|250 2.1.5 Ok
192.168.1.10 pc.lan s@example.com r1@remote.example|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example r1@remote.example|554 5.7.1 <r1@remote.example>: Relay access denied
10.9.9.9 h.example s@sender.example postmaster@example.com|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example no-such-user-pfc@example.com|550 5.1.1 <no-such-user-pfc@example.com>: Recipient address rejected: User unknown in local recipient table
10.9.9.9 h.example t@sender.example no-such-user-pfc@example.com|550 5.1.1 <no-such-user-pfc@example.com>: Recipient address rejected: User unknown in local recipient table
192.168.1.11,pc.lan pc.lan t@sender.example no-such-user-pfc@example.com|550 5.1.1 <no-such-user-pfc@example.com>: Recipient address rejected: User unknown in local recipient table
10.9.9.9 h.example s@sender.example anything@example.org|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example v1@example-staff.org|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example nosuch@example-staff.org|550 5.1.1 <nosuch@example-staff.org>: Recipient address rejected: User unknown in virtual alias table
10.9.9.9 h.example s@sender.example acc0@example.com|554 5.7.1 <acc0@example.com>: Recipient address rejected: Access denied
10.9.9.9 h.example s@sender.example acc1@example.org|554 5.7.1 <acc1@example.org>: Recipient address rejected: This mailbox is closed
10.9.9.9 h.example s@sender.example acc2@example-staff.org|550 5.1.6 <acc2@example-staff.org>: Recipient address rejected: Recipient has moved
10.9.9.9 h.example s@sender.example acc3@example.com|550 5.1.1 <acc3@example.com>: Recipient address rejected: User unknown in local recipient table
10.9.9.9 h.example s@sender.example acc4@example.org|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example Info@Example.COM|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example info+tag@example.com|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example postmaster|250 2.1.5 Ok
10.9.9.9 h.example <> info@example.org|250 2.1.5 Ok
10.9.9.9 h.example s@sender.example user%remote.example@example.com|554 5.7.1 <user%remote.example@example.com>: Relay access denied
EOF
)
ncases=$(grep -c . <<<"$cases")
echo "1..$((ncases + 4))"

"$PFC" newaliases --root "$root" -C /etc/postfix &&
    for table in virtual client_access recipient_access; do
        "$PFC" map --root "$root" "hash:/etc/postfix/$table" || exit 1
    done &&
    "$PFC" build --root "$root" -c /etc/postfix -o "$tmp/policy.pfi" ||
    { echo "Bail out! cannot build the configuration"; exit 1; }

cut -d'|' -f1 <<<"$cases" >"$tmp/envelopes"
cut -d'|' -f2 <<<"$cases" >"$tmp/expected"
"$PFC" trace "$tmp/policy.pfi" --envelopes <"$tmp/envelopes" >"$tmp/batch" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && cmp -s "$tmp/batch" "$tmp/expected" && [ ! -s "$tmp/err" ]; then
    pass "--envelopes: $ncases replies as Postfix gives them"
else
    fail "--envelopes: exit $rc, replies differ from Postfix's"
    diff "$tmp/expected" "$tmp/batch" | sed 's/^/# /'
    sed 's/^/# stderr: /' "$tmp/err"
fi

# With --explain every probe is traced and nothing kept from one question
# to the next: the replies are the same.
"$PFC" trace "$tmp/policy.pfi" --envelopes --explain <"$tmp/envelopes" 2>"$tmp/err" |
    grep -v -e '^> ' -e '^#' >"$tmp/explained"
if cmp -s "$tmp/explained" "$tmp/expected"; then
    pass "--envelopes --explain: the same replies"
else
    fail "--envelopes --explain: replies differ"
    diff "$tmp/expected" "$tmp/explained" | sed 's/^/# /'
fi

# A passwd name asked again in one run is answered from the run's memo of
# the account database (pfc(1): accounts are looked up once per run): the
# memo changes what a repeat costs, never what it gets. Each envelope gets
# the reply, and the passwd probes, that it gets alone in a run of its
# own; root is in every passwd file, the other name in none.
cat >"$tmp/repeats" <<'EOF'
10.9.9.9 h.example s@sender.example root@example.com
10.9.9.9 h.example s@sender.example no-such-user-pfc@example.com
192.168.1.11,pc.lan pc.lan t@sender.example Root@Example.COM
10.9.9.9 h.example s@sender.example no-such-user-pfc@example.com
10.9.9.9 h.example t@sender.example root@example.com
EOF
: >"$tmp/alone"
: >"$tmp/alone.explained"
while read -r envelope; do
    "$PFC" trace "$tmp/policy.pfi" --envelopes <<<"$envelope" >>"$tmp/alone" 2>&1
    "$PFC" trace "$tmp/policy.pfi" --envelopes --explain <<<"$envelope" >>"$tmp/alone.explained" 2>&1
done <"$tmp/repeats"
"$PFC" trace "$tmp/policy.pfi" --envelopes <"$tmp/repeats" >"$tmp/together" 2>&1
"$PFC" trace "$tmp/policy.pfi" --envelopes --explain <"$tmp/repeats" >"$tmp/together.explained" 2>&1
if cmp -s "$tmp/alone" "$tmp/together" &&
    [ "$(grep -c '^250 2\.1\.5 Ok$' "$tmp/together")" = 3 ] &&
    [ "$(grep -c '^550 5\.1\.1 .*User unknown in local recipient table$' "$tmp/together")" = 2 ]; then
    pass "--envelopes: a repeated local recipient gets the reply it gets alone"
else
    fail "--envelopes: a repeated local recipient's replies differ from those it gets alone"
    diff "$tmp/alone" "$tmp/together" | sed 's/^/# /'
fi
if cmp -s "$tmp/alone.explained" "$tmp/together.explained" &&
    [ "$(grep -c 'passwd\.byname root: hit "root:' "$tmp/together.explained")" = 3 ] &&
    [ "$(grep -c 'passwd\.byname no-such-user-pfc: miss' "$tmp/together.explained")" = 2 ]; then
    pass "--envelopes --explain: a repeat's passwd probes answer as the first's"
else
    fail "--envelopes --explain: a repeat's passwd probes differ from those it gets alone"
    diff "$tmp/alone.explained" "$tmp/together.explained" | sed 's/^/# /'
fi

# Each envelope as a traced session: the RCPT reply follows MAIL's "250 2.1.0 Ok".
i=0
while IFS='|' read -r envelope want; do
    i=$((i + 1))
    read -r client helo sender rcpt <<<"$envelope"
    [ "$sender" = "<>" ] && sender=""
    got=$("$PFC" trace "$tmp/policy.pfi" --client "$client" --helo "$helo" --from "$sender" \
        --to "$rcpt" 2>/dev/null | tr -d '\r' |
        awk 'mail { print; exit } /^250 2\.1\.0 / { mail = 1 }')
    if [ "$got" = "$want" ]; then
        pass "session $i ($rcpt from $client): the reply --envelopes gives"
    else
        fail "session $i ($rcpt from $client): \"$got\", want \"$want\""
    fi
done <<<"$cases"

exit $failed
