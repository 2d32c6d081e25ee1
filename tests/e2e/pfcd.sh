#!/bin/bash
# tests/e2e/pfcd.sh - pfcd with real parts (TAP): started as root under a
# scratch --root on a loopback port, mail_owner a Unix user this test
# creates, mail sent with swaks and Python's smtplib; the replies, the
# queue files (pfc-queue(5)) and the log are checked; SIGHUP with a bad
# and a good image; SIGTERM; kill -9 in the middle of a flow of messages
# and a restart: every message that got a 250 is delivered (here: to the
# discard transport, whose log line names it) and none twice-lost.
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
need_root "pfcd binds, creates users, drops privileges"
need swaks "swaks not installed (scripts/install-deps)"
need useradd "useradd not found"
need_pfcd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-e2e.XXXXXX") || exit 1
chmod 755 "$tmp"
owner=pfcde2e$$
owner=${owner:0:31}
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    # The children of a killed master: found by their parent's id.
    userdel "$owner" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
add_owner "$owner"

plan 23

port=$(free_port)
root=$tmp/root
example_root "$port"
cat >>"$root/etc/postfix/main.cf" <<EOF
mail_owner = $owner
transport_maps = inline:{ { disc.test = discard:custom discard text }, { defer.test = smtp:[127.0.0.1]:1 } }
relay_domains = disc.test, defer.test
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
build() { "$PFC" build --root "$root" -c /etc/postfix -o "$1" >"$tmp/build.out" 2>&1; }
build "$tmp/p.pfi" || { echo "Bail out! pfc build: $(cat "$tmp/build.out")"; exit 1; }
q=$root/var/spool/postfix
log=$tmp/maillog

start() {		# start [OPTION...]: pfcd on $image (default p.pfi), logging to $log
    "$PFCD" -f --root "$root" --log="$log" "$@" "${image:-$tmp/p.pfi}" 2>"$tmp/pfcd.err" &
    pids+=($!)
    master=$!
    local i
    for i in $(seq 100); do
        "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
children() { ps -o pid= --ppid "$1" | tr -d ' '; }
# snapshot ID: the queue file ID wherever it is now (the queue manager
# moves files between incoming/, active/ and deferred/ meanwhile).
snapshot() {
    local i f
    for i in $(seq 50); do
        f=$(find "$q" -name "$1" -type f 2>/dev/null | head -n 1)
        [ -n "$f" ] && cat "$f" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# 1-2: a bad image is refused with pfc verify's message, exit 1.
printf 'not an image' >"$tmp/bad.pfi"
"$PFCD" -f --root "$root" "$tmp/bad.pfi" >"$tmp/out" 2>&1
rc=$?
verify=$("$PFC" verify "$tmp/bad.pfi" 2>&1 | sed 's/^pfc: //')
[ $rc = 1 ] && grep -qF -- "pfcd: $verify" "$tmp/out"
check "bad image: pfc verify's message, exit 1" $? "rc=$rc: $(cat "$tmp/out") / verify: $verify"

sed "s/^mail_owner = .*/mail_owner = nosuchuser$$/" "$root/etc/postfix/main.cf" >"$tmp/main.cf.nouser"
mkdir -p "$tmp/nouser/etc/postfix" && cp -R "$root/etc/postfix/." "$tmp/nouser/etc/postfix/" &&
    cp "$tmp/main.cf.nouser" "$tmp/nouser/etc/postfix/main.cf"
"$PFC" build --root "$tmp/nouser" -c /etc/postfix -o "$tmp/nouser.pfi" >/dev/null 2>&1
"$PFCD" -f --root "$tmp/nouser" "$tmp/nouser.pfi" >"$tmp/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "mail_owner account \"nosuchuser$$\" does not exist: create it with \"useradd" "$tmp/out"
check "missing mail_owner: a start-up error that says how to create it" $? "rc=$rc: $(cat "$tmp/out")"

# 3: start; the SMTP side runs as mail_owner, the queue exists.
start
check "pfcd starts and listens on 127.0.0.1:$port" $? "$(cat "$tmp/pfcd.err")"
users=$(for c in $(children "$master"); do ps -o user= -p "$c"; done | sort | tr '\n' ' ')
[[ " $users " == *" $owner "* ]] && [ -d "$q/incoming" ] && [ "$(stat -c %U "$q/incoming")" = "$owner" ]
check "the SMTP process runs as mail_owner ($owner); incoming/ is its" $? "users: $users"

# 4-6: swaks: a message to a local user is queued, fsynced, with cleanup's headers.
swaks --server 127.0.0.1 --port "$port" --helo client.example --from alice@defer.test \
    --to held@defer.test --header 'Subject: e2e swaks' --body 'hello from swaks' \
    >"$tmp/swaks.out" 2>&1
id=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' "$tmp/swaks.out")
[ -n "$id" ]
check "swaks: 250 2.0.0 Ok: queued as ID" $? "$(tail -n 12 "$tmp/swaks.out")"
wait_for "$log" "$id: to=<held@defer.test>"
f=$(find "$q" -name "$id" -type f)
# The queue file, read as pfc-queue(5) says.
"$PYTHON" - "$f" >"$tmp/qf" 2>&1 <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read()
pos, recs = 0, []
while pos < len(data):
    t = chr(data[pos]); colon = data.index(b':', pos)
    n = int(data[pos + 1:colon]); recs.append((t, data[colon + 1:colon + 1 + n]))
    assert data[colon + 1 + n] == 10
    pos = colon + 2 + n
for t, d in recs:
    if t == 'M':
        print('M'); sys.stdout.write(d.decode())
    else:
        print(t, d.decode())
EOF
grep -q '^S alice@defer.test$' "$tmp/qf" && grep -q '^R held@defer.test$' "$tmp/qf" &&
    grep -q '^E $' "$tmp/qf" && [ "$(stat -c %a "$f")" = 700 ] &&
    grep -q "^Received: from client.example (localhost \[127.0.0.1\])$" "$tmp/qf" &&
    grep -qP "^\tby host.example.com \(Postfix\) with ESMTP id $id$" "$tmp/qf" &&
    grep -qP "^\tfor <held@defer.test>; \w{3}, [ 0-9]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)$" "$tmp/qf" &&
    grep -q "^Message-Id: <[0-9.]*@" "$tmp/qf" && ! grep -q "^Message-Id: .*$id" "$tmp/qf" &&
    grep -q "^Subject: e2e swaks$" "$tmp/qf"
check "the queue file: envelope, 0700, Received as smtpd writes it, swaks's Message-Id kept" $? "$f: $(cat "$tmp/qf")"
grep -q "postfix/smtpd\[[0-9]*\]: $id: client=localhost\[127.0.0.1\]" "$log" &&
    grep -q "postfix/cleanup\[[0-9]*\]: $id: message-id=<" "$log" &&
    grep -q "postfix/qmgr\[[0-9]*\]: $id: from=<alice@defer.test>, size=[0-9]*, nrcpt=1 (queue active)" "$log" &&
    grep -q "disconnect from localhost\[127.0.0.1\] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5" "$log"
check "log lines in Postfix's shape (client=, message-id=, from= size= nrcpt=, disconnect)" $? "$(cat "$log")"

# 7-8: smtplib: replies of the engine, the discard transport end to end.
"$PYTHON" - "$port" >"$tmp/py.out" 2>&1 <<'EOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
print(s.ehlo('py.example')[0])
print(s.mail('bob@host.example.com'))
print(s.rcpt('x@example.org'))
print(s.rcpt('y@disc.test'))
print(s.data(b'Subject: py\r\n\r\nbody\r\n'))
print(s.sendmail('bob@host.example.com', ['held@defer.test'], b'Subject: bare\r\n\r\nbody\r\n'))
print(s.mail('big@host.example.com', ['SIZE=99999999']))
s.quit()
EOF
grep -q "(550, b'5.1.1 <x@example.org>: Recipient address rejected: outgoing mail disabled')" "$tmp/py.out" &&
    grep -q "(250, b'2.0.0 Ok: queued as" "$tmp/py.out"
check "smtplib: the error transport refused at RCPT, the rest queued" $? "$(cat "$tmp/py.out")"
# smtpd's reject lines (smtpd_check.c's log_whatsup), as SPEC-runtime 5 shows them.
grep -qF ": NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 550 5.1.1 <x@example.org>: Recipient address rejected: outgoing mail disabled; from=<bob@host.example.com> to=<x@example.org> proto=ESMTP helo=<py.example>" "$log" &&
    grep -qF ": NOQUEUE: reject: MAIL from localhost[127.0.0.1]: 552 5.3.4 Message size exceeds fixed limit; from=<big@host.example.com> proto=ESMTP helo=<py.example>" "$log"
check "reject log lines: NOQUEUE: reject: RCPT/MAIL from ... as smtpd logs them" $? "$(grep -i reject "$log")"
# The SMTP process writes its log lines once a pass of its loop: those of
# what a client sent are in the file when the client has the reply.
"$PYTHON" - "$port" "$log" >"$tmp/held.out" 2>&1 <<'EOF'
import smtplib, sys
port, log = int(sys.argv[1]), sys.argv[2]
def lines(text):
    with open(log) as f:
        return f.read().count(text)
connects = lines('connect from localhost[127.0.0.1]')
s = smtplib.SMTP('127.0.0.1', port)
if lines('connect from localhost[127.0.0.1]') != connects + 1:
    print('no connect line after the greeting')
s.ehlo('held.example')
s.mail('held@host.example.com')
s.rcpt('x@example.org')
if lines('from=<held@host.example.com> to=<x@example.org> proto=ESMTP helo=<held.example>') != 1:
    print('no reject line after the 550')
s.rcpt('y@disc.test')
code, text = s.data(b'Subject: held\r\n\r\nbody\r\n')
qid = text.decode().split()[-1]
if lines(qid + ': client=localhost[127.0.0.1]') != 1 or lines(qid + ': message-id=<') != 1:
    print('no client= or message-id= line after', code, text)
s.quit()
print('done')
EOF
[ "$(cat "$tmp/held.out")" = done ]
check "each log line is in the file by the time the client has its reply" $? "$(cat "$tmp/held.out")"
pid2=$(sed -n "s/.*queued as \([0-9A-F]*\).*/\1/p" "$tmp/py.out")
for i in $(seq 50); do
    bf=$(grep -rl "^Subject: bare$" "$q" 2>/dev/null | head -n 1)
    [ -n "$bf" ] && break
    sleep 0.1
done
bare=$(basename "${bf:-none}")
snapshot "$bare" >"$tmp/bare.qf"
bf=$tmp/bare.qf
grep -q "^Subject: bare$" "$bf" && grep -q "^Message-Id: <[0-9]\{14\}\.$bare@host.example.com>$" "$bf" &&
    grep -qP "^Date: \w{3}, [ 0-9]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)$" "$bf" &&
    grep -q "^From: bob@host.example.com$" "$bf" &&
    [ "$(grep -n '^Subject: bare$' "$bf" | cut -d: -f1)" -lt "$(grep -n '^Message-Id:' "$bf" | cut -d: -f1)" ]
check "a trusted client's message gets Message-Id, Date, From after its headers" $? "$bare: $(cat "$bf" 2>/dev/null)"
wait_for "$log" "$pid2: removed"
grep -q "postfix/discard\[[0-9]*\]: $pid2: to=<y@disc.test>, relay=none, delay=[0-9.]*, delays=[0-9./]*, dsn=2.0.0, status=sent (custom discard text)" "$log" &&
    ! find "$q" -name "$pid2" | grep -q .
check "discard: logged as discard(8) does, the file removed" $? "$(grep "$pid2" "$log")"

# 9: a deferred recipient (smtp to a closed loopback port) expires and is returned to its
# sender, whose address defers too, so the bounce stays in the queue to be read.
sed -i 's/^maximal_queue_lifetime.*//' "$root/etc/postfix/main.cf"
echo "maximal_queue_lifetime = 2s" >>"$root/etc/postfix/main.cf"
# Images are replaced by rename, never rewritten in place: pfcd maps them (pfcd(8)).
build "$tmp/p2.pfi" && cp "$tmp/p2.pfi" "$tmp/p.pfi.new" && mv "$tmp/p.pfi.new" "$tmp/p.pfi"
kill -HUP "$master"
wait_for "$log" "reload -- image"
check "SIGHUP: a good image is taken" $? "$(tail -n 5 "$log")"
# qmgr's one line for the message, as Postfix's logs it (not one per recipient).
wait_for "$log" "$id: from=<alice@defer.test>, status=expired, returned to sender$" &&
    wait_for "$log" "$id: sender non-delivery notification: " && wait_for "$log" "$id: removed"
check "maximal_queue_lifetime: expired, returned to sender, removed" $? "$(grep "$id" "$log")"
nid=$(sed -n "s/.*$id: sender non-delivery notification: \([0-9A-F]*\).*/\1/p" "$log")
snapshot "$nid" >"$tmp/bounce.qf"
nf=$tmp/bounce.qf
grep -q "^Subject: Undelivered Mail Returned to Sender$" "$nf" 2>/dev/null &&
    grep -q "^Content-Type: multipart/report; report-type=delivery-status;$" "$nf" &&
    grep -q "^Final-Recipient: rfc822; held@defer.test$" "$nf" &&
    grep -q "^Action: failed$" "$nf" && grep -q "S0:" "$nf"
check "the bounce: a multipart/report from the null sender" $? "$nid: $(cat "$nf" 2>/dev/null | head -40)"

# 11: a bad image on SIGHUP is refused; the old one keeps serving.
printf 'garbage' >"$tmp/p.pfi.new" && mv "$tmp/p.pfi.new" "$tmp/p.pfi"
kill -HUP "$master"
wait_for "$log" "reload refused, the old image keeps serving" &&
    swaks --server 127.0.0.1 --port "$port" --from a@host.example.com --to y@disc.test \
        --body x >"$tmp/swaks2.out" 2>&1 && grep -q "250 2.0.0 Ok: queued as" "$tmp/swaks2.out"
check "SIGHUP: a bad image is refused with a log line, the old one serves" $? "$(tail -n 3 "$log")"
cp "$tmp/p2.pfi" "$tmp/p.pfi.new" && mv "$tmp/p.pfi.new" "$tmp/p.pfi"

# 12: SIGTERM: stop accepting, exit 0.
kill -TERM "$master"
wait "$master"
rc=$?
! "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null
check "SIGTERM: pfcd exits 0 and stops listening" $(( rc != 0 || $? != 0 )) "rc=$rc"

# 13-16: kill -9 while 300 messages flow; restart; every 250 is delivered.
start
"$PYTHON" - "$port" "$tmp/acked" >"$tmp/flow.out" 2>&1 <<'EOF' &
import smtplib, sys, socket
port, out = int(sys.argv[1]), open(sys.argv[2], 'w', buffering=1)
for i in range(300):
    try:
        s = smtplib.SMTP('127.0.0.1', port, timeout=5)
        s.mail('a@host.example.com'); s.rcpt('k%d@disc.test' % i)
        code, text = s.data(b'Subject: flow %d\r\n\r\nx\r\n' % i)
        if code == 250:
            out.write('%d %s\n' % (i, text.decode().split()[-1]))
        s.quit()
    except (OSError, smtplib.SMTPException):
        pass
EOF
flow=$!
for i in $(seq 100); do [ "$(cat "$tmp/acked" 2>/dev/null | wc -l)" -ge 30 ] && break; sleep 0.1; done
kids=$(children "$master")
kill -9 "$master" $kids 2>/dev/null
wait "$master" 2>/dev/null
sleep 0.5
acked_before=$(wc -l <"$tmp/acked")
[ "$acked_before" -gt 0 ]
check "messages were acknowledged before kill -9 ($acked_before)" $? "$(cat "$tmp/flow.out")"
start
check "pfcd restarts after kill -9" $? "$(cat "$tmp/pfcd.err")"
wait "$flow" 2>/dev/null
lost=""
for i in $(seq 100); do
    lost=""
    while read -r i qid; do
        grep -q "$qid: to=<k$i@disc.test>, relay=none.*status=sent" "$log" || lost="$lost $qid"
    done <"$tmp/acked"
    [ -z "$lost" ] && break
    sleep 0.2
done
[ -z "$lost" ]
r=$?	# before the label's $(...), which would set $? itself
check "every acknowledged message is delivered after the crash ($(wc -l <"$tmp/acked") acked)" $r "lost:$lost"
! find "$q/corrupt" -type f | grep -q .
check "no queue file was damaged (corrupt/ is empty)" $? "$(ls "$q/corrupt")"
kill -TERM "$master"
wait "$master"

# 21-22: --log-format=json: each line one object with the image's content
# id; a rejection names the restriction that decided and the file:line it
# is written at.
echo "smtpd_recipient_restrictions = check_recipient_access inline:{ { nobody@disc.test = REJECT no such user here } }, permit_mynetworks, reject_unauth_destination" \
    >>"$root/etc/postfix/main.cf"
rline=$(grep -n '^smtpd_recipient_restrictions' "$root/etc/postfix/main.cf" | tail -n 1 | cut -d: -f1)
build "$tmp/p3.pfi"
log=$tmp/json.log image=$tmp/p3.pfi start --log-format=json
swaks --server 127.0.0.1 --port "$port" --from a@host.example.com --to nobody@disc.test \
    --body x >"$tmp/swaks3.out" 2>&1
grep -q "<** 554 5.7.1 <nobody@disc.test>: Recipient address rejected: no such user here" "$tmp/swaks3.out"
check "json log: the rejection is made as configured" $? "$(cat "$tmp/swaks3.out")"
wait_for "$tmp/json.log" "NOQUEUE: reject: RCPT"
"$PYTHON" - "$tmp/json.log" "$rline" <<'PYEOF'
import json, re, sys
path, line = sys.argv[1], int(sys.argv[2])
objs = [json.loads(l) for l in open(path, encoding='utf-8')]
# Every line names the image serving: the content id the start line gives.
start = [o for o in objs if o['text'].startswith('daemon started -- ')]
assert len(start) == 1, 'start lines: %r' % start
cid = re.search(r'content id ([0-9a-f]{16})', start[0]['text']).group(1)
assert all(re.fullmatch('[0-9a-f]{16,}', o['image']) and o['image'].startswith(cid)
           for o in objs), 'image content id missing or wrong'
rej = [o for o in objs if o['text'].startswith('NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 554 5.7.1')]
assert len(rej) == 1, 'reject lines: %r' % rej
r = rej[0]
assert r['program'] == 'postfix/smtpd', r
assert r['restriction'] == 'check_recipient_access', r
assert r['argument'].startswith('inline:{'), r
assert (r['file'], r['line']) == ('main.cf', line), r
PYEOF
check "json log: one object a line, the image's content id, the deciding restriction and its main.cf line" $? \
    "$(cat "$tmp/json.log")"
kill -TERM "$master"
wait "$master"
