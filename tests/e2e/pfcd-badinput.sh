#!/bin/bash
# tests/e2e/pfcd-badinput.sh - pfcd under hostile clients (TAP): 10 MB
# command and message lines, bare LF, NUL bytes, a pipelining flood that
# never reads, 1,000 idle connections, a slow-loris client.  After each,
# an ordinary client is still served; the replies to the line-length,
# bare LF and NUL cases are those of a real Postfix 3.7 with the same
# main.cf on another loopback port (queue ids masked), when Postfix is
# installed.  Bounded: each client has its own timeout.
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
HERE=$srcdir/tests/e2e
. "$HERE/postfix_private.sh"
need_root "pfcd binds, creates users, drops privileges"
need useradd "useradd not found"
need_pfcd
# 1,000 idle sessions and pfcd's own descriptors.
ulimit -n 4096 2>/dev/null || skip_all "cannot raise the descriptor limit to 4096"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-bad.XXXXXX") || exit 1
chmod 755 "$tmp"
owner=pfcdbad$$
owner=${owner:0:31}
pids=()
pf_started=
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "$pf_started" ] && pfp_stop "$tmp/postfix"
    userdel "$owner" >/dev/null 2>&1
    if [ -n "${PFC_E2E_KEEP:-}" ]; then echo "# PFC_E2E_KEEP: $tmp is kept"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
add_owner "$owner"

port=$(free_port)
pfport=$(free_port)

# One main.cf for both servers: every recipient to discard:, so the
# replies are the SMTP side's alone.
common="myhostname = host.example.com
mydestination = host.example.com
alias_maps =
local_recipient_maps =
default_transport = discard:
local_transport = discard:
relay_transport = discard:
default_process_limit = 2000
smtpd_client_event_limit_exceptions = 127.0.0.0/8
# HELO is a junk command: past this limit each one counts as an error.
smtpd_junk_command_limit = 1000000"
pfp_config "$tmp/postfix" "$pfport" "$common"
root=$tmp/root
mkdir -p "$root/etc/postfix"
grep -v '^\(queue_directory\|data_directory\|maillog_file\)' "$tmp/postfix/etc/main.cf" \
    >"$root/etc/postfix/main.cf"
echo "mail_owner = $owner" >>"$root/etc/postfix/main.cf"
sed "s/^127.0.0.1:$pfport /127.0.0.1:$port /" "$tmp/postfix/etc/master.cf" >"$root/etc/postfix/master.cf"
build_image
log=$tmp/maillog
"$PFCD" -f --root "$root" --log="$log" "$tmp/p.pfi" 2>"$tmp/pfcd.err" &
pids+=($!)
master=$!
for i in $(seq 100); do
    "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
    sleep 0.1
done

have_postfix=
if command -v postfix >/dev/null 2>&1 && id "$(postconf -d -h mail_owner 2>/dev/null)" >/dev/null 2>&1; then
    if pfp_start "$tmp/postfix" "$pfport"; then
        have_postfix=1
        pf_started=1
    else
        echo "# the private Postfix did not start: $(tail -n 3 "$tmp/postfix/start.out" "$tmp/postfix/maillog" 2>/dev/null | tr '\n' ' ')"
    fi
fi
plan 12

probe() { timeout 120 "$PYTHON" "$HERE/badinput_client.py" "$1" "$2" 2>&1 | sed 's/queued as [0-9A-Za-z]*/queued as XXXX/'; }
served() {
    probe "$port" served >"$tmp/served.out"
    grep -q "250 2.0.0 Ok: queued as" "$tmp/served.out" && grep -q "221 2.0.0 Bye" "$tmp/served.out"
}

# 1-6: the line-length, bare LF and NUL cases: the replies, then another client is served.
for c in longline longdata barelf nul; do
    probe "$port" "$c" >"$tmp/$c.pfcd"
    if [ -n "$have_postfix" ]; then
        probe "$pfport" "$c" >"$tmp/$c.postfix"
        diff "$tmp/$c.postfix" "$tmp/$c.pfcd" >"$tmp/$c.diff"
        check "$c: pfcd's replies are real Postfix's" $? "$(cat "$tmp/$c.diff")"
    else
        check "$c: pfcd's replies are real Postfix's # SKIP Postfix not installed or not started" 0 ""
    fi
done
served
check "after the long lines, bare LF and NUL bytes, another client is served" $? "$(cat "$tmp/served.out")"
grep -q "warning: localhost\[127.0.0.1\]: request longer than 2048: NOOP aaaa" "$log"
check "the long command line is logged as smtpd logs it" $? "$(grep -i longer "$log")"

# 7-8: a client pipelines 20,000 HELOs before it reads a reply; others are served meanwhile.
probe "$port" flood >"$tmp/flood.out" &
flood=$!
sleep 1
served
r=$?
wait "$flood"
check "a pipelining flood: another client is served meanwhile" $r "$(cat "$tmp/served.out")"
if [ -n "$have_postfix" ]; then
    probe "$pfport" flood >"$tmp/flood.postfix"
else
    printf '%s\n' "HELO replies: 20000" "S: b'221 2.0.0 Bye\\r\\n'" >"$tmp/flood.postfix"
fi
grep -q "^HELO replies: " "$tmp/flood.out" &&
    diff <(tail -n 2 "$tmp/flood.postfix") <(tail -n 2 "$tmp/flood.out") >"$tmp/flood.diff"
r=$?
check "the flood gets every reply, as from real Postfix ($(grep "HELO replies" "$tmp/flood.out"))" $r \
    "$(cat "$tmp/flood.diff"; echo "pfcd:"; tail -n 5 "$tmp/flood.out"; echo "Postfix:"; tail -n 5 "$tmp/flood.postfix")"

# 8-9: 1,000 idle connections, each greeted; another client is served; pfcd's RSS stays small.
"$PYTHON" - "$port" "$tmp/idle.ready" <<'PYEOF' >"$tmp/idle.out" 2>&1 &
import socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
conns, greeted = [], 0
for i in range(1000):
    conns.append(socket.create_connection(('127.0.0.1', port), timeout=30))
for c in conns:
    if c.recv(512).startswith(b'220 '):
        greeted += 1
print('greeted %d' % greeted, flush=True)
open(ready, 'w').close()
time.sleep(8)
PYEOF
idle=$!
for i in $(seq 300); do [ -e "$tmp/idle.ready" ] && break; sleep 0.1; done
served
r=$?
smtp_pid=$(ps -o pid= --ppid "$master" | tr -d ' ' | while read -r p; do
    [ "$(ps -o user= -p "$p" | tr -d ' ')" = "$owner" ] && echo "$p"; done | head -n 1)
rss=$(ps -o rss= -p "$smtp_pid" 2>/dev/null | tr -d ' ')
grep -q "^greeted 1000$" "$tmp/idle.out"
check "1,000 idle connections are each greeted" $? "$(cat "$tmp/idle.out")"
check "with 1,000 idle connections another client is served (SMTP process RSS ${rss:-?} KiB)" $r \
    "$(cat "$tmp/served.out")"
kill "$idle" 2>/dev/null
wait "$idle" 2>/dev/null

# 10: a slow-loris client (a byte every 0.2 s) does not hold up another.
"$PYTHON" - "$port" <<'PYEOF' >"$tmp/loris.out" 2>&1 &
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=30)
s.recv(512)
for b in b'EHLO slow.client.test\r\nMAIL FROM:<slow@client.test>\r\n':
    s.send(bytes([b]))
    time.sleep(0.2)
print(s.recv(4096).decode(errors='replace'))
PYEOF
loris=$!
sleep 1
t0=$(date +%s%N)
served
r=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "a slow-loris client does not hold up another (served in $ms ms)" $r "$(cat "$tmp/served.out")"
wait "$loris"

# 12: still alive, and it stops cleanly.
kill -TERM "$master"
wait "$master"
check "pfcd exits 0 on SIGTERM after all of it" $? "$(tail -n 5 "$tmp/pfcd.err")"
pids=()
