#!/bin/bash
# tests/e2e/sendmail.sh - local submission end to end (TAP): pfc sendmail
# run by an unprivileged user this test creates, through pfc-postdrop
# (installed set-group-id a group the test creates) into the maildrop of
# pfcd under a scratch --root, and pfcd's pickup, cleanup and local
# delivery; side by side with a private Postfix 3.7 (its own sendmail and
# postdrop, run in a private mount namespace where its configuration is
# /etc/postfix, so the system's is never touched). The same submissions -
# plain (with -oX options), -t with To/Cc/Bcc, -f with -F, -bs, and s-nail
# with mta= pointing at each; pfc run as "sendmail", a link, as
# /usr/sbin/sendmail would be - must give the same mailbox, dates, queue IDs and Message-Ids
# masked; a message submitted while pfcd is down waits in maildrop and is
# delivered when it starts; a garbage maildrop file is moved aside with a
# log line and pickup goes on; bad options get Postfix's message and exit
# code; a user that authorized_submit_users leaves out is refused as
# Postfix's sendmail refuses, pfc-postdrop run directly as Postfix's
# postdrop refuses (and pickup drops a file of such a user); pfcd stops on
# SIGTERM with status 0.
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-./pfc}
PFCD=${PFCD:-$(dirname "$PFC")/pfcd}
POSTDROP=${POSTDROP:-$(dirname "$PFC")/pfc-postdrop}
PATH=$PATH:/usr/sbin:/sbin

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root (users, a set-group-id helper, pfcd)"
for t in useradd groupadd unshare s-nail postfix postconf python3; do
    command -v $t >/dev/null 2>&1 || skip_all "$t not found"
done
[ -x /usr/sbin/sendmail ] && [ -x /usr/sbin/postdrop ] || skip_all "no Postfix sendmail/postdrop"
unshare -m true 2>/dev/null || skip_all "unshare -m not permitted here"
[ -x "$PFCD" ] && [ -x "$POSTDROP" ] || { echo "Bail out! no pfcd or pfc-postdrop next to $PFC"; exit 1; }
. "$srcdir/tests/e2e/postfix_private.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfc-sendmail.XXXXXX") || exit 1
chmod 755 "$tmp"
p=sm$$
p=${p:0:16}
owner=${p}o user=${p}u group=${p}g
master=
cleanup() {
    [ -n "$master" ] && kill -TERM "$master" 2>/dev/null && wait "$master" 2>/dev/null
    pfp_stop "$tmp/pf" >/dev/null 2>&1
    userdel "$user" >/dev/null 2>&1
    userdel "$owner" >/dev/null 2>&1
    groupdel "$group" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
groupadd --system "$group" && useradd --system --no-create-home --shell /usr/sbin/nologin "$owner" &&
    useradd --no-create-home --home-dir "$tmp/home" --comment 'Sam User,,,' --shell /bin/sh "$user" ||
    { echo "Bail out! useradd"; exit 1; }
uid=$(id -u "$user")

n=0
echo "1..20"
check() {		# check NAME RESULT DETAIL
    n=$((n + 1))
    if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; printf '%s\n' "$3" | sed 's/^/# /'; fi
}
# wait_for FILE TEXT: up to 10 s for TEXT in FILE
wait_for() {
    local i
    for i in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
count() { grep -c -- "$2" "$1" 2>/dev/null; }

# --- pfc: the example local-only configuration under a scratch root.
root=$tmp/root
mkdir -p "$root/etc/postfix" "$root/var/mail" "$tmp/bin" "$tmp/msg"
chgrp mail "$root/var/mail" && chmod 2775 "$root/var/mail"
cp -R "$srcdir/examples/local-only/." "$root/etc/postfix/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/^smtp      inet/127.0.0.1:$port inet/" "$root/etc/postfix/master.cf"
cat >>"$root/etc/postfix/main.cf" <<EOF
mail_owner = $owner
setgid_group = $group
local_recipient_maps =
EOF
"$PFC" newaliases --root "$root" -C /etc/postfix >"$tmp/build.out" 2>&1 &&
    "$PFC" build --root "$root" -c /etc/postfix -o "$root/etc/postfix/policy.pfi" >>"$tmp/build.out" 2>&1 ||
    { echo "Bail out! pfc build: $(cat "$tmp/build.out")"; exit 1; }
# The user runs copies it can reach; the helper set-group-id as installed.
cp "$PFC" "$tmp/bin/pfc" && cp "$POSTDROP" "$tmp/bin/pfc-postdrop" &&
    chgrp "$group" "$tmp/bin/pfc-postdrop" && chmod 2755 "$tmp/bin/pfc-postdrop" && chmod 755 "$tmp/bin/pfc"
# As /usr/sbin/sendmail would be: a link to pfc, which is then sendmail.
ln -s pfc "$tmp/bin/sendmail"
cat >"$tmp/bin/pfc-sendmail" <<EOF
#!/bin/sh
PFC_POSTDROP=$tmp/bin/pfc-postdrop exec $tmp/bin/sendmail --root $root "\$@"
EOF
chmod 755 "$tmp/bin/pfc-sendmail"
log=$tmp/maillog
box=$root/var/mail/$user
start_pfcd() {
    "$PFCD" -f --root "$root" --log="$log" "$root/etc/postfix/policy.pfi" 2>>"$tmp/pfcd.err" &
    master=$!
    wait_for "$log" "daemon started"
}

# --- Postfix: a private instance, the same host names.
pf=$tmp/pf
pfport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$pf/spool" && chgrp mail "$pf/spool" && chmod 2775 "$pf/spool"
pfp_config "$pf" "$pfport" "myhostname = host.example.com
mydestination = \$myhostname, localhost.\$mydomain, localhost
mail_spool_directory = $pf/spool
alias_maps =
local_recipient_maps =
recipient_delimiter = +
default_transport = error:outgoing mail disabled"
pfbox=$pf/spool/$user
pfp_start "$pf" "$pfport" || { echo "Bail out! postfix start: $(cat "$pf/start.out")"; exit 1; }

# as_user CMD: CMD as the test user; pf_user CMD: the same where /etc/postfix is the private one
as_user() { su -s /bin/sh "$user" -c "$1"; }
pf_user() { unshare -m sh -c "mount --bind '$pf/etc' /etc/postfix && su -s /bin/sh '$user' -c \"\$0\"" "$1"; }

start_pfcd
check "pfcd starts, with pickup, and makes maildrop 0730 $owner:$group" \
    $([ "$(stat -c %a:%U:%G "$root/var/spool/postfix/maildrop" 2>/dev/null)" = "730:$owner:$group" ]; echo $?) \
    "$(ls -l "$root/var/spool/postfix" 2>&1; cat "$tmp/pfcd.err")"

# submit NAME CMD-FOR-SENDMAIL: the same submission to both; waits for both deliveries
submit() {
    local name=$1 cmd=$2 before pfbefore
    before=$(count "$log" ': removed')
    pfbefore=$(count "$pf/maillog" ': removed')
    as_user "$(printf "$cmd" "$tmp/bin/pfc-sendmail")" >"$tmp/out.pfc.$name" 2>&1
    echo "rc=$?" >>"$tmp/out.pfc.$name"
    pf_user "$(printf "$cmd" /usr/sbin/sendmail)" >"$tmp/out.pf.$name" 2>&1
    echo "rc=$?" >>"$tmp/out.pf.$name"
    for i in $(seq 100); do
        [ "$(count "$log" ': removed')" -gt "$before" ] && [ "$(count "$pf/maillog" ': removed')" -gt "$pfbefore" ] && break
        sleep 0.1
    done
}
# masked FILE: what differs between two runs or two hosts by design
masked() {
    sed -E -e 's/[A-Z][a-z][a-z], [ 0-9][0-9] [A-Z][a-z][a-z] [0-9]{4} [0-9:]{8} [+-][0-9]{4}( \([A-Z]+\))?/DATE/g' \
        -e 's/^From (.*)  [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8} [0-9]{4}$/From \1  DATE/' \
        -e 's/\b[0-9A-F]{10,12}\b/QUEUEID/g' -e 's/<[0-9]{14}\./</g' \
        -e 's/^(Message-ID: <)[^>]*>/\1S-NAIL>/' "$1"
}
printf 'Subject: plain one\n\nbody plain\n' >"$tmp/msg/plain"
printf 'Subject: t one\nTo: Sam <%s@localhost>\nCc: %s+cc@localhost, %s@localhost\nBcc: %s+bcc@localhost\n\nbody t\n' \
    "$user" "$user" "$user" "$user" >"$tmp/msg/t"
printf 'Subject: f one\n\nbody f\n.\nafter the dot\n' >"$tmp/msg/f"
printf 'EHLO me.example\r\nMAIL FROM:<%s@localhost>\r\nRCPT TO:<%s@localhost>\r\nRCPT TO:<%s+two@localhost>\r\nETRN x.example\r\nDATA\r\nSubject: bs one\r\n\r\nbody bs\r\n.\r\nQUIT\r\n' \
    "$user" "$user" "$user" >"$tmp/msg/bs"
chmod 644 "$tmp"/msg/*

submit plain "%s -oem -odb $user@localhost < $tmp/msg/plain"
submit t "%s -t < $tmp/msg/t"
submit f "%s -oi -f other@example.org -F 'Other Person' $user@localhost < $tmp/msg/f"
submit bs "%s -bs < $tmp/msg/bs"
submit snail "echo 'body snail' | s-nail -S mta=%s -S sendwait -s 'snail one' $user@localhost"
for c in plain t f bs snail; do
    diff <(sed 's/[0-9A-F]\{10,12\}/QUEUEID/' "$tmp/out.pf.$c") <(sed 's/[0-9A-F]\{10,12\}/QUEUEID/' "$tmp/out.pfc.$c") >"$tmp/diff.$c"
done
check "the submissions give what Postfix's sendmail gives (status, -bs replies)" \
    $(cat "$tmp"/diff.* | grep -q . ; [ $? = 1 ]; echo $?) "$(cat "$tmp"/diff.*)"
grep -q "postfix/pickup\[[0-9]*\]: [0-9A-F]*: uid=$uid from=<$user>$" "$log" &&
    grep -q "postfix/pickup\[[0-9]*\]: [0-9A-F]*: uid=$uid from=<other@example.org>$" "$log"
check "pickup logs QUEUEID: uid=$uid from=<...> as Postfix's" $? "$(grep pickup "$log")"
[ "$(grep -c '^From ' "$box" 2>/dev/null)" = "$(grep -c '^From ' "$pfbox")" ] &&
    [ "$(grep -c '^From ' "$box")" = 8 ]
check "the same number of messages delivered (8: -t reaches the user 3 times, -bs twice)" $? \
    "pfc: $(grep -c '^From ' "$box" 2>&1) postfix: $(grep -c '^From ' "$pfbox" 2>&1)"
# The messages in submission order; the copies of one message (one per
# recipient) as a sorted set: Postfix's qmgr sorts a message's recipients
# by address before delivery, pfcd's keeps their queue file order.
by_message() {
    masked "$1" | python3 -c '
import re, sys
msgs = re.split(r"(?m)^(?=From )", sys.stdin.read())[1:]
key = lambda m: re.search(r"(?m)^Subject: (.*)$", m).group(1)
order = []
for m in msgs:
    if key(m) not in order: order.append(key(m))
for k in order:
    sys.stdout.write("".join(sorted(m for m in msgs if key(m) == k)))'
}
by_message "$pfbox" >"$tmp/box.pf"
by_message "$box" >"$tmp/box.pfc"
[ "$(grep -c '^From ' "$tmp/box.pf")" = 8 ] && diff "$tmp/box.pf" "$tmp/box.pfc" >"$tmp/box.diff"
check "the mailbox is Postfix's, byte for byte (dates, queue IDs, Message-Ids masked)" $? "$(head -60 "$tmp/box.diff")"
grep -q "^Received: by host.example.com (Postfix, from userid $uid)$" "$box" &&
    grep -q "^From: Sam User <$user@host.example.com>$" "$box" &&
    grep -q "^From: Other Person <other@example.org>$" "$box" && ! grep -q "^Bcc:" "$box" &&
    grep -q "^X-Original-To: $user+bcc@localhost$" "$box"
check "pickup's Received, From with the GECOS or -F name, Bcc removed but delivered" $? "$(grep -E '^(Received: by|From:|Bcc|X-Original-To)' "$box")"
got=$(s-nail -n -N -H -f "$box" 2>"$tmp/snail.err")
[ ! -s "$tmp/snail.err" ] && grep -q "snail one" <<<"$got"
check "s-nail reads the mailbox, with the message it sent through pfc sendmail" $? "$got $(cat "$tmp/snail.err")"

# --- nothing lost while pfcd is down: the file waits in maildrop.
kill -TERM "$master"
wait "$master"
st=$?
master=
check "pfcd exits 0 on SIGTERM" "$st" "status $st: $(tail -5 "$tmp/pfcd.err")"
printf 'Subject: while down\n\nwaiting\n' >"$tmp/msg/down" && chmod 644 "$tmp/msg/down"
as_user "$tmp/bin/pfc-sendmail $user@localhost < $tmp/msg/down"
rc=$?
files=$(ls "$root/var/spool/postfix/maildrop")
[ "$rc" = 0 ] && [ "$(wc -w <<<"$files")" = 1 ] &&
    [ "$(stat -c %a:%U "$root/var/spool/postfix/maildrop/$files")" = "744:$user" ]
check "with pfcd down, pfc sendmail exits 0 and the file waits in maildrop (0744, the user's)" $? \
    "rc=$rc $(ls -l "$root/var/spool/postfix/maildrop")"
start_pfcd
wait_for "$box" "^Subject: while down$"
check "started again, pfcd picks it up and delivers it" $? "$(tail -5 "$log")"
[ -z "$(ls "$root/var/spool/postfix/maildrop")" ]
check "maildrop is empty once it is queued" $? "$(ls -l "$root/var/spool/postfix/maildrop")"

# --- bad input.
printf 'not a maildrop file\nE0:\n' | su -s /bin/sh "$user" -c "$tmp/bin/pfc-postdrop $root/var/spool/postfix" >"$tmp/garbage.id"
gid=$(cat "$tmp/garbage.id")
wait_for "$log" "maildrop/$gid: uid=$uid: not a maildrop file: moved to corrupt/$gid"
check "a garbage file in maildrop is moved to corrupt/ with a log line" $? "$(grep pickup "$log" | tail -3)"
as_user "$tmp/bin/pfc-sendmail $user@localhost < $tmp/msg/plain"
for i in $(seq 100); do [ "$(grep -c '^Subject: plain one$' "$box")" = 2 ] && break; sleep 0.1; done
[ "$(grep -c '^Subject: plain one$' "$box")" = 2 ]
check "pickup goes on after it: the next message is delivered" $? "$(tail -5 "$log")"
printf 'Subject: cut\n\nbody' | su -s /bin/sh "$user" -c "$tmp/bin/pfc-postdrop $root/var/spool/postfix" >/dev/null 2>"$tmp/cut.err"
rc=$?
[ "$rc" = 75 ] && grep -q "pfc-postdrop: fatal: the input is not a complete maildrop file: nothing queued" "$tmp/cut.err" &&
    [ -z "$(ls "$root/var/spool/postfix/maildrop")" ]
check "pfc-postdrop refuses an incomplete file (75) and leaves nothing" $? "rc=$rc $(cat "$tmp/cut.err")"

# Options: Postfix's own words and status (sendmail's fatal exits are EX_TEMPFAIL, 75).
for args in "-z $user" "-f" "-bx" "-t -bs" "" "-q5 -bs $user"; do
    as_user "$tmp/bin/pfc-sendmail $args </dev/null" >"$tmp/opt.pfc" 2>&1; echo "rc=$?" >>"$tmp/opt.pfc"
    pf_user "/usr/sbin/sendmail $args </dev/null" >"$tmp/opt.pf" 2>&1; echo "rc=$?" >>"$tmp/opt.pf"
    echo "== $args" >>"$tmp/opts.diff"
    diff "$tmp/opt.pf" "$tmp/opt.pfc" >>"$tmp/opts.diff" || echo FAIL >>"$tmp/opts.diff"
done
! grep -q FAIL "$tmp/opts.diff"
check "unknown options, a missing -f argument, no recipient: Postfix's message and exit code" $? "$(cat "$tmp/opts.diff")"
as_user "$tmp/bin/pfc-sendmail -bv $user@localhost" >"$tmp/bv.out" 2>&1
rc=$?
[ "$rc" = 69 ] && grep -q "^sendmail: fatal: -bv (an address verification report by mail) is not implemented in pfc; nothing was sent" "$tmp/bv.out"
check "-bv is refused with a clear message (69, EX_UNAVAILABLE)" $? "rc=$rc $(cat "$tmp/bv.out")"

# --- authorized_submit_users: the user left out of the list (a list, not
# the static: short cut), in both; sendmail and sendmail -bs refuse with
# Postfix's words and status, and so does pfc-postdrop run directly (the
# policy of the image pfcd serves the queue with) as Postfix's postdrop;
# a file of that user that reaches maildrop/ all the same (made before
# the list changed) is dropped by pickup, with a log line.
acl="authorized_submit_users = !$user, static:anyone"
echo "$acl" >>"$root/etc/postfix/main.cf"
"$PFC" build --root "$root" -c /etc/postfix -o "$root/etc/postfix/policy.new" >"$tmp/build2.out" 2>&1 &&
    mv "$root/etc/postfix/policy.new" "$root/etc/postfix/policy.pfi" && kill -HUP "$master" ||
    { echo "Bail out! pfc build: $(cat "$tmp/build2.out")"; exit 1; }
postconf -c "$pf/etc" -e "$acl" && touch -d 2000-01-01 "$pf/etc/main.cf"
: >"$tmp/acl.diff"
for args in "$user@localhost" "-bs"; do
    as_user "$tmp/bin/pfc-sendmail $args <$tmp/msg/plain" >"$tmp/acl.pfc" 2>&1; echo "rc=$?" >>"$tmp/acl.pfc"
    pf_user "/usr/sbin/sendmail $args <$tmp/msg/plain" >"$tmp/acl.pf" 2>&1; echo "rc=$?" >>"$tmp/acl.pf"
    diff "$tmp/acl.pf" "$tmp/acl.pfc" >>"$tmp/acl.diff" || echo "FAIL ($args)" >>"$tmp/acl.diff"
done
! grep -q FAIL "$tmp/acl.diff" &&
    grep -qx "sendmail: fatal: User $user($uid) is not allowed to submit mail" "$tmp/acl.pfc" &&
    grep -qx "rc=75" "$tmp/acl.pfc" && [ -z "$(ls "$root/var/spool/postfix/maildrop")" ]
check "authorized_submit_users: sendmail and -bs refuse the user as Postfix's (message, 75), nothing queued" $? \
    "$(cat "$tmp/acl.diff" "$tmp/acl.pfc")"
printf 'not a maildrop file\nE0:\n' | as_user "$tmp/bin/pfc-postdrop $root/var/spool/postfix" >"$tmp/pd.pfc" 2>&1
echo "rc=$?" >>"$tmp/pd.pfc"
pf_user "/usr/sbin/postdrop </dev/null" >"$tmp/pd.pf" 2>&1
echo "rc=$?" >>"$tmp/pd.pf"
sed -i 's/^pfc-postdrop: /postdrop: /' "$tmp/pd.pfc"
diff "$tmp/pd.pf" "$tmp/pd.pfc" >"$tmp/pd.diff" &&
    grep -qx "postdrop: fatal: User $user($uid) is not allowed to submit mail" "$tmp/pd.pfc" &&
    grep -qx "rc=1" "$tmp/pd.pfc" && [ -z "$(ls "$root/var/spool/postfix/maildrop")" ]
check "authorized_submit_users: pfc-postdrop run directly refuses the user as Postfix's postdrop (message, 1), nothing made" $? \
    "$(cat "$tmp/pd.diff" "$tmp/pd.pfc")"
# The policy is the queue's (the link pfcd made), never one a user chose:
# a queue whose link is not root's is refused.
fq=$tmp/fakeq
mkdir -p "$fq/maildrop" && chgrp "$group" "$fq/maildrop" && chmod 0730 "$fq/maildrop" &&
    ln -s "$root/etc/postfix/policy.pfi" "$fq/pfcd.pfi" && chown -h "$user" "$fq/pfcd.pfi"
printf 'x\nE0:\n' | as_user "$tmp/bin/pfc-postdrop $fq" >"$tmp/fq.out" 2>&1
rc=$?
[ "$rc" = 75 ] && grep -qx "pfc-postdrop: fatal: $fq/pfcd.pfi is not a link root made to an image" "$tmp/fq.out" &&
    [ -z "$(ls "$fq/maildrop")" ]
check "pfc-postdrop takes the policy from a link root made in the queue directory only (else 75)" $? \
    "rc=$rc $(cat "$tmp/fq.out")"
sleep 0.5		# the reloaded image reaches pickup
aid=ACL0000001
printf 'not a maildrop file\nE0:\n' >"$tmp/$aid" && chown "$user" "$tmp/$aid" && chmod 744 "$tmp/$aid" &&
    mv "$tmp/$aid" "$root/var/spool/postfix/maildrop/$aid"
wait_for "$log" "maildrop/$aid: uid=$uid: User $user($uid) is not allowed to submit mail: removed" &&
    [ ! -e "$root/var/spool/postfix/maildrop/$aid" ] && [ ! -e "$root/var/spool/postfix/corrupt/$aid" ]
check "authorized_submit_users: pickup drops a file of that user that reaches maildrop/, with a log line" $? \
    "$(grep pickup "$log" | tail -3)"

kill -TERM "$master"
wait "$master"
master=
