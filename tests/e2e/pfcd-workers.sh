#!/bin/bash
# tests/e2e/pfcd-workers.sh - pfcd's delivery processes (TAP): pfcd
# started as root under a scratch --root on a loopback port, with the
# example configuration (examples/local-only), max_use = 3 and
# max_idle = 6s, and a Maildir user this test creates; swaks sends. A
# delivery process lives on from message to message (the local(8) pid of
# the log lines), exits after max_use batches (its requests: one message
# each when they come one at a time), after max_idle without work, and
# after SIGHUP replaced the image; one killed while idle is replaced,
# with a warning; a batch is at most max_use recipients (five held
# messages released and flushed at once: three to one process, two to
# another) and counts as one request (the process of three lives on),
# its Maildir writes made by a child of that process running as the user
# and kept for the next batch; SIGTERM stops pfcd with its idle
# processes, none left behind.
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
need_root "pfcd binds, creates users, delivers as them"
need swaks "swaks not installed (scripts/install-deps)"
need useradd "useradd not found"
need_pfcd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-workers.XXXXXX") || exit 1
chmod 755 "$tmp"
p=pw$$
p=${p:0:20}
owner=${p}o md=${p}d
users=("$owner" "$md")
master=
cleanup() {
    [ -n "$master" ] && kill -TERM "$master" 2>/dev/null && wait "$master" 2>/dev/null
    for u in "${users[@]}"; do userdel "$u" >/dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup EXIT
root=$tmp/root
add_owner "$owner"
add_user "$md"
home=$root/home/$md

plan 13

port=$(free_port)
example_root "$port"
cat >>"$root/etc/postfix/main.cf" <<EOF
mail_owner = $owner
home_mailbox = Maildir/
max_use = 3
max_idle = 6s
smtpd_sender_restrictions = check_sender_access inline:{ { held@localhost = HOLD } }
EOF
build_image newaliases
log=$tmp/maillog

"$PFCD" -f --root "$root" --log="$log" "$tmp/p.pfi" 2>"$tmp/pfcd.err" &
master=$!
wait_for "$log" "daemon started"
check "pfcd starts on 127.0.0.1:$port" $? "$(cat "$tmp/pfcd.err")"

# send SUBJECT [FROM]: one message to the Maildir user; prints its queue id
send() {
    swaks --server 127.0.0.1 --port "$port" --helo client.example --from "${2:-$md@localhost}" \
        --to "$md@localhost" --header "Subject: $1" --body "This is $1." >"$tmp/swaks.out" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' "$tmp/swaks.out"
}
# delivered ID: waits until ID is removed; prints the pid of the local(8) line that delivered it
delivered() {
    wait_for "$log" "$1: removed" &&
        sed -n "s/.*postfix\/local\[\([0-9]*\)\]: $1: to=<$md@localhost>, .*status=sent (delivered to maildir)/\1/p" "$log"
}
# gone PID: up to 10 s until PID has exited
gone() {
    local i
    for i in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

# 2-3: one process for three messages in a row (max_use = 3), then a new one.
a=$(delivered "$(send one)")
b=$(delivered "$(send two)")
c=$(delivered "$(send three)")
[ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ]
check "one delivery process delivers three messages in a row" $? "pids: $a $b $c; $(tail -n 20 "$log")"
gone "$c" && d=$(delivered "$(send four)") && [ -n "$d" ] && [ "$d" != "$c" ]
check "after max_use (3) batches it exits; the next message gets a new process" $? \
    "pids: $c $d; $(tail -n 10 "$log")"

# 4: max_idle (6s): the idle process exits; the next message gets a new one.
sleep 7
gone "$d" && e=$(delivered "$(send five)") && [ -n "$e" ] && [ "$e" != "$d" ]
check "an idle process exits after max_idle; the next message gets a new process" $? \
    "pids: $d $e; $(tail -n 10 "$log")"

# 5-6: SIGHUP: the image is mapped again, the idle process retired.
kill -HUP "$master"
wait_for "$log" "reload -- image"
gone "$e"
check "SIGHUP retires the idle delivery process" $? "pid $e; $(tail -n 10 "$log")"
f=$(delivered "$(send six)")
[ -n "$f" ] && [ "$f" != "$e" ]
check "after SIGHUP a new process delivers" $? "pids: $e $f; $(tail -n 10 "$log")"

# 7-8: a process killed while idle: a warning, and the next message is delivered by a new one.
kill -KILL "$f"
wait_for "$log" "warning: local delivery process pid $f killed by signal 9"
check "a delivery process killed while idle is logged" $? "$(tail -n 10 "$log")"
g=$(delivered "$(send seven)")
[ -n "$g" ] && [ "$g" != "$f" ]
check "the next message is delivered by a new process" $? "pids: $f $g; $(tail -n 10 "$log")"

# 9-11: a batch is at most max_use recipients: five messages held (the
# sender's HOLD), released to deferred/ once no process is left (max_idle),
# then flushed at once: three to one process, two to another. The batch
# of three is one request of the three its process may serve: it lives on.
pq() { "$PFC" queue --root "$root" --log="$log" "$tmp/p.pfi" "$@"; }
ids=()
for s in b1 b2 b3 b4 b5; do ids+=("$(send "$s" held@localhost)"); done
sleep 7
held=$(ls "$root/var/spool/postfix/hold" 2>/dev/null | sort | tr '\n' ' ')
[ "$held" = "$(printf '%s\n' "${ids[@]}" | sort | tr '\n' ' ')" ] && [ -z "$(ps -o pid= --ppid "$(ps -o pid= --ppid "$master" | tr '\n' ',' | sed 's/,$//')" 2>/dev/null)" ]
check "five messages held, no delivery process left" $? "held: $held; ids: ${ids[*]}; $(ps -ef --forest | grep -A3 "[p]fcd")"
pq release ALL >"$tmp/flush.out" 2>&1 && pq flush >>"$tmp/flush.out" 2>&1
pids=()
for id in "${ids[@]}"; do pids+=("$(delivered "$id")"); done
counts=$(printf '%s\n' "${pids[@]}" | sort | uniq -c | awk '{ print $1 }' | sort -n | tr '\n' ' ')
[ "$counts" = "2 3 " ]
check "flushed at once: three to one process (max_use), the other two to another" $? \
    "pids: ${pids[*]}; $(cat "$tmp/flush.out"); $(tail -n 20 "$log")"
three=$(printf '%s\n' "${pids[@]}" | sort | uniq -c | awk '$1 == 3 { print $2 }')
sleep 1
[ -n "$three" ] && kill -0 "$three" 2>/dev/null
check "a batch of three is one request: its process lives on" $? \
    "pids: ${pids[*]}; $(ps -ef --forest | grep -A4 "[p]fcd"); $(tail -n 10 "$log")"

# 12: the batch of two was written by a writer, a child of its delivery
# process running as the user (real, effective and saved uid), kept for
# the next batch as that process is.
uid=$(id -u "$md")
writer=$(ps -o pid=,ppid=,ruid=,euid=,suid= -u "$uid" | awk -v u="$uid" '$3 == u && $4 == u && $5 == u { print $1, $2 }')
parent=$(awk '{ print $2 }' <<<"$writer" | head -n 1)
[ -n "$writer" ] && printf '%s\n' "${pids[@]}" | grep -qx "$parent"
check "the batch's Maildir writes: a child of its delivery process, as the user, kept" $? \
    "writer (pid ppid): $writer; delivery pids: ${pids[*]}; $(ps -ef --forest | grep -A4 "[p]fcd")"

# 13: SIGTERM: pfcd exits, its idle delivery process and writer with it.
idle=$(ps -o pid= --ppid "$(ps -o pid= --ppid "$master" | head -n 50 | tr '\n' ',' | sed 's/,$//')" 2>/dev/null | tr -d ' ')
kill -TERM "$master"
ok=1
for i in $(seq 100); do kill -0 "$master" 2>/dev/null || { ok=0; break; }; sleep 0.1; done
wait "$master" 2>/dev/null
master=
left=
for p in $idle $(ps -o pid= -u "$uid"); do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ "$ok" = 0 ] && [ -z "$left" ]
check "SIGTERM: pfcd exits within 10 s, no delivery process or writer left" $? "left:$left; $(tail -n 5 "$log")"
