#!/bin/bash
# tests/e2e/pfcd-crash.sh - crash consistency (TAP, issue 14 point 9):
# pfcd runs as root under a scratch --root on a loopback port, in a
# process group of its own, delivering to the Maildirs of two Unix users
# this test creates (home_mailbox = Maildir/). Python's smtplib sends
# MESSAGES messages over parallel sessions (every tenth to both users)
# while the whole process tree - master, SMTP side, queue manager,
# delivery processes and their children - is killed with SIGKILL at
# random moments and started again. Then: every message that got a 250
# is in the Maildir of each of its recipients (at least once), and every
# file in new/ is whole (its body matches the checksum its sender put in
# a header); no queue file was set aside as damaged; SIGTERM ends pfcd
# with exit 0.
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
MESSAGES=${MESSAGES:-2000}
need_root "pfcd binds, creates users, delivers as them"
need useradd "useradd not found"
need setsid "setsid not found"
need_pfcd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-crash.XXXXXX") || exit 1
chmod 755 "$tmp"
p=pk$$
p=${p:0:20}
owner=${p}o u1=${p}a u2=${p}b
users=("$owner" "$u1" "$u2")
master=
client=
# stop_group: SIGKILL to pfcd's process group (all of it, as a crash leaves it)
stop_group() {
    [ -n "$master" ] || return 0
    kill -9 -- "-$master" 2>/dev/null
    wait "$master" 2>/dev/null
    local i
    for i in $(seq 50); do kill -0 -- "-$master" 2>/dev/null || break; sleep 0.1; done
    master=
}
cleanup() {
    [ -n "$client" ] && kill "$client" 2>/dev/null && wait "$client" 2>/dev/null
    stop_group
    for u in "${users[@]}"; do userdel "$u" >/dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup EXIT
root=$tmp/root
add_owner "$owner"
for u in "$u1" "$u2"; do
    add_user "$u"
done

plan 6

port=$(free_port)
example_root "$port"
cat >>"$root/etc/postfix/main.cf" <<EOF
mail_owner = $owner
home_mailbox = Maildir/
EOF
build_image
q=$root/var/spool/postfix
log=$tmp/maillog

# start: pfcd in a process group of its own (setsid: its pid is the group's id)
start() {
    setsid "$PFCD" -f --root "$root" --log="$log" "$tmp/p.pfi" 2>>"$tmp/pfcd.err" &
    master=$!
    local i
    for i in $(seq 100); do
        "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

start || { echo "Bail out! pfcd did not start: $(cat "$tmp/pfcd.err")"; exit 1; }

# The client: each message's number, recipients and queue id in acked
# when it got its 250; a session that fails is tried again (the message
# may then arrive twice: at least once is the promise).
"$PYTHON" - "$port" "$MESSAGES" "$u1" "$u2" "$tmp/acked" "$tmp/client.done" >"$tmp/client.out" 2>&1 <<'EOF' &
import hashlib, smtplib, sys, threading, time
port, total, u1, u2, acked, done = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
out = open(acked, 'w', buffering=1)
lock = threading.Lock()
def message(i):
    body = ''.join('line %d of message %d: %s\n' % (k, i, 'x' * (i % 61)) for k in range(1 + i % 37))
    sha = hashlib.sha256(body.encode()).hexdigest()
    text = ('Subject: crash %d\nMessage-Id: <crash%d@client.example>\nX-Check: %s\n\n%s'
            % (i, i, sha, body))
    return text.replace('\n', '\r\n').encode()
def rcpts(i):
    return [u1 + '@host.example.com', u2 + '@host.example.com'] if i % 10 == 0 \
        else [(u1 if i % 2 else u2) + '@host.example.com']
def worker(t, nthreads):
    for i in range(t, total, nthreads):
        for attempt in range(200):
            try:
                s = smtplib.SMTP('127.0.0.1', port, timeout=10)
                s.ehlo('client.example')
                s.mail('sender@client.example')
                for r in rcpts(i):
                    s.rcpt(r)
                code, text = s.data(message(i))
                try:
                    s.quit()
                except (OSError, smtplib.SMTPException):
                    pass
                if code == 250:
                    with lock:
                        out.write('%d %s %s\n' % (i, text.decode().split()[-1], ','.join(rcpts(i))))
                    break
            except (OSError, smtplib.SMTPException):
                pass
            time.sleep(0.05)
threads = [threading.Thread(target=worker, args=(t, 8)) for t in range(8)]
for th in threads: th.start()
for th in threads: th.join()
open(done, 'w').close()
EOF
client=$!

# The crashes: SIGKILL to the whole tree at random moments, and a restart,
# while the client sends (at least 6 of them; at most 60 s of it).
kills=0 restarts_ok=0
t_end=$((SECONDS + 60))
while [ ! -e "$tmp/client.done" ] && [ $SECONDS -lt $t_end ] || [ $kills -lt 6 ]; do
    sleep "$("$PYTHON" -c 'import random; print(random.uniform(0.2, 1.0))')"
    [ $kills -ge 6 ] && [ -e "$tmp/client.done" ] && break
    stop_group
    kills=$((kills + 1))
    start && restarts_ok=$((restarts_ok + 1))
done
for i in $(seq 600); do [ -e "$tmp/client.done" ] && break; sleep 0.1; done
acked=$(wc -l <"$tmp/acked")
[ -e "$tmp/client.done" ] && [ "$acked" -gt 0 ] && [ $restarts_ok = $kills ]
check "$MESSAGES messages sent through $kills kills -9 and restarts ($acked got a 250)" $? \
    "client: $(tail -n 5 "$tmp/client.out"); restarts $restarts_ok of $kills; $(tail -n 5 "$tmp/pfcd.err")"

# Every acknowledged message is delivered to each recipient (up to 60 s).
cat >"$tmp/verify.py" <<'EOF'
import hashlib, mailbox, os, sys
root, acked = sys.argv[1], sys.argv[2]
seen, bad = {}, []
for user in sys.argv[3:]:
    md = os.path.join(root, 'home', user, 'Maildir')
    if not os.path.isdir(os.path.join(md, 'new')):
        continue
    for name in os.listdir(os.path.join(md, 'new')):
        path = os.path.join(md, 'new', name)
        with open(path, 'rb') as f:
            raw = f.read()
        head, sep, body = raw.partition(b'\n\n')
        msg = mailbox.MaildirMessage(raw)
        subject, check = msg['Subject'] or '', msg['X-Check'] or ''
        if not sep or not subject.startswith('crash ') or hashlib.sha256(body).hexdigest() != check \
                or msg['Delivered-To'] != user + '@host.example.com':
            bad.append('%s/new/%s' % (user, name))
            continue
        key = (int(subject.split()[1]), user)
        seen[key] = seen.get(key, 0) + 1
missing = []
for line in open(acked):
    i, qid, rcpts = line.split()
    for r in rcpts.split(','):
        if (int(i), r.split('@')[0]) not in seen:
            missing.append('%s %s (%s)' % (i, r, qid))
dups = sum(c - 1 for c in seen.values())
print('missing %d bad %d duplicates %d delivered %d' % (len(missing), len(bad), dups, len(seen)))
for m in missing[:20]: print('missing: ' + m)
for b in bad[:20]: print('bad: ' + b)
sys.exit(1 if missing or bad else 0)
EOF
for i in $(seq 120); do
    "$PYTHON" "$tmp/verify.py" "$root" "$tmp/acked" "$u1" "$u2" >"$tmp/verify.out" 2>&1 && break
    sleep 0.5
done
"$PYTHON" "$tmp/verify.py" "$root" "$tmp/acked" "$u1" "$u2" >"$tmp/verify.out" 2>&1
r=$?
check "every message that got a 250 is in its recipients' Maildirs ($(head -n 1 "$tmp/verify.out"))" $r \
    "$(cat "$tmp/verify.out")"
! grep -q '^bad: ' "$tmp/verify.out"
check "no delivered file is corrupt (each body matches its X-Check)" $? "$(grep '^bad: ' "$tmp/verify.out")"
! find "$q/corrupt" -type f | grep -q .
check "no queue file was damaged (corrupt/ is empty)" $? "$(ls "$q/corrupt")"
# The queue drains: every acknowledged message is removed from it. (A
# file a crash left half-written, mode 0600, never was a message: it
# stays in incoming/, as it does in Postfix.)
left() { find "$q/incoming" -type f -perm -0100 2>/dev/null; find "$q/active" "$q/deferred" -type f 2>/dev/null; }
for i in $(seq 100); do
    [ -z "$(left)" ] && break
    sleep 0.2
done
[ -z "$(left)" ]
check "the queue is empty afterwards (nothing deferred, nothing left)" $? \
    "$(left | head; grep -m 5 'status=deferred' "$log")"
kill -TERM "$master"
wait "$master"
rc=$?
master=
check "SIGTERM: pfcd exits 0" $rc "rc=$rc; $(tail -n 5 "$tmp/pfcd.err")"
