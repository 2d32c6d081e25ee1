#!/bin/bash
# tests/e2e/pfcd-queue.sh - pfc queue side by side with Postfix 3.7's
# postqueue and postsuper (TAP). The same messages go over SMTP into a
# pfcd under a scratch root and into a private real Postfix, both on
# loopback: deferred ones (an smtp next hop that pfcd does not serve,
# a closed port for Postfix), one held by an access table's HOLD. Then
# pfc queue list and postqueue -p, list --json and postqueue -j, and
# delete, hold, release, requeue (by ID, by -, by ALL and a queue name)
# with postsuper's, compared with queue IDs, times, sizes and reasons
# masked. Then pfcd alone: an active message ('*'), a change that waits
# for its delivery attempt (the qmgr lock), flush waking the queue
# manager, and bad input: exact messages and exit codes. Last, with both
# stopped, a message submitted with sendmail waits in maildrop/ and both
# list it.
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
need_root "pfcd binds, creates users, drops privileges"
need swaks "swaks not installed (scripts/install-deps)"
need postsuper "Postfix not installed (scripts/install-deps)"
need useradd "useradd not found"
need_pfcd
. "$srcdir/tests/e2e/postfix_private.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-queue.XXXXXX") || exit 1
chmod 755 "$tmp"
owner=pfcq$$
owner=${owner:0:31}
pids=()
pf=$tmp/postfix
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [ -f "$pf/etc/main.cf" ] && pfp_stop "$pf"
    userdel "$owner" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
add_owner "$owner"

plan 27

# The same policy for both: mail to defer.test waits, hold@example.net is held.
common="relay_domains = defer.test, example.net
smtpd_recipient_restrictions = check_recipient_access inline:{ { hold@example.net = HOLD hold text } }, permit_mynetworks, reject_unauth_destination
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 4000s"

# pfcd, under a scratch root.
port=$(free_port)
root=$tmp/root
example_root "$port"
cat >>"$root/etc/postfix/main.cf" <<EOF
mail_owner = $owner
transport_maps = inline:{ { defer.test = smtp:[127.0.0.1]:1 }, { example.net = smtp:[127.0.0.1]:1 } }
$common
EOF
cat >>"$root/etc/postfix/aliases" <<'EOF'
slow:		"|sleep 3; exit 75"
EOF
"$PFC" alias --root "$root" -c /etc/postfix /etc/postfix/aliases >"$tmp/build.out" 2>&1 &&
    "$PFC" build --root "$root" -c /etc/postfix -o "$tmp/p.pfi" >>"$tmp/build.out" 2>&1 ||
    { echo "Bail out! pfc build: $(cat "$tmp/build.out")"; exit 1; }
q=$root/var/spool/postfix
log=$tmp/maillog
"$PFCD" -f --root "$root" --log="$log" "$tmp/p.pfi" 2>"$tmp/pfcd.err" &
pids+=($!)
for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
pq() { "$PFC" queue --root "$root" --log="$log" "$tmp/p.pfi" "$@"; }

# Postfix, with the smtp client to a closed loopback port.
pport=$(free_port)
pfp_config "$pf" "$pport" "mydestination = localhost
mynetworks = 127.0.0.0/8
transport_maps = inline:{ { defer.test = smtp:[127.0.0.1]:1 }, { example.net = smtp:[127.0.0.1]:1 } }
$common"
echo "smtp      unix  -       -       n       -       -       smtp" >>"$pf/etc/master.cf"
pfp_start "$pf" "$pport" || { echo "Bail out! postfix start: $(cat "$pf/start.out")"; exit 1; }
pmaillog=$pf/maillog

# send PORT FROM TO[,TO]: one message, as swaks sends it
send() {
    swaks --server 127.0.0.1 --port "$1" --helo client.example --from "$2" --to "$3" \
        --header "Subject: queue test $3" --body "body" 2>&1 | sed -n 's/.*250 2.0.0 Ok: queued as \(.*\)/\1/p'
}
for p in "$port" "$pport"; do
    send "$p" alice@example.org a@defer.test >/dev/null
    send "$p" alice@example.org hold@example.net >/dev/null
    send "$p" '<>' b@defer.test >/dev/null
    send "$p" '"x y"@example.org' c@defer.test,d@defer.test >/dev/null
done
# settle - until both queues hold the 4 messages, none active or incoming
settle() {
    local i
    for i in $(seq 100); do
        [ "$(pq list --json 2>/dev/null | grep -c '"queue_name": "\(deferred\|hold\)"')" = "$1" ] &&
            [ "$(postqueue -c "$pf/etc" -j | grep -c '"queue_name": "\(deferred\|hold\)"')" = "$1" ] &&
            return 0
        sleep 0.1
    done
    return 1
}
settle 4
check "the same 4 messages are queued in both (3 deferred, 1 held)" $? \
    "$(pq list 2>&1; postqueue -c "$pf/etc" -p 2>&1)"

# mask: IDs, sizes, times and reasons out of a postqueue -p listing, one
# block a message, sorted (each queue lists in its own directory order)
mask() {
    "$PYTHON" -c '
import re, sys
text = sys.stdin.read()
head, _, rest = text.partition("\n")
blocks = rest.split("\n\n")
tail = blocks.pop() if blocks and blocks[-1].startswith("-- ") else ""
out = []
for b in blocks:
    b = re.sub(r"^[0-9A-F]+([*!]?) +\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d  ", r"ID\1 SIZE TIME  ", b)
    b = re.sub(r"(?m)^ *\(.*\)$", "(REASON)", b)
    out.append(b.strip("\n"))
print(head)
print("\n\n".join(sorted(out)))
print(re.sub(r"-- \d+ Kbytes", "-- N Kbytes", tail), end="")
'
}
pq list >"$tmp/pfc.p" 2>"$tmp/pfc.p.err"
postqueue -c "$pf/etc" -p >"$tmp/pf.p" 2>&1
mask <"$tmp/pfc.p" >"$tmp/pfc.pm"
mask <"$tmp/pf.p" >"$tmp/pf.pm"
diff "$tmp/pf.pm" "$tmp/pfc.pm" >"$tmp/d" && [ ! -s "$tmp/pfc.p.err" ]
check "list: postqueue -p's table (IDs, sizes, times, reasons masked)" $? "$(cat "$tmp/d" "$tmp/pfc.p.err")"

# The unmasked parts of pfc's own listing: columns, the reason's padding, the size.
"$PYTHON" - "$tmp/pfc.p" "$q" <<'EOF' >"$tmp/cols" 2>&1
import os, re, sys, time
lines = open(sys.argv[1]).read().split("\n")
bad = []
def want(cond, what):
    if not cond: bad.append(what)
want(lines[0] == "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------", "heading")
for l in lines[1:]:
    m = re.match(r"^([0-9A-F]+)([*!]?)( +)(\d+) (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d)  (.*)$", l)
    if m:
        idst = m.group(1) + m.group(2)
        want(len(idst + m.group(3) + m.group(4)) == max(11, len(idst)) + 1 + 7, "columns: " + l)
        path = [os.path.join(sys.argv[2], d, m.group(1)) for d in ("deferred", "hold")]
        data = open([p for p in path if os.path.exists(p)][0], "rb").read()
        # the records of pfc-queue(5): TYPE LENGTH ':' DATA '\n'
        recs, pos = {}, 0
        while pos < len(data):
            colon = data.index(b":", pos)
            n = int(data[pos + 1:colon])
            recs.setdefault(chr(data[pos]), data[colon + 1:colon + 1 + n])
            pos = colon + 2 + n
        body = recs["M"]
        want(int(m.group(4)) == len(body) + body.count(b"\n"), "size: " + l)
        t = int(recs["T"].split(b".")[0])
        want(time.strftime("%a %b %e %H:%M:%S", time.localtime(t)) == m.group(5), "time: " + l)
    elif l.strip().startswith("("):
        reason = l.strip()
        want(l == " " * max(0, 78 - len(reason)) + reason, "padding: " + l)
        want(reason == "(delivery via smtp(8) (transport smtp) is not supported by this pfcd)", "reason: " + l)
    elif l.startswith(" "):
        want(l.startswith(" " * 41) and not l[41].isspace(), "recipient: " + l)
print("\n".join(bad) if bad else "ok")
EOF
[ "$(cat "$tmp/cols")" = ok ]
check "list: sizes with CRLF line ends, local arrival time, reason padded to column 76" $? "$(cat "$tmp/cols" "$tmp/pfc.p")"

# JSON: the same keys in the same order; values but IDs, times, sizes and reasons equal.
jmask() {
    "$PYTHON" -c '
import json, sys
out = []
for l in sys.stdin:
    o = json.loads(l)
    assert l.endswith("]}\n")
    keys = list(o)
    for k in ("queue_id", "arrival_time", "message_size"): o[k] = type(o[k]).__name__
    for r in o["recipients"]:
        if "delay_reason" in r: r["delay_reason"] = "REASON"
    out.append(json.dumps([keys, o]))
print("\n".join(sorted(out)))
'
}
pq list --json >"$tmp/pfc.j" 2>&1
postqueue -c "$pf/etc" -j >"$tmp/pf.j" 2>&1
jmask <"$tmp/pfc.j" >"$tmp/pfc.jm" 2>&1
jmask <"$tmp/pf.j" >"$tmp/pf.jm" 2>&1
diff "$tmp/pf.jm" "$tmp/pfc.jm" >"$tmp/d" && [ -s "$tmp/pf.jm" ]
check "list --json: postqueue -j's objects and keys (IDs, times, sizes, reasons masked)" $? \
    "$(cat "$tmp/d" "$tmp/pfc.j")"
# The text separators of postqueue -j's output, byte for byte.
sed -E 's/"queue_id": "[^"]*"/"queue_id": "ID"/; s/"arrival_time": [0-9]+/"arrival_time": T/; s/"message_size": [0-9]+/"message_size": S/; s/"delay_reason": "[^"]*"/"delay_reason": "R"/g' "$tmp/pfc.j" | sort >"$tmp/pfc.js"
sed -E 's/"queue_id": "[^"]*"/"queue_id": "ID"/; s/"arrival_time": [0-9]+/"arrival_time": T/; s/"message_size": [0-9]+/"message_size": S/; s/"delay_reason": "[^"]*"/"delay_reason": "R"/g' "$tmp/pf.j" | sort >"$tmp/pf.js"
diff "$tmp/pf.js" "$tmp/pfc.js" >"$tmp/d"
check "list --json: byte for byte, masked" $? "$(cat "$tmp/d")"

# id SYSTEM SUBJECT-RECIPIENT: the queue ID of a message, by its first recipient
pfc_id() { pq list --json | "$PYTHON" -c "import json,sys
for l in sys.stdin:
    o=json.loads(l)
    if o['recipients'][0]['address']=='$1': print(o['queue_id'])"; }
pf_id() { postqueue -c "$pf/etc" -j | "$PYTHON" -c "import json,sys
for l in sys.stdin:
    o=json.loads(l)
    if o['recipients'][0]['address']=='$1': print(o['queue_id'])"; }

# smask: postsuper's and pfc's standard error with the program and the IDs masked, sorted
smask() { sed -E 's/^(postsuper|pfc): /P: /; s/^P: [0-9A-Za-z]+: /P: ID: /' | sort; }

# hold by ID, release by ID (- on stdin), delete by ID, requeue by ID.
a_pfc=$(pfc_id a@defer.test) a_pf=$(pf_id a@defer.test)
h_pfc=$(pfc_id hold@example.net) h_pf=$(pf_id hold@example.net)
b_pfc=$(pfc_id b@defer.test) b_pf=$(pf_id b@defer.test)
c_pfc=$(pfc_id c@defer.test) c_pf=$(pf_id c@defer.test)
pq hold "$a_pfc" >"$tmp/o1" 2>&1; r1=$?
postsuper -c "$pf/etc" -h "$a_pf" >"$tmp/o2" 2>&1; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && diff <(smask <"$tmp/o2") <(smask <"$tmp/o1") >"$tmp/d" &&
    [ "$(cat "$tmp/o1")" = "pfc: $a_pfc: placed on hold
pfc: Placed on hold: 1 message" ]
check "hold ID: postsuper -h's messages, exit 0" $? "$r1 $r2 $(cat "$tmp/d" "$tmp/o1")"
echo "$h_pfc" | pq release - >"$tmp/o1" 2>&1; r1=$?
echo "$h_pf" | postsuper -c "$pf/etc" -H - >"$tmp/o2" 2>&1; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && diff <(smask <"$tmp/o2") <(smask <"$tmp/o1") >"$tmp/d"
check "release - (IDs on stdin): postsuper -H -'s messages" $? "$r1 $r2 $(cat "$tmp/d" "$tmp/o1")"
pq delete "$b_pfc" >"$tmp/o1" 2>&1; r1=$?
postsuper -c "$pf/etc" -d "$b_pf" >"$tmp/o2" 2>&1; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && diff <(smask <"$tmp/o2") <(smask <"$tmp/o1") >"$tmp/d" &&
    ! find "$q" -name "$b_pfc" | grep -q .
check "delete ID: postsuper -d's messages, the file gone" $? "$r1 $r2 $(cat "$tmp/d" "$tmp/o1")"
pq list >"$tmp/pfc.p" 2>&1
postqueue -c "$pf/etc" -p >"$tmp/pf.p" 2>&1
diff <(mask <"$tmp/pf.p") <(mask <"$tmp/pfc.p") >"$tmp/d"
check "list after hold, release, delete: the same as postqueue -p" $? "$(cat "$tmp/d" "$tmp/pfc.p")"
grep -q "postfix/postsuper\[[0-9]*\]: $a_pfc: placed on hold$" "$log" &&
    grep -q "postfix/postsuper\[[0-9]*\]: $h_pfc: released from hold$" "$log" &&
    grep -q "postfix/postsuper\[[0-9]*\]: $b_pfc: removed$" "$log" &&
    grep -q "postfix/postsuper\[[0-9]*\]: Deleted: 1 message$" "$log" &&
    grep -q "postfix/postsuper\[[0-9]*\]: $b_pf: removed$" "$pmaillog"
check "log lines as postsuper's (ID: placed on hold, released from hold, removed; Deleted: N)" $? \
    "$(grep postsuper "$log" "$pmaillog")"

# requeue: a new queue file (Postfix: through pickup, which postqueue -f wakes), retried.
pq requeue "$c_pfc" >"$tmp/o1" 2>&1; r1=$?
postsuper -c "$pf/etc" -r "$c_pf" >"$tmp/o2" 2>&1; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && diff <(smask <"$tmp/o2") <(smask <"$tmp/o1") >"$tmp/d"
check "requeue ID: postsuper -r's messages" $? "$r1 $r2 $(cat "$tmp/d" "$tmp/o1")"
postqueue -c "$pf/etc" -f
pq flush
wait_for "$pmaillog" "orig_id=$c_pf"
wait_for "$log" "orig_id=$c_pfc"
newc=$(sed -n "s/.*postfix\/pickup\[[0-9]*\]: \([0-9A-F]*\): uid=0 from=<x y@example.org> orig_id=$c_pfc$/\1/p" "$log")
[ -n "$newc" ] && wait_for "$log" "$newc: to=<d@defer.test>.*status=deferred" &&
    ! find "$q" -name "$c_pfc" | grep -q . && [ "$(find "$q/deferred" -name "$newc" | wc -l)" = 1 ]
check "requeue: a new ID (pickup's orig_id= line), delivered again, the old file gone" $? \
    "$newc $(grep -e "$c_pfc" -e "${newc:-none}" "$log")"
settle 3
pq list >"$tmp/pfc.p" 2>&1
postqueue -c "$pf/etc" -p >"$tmp/pf.p" 2>&1
diff <(mask <"$tmp/pf.p") <(mask <"$tmp/pfc.p") >"$tmp/d"
check "list after requeue: the same as postqueue -p" $? "$(cat "$tmp/d" "$tmp/pfc.p" "$tmp/pf.p")"

# Bad IDs: an unknown one counts 0, an invalid one is warned about; exit 0 as postsuper.
pq delete NOSUCH1234 'a/b' >"$tmp/o1" 2>&1; r1=$?
postsuper -c "$pf/etc" -d NOSUCH1234 -d 'a/b' >"$tmp/o2" 2>&1; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && diff <(smask <"$tmp/o2") <(smask <"$tmp/o1") >"$tmp/d" &&
    [ "$(cat "$tmp/o1")" = "pfc: warning: invalid mail queue id: a/b
pfc: Deleted: 0 messages" ]
check "delete of an unknown and an invalid ID: postsuper's messages, exit 0" $? \
    "$r1 $r2 $(cat "$tmp/d" "$tmp/o1")"

# ALL with a queue name: every held message, and only those.
pq delete ALL hold >"$tmp/o1" 2>&1; r1=$?
postsuper -c "$pf/etc" -d ALL hold >"$tmp/o2" 2>&1; r2=$?
pq list >"$tmp/pfc.p" 2>&1
postqueue -c "$pf/etc" -p >"$tmp/pf.p" 2>&1
[ $r1 = 0 ] && [ $r2 = 0 ] && diff <(smask <"$tmp/o2") <(smask <"$tmp/o1") >"$tmp/d" &&
    diff <(mask <"$tmp/pf.p") <(mask <"$tmp/pfc.p") >>"$tmp/d" && ! grep -q '!' "$tmp/pfc.p"
check "delete ALL hold: the held message only, as postsuper -d ALL hold" $? "$(cat "$tmp/d" "$tmp/o1" "$tmp/pfc.p")"
pq delete ALL >"$tmp/o1" 2>&1
postsuper -c "$pf/etc" -d ALL >"$tmp/o2" 2>&1
pq list >"$tmp/pfc.p" 2>&1
postqueue -c "$pf/etc" -p >"$tmp/pf.p" 2>&1
diff <(smask <"$tmp/o2") <(smask <"$tmp/o1") >"$tmp/d" && diff "$tmp/pf.p" "$tmp/pfc.p" >>"$tmp/d" &&
    [ "$(cat "$tmp/pfc.p")" = "Mail queue is empty" ]
check "delete ALL, then: Mail queue is empty, as postqueue -p" $? "$(cat "$tmp/d" "$tmp/o1" "$tmp/pfc.p")"
pfp_stop "$pf"

# pfcd alone: an active message is listed with '*'; a change to it waits for its
# delivery attempt (the queue manager's lock) and then finds it deferred.
id=$(send "$port" alice@example.org slow@host.example.com)
for i in $(seq 50); do [ -f "$q/active/$id" ] && break; sleep 0.1; done
pq list >"$tmp/pfc.p" 2>&1
grep -q "^$id\*  *[0-9]* .*  alice@example.org$" "$tmp/pfc.p"
check "an active message is listed with '*'" $? "$id: $(cat "$tmp/pfc.p")"
start=$(date +%s%N)
pq hold "$id" >"$tmp/o1" 2>&1; r1=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
# The attempt ended deferred (exit 75) and was logged before the hold.
[ $r1 = 0 ] && [ -f "$q/hold/$id" ] && [ ! -e "$q/active/$id" ] && [ ! -e "$q/deferred/$id" ] &&
    [ "$(grep -n "$id: to=<slow@host.example.com>.*status=deferred" "$log" | cut -d: -f1)" -lt \
      "$(grep -n "$id: placed on hold" "$log" | cut -d: -f1)" ] && [ "$took" -gt 500 ]
check "hold of an active message waits for its delivery attempt (${took} ms), then holds it" $? \
    "$r1 $(cat "$tmp/o1"; ls -R "$q"; grep "$id" "$log")"
grep -q "warning: rename .*$id" "$log"
[ $? != 0 ]
check "the queue manager saw no file taken from under it" $? "$(grep "$id" "$log")"

# flush: with retries an hour away, the released message waits until flush wakes the
# queue manager (public/qmgr), which retries it at once.
pq release "$id" >/dev/null 2>&1
sleep 1.5
before=$(grep -c "$id: to=<slow@host.example.com>.*status=deferred" "$log")
pq flush >"$tmp/o1" 2>&1; r1=$?
for i in $(seq 100); do
    [ "$(grep -c "$id: to=<slow@host.example.com>.*status=deferred" "$log")" -gt "$before" ] && break
    sleep 0.1
done
after=$(grep -c "$id: to=<slow@host.example.com>.*status=deferred" "$log")
[ $r1 = 0 ] && [ ! -s "$tmp/o1" ] && [ "$before" = 1 ] && [ "$after" = 2 ] && [ -p "$q/public/qmgr" ]
check "flush: the deferred message is retried at once (public/qmgr woke the queue manager)" $? \
    "$r1 $before $after $(cat "$tmp/o1")"

# Privileges: any user lists a readable queue; changes need root or mail_owner.
mkdir -p "$tmp/q2/incoming" "$tmp/q2/deferred"
chown -R nobody "$tmp/q2"
runuser -u nobody -- "$PFC" queue --queue-directory "$tmp/q2" list >"$tmp/o1" 2>&1; r1=$?
runuser -u "$owner" -- "$PFC" queue --queue-directory "$tmp/q2" delete ALL >"$tmp/o2" 2>&1; r2=$?
[ $r1 = 0 ] && [ "$(cat "$tmp/o1")" = "Mail queue is empty" ] && [ $r2 = 1 ] &&
    [ "$(cat "$tmp/o2")" = "pfc: fatal: use of this command is reserved for the superuser and mail_owner" ]
check "an unprivileged user: list works, delete is refused (exit 1)" $? "$r1 $(cat "$tmp/o1") / $r2 $(cat "$tmp/o2")"
runuser -u nobody -- "$PFC" queue --root "$root" "$tmp/p.pfi" list >"$tmp/o1" 2>&1; r1=$?
[ $r1 = 1 ] && [ "$(cat "$tmp/o1")" = "pfc: fatal: open directory $q/maildrop: Permission denied: the queue is readable by root and mail_owner ($owner) only" ]
check "an unreadable queue: says so, exit 1" $? "$r1 $(cat "$tmp/o1")"

# Bad input: unknown subcommand, no such queue directory, flush with pfcd stopped.
pq frobnicate >"$tmp/o1" 2>&1; r1=$?
"$PFC" queue --queue-directory "$tmp/nonesuch" list >"$tmp/o2" 2>&1; r2=$?
pq delete ALL nosuchqueue >"$tmp/o3" 2>&1; r3=$?
[ $r1 = 2 ] && [ "$(cat "$tmp/o1")" = "pfc: queue: unknown subcommand 'frobnicate'; see 'pfc help queue'" ] &&
    [ $r2 = 1 ] && [ "$(cat "$tmp/o2")" = "pfc: fatal: chdir $tmp/nonesuch: No such file or directory" ] &&
    [ $r3 = 1 ] && [ "$(cat "$tmp/o3")" = "pfc: fatal: invalid directory name: nosuchqueue" ]
check "unknown subcommand (exit 2), missing queue directory, unknown queue (exit 1, as postsuper)" $? \
    "$r1 $(cat "$tmp/o1") / $r2 $(cat "$tmp/o2") / $r3 $(cat "$tmp/o3")"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=()
pq flush >"$tmp/o1" 2>&1; r1=$?
[ $r1 = 69 ] && [ "$(cat "$tmp/o1")" = "pfc: fatal: Cannot flush mail queue - mail system is down (no pfcd queue manager listens on $q/public/qmgr)" ]
check "flush with pfcd stopped: postqueue -f's message, exit 69" $? "$r1 $(cat "$tmp/o1")"

# mailq (pfc under that name, through pfc sendmail) and pfc queue -p: the listing of
# pfc queue list, from $MAIL_CONFIG/policy.pfi under the root.
mkdir -p "$tmp/bin" && ln -s "$(cd "$(dirname "$PFC")" && pwd)/$(basename "$PFC")" "$tmp/bin/mailq"
cp "$tmp/p.pfi" "$root/etc/postfix/policy.pfi"
MAIL_CONFIG=/etc/postfix "$tmp/bin/mailq" --root "$root" >"$tmp/o1" 2>&1; r1=$?
MAIL_CONFIG=/etc/postfix "$PFC" queue --root "$root" -p >"$tmp/o3" 2>&1; r3=$?
pq list >"$tmp/o2" 2>&1
[ $r1 = 0 ] && [ $r3 = 0 ] && diff "$tmp/o2" "$tmp/o1" >"$tmp/d" && diff "$tmp/o2" "$tmp/o3" >>"$tmp/d" &&
    grep -q "^$id" "$tmp/o1"
check "mailq and pfc queue -p: the listing of pfc queue list" $? "$r1 $r3 $(cat "$tmp/d" "$tmp/o1")"

# maildrop/: a message submitted while the mail system is down (both
# stopped; postqueue then reads the queue itself) is listed first, as
# showq lists maildrop/ first: no status character, the file's size,
# the sender and recipients as submitted.
POSTDROP=${POSTDROP:-$(dirname "$PFC")/pfc-postdrop}
pq delete ALL >/dev/null 2>&1
pfp_stop "$pf"
cp "$POSTDROP" "$tmp/bin/pfc-postdrop" && chgrp postdrop "$tmp/bin/pfc-postdrop" && chmod 2755 "$tmp/bin/pfc-postdrop"
printf 'Subject: in maildrop\n\nbody\n' >"$tmp/drop.msg"
PFC_POSTDROP=$tmp/bin/pfc-postdrop "$PFC" sendmail --root "$root" -C /etc/postfix -f alice@example.org \
    bob@example.org '"x y"@example.net' <"$tmp/drop.msg" >"$tmp/o1" 2>&1; r1=$?
/usr/sbin/sendmail -C "$pf/etc" -f alice@example.org bob@example.org '"x y"@example.net' <"$tmp/drop.msg" >"$tmp/o2" 2>&1; r2=$?
did=$(ls "$q/maildrop")
pq list >"$tmp/pfc.p" 2>&1
postqueue -c "$pf/etc" -p >"$tmp/pf.p" 2>"$tmp/pf.err"
mask <"$tmp/pfc.p" >"$tmp/pfc.pm"
mask <"$tmp/pf.p" >"$tmp/pf.pm"
[ $r1 = 0 ] && [ $r2 = 0 ] && diff "$tmp/pf.pm" "$tmp/pfc.pm" >"$tmp/d" &&
    grep -q "^$did  *$(stat -c %s "$q/maildrop/$did") .*  alice@example.org$" "$tmp/pfc.p"
check "list: a message in maildrop/ as postqueue -p lists it (no status character, the file's size)" $? \
    "$r1 $r2 $(cat "$tmp/o1" "$tmp/o2" "$tmp/d" "$tmp/pfc.p" "$tmp/pf.p")"
pq list --json >"$tmp/pfc.j" 2>&1
postqueue -c "$pf/etc" -j >"$tmp/pf.j" 2>"$tmp/pf.err"
jmask <"$tmp/pfc.j" >"$tmp/pfc.jm" 2>&1
jmask <"$tmp/pf.j" >"$tmp/pf.jm" 2>&1
diff "$tmp/pf.jm" "$tmp/pfc.jm" >"$tmp/d" && grep -q '"queue_name": "maildrop"' "$tmp/pfc.j"
check "list --json: the maildrop message as postqueue -j's (queue_name maildrop)" $? "$(cat "$tmp/d" "$tmp/pfc.j" "$tmp/pf.j")"
