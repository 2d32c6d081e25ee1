#!/bin/bash
# tests/e2e/pfcd-local.sh - pfcd's local delivery end to end (TAP): pfcd
# started as root under a scratch --root on a loopback port, with the
# example configuration (examples/local-only) and Unix users this test
# creates; swaks sends the howto's message (EHLO, MAIL, RCPT, DATA) and
# the queue manager hands it to local(8)'s code: the spool mbox in
# mail_spool_directory, a Maildir (home_mailbox = Maildir/ on a local
# service of its own), an alias to two users, an unknown user bounced
# with a DSN to the sender, which lands in the sender's own mailbox; a
# .forward to another user, queued as a new message and delivered.
# s-nail and Python's mailbox module read what was delivered. Last, the
# howto's own test: its session typed into telnet(1), read with mail(1).
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
need_root "pfcd binds, creates users, delivers as them"
need swaks "swaks not installed (scripts/install-deps)"
need useradd "useradd not found"
need s-nail "s-nail not found (Debian: s-nail)"
need_pfcd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-local.XXXXXX") || exit 1
chmod 755 "$tmp"
p=pl$$
p=${p:0:20}
owner=${p}o mbox=${p}m md=${p}d
users=("$owner" "$mbox" "$md")
master=
cleanup() {
    [ -n "$master" ] && kill -TERM "$master" 2>/dev/null && wait "$master" 2>/dev/null
    for u in "${users[@]}"; do userdel "$u" >/dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup EXIT
root=$tmp/root
add_owner "$owner"
for u in "$mbox" "$md"; do
    add_user "$u"
done

plan 16

port=$(free_port)
example_root "$port"
echo "localmd   unix  -       n       n       -       -       local -o home_mailbox=Maildir/" \
    >>"$root/etc/postfix/master.cf"
cat >>"$root/etc/postfix/main.cf" <<EOF
mail_owner = $owner
transport_maps = inline:{ { $md@localhost = localmd: } }
# Unknown users are accepted and bounced by local(8), not refused at RCPT.
local_recipient_maps =
EOF
printf 'team:\t%s, %s\n' "$mbox" "$md" >>"$root/etc/postfix/aliases"
build_image newaliases
log=$tmp/maillog
spool=$root/var/mail
maildir=$root/home/$md/Maildir

"$PFCD" -f --root "$root" --log="$log" "$tmp/p.pfi" 2>"$tmp/pfcd.err" &
master=$!
for i in $(seq 100); do
    "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
    sleep 0.1
done
wait_for "$log" "daemon started"
check "pfcd starts on 127.0.0.1:$port with the example configuration" $? "$(cat "$tmp/pfcd.err")"

# send FROM TO SUBJECT: the howto's session (EHLO, MAIL, RCPT, DATA); prints the queue id
send() {
    swaks --server 127.0.0.1 --port "$port" --helo client.example --from "$1" --to "$2" \
        --header "Subject: $3" --body "This is a test of $3." >"$tmp/swaks.out" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' "$tmp/swaks.out"
}

# 2-5: the spool mbox.
id=$(send "$mbox@localhost" "$mbox@localhost" "spool one")
wait_for "$log" "$id: removed"
grep -q "postfix/local\[[0-9]*\]: $id: to=<$mbox@localhost>, relay=local, delay=[0-9.]*, delays=[0-9./]*, dsn=2.0.0, status=sent (delivered to mailbox)" "$log"
check "the spool mbox: local(8)'s log line, the queue file removed" $? "$(grep "$id" "$log")"
[ "$(stat -c %U:%a "$spool/$mbox" 2>/dev/null)" = "$mbox:600" ] &&
    head -n 1 "$spool/$mbox" | grep -q "^From $mbox@localhost " &&
    grep -q "^Return-Path: <$mbox@localhost>$" "$spool/$mbox" &&
    grep -q "^X-Original-To: $mbox@localhost$" "$spool/$mbox" &&
    grep -q "^Delivered-To: $mbox@localhost$" "$spool/$mbox"
check "the mailbox is the user's (0600), with From , Return-Path, X-Original-To, Delivered-To" $? \
    "$(ls -l "$spool"; cat "$spool/$mbox" 2>/dev/null)"
got=$(s-nail -n -N -H -f "$spool/$mbox" 2>"$tmp/snail.err")
[ ! -s "$tmp/snail.err" ] && [ "$(wc -l <<<"$got")" = 1 ] && grep -q "spool one" <<<"$got"
check "s-nail -f reads the spool mbox" $? "$got $(cat "$tmp/snail.err")"
"$PYTHON" - "$spool/$mbox" >"$tmp/py.out" 2>&1 <<'PY'
import mailbox, sys
msgs = list(mailbox.mbox(sys.argv[1]))
assert len(msgs) == 1, len(msgs)
assert msgs[0]['Subject'] == 'spool one', msgs[0]['Subject']
assert 'This is a test of spool one.' in msgs[0].get_payload()
PY
check "Python's mailbox.mbox reads it" $? "$(cat "$tmp/py.out")"

# 6-8: a Maildir user (home_mailbox = Maildir/ on the localmd service).
id=$(send "$mbox@localhost" "$md@localhost" "maildir one")
wait_for "$log" "$id: removed"
grep -q "postfix/local\[[0-9]*\]: $id: to=<$md@localhost>, relay=localmd, .*dsn=2.0.0, status=sent (delivered to maildir)" "$log"
check "the Maildir: local(8)'s log line, relay=localmd" $? "$(grep "$id" "$log")"
f=$(ls "$maildir/new" 2>/dev/null | head -n 1)
[ -n "$f" ] && [ "$(stat -c %U "$maildir/new/$f")" = "$md" ] && [ -z "$(ls "$maildir/tmp")" ]
check "the message is in Maildir/new, owned by the user, tmp/ empty" $? "$(ls -lR "$maildir" 2>&1)"
"$PYTHON" - "$maildir" >"$tmp/py.out" 2>&1 <<'PY'
import mailbox, sys
msgs = list(mailbox.Maildir(sys.argv[1], create=False))
assert len(msgs) == 1 and msgs[0]['Subject'] == 'maildir one', [m['Subject'] for m in msgs]
PY
got=$(s-nail -n -N -H -f "maildir://$maildir" 2>&1)
[ ! -s "$tmp/py.out" ] && grep -q "maildir one" <<<"$got"
check "Python's mailbox.Maildir and s-nail read the Maildir" $? "$(cat "$tmp/py.out") $got"

# 9-10: an alias to two users: one log line each (qualified with myorigin), both mailboxes.
id=$(send "$mbox@localhost" "team@localhost" "alias two")
wait_for "$log" "$id: removed"
grep -q "postfix/local\[[0-9]*\]: $id: to=<$mbox@host.example.com>, orig_to=<team@localhost>, relay=local, .*status=sent (delivered to mailbox)" "$log" &&
    grep -q "postfix/local\[[0-9]*\]: $id: to=<$md@host.example.com>, orig_to=<team@localhost>, relay=local, .*status=sent (delivered to " "$log"
check "an alias to two users: a log line for each" $? "$(grep "$id" "$log")"
grep -q "^Subject: alias two$" "$spool/$mbox" && grep -q "^Subject: alias two$" "$root/home/$md"/Maildir/new/* "$spool/$md" 2>/dev/null
check "an alias to two users: both mailboxes have it" $? "$(grep -c '^Subject' "$spool/$mbox")"

# 11-12: an unknown user: bounced, the DSN delivered to the sender's mailbox.
id=$(send "$mbox@localhost" "ghost$$@localhost" "to nobody")
wait_for "$log" "$id: removed" && wait_for "$log" "sender non-delivery notification"
grep -q "postfix/local\[[0-9]*\]: $id: to=<ghost$$@localhost>, relay=local, .*dsn=5.1.1, status=bounced (unknown user: \"ghost$$\")" "$log"
check "an unknown user: bounced with local(8)'s words" $? "$(grep "$id" "$log")"
nid=$(sed -n "s/.*$id: sender non-delivery notification: \([0-9A-F]*\).*/\1/p" "$log")
wait_for "$log" "$nid: to=<$mbox@localhost>, relay=local.*status=sent" &&
    "$PYTHON" - "$spool/$mbox" "ghost$$@localhost" >"$tmp/py.out" 2>&1 <<'PY'
import mailbox, sys
dsn = [m for m in mailbox.mbox(sys.argv[1]) if m['Subject'] == 'Undelivered Mail Returned to Sender']
assert len(dsn) == 1, len(dsn)
m = dsn[0]
assert m.get_content_type() == 'multipart/report', m.get_content_type()
assert m.get_param('report-type') == 'delivery-status'
status = m.get_payload()[1]
assert status.get_content_type() == 'message/delivery-status'
fields = {k: v for part in status.get_payload() for k, v in part.items()}
assert fields['Final-Recipient'] == 'rfc822; ' + sys.argv[2], fields
assert fields['Action'] == 'failed' and fields['Status'] == '5.1.1', fields
assert m.get_payload()[2].get_content_type() == 'message/rfc822'
PY
check "the DSN (multipart/report, 5.1.1, the message attached) is in the sender's mailbox" $? \
    "$nid: $(cat "$tmp/py.out") $(grep "$nid" "$log")"

# 13-14: a .forward to another user: forwarded as a new queued message, delivered in turn.
echo "$mbox@localhost" >"$root/home/$md/.forward" && chown "$md:" "$root/home/$md/.forward"
id=$(send "$mbox@localhost" "$md@localhost" "forwarded one")
wait_for "$log" "$id: removed"
fid=$(sed -n "s/.*postfix\/local\[[0-9]*\]: $id: to=<$md@localhost>, relay=localmd, .*dsn=2.0.0, status=sent (forwarded as \([0-9A-F]*\))$/\1/p" "$log")
[ -n "$fid" ]
check "a .forward to another user: forwarded as a new message" $? "$(grep "$id" "$log")"
wait_for "$log" "$fid: to=<$mbox@localhost>, orig_to=<$md@localhost>, relay=local, .*status=sent (delivered to mailbox)" &&
    grep -q "^Subject: forwarded one$" "$spool/$mbox"
check "the forwarded message is queued and delivered to the mailbox" $? "$(grep "$fid" "$log")"

# 15-16: the howto's own test: its session typed into telnet(1), a line
# after each reply (telnet sends CR LF), and the message read with mail(1).
if command -v telnet >/dev/null 2>&1; then
    {
        sleep 1
        for line in "EHLO client.example" "MAIL FROM:<$mbox@localhost>" "RCPT TO:<$mbox@localhost>" \
            DATA "Subject: howto telnet" "" "Hello from telnet." . QUIT; do
            printf '%s\n' "$line"
            sleep 0.2
        done
        sleep 1
    } | timeout 20 telnet 127.0.0.1 "$port" >"$tmp/telnet.out" 2>&1
    id=$(sed -n 's/^250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' "$tmp/telnet.out" | tr -d '\r')
    grep -q "^220 host.example.com ESMTP" "$tmp/telnet.out" && grep -q "^354 End data with <CR><LF>.<CR><LF>" "$tmp/telnet.out" &&
        grep -q "^221 2.0.0 Bye" "$tmp/telnet.out" && [ -n "$id" ] && wait_for "$log" "$id: removed"
    check "the howto's telnet session: 220, 354, queued, 221, delivered" $? "$(cat "$tmp/telnet.out")"
    got=$(printf 'p $\nx\n' | MAIL=/dev/null HOME=$tmp timeout 10 mail -N -f "$spool/$mbox" 2>&1)
    grep -q "^Subject: howto telnet" <<<"$got" && grep -q "^Hello from telnet." <<<"$got"
    check "mail(1) reads the howto's message" $? "$got"
else
    check "the howto's telnet session # SKIP telnet not installed" 0 ""
    check "mail(1) reads the howto's message # SKIP telnet not installed" 0 ""
fi

kill -TERM "$master"
wait "$master"
master=
