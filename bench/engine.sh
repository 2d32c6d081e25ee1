#!/bin/bash
# engine.sh - the policy engine's speed (issue 13, point 5): ENVELOPES
# envelopes, one RCPT each, through "pfc trace IMAGE --envelopes" on the
# small-company example grown to a large site, beside the time a real
# Postfix 3.7 smtpd on loopback takes for SESSIONS sessions of one RCPT
# each on the same configuration.
#
# The configuration: examples/small-company deployed under a scratch root
# (as scripts/demo deploys it), plus
#   smtpd_client_restrictions = check_client_access hash:.../client_access
#   smtpd_recipient_restrictions = check_recipient_access hash:.../recipient_access
#   virtual_alias_domains = example.org, example-staff.org
# where client_access holds ENTRIES client addresses (REJECT, a 554 text,
# OK, DUNNO), recipient_access ENTRIES addresses of the three domains
# (REJECT, REJECT with text, a 550 text, OK, DUNNO), and the virtual table
# grows by ENTRIES aliases; every transport is discard:.  The relay
# restrictions stay the example's (permit_mynetworks,
# reject_unauth_destination), and local recipients are checked against
# this machine's passwd file and the example's aliases, as Postfix checks
# them.
#
# The envelopes (a fixed seed): clients listed in client_access, clients
# not listed (some with a name), clients on the office LAN (mynetworks);
# recipients local (hits and misses, some in upper case), in the virtual
# alias domain with a catch-all, in the one without (hits and misses),
# remote (relay denied unless the client is on the LAN), listed in
# recipient_access, and the bare "postmaster".
#
# pfc: "pfc trace IMAGE --envelopes <ENVELOPES-FILE >/dev/null", RUNS runs
# after a warm-up run; wall and CPU (user+system) time of each, whole
# process (image load included).  The target, >= 200,000 envelopes/s on
# one core, is judged on the median CPU time: the machine may be shared,
# and a run's CPU time is what it costs one core.  The envelopes whose
# recipient is in a local domain are timed apart too: each asks the
# passwd table for user@domain, user and @domain (from
# local_recipient_maps = proxy:unix:passwd.byname ..., as Postfix's
# proxymap asks getpwnam() for each, every time).  The batch mode reads
# the account database once per run (pfc(1)): listed at once when
# nsswitch.conf's passwd sources list every name they answer (files,
# systemd), else each name asked of the host once, so that a name not
# seen before costs a getpwnam(): the host's name service's cost, not the
# engine's; the script measures one such lookup and prints it.  Three in
# five local envelopes name a user of their own (user<N>), as a
# dictionary attack would: two new names each.
#
# Postfix: a private instance (its own configuration, queue and data
# directories under a mktemp directory; smtpd on 127.0.0.1 with
# smtpd_authorized_xclient_hosts = 127.0.0.1; /etc/postfix untouched),
# started and stopped (on every exit) by tests/e2e/postfix_private.sh.
# bench/envelope-client.py sends the first SESSIONS envelopes, one session
# each, one at a time: XCLIENT ADDR=... NAME=..., EHLO, then MAIL, RCPT
# and QUIT pipelined, and keeps the RCPT reply.  (smtp-source cannot stand
# in for other clients, and always sends a message.)  Before any figure is
# printed, Postfix's RCPT replies must equal pfc's for the same envelopes,
# text for text: both then do the same job.  POSTFIX_RUNS timed runs after
# a warm-up of 20 sessions; the median wall time is reported.  The
# instance alone sets in_flow_delay = 0s: its sessions end before DATA, so
# nothing is ever delivered, cleanup's flow control runs dry and would
# pause each new queue file for a second.  Without Postfix or root, only
# pfc's half runs.
#
# Environment:
#   PFC           the pfc binary (default: ../pfc beside this script's directory)
#   ENTRIES       entries in each generated table (default 100000)
#   ENVELOPES     envelopes through pfc (default 100000)
#   SESSIONS      sessions sent to Postfix (default 1000, at most ENVELOPES)
#   RUNS          timed pfc runs of each envelope set (default 5)
#   POSTFIX_RUNS  timed Postfix runs (default 3)
#   PYTHON        python3
#   KEEP          a directory to keep the configuration, the envelopes and
#                 both sides' replies in

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
PFC=${PFC:-$here/../pfc}
ENTRIES=${ENTRIES:-100000}
ENVELOPES=${ENVELOPES:-100000}
SESSIONS=${SESSIONS:-1000}
RUNS=${RUNS:-5}
POSTFIX_RUNS=${POSTFIX_RUNS:-3}
PYTHON=${PYTHON:-python3}
TARGET=200000

die() { echo "engine.sh: $*" >&2; exit 2; }

[ -x "$PFC" ] || die "pfc binary not found (set PFC)"
for v in ENTRIES ENVELOPES SESSIONS RUNS POSTFIX_RUNS; do
    case ${!v} in ''|*[!0-9]*|0) die "$v must be a positive integer" ;; esac
done
[ "$SESSIONS" -le "$ENVELOPES" ] || die "SESSIONS must not exceed ENVELOPES"
example=$here/../examples/small-company
[ -f "$example/main.cf" ] || die "no examples/small-company beside bench/"

# Postfix's half needs Postfix, root (postfix start) and python3.
postfix_skip=""
for t in postfix postconf postmap postalias; do
    command -v $t >/dev/null 2>&1 || postfix_skip="$t not installed"
done
command -v "$PYTHON" >/dev/null 2>&1 || postfix_skip="$PYTHON not installed"
[ -n "$postfix_skip" ] || [ "$(id -u)" = 0 ] || postfix_skip="postfix start needs root"

load_before=$(uptime | sed 's/.*load average: //')
tmp=$(mktemp -d) || die "mktemp failed"
# Postfix's daemons run as mail_owner and must reach the instance below.
chmod 755 "$tmp"
# The private Postfix's directory while it runs (tests/e2e/postfix_private.sh
# starts and stops it).
. "$here/../tests/e2e/postfix_private.sh"
pf_running=""
stop_postfix() {
    [ -z "$pf_running" ] || pfp_stop "$pf_running"
    pf_running=""
}
cleanup() {
    stop_postfix
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# ------------------------------------------------------------ the data
# The example, deployed under a scratch root as it names its files.
root=$tmp/root
etc=$root/etc/postfix
mkdir -p "$etc"
cp -R "$example/." "$etc/"
# Set below, once: Postfix warns about a parameter given twice.
sed -i '/^virtual_alias_domains *=/d' "$etc/main.cf"
cat >>"$etc/main.cf" <<'CF'

# bench/engine.sh: a large site.  Access tables in the client and the
# recipient restrictions, a second virtual alias domain (without a
# catch-all), and nothing delivered anywhere.
smtpd_client_restrictions = check_client_access hash:/etc/postfix/client_access
smtpd_recipient_restrictions = check_recipient_access hash:/etc/postfix/recipient_access
virtual_alias_domains = example.org, example-staff.org
default_transport = discard:
relay_transport = discard:
local_transport = discard:
virtual_transport = discard:
CF

# The tables and the envelopes, from one awk program with a fixed seed.
# v<I>@example.org (I % 3 == 0) or v<I>@example-staff.org: the virtual
# aliases; acc<I>@<domain I % 3>: the recipient access entries; 10.<I as
# three octets>: the client access entries.
awk -v n="$ENTRIES" -v k="$ENVELOPES" -v dir="$etc" -v env="$tmp/envelopes" \
    -v local_env="$tmp/envelopes.local" -v other_env="$tmp/envelopes.other" 'BEGIN {
    srand(13)
    split("example.com example.org example-staff.org", dom, " ")
    split("REJECT|554 5.7.1 Client host blocked by local policy|OK|DUNNO", cres, "|")
    split("REJECT|REJECT This mailbox is closed|550 5.1.6 Recipient has moved|OK|DUNNO", rres, "|")
    split("alice bob carol", users, " ")
    nlocal = split("postmaster abuse hostmaster webmaster mailer-daemon nobody root info sales office daemon bin", local, " ")
    for (i = 0; i < n; i++) {
        printf "10.%d.%d.%d %s\n", int(i / 65536), int(i / 256) % 256, i % 256, cres[i % 4 + 1] >(dir "/client_access")
        printf "acc%d@%s %s\n", i, dom[i % 3 + 1], rres[i % 5 + 1] >(dir "/recipient_access")
        target = i % 4 == 3 ? sprintf("fwd%d@elsewhere.example", i) : users[i % 4 + 1]
        printf "v%d@%s\t%s\n", i, (i % 3 == 0 ? "example.org" : "example-staff.org"), target >>(dir "/virtual")
    }
    for (j = 0; j < k; j++) {
        u = rand()
        if (u < 0.30) {             # listed in client_access
            i = int(rand() * n)
            client = sprintf("10.%d.%d.%d", int(i / 65536), int(i / 256) % 256, i % 256)
        } else if (u < 0.80) {      # not listed; a fifth with a name
            client = sprintf("10.%d.%d.%d", 2 + int(rand() * 250), int(rand() * 256), 1 + int(rand() * 254))
            if (rand() < 0.2)
                client = client sprintf(",mx%d.sender%d.example", j % 7, j)
        } else {                    # the office LAN
            client = sprintf("192.168.1.%d", 2 + int(rand() * 250))
        }
        helo = sprintf("mx%d.sender%d.example", j % 5, int(rand() * 1000))
        sender = rand() < 0.05 ? "<>" : sprintf("s%d@sender%d.example", j, int(rand() * 1000))
        v = rand()
        if (v < 0.005) {
            rcpt = "postmaster"
        } else if (v < 0.25) {      # local: aliases and passwd users, or unknown
            if (rand() < 0.4)
                rcpt = local[1 + int(rand() * nlocal)] "@example.com"
            else
                rcpt = sprintf("user%d@example.com", j)
            if (rand() < 0.05)
                rcpt = toupper(substr(rcpt, 1, 1)) substr(rcpt, 2, length(rcpt) - 4) "COM"
        } else if (v < 0.40) {      # example.org: its catch-all takes everything
            i = 3 * int(rand() * n / 3)
            rcpt = rand() < 0.5 ? sprintf("v%d@example.org", i) : sprintf("any%d@example.org", j)
        } else if (v < 0.65) {      # example-staff.org: listed or unknown
            do i = int(rand() * n); while (i % 3 == 0)
            rcpt = rand() < 0.5 ? sprintf("v%d@example-staff.org", i) : sprintf("nosuch%d@example-staff.org", j)
        } else if (v < 0.85) {      # remote
            rcpt = sprintf("r%d@remote%d.example", j, int(rand() * 1000))
        } else {                    # listed in recipient_access
            i = int(rand() * n)
            rcpt = sprintf("acc%d@%s", i, dom[i % 3 + 1])
        }
        printf "%s %s %s %s\n", client, helo, sender, rcpt >env
        printf "%s %s %s %s\n", client, helo, sender, rcpt >(tolower(rcpt) ~ /@example\.com$/ ? local_env : other_env)
    }
}' || die "cannot generate the tables"

"$PFC" newaliases --root "$root" -C /etc/postfix 2>"$tmp/err" ||
    die "pfc newaliases failed: $(head -n 3 "$tmp/err")"
for table in virtual client_access recipient_access; do
    "$PFC" map --root "$root" "hash:/etc/postfix/$table" 2>"$tmp/err" ||
        die "pfc map $table failed: $(head -n 3 "$tmp/err")"
done
"$PFC" build --root "$root" -c /etc/postfix -o "$tmp/policy.pfi" 2>"$tmp/err" ||
    die "pfc build failed: $(head -n 3 "$tmp/err")"
head -n "$SESSIONS" "$tmp/envelopes" >"$tmp/sample"

# pfc's answers: all of them once (also the warm-up run).
timeout 300 "$PFC" trace "$tmp/policy.pfi" --envelopes <"$tmp/envelopes" >"$tmp/pfc.out" \
    2>"$tmp/err" || die "pfc trace --envelopes failed: $(head -n 3 "$tmp/err")"
[ "$(wc -l <"$tmp/pfc.out")" -eq "$ENVELOPES" ] || die "pfc trace gave fewer answers than envelopes"

# ------------------------------------------------------------ Postfix
pf_secs=""
if [ -z "$postfix_skip" ]; then
    pf=$tmp/postfix
    mkdir -p "$pf/etc" "$pf/queue" "$pf/data"
    owner=$(postconf -d -h mail_owner)
    chown "$owner" "$pf/data" && chmod 700 "$pf/data"
    cp "$etc"/{main.cf,master.cf,aliases,virtual,client_access,recipient_access} "$pf/etc/"
    port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # The same configuration, its tables where the instance keeps them.
    sed -i "s|/etc/postfix/|$pf/etc/|g" "$pf/etc/main.cf"
    # The instance: its own directories, loopback only, no chroot, the
    # smtp service on the chosen port, XCLIENT from the client.
    postconf -c "$pf/etc" -e "config_directory = $pf/etc" "queue_directory = $pf/queue" \
        "data_directory = $pf/data" "maillog_file = $pf/maillog" "maillog_file_prefixes = $pf" \
        "inet_interfaces = 127.0.0.1" "inet_protocols = ipv4" \
        "smtpd_authorized_xclient_hosts = 127.0.0.1" "in_flow_delay = 0s" ||
        die "postconf -e failed"
    awk -v port="$port" '
        /^[^#[:space:]]/ && NF >= 8 {
            $5 = "n"
            if ($1 == "smtp" && $2 == "inet") $1 = "127.0.0.1:" port
        }
        { print }' "$etc/master.cf" >"$pf/etc/master.cf"
    postalias -c "$pf/etc" "hash:$pf/etc/aliases" 2>"$tmp/err" ||
        die "postalias failed: $(head -n 3 "$tmp/err")"
    for table in virtual client_access recipient_access; do
        postmap -c "$pf/etc" "hash:$pf/etc/$table" 2>"$tmp/err" ||
            die "postmap $table failed: $(head -n 3 "$tmp/err")"
    done
    # Postfix re-reads (and re-warns about) a main.cf younger than a second.
    find "$pf/etc" -type f -exec touch -d 2000-01-01 {} +
    pf_running=$pf
    pfp_start "$pf" "$port" ||
        die "Postfix does not listen on 127.0.0.1:$port: $(tail -n 3 "$pf/start.out" "$pf/maillog" 2>/dev/null)"

    # client ENVELOPES OUT: the RCPT replies to OUT, the seconds to OUT.secs
    client() {
        timeout 600 "$PYTHON" "$here/envelope-client.py" --port "$port" "$1" "$2" \
            >"$2.secs" 2>"$tmp/client.err"
    }
    head -n 20 "$tmp/sample" >"$tmp/warm"
    client "$tmp/warm" "$tmp/warm.out" || die "envelope-client.py failed: $(tail -n 3 "$tmp/client.err")"
    for ((run = 0; run < POSTFIX_RUNS; run++)); do
        client "$tmp/sample" "$tmp/postfix.out.$run" ||
            die "envelope-client.py failed: $(tail -n 3 "$tmp/client.err")"
    done
    stop_postfix

    # The same job: Postfix's replies are pfc's, envelope for envelope, in every run.
    head -n "$SESSIONS" "$tmp/pfc.out" >"$tmp/pfc.sample"
    for ((run = 0; run < POSTFIX_RUNS; run++)); do
        cmp -s "$tmp/pfc.sample" "$tmp/postfix.out.$run" && continue
        echo "engine.sh: pfc and Postfix answer differently (Postfix's run $((run + 1))):" >&2
        paste -d '\n' "$tmp/sample" "$tmp/postfix.out.$run" "$tmp/pfc.sample" |
            awk 'NR % 3 == 1 { e = $0 } NR % 3 == 2 { p = $0 } NR % 3 == 0 && p != $0 {
                print "  " e; print "    postfix: " p; print "    pfc:     " $0; if (++n == 10) exit }' >&2
        [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp -R "$tmp"/. "$KEEP/"
        die "not the same job: no figures"
    done
    cp "$tmp/postfix.out.0" "$tmp/postfix.out"
    pf_secs=$(cat "$tmp"/postfix.out.*.secs | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
fi

# ------------------------------------------------------------ pfc, timed
# time_pfc NAME FILE RUNS: RUNS runs on FILE (the image and FILE are in
# the page cache: the answers above were a warm-up); median wall, median
# CPU (user + system) and best CPU in seconds, into wall[NAME],
# cpu[NAME], best[NAME]; the envelopes into count[NAME]
declare -A wall=() cpu=() best=() count=()
time_pfc() {
    local run
    TIMEFORMAT='%3R %3U %3S'
    : >"$tmp/times"
    for ((run = 0; run < $3; run++)); do
        { time timeout 600 "$PFC" trace "$tmp/policy.pfi" --envelopes <"$2" \
            >/dev/null 2>"$tmp/err"; } 2>>"$tmp/times" || die "pfc trace --envelopes failed"
    done
    read -r "wall[$1]" < <(cut -d' ' -f1 "$tmp/times" | sort -n |
        awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    read -r "cpu[$1]" "best[$1]" < <(awk '{ print $2 + $3 }' "$tmp/times" | sort -n |
        awk '{ a[NR] = $1 } END { printf "%.3f %.3f\n", a[int((NR + 1) / 2)], a[1] }')
    count[$1]=$(wc -l <"$2")
}
time_pfc all "$tmp/envelopes" "$RUNS"
time_pfc other "$tmp/envelopes.other" "$RUNS"
# The local ones may cost the name service's time, the same in every run: one run.
time_pfc local "$tmp/envelopes.local" 1

# One passwd lookup of an unknown name on this machine, as a local
# recipient with a new name makes two of them (CPU time, the mean of 2,000).
pw_us=""
if command -v "$PYTHON" >/dev/null 2>&1; then
    pw_us=$("$PYTHON" -c 'import pwd, time
t = time.process_time()
for i in range(2000):
    try: pwd.getpwnam("pfc-bench-nobody%d" % i)
    except KeyError: pass
print("%.1f" % ((time.process_time() - t) / 2000 * 1e6))')
fi

[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp -R "$root" "$tmp/envelopes" "$tmp/pfc.out" "$KEEP/" &&
    { [ -z "$pf_secs" ] || cp "$tmp/postfix.out" "$KEEP/"; }

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
us() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", (n > 0 ? s / n * 1e6 : 0) }'; }
row() {    # row NAME LABEL
    printf "  %-34s %6s  %6.3f s %8s/s %6s us  %6.3f s %8s/s  %7.3f s\n" "$2" "${count[$1]}" \
        "${cpu[$1]}" "$(rate "${count[$1]}" "${cpu[$1]}")" "$(us "${count[$1]}" "${cpu[$1]}")" \
        "${best[$1]}" "$(rate "${count[$1]}" "${best[$1]}")" "${wall[$1]}"
}
echo "pfc:      $PFC"
echo "config:   examples/small-company + client_access, recipient_access and virtual of $ENTRIES entries each"
echo "image:    $(du -k "$tmp/policy.pfi" | cut -f1) KiB"
echo "answers:  $(awk '{ c[substr($1, 1, 1)]++ } END {
    printf "%d accepted, %d refused (5xx), %d deferred (4xx)", c[2], c[5], c[4] }' "$tmp/pfc.out")"
echo "load:     $load_before at the start, $(uptime | sed 's/.*load average: //') at the end (1, 5, 15 min), $(nproc) CPUs"
echo "pfc trace --envelopes, whole process (image load included), $RUNS runs after a warm-up (the local ones: 1):"
printf "  %-34s %6s  %24s %6s  %19s  %9s\n" "envelopes" "count" "median CPU (user+system)" "each" \
    "best CPU" "med. wall"
row all "all"
row other "  recipient not local"
row local "  recipient local (passwd lookups)"
[ -n "$pw_us" ] && echo "  one passwd lookup of an unknown name here: $pw_us us CPU" \
    "(nsswitch: $(awk '$1 == "passwd:" { $1 = ""; print substr($0, 2) }' /etc/nsswitch.conf 2>/dev/null));" \
    "pfc lists the database once a run if these sources allow it (pfc(1)), else a local recipient makes 2" \
    "with a name new to the run (@domain: once a run); Postfix's proxymap 3 each time"
if [ -n "$pf_secs" ]; then
    echo "Postfix $(postconf -d -h mail_version) smtpd on 127.0.0.1 ($SESSIONS sessions of one RCPT, one at a time, median of $POSTFIX_RUNS runs):"
    printf "  wall        %8.3f s  %9s sessions/s  (%.2f ms each)\n" "$pf_secs" \
        "$(rate "$SESSIONS" "$pf_secs")" "$(awk -v s="$pf_secs" -v n="$SESSIONS" 'BEGIN { print s / n * 1e3 }')"
    echo "  replies:    identical to pfc's for these $SESSIONS envelopes"
    awk -v p="$pf_secs" -v n="$SESSIONS" -v w="${wall[all]}" -v c="${cpu[all]}" -v k="${count[all]}" 'BEGIN {
        printf "  per envelope: pfc %.0fx faster than Postfix (all envelopes; wall against wall; %.0fx on pfc'"'"'s CPU time)\n",
            (p / n) / (w / k), (p / n) / (c / k) }'
else
    echo "Postfix: not run ($postfix_skip); pfc's answers were not compared"
fi
target() { # target NAME TEXT: judged on the median; the best beside it
    local verdict=MISSED
    awk -v c="${cpu[$1]}" -v k="${count[$1]}" -v t="$TARGET" 'BEGIN { exit !(k / c >= t) }' &&
        verdict=met
    echo "  target: >= $TARGET envelopes/s on one core, $2: $verdict" \
        "(median $(rate "${count[$1]}" "${cpu[$1]}")/s, best $(rate "${count[$1]}" "${best[$1]}")/s)"
}
target all "all envelopes"
target other "recipient not local"
exit 0
