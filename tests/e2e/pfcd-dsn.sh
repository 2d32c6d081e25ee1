#!/bin/bash
# tests/e2e/pfcd-dsn.sh - pfcd's delivery status notifications side by
# side with a private Postfix 3.7 (TAP). The same SMTP sessions (Python's
# smtplib, with the DSN parameters ENVID, RET, NOTIFY and ORCPT) go to
# pfcd and to Postfix on loopback ports, both with the same main.cf lines
# and aliases, both delivering locally to users this test creates: a
# sender, a recipient, and the postmaster (notify_classes = bounce,
# 2bounce, delay). Then the three mailboxes must be the same, message for
# message, byte for byte, with dates, queue ids, Message-Ids and the
# times in MIME boundaries masked, the recipients of a report sorted:
# the non-delivery reports (RET=FULL and
# RET=HDRS, ENVID, ORCPT; one report for every address that bounced, the
# message's own recipients and those its aliases expanded to),
# NOTIFY=NEVER (no report to the sender; the postmaster's copy still
# goes), ORCPT=utf-8 (RFC 6533, \x{HEX} and raw UTF-8), NOTIFY=SUCCESS
# (a success report for a mailbox delivery; one
# report for a message whose recipients, a mailbox and an alias, all
# asked for one: the message's trace log), the
# bounce of a bounce (MAIL FROM:<> to an unknown user: to the postmaster,
# from double-bounce), and the delay warning of a deferred message
# (delay_warning_time = 1s) with its postmaster copy; smtpd's transcript
# of a session with protocol and policy errors; a bounce that
# expires at its first deferral (bounce_queue_lifetime = 0: returned to
# the postmaster); and two local
# submissions (sendmail, pickup) that a header check and a body check
# reject, which cleanup returns to the sender (headers only), one that a
# header check rejects with 4.7.1, which stays in maildrop/ to be tried
# again, and an SMTP message that a header check rejects. The bounce and
# cleanup log lines are compared too.
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin
need_root "users, pfcd, a private Postfix"
for t in useradd postfix postconf postalias python3; do
    command -v $t >/dev/null 2>&1 || skip_all "$t not found"
done
need_pfcd
. "$srcdir/tests/e2e/postfix_private.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-dsn.XXXXXX") || exit 1
chmod 755 "$tmp"
p=dsn$$
p=${p:0:16}
owner=${p}o snd=${p}s rcv=${p}r pm=${p}p
users=("$owner" "$snd" "$rcv" "$pm")
master=
cleanup() {
    [ -n "$master" ] && kill -TERM "$master" 2>/dev/null && wait "$master" 2>/dev/null
    pfp_stop "$tmp/pf" >/dev/null 2>&1
    for u in "${users[@]}"; do userdel "$u" >/dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup EXIT
add_owner "$owner"
for u in "$snd" "$rcv" "$pm"; do
    useradd --no-create-home --home-dir "$tmp/home/$u" --shell /bin/sh "$u" || { echo "Bail out! useradd"; exit 1; }
done

plan 15

# The main.cf lines both run with (beside their own paths).
common="myhostname = host.example.com
mydestination = \$myhostname, localhost
local_recipient_maps =
recipient_delimiter = +
default_transport = error:outgoing mail disabled
notify_classes = resource, software, bounce, 2bounce, delay, policy, protocol
smtpd_recipient_restrictions = check_recipient_access inline:{ { refused@localhost = REJECT not here } }
delay_warning_time = 1s
bounce_queue_lifetime = 0
"
aliases="postmaster: $pm
mailer-daemon: postmaster
team: $rcv, ghost5, ghost7
crew: ghost8, ghost10
later: \"|/bin/sh -c 'exit 75'\"
fans: $pm
"
# Content checks that only the local submissions and the last SMTP session below trip.
header_checks='/^Subject: pickup header reject/ REJECT header says no
/^Subject: pickup header defer/ REJECT 4.7.1 try later
/^Subject: smtp header reject/ REJECT header says no'
body_checks='/^reject this body line/ REJECT'

# --- pfcd under a scratch root.
root=$tmp/root
port=$(free_port)
mkdir -p "$root/etc/postfix" "$root/var/mail"
chgrp mail "$root/var/mail" && chmod 2775 "$root/var/mail"
cp "$srcdir/examples/local-only/master.cf" "$root/etc/postfix/"
sed -i "s/^smtp      inet/127.0.0.1:$port inet/" "$root/etc/postfix/master.cf"
cat >"$root/etc/postfix/main.cf" <<EOF
compatibility_level = 3.7
smtpd_banner = \$myhostname ESMTP \$mail_name
biff = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mail_owner = $owner
alias_maps = hash:/etc/postfix/aliases
alias_database = hash:/etc/postfix/aliases
header_checks = regexp:/etc/postfix/header_checks
body_checks = regexp:/etc/postfix/body_checks
$common
EOF
printf '%s' "$aliases" >"$root/etc/postfix/aliases"
printf '%s\n' "$header_checks" >"$root/etc/postfix/header_checks"
printf '%s\n' "$body_checks" >"$root/etc/postfix/body_checks"
build_image newaliases
log=$tmp/maillog
"$PFCD" -f --root "$root" --log="$log" "$tmp/p.pfi" 2>"$tmp/pfcd.err" &
master=$!

# --- Postfix: a private instance with the same lines.
pf=$tmp/pf
pfport=$(free_port)
mkdir -p "$pf/spool" && chgrp mail "$pf/spool" && chmod 2775 "$pf/spool"
pfp_config "$pf" "$pfport" "mail_spool_directory = $pf/spool
alias_maps = hash:$pf/etc/aliases
alias_database = hash:$pf/etc/aliases
header_checks = regexp:$pf/etc/header_checks
body_checks = regexp:$pf/etc/body_checks
$common"
printf '%s' "$aliases" >"$pf/etc/aliases"
printf '%s\n' "$header_checks" >"$pf/etc/header_checks"
printf '%s\n' "$body_checks" >"$pf/etc/body_checks"
postalias -c "$pf/etc" "hash:$pf/etc/aliases" || { echo "Bail out! postalias"; exit 1; }
pfp_start "$pf" "$pfport" || { echo "Bail out! postfix start: $(cat "$pf/start.out")"; exit 1; }

for i in $(seq 100); do grep -q "daemon started" "$log" 2>/dev/null && break; sleep 0.1; done
python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),2)" 2>/dev/null
check "pfcd and Postfix both listen (127.0.0.1:$port, 127.0.0.1:$pfport)" $? "$(cat "$tmp/pfcd.err" "$pf/start.out")"

# The sessions: NAME|MAIL FROM|MAIL options|RCPT TO:options^RCPT TO:options...
cat >"$tmp/sessions" <<EOF
unknown|$snd@localhost||ghost1@localhost
hdrs|$snd@localhost|RET=HDRS ENVID=env+2B42.x|ghost2@localhost:NOTIFY=FAILURE ORCPT=rfc822;Ghost@Example.Org
never|$snd@localhost||ghost3@localhost:NOTIFY=NEVER
success|$snd@localhost|ENVID=ok-1|$rcv@localhost:NOTIFY=SUCCESS ORCPT=rfc822;$rcv@localhost
successes|$snd@localhost||$rcv@localhost:NOTIFY=SUCCESS^fans@localhost:NOTIFY=SUCCESS,FAILURE
utf8x|$snd@localhost||ghost11@localhost:ORCPT=utf-8;J\x{F6}rg+2B1@\x{4F8B}.example
utf8raw|$snd@localhost|SMTPUTF8|ghost12@localhost:ORCPT=utf-8;Jörg@bücher.example
alias|$snd@localhost|RET=FULL|team@localhost^crew@localhost^ghost9@localhost
double|||ghost6@localhost
delay|$snd@localhost|ENVID=late|later@localhost:NOTIFY=DELAY,FAILURE
expire|||later@localhost
EOF
cat >"$tmp/send.py" <<'PY'
import smtplib, sys
port, sessions = int(sys.argv[1]), sys.argv[2]
for line in open(sessions):
    name, sender, mopts, rcpts = line.rstrip("\n").split("|")
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=20)
    s.ehlo("client.example")
    code, text = s.mail(sender, mopts.split())
    assert code == 250, (name, code, text)
    for r in rcpts.split("^"):
        addr, _, opts = r.partition(":")
        code, text = s.rcpt(addr, opts.split())
        assert code == 250, (name, addr, code, text)
    body = ("Subject: dsn %s\r\nFrom: <%s>\r\nTo: <%s>\r\n\r\nbody of %s\r\n"
            % (name, sender or "MAILER-DAEMON@host.example.com", rcpts.split("^")[0].split(":")[0], name))
    code, text = s.data(body.encode())
    assert code == 250, (name, code, text)
    s.quit()
    print(name, "queued")
PY
python3 "$tmp/send.py" "$port" "$tmp/sessions" >"$tmp/send.pfc" 2>&1
rc1=$?
python3 "$tmp/send.py" "$pfport" "$tmp/sessions" >"$tmp/send.pf" 2>&1
rc2=$?
[ $rc1 = 0 ] && [ $rc2 = 0 ]
check "the same 11 sessions (ENVID, RET, NOTIFY, ORCPT, utf-8 ORCPT, MAIL FROM:<>) are accepted by both" $? \
    "$(cat "$tmp/send.pfc" "$tmp/send.pf")"

# A session with protocol and policy errors: smtpd mails its transcript
# to the postmaster (notify_classes has protocol and policy), long lines
# wrapped.
cat >"$tmp/errors.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 20)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line
reply()
for cmd in ["EHLO client.example", "RCPT TO:<x@localhost>", "MAIL FROM:<a b@c>",
            "MAIL FROM:<%s@localhost>" % sys.argv[2], "RCPT TO:<refused@localhost>",
            "NOOP " + " ".join("word%d" % i for i in range(20)), "BOGUS", "QUIT"]:
    s.sendall(cmd.encode() + b"\r\n")
    reply()
PY
python3 "$tmp/errors.py" "$port" "$snd" && python3 "$tmp/errors.py" "$pfport" "$snd"
check "a session with protocol and policy errors, to both" $? ""

# RFC 6533's ORCPT=utf-8;ADDR: what smtpd takes (\x{HEX} code points up
# to 10FFFF, other bytes as they are) and refuses, the same replies.
cat >"$tmp/orcpt.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 20)
f = s.makefile("rb")
def reply():
    out = b""
    while True:
        line = f.readline()
        out += line
        if not line or line[3:4] != b"-":
            return out
reply()
orcpts = ["utf-8;\\x{110000}@x", "utf-8;\\x{4G}@x", "utf-8;\\x{41@x", "utf-8;a\\xb@x",
          "UTF-8;\\x{41}+41@x", "rfc822;\\x{41}@x", "utf-8;"]
for cmd in (["EHLO client.example", "MAIL FROM:<%s@localhost>" % sys.argv[2]]
            + ["RCPT TO:<%s@localhost> ORCPT=%s" % (sys.argv[2], o) for o in orcpts] + ["QUIT"]):
    s.sendall(cmd.encode() + b"\r\n")
    sys.stdout.write(cmd + "\n" + reply().decode())
PY
python3 "$tmp/orcpt.py" "$port" "$snd" >"$tmp/orcpt.pfc" 2>&1 &&
    python3 "$tmp/orcpt.py" "$pfport" "$snd" >"$tmp/orcpt.pf" 2>&1 &&
    grep -q "^501 5.5.4 Error: Bad ORCPT parameter syntax" "$tmp/orcpt.pf" &&
    diff "$tmp/orcpt.pf" "$tmp/orcpt.pfc" >"$tmp/orcpt.diff"
check "ORCPT=utf-8: the same replies as Postfix's smtpd (a bad \\x{...}: 501)" $? \
    "$(cat "$tmp/orcpt.diff" "$tmp/orcpt.pf")"

# Local submissions (sendmail, pickup) that a header or a body check
# rejects: cleanup returns them to the sender, with the headers it had
# written. pfc's sendmail uses pfc-postdrop set-group-id setgid_group.
POSTDROP=${POSTDROP:-$(dirname "$PFC")/pfc-postdrop}
mkdir -p "$tmp/bin" && cp "$POSTDROP" "$tmp/bin/pfc-postdrop" &&
    chgrp postdrop "$tmp/bin/pfc-postdrop" && chmod 2755 "$tmp/bin/pfc-postdrop" &&
    cp "$tmp/p.pfi" "$root/etc/postfix/policy.pfi"
printf 'X-Before: one\nSubject: pickup header reject\nX-After: two\n\nbody\n' >"$tmp/hdr.msg"
printf 'Subject: pickup body reject\n\nfirst line\nreject this body line\nlast line\n' >"$tmp/body.msg"
: >"$tmp/submit.out"
for m in hdr body; do
    PFC_POSTDROP=$tmp/bin/pfc-postdrop "$PFC" sendmail --root "$root" -C /etc/postfix \
        -f "$snd@localhost" "$rcv@localhost" <"$tmp/$m.msg" >>"$tmp/submit.out" 2>&1 || echo "pfc $m: $?" >>"$tmp/submit.out"
    /usr/sbin/sendmail -C "$pf/etc" -f "$snd@localhost" "$rcv@localhost" <"$tmp/$m.msg" >>"$tmp/submit.out" 2>&1 ||
        echo "postfix $m: $?" >>"$tmp/submit.out"
done
# A header check's 4.X.X REJECT: pickup keeps the file for later (Postfix's KEEP_MESSAGE_FILE).
printf 'Subject: pickup header defer\n\nbody\n' >"$tmp/defer.msg"
PFC_POSTDROP=$tmp/bin/pfc-postdrop "$PFC" sendmail --root "$root" -C /etc/postfix \
    -f "$snd@localhost" "$rcv@localhost" <"$tmp/defer.msg" >>"$tmp/submit.out" 2>&1 || echo "pfc defer: $?" >>"$tmp/submit.out"
/usr/sbin/sendmail -C "$pf/etc" -f "$snd@localhost" "$rcv@localhost" <"$tmp/defer.msg" >>"$tmp/submit.out" 2>&1 ||
    echo "postfix defer: $?" >>"$tmp/submit.out"
! grep -q . "$tmp/submit.out"
check "three local submissions (sendmail) are accepted by both" $? "$(cat "$tmp/submit.out")"

# The messages each mailbox must end with, once every notice is delivered.
declare -A want=([$snd]=10 [$rcv]=3 [$pm]=14)
box() { if [ "$1" = pfc ]; then echo "$root/var/mail/$2"; else echo "$pf/spool/$2"; fi; }
count() { grep -c '^From ' "$(box "$1" "$2")" 2>/dev/null || echo 0; }
for i in $(seq 150); do
    done=1
    for u in "$snd" "$rcv" "$pm"; do
        for side in pfc pf; do [ "$(count $side "$u")" -ge "${want[$u]}" ] || done=0; done
    done
    [ $done = 1 ] && break
    sleep 0.2
done
sleep 1		# anything more than expected has a moment to show up
got=
for u in "$snd" "$rcv" "$pm"; do got="$got $u: pfcd $(count pfc "$u") postfix $(count pf "$u") want ${want[$u]};"; done
ok=0
for u in "$snd" "$rcv" "$pm"; do
    [ "$(count pfc "$u")" = "${want[$u]}" ] && [ "$(count pf "$u")" = "${want[$u]}" ] || ok=1
done
check "the same number of messages in each mailbox (sender 10, recipient 3, postmaster 14)" $ok "$got"

# masked MBOX: its messages, masked, sorted (the order notices arrive in is the queue's business).
cat >"$tmp/mask.py" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
rules = [
    (r"(?m)^(From \S+  )\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", r"\1DATE"),
    (r"\w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)", "DATE"),
    (r"\b[0-9A-F]{10,12}\b", "QID"),
    (r"QID\.\d+/", "QID.TIME/"),
    (r"<\d{14}\.QID@", "<TIME.QID@"),
]
for pattern, repl in rules:
    data = re.sub(pattern, repl, data)
msgs = re.split(r"(?m)^(?=From )", data)[1:]
# A report's recipients in sorted order: Postfix's bounce log gets them
# in the order the local(8) processes that deliver them finish.
def sort_recipients(msg):
    blocks, out, run = msg.split("\n\n"), [], []
    def kind(b):
        b = b.lstrip("\n")
        return "<" if b.startswith("<") else "F" if b.startswith("Final-Recipient:") else ""
    def flush(run):
        if not run or not kind(run[-1]):
            return run
        lead = run[0][:len(run[0]) - len(run[0].lstrip("\n"))]
        items = sorted([run[0][len(lead):]] + run[1:])
        return [lead + items[0]] + items[1:]
    for b in blocks:
        if run and kind(b) != kind(run[-1]):
            out += flush(run)
            run = []
        run.append(b)
    return "\n\n".join(out + flush(run))
sys.stdout.write("".join(sorted(sort_recipients(m) for m in msgs)))
PY
for u in "$snd" "$rcv" "$pm"; do
    python3 "$tmp/mask.py" "$(box pf "$u")" 2>&1 | sed "s/$p/USER/g" >"$tmp/box.pf.$u"
    python3 "$tmp/mask.py" "$(box pfc "$u")" 2>&1 | sed "s/$p/USER/g" >"$tmp/box.pfc.$u"
done
diff "$tmp/box.pf.$snd" "$tmp/box.pfc.$snd" >"$tmp/diff.snd" &&
    grep -qx 'Original-Recipient: utf-8;Jörg+2B1@例.example' "$tmp/box.pfc.$snd" &&
    grep -qx 'Original-Recipient: utf-8;Jörg@bücher.example' "$tmp/box.pfc.$snd"
check "the sender's mailbox (bounces, RET=HDRS, ENVID, ORCPT and utf-8 ORCPT, success reports, delay warning) is Postfix's byte for byte" $? \
    "$(head -80 "$tmp/diff.snd"; grep '^Original-Recipient: utf-8' "$tmp/box.pf.$snd")"
diff "$tmp/box.pf.$rcv" "$tmp/box.pfc.$rcv" >"$tmp/diff.rcv"
check "the recipient's mailbox is Postfix's byte for byte" $? "$(head -40 "$tmp/diff.rcv")"
diff "$tmp/box.pf.$pm" "$tmp/box.pfc.$pm" >"$tmp/diff.pm"
check "the postmaster's mailbox (copies of bounces, the double bounce, the delay copy, smtpd's transcript) is Postfix's byte for byte" $? \
    "$(head -80 "$tmp/diff.pm")"

# The bounce(8) log lines, in the order of the sessions, ids masked.
bounce_lines() {
    sed -n 's/.*postfix\/bounce\[[0-9]*\]: //p' "$1" | sed -E 's/\b[0-9A-F]{10,12}\b/QID/g' | sort
}
bounce_lines "$pf/maillog" >"$tmp/bounce.pf"
bounce_lines "$log" >"$tmp/bounce.pfc"
[ -s "$tmp/bounce.pf" ] && diff "$tmp/bounce.pf" "$tmp/bounce.pfc" >"$tmp/bounce.diff"
check "bounce's log lines are Postfix's (sender/postmaster non-delivery, delivery status, delay)" $? \
    "$(cat "$tmp/bounce.diff")"

# qmgr's line for the message that expired (bounce_queue_lifetime = 0: its first deferral).
expired_lines() {
    sed -n 's/.*postfix\/qmgr\[[0-9]*\]: \(.*status=expired.*\)/\1/p' "$1" | sed -E 's/\b[0-9A-F]{10,12}\b/QID/g'
}
expired_lines "$pf/maillog" >"$tmp/expired.pf"
expired_lines "$log" >"$tmp/expired.pfc"
[ "$(cat "$tmp/expired.pf")" = "QID: from=<>, status=expired, returned to sender" ] &&
    diff "$tmp/expired.pf" "$tmp/expired.pfc" >"$tmp/expired.diff"
check "expiry: qmgr's one line for the message (from=<>, status=expired, returned to sender)" $? \
    "$(cat "$tmp/expired.pf" "$tmp/expired.diff")"

# cleanup's lines for the returned local submissions (bounce_append()'s), delays masked.
cleanup_lines() {
    sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \(.*status=bounced.*\)/\1/p' "$1" |
        sed -E 's/\b[0-9A-F]{10,12}\b/QID/g; s/delay=[0-9.]+, delays=[0-9.\/]+/delay=D, delays=D/' | sort
}
cleanup_lines "$pf/maillog" >"$tmp/cleanup.pf"
cleanup_lines "$log" >"$tmp/cleanup.pfc"
[ "$(grep -c . "$tmp/cleanup.pf")" = 2 ] && diff "$tmp/cleanup.pf" "$tmp/cleanup.pfc" >"$tmp/cleanup.diff"
check "cleanup logs each returned recipient as Postfix's (to=, relay=none, dsn=5.7.1, status=bounced)" $? \
    "$(cat "$tmp/cleanup.pf" "$tmp/cleanup.diff")"

# A message a header check rejects at the end of DATA, to two recipients:
# cleanup's line names the last one, as cleanup rewrote it (the bare
# postmaster made postmaster@$myorigin), smtpd's reply is Postfix's.
cat >"$tmp/content.py" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.ehlo("client.example")
s.mail("%s@localhost" % sys.argv[2])
s.rcpt("%s@localhost" % sys.argv[3])
s.rcpt("postmaster")
print(s.data(b"Subject: smtp header reject\r\n\r\nbody\r\n"))
s.quit()
PY
python3 "$tmp/content.py" "$pfport" "$snd" "$rcv" >"$tmp/content.pf" 2>&1
python3 "$tmp/content.py" "$port" "$snd" "$rcv" >"$tmp/content.pfc" 2>&1
# reject_lines SUBJECT LOG: cleanup's "reject: header Subject: SUBJECT"
# lines in LOG, queue IDs masked, each once (a deferred file is tried again)
reject_lines() {
    sed -n "s/.*postfix\/cleanup\[[0-9]*\]: \(.*reject: header Subject: $1.*\)/\1/p" "$2" |
        sed -E 's/\b[0-9A-F]{10,12}\b/QID/g' | sort -u
}
# both_logged SUBJECT: until both servers logged such a line (at most 10 s)
both_logged() {
    local i
    for i in $(seq 50); do
        [ -n "$(reject_lines "$1" "$log")" ] && [ -n "$(reject_lines "$1" "$pf/maillog")" ] && return
        sleep 0.2
    done
}
both_logged "smtp header reject"
reject_lines "smtp header reject" "$pf/maillog" >"$tmp/content-log.pf"
reject_lines "smtp header reject" "$log" >"$tmp/content-log.pfc"
grep -q "^(550, b'5.7.1 header says no')" "$tmp/content.pf" && diff "$tmp/content.pf" "$tmp/content.pfc" &&
    grep -q "to=<postmaster@host.example.com> proto=ESMTP" "$tmp/content-log.pf" &&
    diff "$tmp/content-log.pf" "$tmp/content-log.pfc" >"$tmp/content.diff"
check "a header check's REJECT at the end of DATA: Postfix's reply, and cleanup's line names the last recipient as rewritten" $? \
    "$(cat "$tmp/content.pf" "$tmp/content.pfc" "$tmp/content-log.pf" "$tmp/content.diff")"

# The deferred submission: cleanup's line, and the file still in maildrop/, not in corrupt/.
both_logged "pickup header defer"
reject_lines "pickup header defer" "$pf/maillog" >"$tmp/defer.pf"
reject_lines "pickup header defer" "$log" >"$tmp/defer.pfc"
ls "$pf/queue/maildrop" >"$tmp/maildrop.pf"
ls "$root/var/spool/postfix/maildrop" >"$tmp/maildrop.pfc"
ls "$root/var/spool/postfix/corrupt" >"$tmp/corrupt.pfc" 2>&1
[ "$(grep -c . "$tmp/defer.pf")" = 1 ] && diff "$tmp/defer.pf" "$tmp/defer.pfc" >"$tmp/defer.diff" &&
    [ "$(grep -c . "$tmp/maildrop.pf")" = 1 ] && [ "$(grep -c . "$tmp/maildrop.pfc")" = 1 ] &&
    ! grep -q . "$tmp/corrupt.pfc"
check "a header check's 4.7.1 REJECT during pickup: cleanup's line as Postfix's, the file kept in maildrop/" $? \
    "$(cat "$tmp/defer.pf" "$tmp/defer.diff"; echo "maildrop: pf $(cat "$tmp/maildrop.pf") pfc $(cat "$tmp/maildrop.pfc") corrupt: $(cat "$tmp/corrupt.pfc")")"

kill -TERM "$master"
wait "$master"
st=$?
master=
check "pfcd exits 0 on SIGTERM" "$st" "status $st: $(tail -5 "$tmp/pfcd.err")"
