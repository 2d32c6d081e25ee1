#!/bin/bash
# pfcd.sh - pfcd against a real Postfix 3.7 on the same machine, side by
# side (issue 14 point 10), as root:
#
#  1. Throughput (and the CPU time each server's processes used, which
#     the machine's other load does not inflate): smtp-source (Debian's
#     postfix package) with SESSIONS sessions sending MESSAGES messages
#     of SIZE bytes, one per session, to each server on its own loopback
#     port; msgs/s of each and the ratio pfcd/Postfix. Both with the same
#     durability: Postfix's cleanup fsyncs each queue file before
#     smtpd's 250 and local(8) fsyncs each Maildir file before it counts;
#     pfcd syncs its queue files (group commit across sessions) before
#     its 250s and its Maildir files (one sync per delivery process's
#     batch) before any is linked into new/. Two runs:
#       discard  the transport is discard: (both log "status=sent" for
#                each message): the time from the first connection to the
#                last such log line;
#       maildir  (when pfcd was built with local delivery, runtime/local)
#                to a local user's Maildir/ on both (a user for each):
#                the time from the first connection until the last
#                message is in Maildir/new (each checked: MESSAGES files
#                there, no bounce).
#  2. pfcd's SMTP process RSS with IDLE idle sessions (each greeted).
#  3. Boot to ready: from exec to the first 220 greeting, for pfcd with an
#     image of BOOT_ENTRIES virtual_alias_maps entries (median of 5) and,
#     for reference, "postfix start" (once).
#
# The machine is shared: print `uptime` with the figures (this script
# does, before and after), and run it more than once.
#
# On ext4 without a journal (this machine's root file system) each new
# inode skips, one buffer lookup at a time, every inode of its group that
# was freed while its inode table block stayed cached, for up to
# dirtytime_expire_seconds (12 hours) (recently_deleted()): creating a
# file costs more the more files were deleted near it in the last hours,
# by anyone (a test suite, the last bench). So by default both servers'
# queues and Maildirs are on a file system made for the run, ext4 with
# its journal as mkfs.ext4 makes it (as a mail server's would be), on a
# loop device over a file of the same disk: the same durability (fsync
# reaches the disk through it), no history. BENCH_FS=root measures on
# the root file system instead. Either way pfcd and Postfix deliver to
# two users whose homes are made together at the start, and nothing is
# deleted between the runs, so that neither pays for the other's files.
#
# Environment:
#   PFC, PFCD  the binaries (default: ../pfc and ../pfcd beside bench/,
#              as in an in-tree build; set them for _build/dev)
#   SESSIONS (20), MESSAGES (5000), SIZE (1000), IDLE (1000),
#   BOOT_ENTRIES (1000000)
#   NO_POSTFIX=1  pfcd alone
#   BOOT_ONLY=1   part 3 alone (no smtp-source needed)
#   MODES         the throughput runs, of "discard maildir" (the default)
#   BENCH_FS      loop (the default): queues and homes on a journaled ext4
#                 made for the run on a loop device (a 4 GiB sparse file
#                 beside the scratch directory); root: in TMPDIR and
#                 /home, on whatever file system they are

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
PFC=${PFC:-$here/../pfc}
PFCD=${PFCD:-$(dirname "$PFC")/pfcd}
PYTHON=${PYTHON:-python3}
SESSIONS=${SESSIONS:-20}
MESSAGES=${MESSAGES:-5000}
SIZE=${SIZE:-1000}
IDLE=${IDLE:-1000}
BOOT_ENTRIES=${BOOT_ENTRIES:-1000000}
BENCH_FS=${BENCH_FS:-loop}
. "$here/../tests/e2e/postfix_private.sh"
. "$here/virtual-data.sh"

die() { echo "pfcd.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root (pfcd binds and changes user; postfix start)"
[ -x "$PFC" ] && [ -x "$PFCD" ] || die "pfc or pfcd not found (set PFC and PFCD)"
SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -n "${BOOT_ONLY:-}" ] || [ -x "$SMTP_SOURCE" ] || die "smtp-source not found (Debian: postfix)"
[ -n "${NO_POSTFIX:-}" ] || command -v postfix >/dev/null 2>&1 || die "postfix not installed (or NO_POSTFIX=1)"
for v in SESSIONS MESSAGES SIZE IDLE BOOT_ENTRIES; do
    case ${!v} in ''|*[!0-9]*|0) die "$v must be a positive integer" ;; esac
done

ulimit -n $((IDLE + 1000)) 2>/dev/null || die "cannot raise the descriptor limit for $IDLE sessions"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-bench.XXXXXX") || exit 1
chmod 755 "$tmp"
fsimg=
homes=
owner=pfcdbench$$
owner=${owner:0:31}
luser=pfcdbmbox$$
luser=${luser:0:31}
pfuser=pfcdbpfx$$
pfuser=${pfuser:0:31}
pfcd_pid=
pf_dir=
cleanup() {
    [ -n "$pfcd_pid" ] && kill -TERM "$pfcd_pid" 2>/dev/null && wait "$pfcd_pid" 2>/dev/null
    [ -n "$pf_dir" ] && pfp_stop "$pf_dir"
    userdel "$owner" >/dev/null 2>&1
    if [ -n "$fsimg" ]; then
        userdel "$luser" >/dev/null 2>&1
        userdel "$pfuser" >/dev/null 2>&1
        umount "$tmp" 2>/dev/null
        rm -f "$fsimg"
    else
        userdel -r "$luser" >/dev/null 2>&1
        userdel -r "$pfuser" >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
useradd --system --no-create-home --shell /usr/sbin/nologin "$owner" || die "useradd $owner"
# BENCH_FS=loop: everything on a file system of its own (see above).
case $BENCH_FS in
loop)
    fsimg=$tmp.img
    truncate -s 4G "$fsimg" &&
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$fsimg" >/dev/null 2>&1 &&
        mount -o loop "$fsimg" "$tmp" || die "cannot make and mount an ext4 file system in $fsimg"
    chmod 755 "$tmp"
    mkdir -p "$tmp/home"
    homes=$tmp/home
    ;;
root) ;;
*) die "BENCH_FS must be loop or root" ;;
esac

freeport() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
# delivered WHERE: how many messages are delivered: files in WHERE when
# it is a directory (a Maildir's new/), else status=sent lines of the log WHERE
delivered() {
    if [ -d "$1" ] || [ "${1%/new}" != "$1" ]; then
        ls -f "$1" 2>/dev/null | grep -vc '^\.'
    else
        grep -c 'status=sent' "$1" 2>/dev/null
    fi
}
# wait_count WHERE N: until N are delivered; at most 600 s
wait_count() {
    local i
    for i in $(seq 12000); do
        [ "$(delivered "$1")" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

local_built=
[ -d "$here/../runtime/local" ] && local_built=1

# main.cf of both: MODE discard sends everything to discard:, maildir to
# $luser's Maildir/ by local(8).
main_cf() {
    cat <<EOCF
myhostname = bench.example.com
mydestination = bench.example.com
alias_maps =
default_transport = discard:
relay_transport = discard:
default_process_limit = $((IDLE + 100))
smtpd_client_event_limit_exceptions = 127.0.0.0/8
home_mailbox = Maildir/
EOCF
    [ "$1" = discard ] && echo "local_transport = discard:"
}

# pfcd_config MODE PORT: its image in $tmp/pfcd-MODE.pfi. Postfix's own
# configuration, its queue and data directories moved to $tmp/pfcd-MODE;
# no --root, so that both servers do the same work on the same paths
# (the same home directories included).
pfcd_config() {
    local dir=$tmp/pfcd-$1
    mkdir -p "$dir/etc"
    pfp_config "$tmp/cf-$1" "$2" "$(main_cf "$1")"
    grep -v '^maillog_file' "$tmp/cf-$1/etc/main.cf" | sed "s|$tmp/cf-$1/|$dir/|" >"$dir/etc/main.cf"
    echo "mail_owner = $owner" >>"$dir/etc/main.cf"
    cp "$tmp/cf-$1/etc/master.cf" "$dir/etc/master.cf"
    pfcd_build "$1"
}
pfcd_build() {
    "$PFC" build -c "$tmp/pfcd-$1/etc" -o "$tmp/pfcd-$1.pfi" >"$tmp/build.out" 2>&1 ||
        die "pfc build: $(cat "$tmp/build.out")"
}

# start_pfcd MODE PORT: started, ready
start_pfcd() {
    local i
    "$PFCD" -f --log="$tmp/pfcd-$1.log" "$tmp/pfcd-$1.pfi" 2>"$tmp/pfcd.err" &
    pfcd_pid=$!
    for i in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
        sleep 0.02
    done
    die "pfcd did not start: $(cat "$tmp/pfcd.err")"
}
stop_pfcd() { kill -TERM "$pfcd_pid"; wait "$pfcd_pid" 2>/dev/null; pfcd_pid=; }

# cpu_tree PID: CPU seconds (user + system) of PID and every live
# descendant, each with its reaped children: what a server used,
# whatever else the machine runs (pfcd's delivery processes and Postfix's
# daemons included)
cpu_tree() {
    local hz
    hz=$(getconf CLK_TCK)
    tree() { local k; echo "$1"; for k in $(ps -o pid= --ppid "$1"); do tree "$k"; done; }
    for p in $(tree "$1"); do
        sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }'
    done | awk -v hz="$hz" '{ s += $1 } END { printf "%.2f\n", s / hz }'
}

# flow PORT WHERE RCPT SERVER_PID: smtp-source, then the last delivery
# (WHERE as delivered() takes it); prints the seconds and the CPU seconds
# of SERVER_PID's tree. What the run before left to write back is
# written first (sync), so that no run pays for the one before it.
flow() {
    local t0 t1 c0
    sync
    c0=$(cpu_tree "$4")
    t0=$(now)
    "$SMTP_SOURCE" -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f sender@client.example \
        -t "$3" "127.0.0.1:$1" >"$tmp/source.out" 2>&1 || die "smtp-source: $(tail -n 3 "$tmp/source.out")"
    wait_count "$2" "$MESSAGES" || die "not all delivered: $(delivered "$2") of $MESSAGES"
    t1=$(now)
    echo "$(echo "$t1 - $t0" | bc -l) $(echo "$(cpu_tree "$4") - $c0" | bc -l)"
}

report() {		# report LABEL "PFCD_SECONDS CPU" "POSTFIX_SECONDS CPU"
    local a b t c pt pc
    read -r t c <<<"$2"
    a=$(echo "$MESSAGES / $t" | bc -l)
    printf '%-9s pfcd:    %6.2f s  %8.1f msgs/s  (server CPU %.2f s)\n' "$1" "$t" "$a" "$c"
    if [ -n "$3" ]; then
        read -r pt pc <<<"$3"
        b=$(echo "$MESSAGES / $pt" | bc -l)
        printf '%-9s Postfix: %6.2f s  %8.1f msgs/s  (server CPU %.2f s)\n' "$1" "$pt" "$b" "$pc"
        printf '%-9s ratio pfcd/Postfix: %.2fx msgs/s, %.2fx less CPU\n' "$1" \
            "$(echo "$a / $b" | bc -l)" "$(echo "$pc / $c" | bc -l)"
    fi
}

echo "# uptime before: $(uptime)"
echo "# $(nproc) CPUs; $SESSIONS sessions, $MESSAGES messages of $SIZE bytes (smtp-source), one per session"
modes=discard
if [ -n "${BOOT_ONLY:-}" ]; then
    modes=
elif [ -n "$local_built" ]; then
    modes=${MODES:-discard maildir}
    for u in "$luser" "$pfuser"; do
        useradd --create-home ${homes:+--home-dir "$homes/$u"} --shell /usr/sbin/nologin "$u" ||
            die "useradd $u"
    done
else
    echo "# runtime/local is not in this tree: no Maildir run (discard: only)"
fi
for mode in $modes; do
    rcpt=bench@relay.example.org
    where_pfcd=$tmp/pfcd-$mode.log
    home=
    if [ "$mode" = maildir ]; then
        rcpt=$luser@bench.example.com
        home=$(getent passwd "$luser" | cut -d: -f6)
        where_pfcd=$home/Maildir/new
    fi
    port=$(freeport)
    pfcd_config "$mode" "$port"
    start_pfcd "$mode" "$port"
    t_pfcd=$(flow "$port" "$where_pfcd" "$rcpt" "$pfcd_pid") || exit 2
    stop_pfcd
    ! grep -q 'status=bounced' "$tmp/pfcd-$mode.log" || die "pfcd bounced: $(grep -m1 'status=bounced' "$tmp/pfcd-$mode.log")"
    t_pf=
    if [ -z "${NO_POSTFIX:-}" ]; then
        pf_dir=$tmp/cf-$mode
        where_pf=$pf_dir/maillog
        # Postfix's own user (its home made with pfcd's), so that no
        # deletion happens between the runs: see the note above.
        [ "$mode" = maildir ] && rcpt=$pfuser@bench.example.com &&
            where_pf=$(getent passwd "$pfuser" | cut -d: -f6)/Maildir/new
        pfp_start "$pf_dir" "$port" || die "postfix did not start: $(tail -n 3 "$pf_dir/start.out" "$pf_dir/maillog" 2>/dev/null)"
        t_pf=$(flow "$port" "$where_pf" "$rcpt" "$(tr -d ' ' <"$pf_dir/queue/pid/master.pid")") || exit 2
        pfp_stop "$pf_dir"
        ! grep -q 'status=bounced' "$pf_dir/maillog" || die "Postfix bounced: $(grep -m1 'status=bounced' "$pf_dir/maillog")"
        pf_dir=
    fi
    report "$mode" "$t_pfcd" "$t_pf"
done

# Idle sessions: RSS of pfcd's SMTP process (the one running as mail_owner).
if [ -z "${BOOT_ONLY:-}" ]; then
    port=$(freeport)
    pfcd_config idle "$port"
    start_pfcd idle "$port"
    smtp_pid=$(ps -o pid= --ppid "$pfcd_pid" | tr -d ' ' | while read -r p; do
        [ "$(ps -o user= -p "$p" | tr -d ' ')" = "$owner" ] && echo "$p"; done | head -n 1)
    rss0=$(ps -o rss= -p "$smtp_pid" | tr -d ' ')
    "$PYTHON" - "$port" "$IDLE" "$tmp/idle.ready" >"$tmp/idle.out" 2>&1 <<'PYEOF' &
import socket, sys, time
port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conns = [socket.create_connection(('127.0.0.1', port), timeout=60) for _ in range(n)]
greeted = sum(1 for c in conns if c.recv(512).startswith(b'220 '))
print('greeted %d' % greeted, flush=True)
open(ready, 'w').close()
time.sleep(30)
PYEOF
    idle=$!
    for i in $(seq 600); do [ -e "$tmp/idle.ready" ] && break; sleep 0.1; done
    rss1=$(ps -o rss= -p "$smtp_pid" | tr -d ' ')
    total=$(ps -o rss= --ppid "$pfcd_pid" | awk -v m="$(ps -o rss= -p "$pfcd_pid")" '{ s += $1 } END { print s + m }')
    kill "$idle" 2>/dev/null
    wait "$idle" 2>/dev/null
    echo "idle:     $(cat "$tmp/idle.out"); pfcd SMTP process RSS ${rss0} KiB before, ${rss1} KiB with $IDLE idle sessions; all pfcd processes ${total} KiB"
    stop_pfcd
fi

# Boot to ready: exec to the first 220 greeting, pfcd 5 times, with an
# image whose virtual_alias_maps has BOOT_ENTRIES entries.
port=$(freeport)
pfcd_config boot "$port"
virtual_map "$BOOT_ENTRIES" >"$tmp/pfcd-boot/etc/virtual"
echo "virtual_alias_maps = hash:$tmp/pfcd-boot/etc/virtual" >>"$tmp/pfcd-boot/etc/main.cf"
pfcd_build boot
rm -f "$tmp/pfcd-boot/etc/virtual"
boots=()
for r in 1 2 3 4 5; do
    ms=$("$PYTHON" - "$PFCD" "$tmp/pfcd-boot.log" "$tmp/pfcd-boot.pfi" "$port" <<'PYEOF'
import socket, subprocess, sys, time
pfcd, log, image, port = sys.argv[1:5]
t0 = time.perf_counter()
p = subprocess.Popen([pfcd, '-f', '--log=' + log, image])
ms = None
while ms is None and time.perf_counter() - t0 < 10 and p.poll() is None:
    try:
        with socket.create_connection(('127.0.0.1', int(port)), timeout=5) as s:
            if s.recv(512).startswith(b'220 '):
                ms = (time.perf_counter() - t0) * 1000
    except OSError:
        time.sleep(0.0005)
p.terminate()
p.wait()
print('%.1f' % ms if ms is not None else 'failed')
PYEOF
)
    [ "$ms" = failed ] && die "pfcd did not greet: $(tail -n 3 "$tmp/pfcd-boot.log")"
    boots+=("$ms")
done
median=$(printf '%s\n' "${boots[@]}" | sort -n | sed -n 3p)
printf 'boot:     pfcd exec to first 220, %s-entry image (%s MB): median %.1f ms of 5 (%s)\n' \
    "$BOOT_ENTRIES" "$(($(stat -c %s "$tmp/pfcd-boot.pfi") / 1048576))" "$median" "${boots[*]}"
if [ -z "${NO_POSTFIX:-}" ]; then
    # A configuration and port of its own: the idle run's listens elsewhere,
    # and pfcd's last SMTP process may still hold the boot port.
    pf_dir=$tmp/cf-bootref
    port=$(freeport)
    pfp_config "$pf_dir" "$port" "$(main_cf discard)"
    t0=$(now)
    pfp_start "$pf_dir" "$port" ||
        die "postfix did not start: $(tail -n 3 "$pf_dir/start.out" "$pf_dir/maillog" 2>/dev/null)"
    printf 'boot:     postfix start to ready: %.1f ms (once, for reference)\n' \
        "$(echo "($(now) - $t0) * 1000" | bc -l)"
    pfp_stop "$pf_dir"
    pf_dir=
fi
echo "# uptime after: $(uptime)"
