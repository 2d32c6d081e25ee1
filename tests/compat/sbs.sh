#!/bin/bash
# tests/compat/sbs.sh - side by side with a real Postfix 3.7 smtpd: the same
# configurations and SMTP sessions answered by Postfix and by pfc, replies
# compared byte for byte.
#
# What it does:
#  1. sbs_cases.py writes the configurations and ~1600 sessions: three
#     Postfix instances (a: compatibility_level 3.7 with ~130 smtpd
#     services on 127.0.0.1 ports, each with its own -o overrides; b: level
#     0; c: the services `pfc check` calls errors, which smtpd answers with
#     451 4.3.5 at run time, apart so that they cannot keep a and b from
#     building).  Every transport is discard:, smtpd listens on 127.0.0.1
#     only, and smtpd_authorized_xclient_hosts = 127.0.0.1.
#  2. Each instance gets its own config, queue and data directories under
#     a mktemp directory and is started with `postfix -c DIR start`; the
#     EXIT trap stops it on every path.  /etc/postfix and any system
#     Postfix are never touched.
#  3. sbs_client.py sends every session to its service, after
#     XCLIENT ADDR=... NAME=... to stand in for the case's client, waiting
#     for each reply (sessions marked pipeline are sent in one write after
#     the EHLO or HELO), and records the replies from the greeting that
#     follows XCLIENT on.  XCLIENT replaces what the restrictions see of
#     the client but two things: permit_inet_interfaces still looks at the
#     TCP peer (127.0.0.1), and with smtpd_delay_reject = no the client
#     restrictions also judge the harness's own connection, so such lists
#     let 127.0.0.1 in first.
#  4. Postfix is stopped, and the target answers the same sessions:
#       PFC_SBS_TARGET=trace (default): `pfc build -c DIR -o IMAGE` per
#         instance, then for each case
#         `pfc trace IMAGE --service 127.0.0.1:PORT --client 127.0.0.1,localhost`
#         with the session on stdin after the same XCLIENT ADDR=... NAME=...
#         line the SMTP client sends (so that what looks at the connecting
#         peer sees the harness, as in Postfix), the first greeting dropped;
#       PFC_SBS_TARGET=smtp: the command in PFC_SBS_SERVER is started per
#         instance ({image} and {config} replaced by the image and the
#         configuration directory), must serve the services of master.cf
#         on their ports with XCLIENT, and gets the same sessions through
#         sbs_client.py; its process group gets SIGTERM afterwards, and
#         PFC_SBS_SERVER_STOP (same placeholders) runs if set, for a
#         server that leaves its process group.  Postfix itself, as a
#         check of the harness, gives identical: M/M:
#           PFC_SBS_TARGET=smtp PFC_SBS_SERVER='postfix -c {config} start'
#           PFC_SBS_SERVER_STOP='postfix -c {config} stop'
#       PFC_SBS_TARGET=pfcd: the smtp target with pfcd itself as the server:
#         `pfcd -f --log=FILE IMAGE` per instance (PFCD names the binary,
#         default: pfcd beside PFC); its logs stay in the work directory.
#         An instance that pfc build refuses (c) gets no server: its
#         cases are skipped with pfc build's reason, as for trace.
#         tests/compat/sbs-pfcd.sh is this target in make check.
#  5. sbs_compare.py compares each pair with queue ids masked; each case is
#     one TAP result; a case with nothing to compare (KNOWN_DIFFS below:
#     Postfix crashed; or the target refuses the configuration by design)
#     is a SKIP with its reason, left out of M; the last lines say
#     "identical: N/M compared", list the cases left out, and the run time.
#
# Left out: what needs DNS (reject_unknown_*, reject_rbl_* and the other
# DNS lists, check_*_{a,mx,ns}_access, permit_mx_backup, client names that
# are not verified) and check_policy_service (other tests have their own
# servers for those), reject_unverified_* (address probes), SASL, TLS and
# milters; and what a session of lines cannot carry: BDAT chunks, bare LF,
# timeouts, connection and rate limits (anvil).  Content checks
# (header_checks, body_checks) belong to cleanup, not to these replies.
#
# Environment:
#   PFC               the pfc binary
#   PFC_SBS_RECORD=DIR  write Postfix's transcripts (queue ids masked), the
#                     sessions, byte logs and configurations to DIR, for
#                     developing the target; with the trace target only
#                     Postfix's half runs then.  They are never goldens: the
#                     comparison is always live.
#   PFC_SBS_TARGET    trace (default), smtp or pfcd (see above)
#   PFC_SBS_COMMAND   the command of the trace target, default
#                     "$PFC trace {image} --service {service} --client {client} {pipeline}"
#                     ({instance} and {case} are filled in too; {pipeline} is
#                     --pipeline for a case whose client pipelines after EHLO)
#   PFC_SBS_SERVER, PFC_SBS_SERVER_STOP  the server for PFC_SBS_TARGET=smtp
#   PFC_SBS_JOBS      sessions run at once (default 8)
#   PFC_SBS_CASES=RE  only the cases whose name matches the extended
#                     regular expression ^(RE)
#   PFC_SBS_KEEP=1    keep the work directory (configurations, maillog)
#   PFC_REQUIRE_ALL=1 a missing Postfix, pcre support or root is a failure
#   PYTHON            python3

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
HERE=$srcdir/tests/compat
. "$HERE/lib.sh"
PYTHON=${PYTHON:-python3}
TARGET=${PFC_SBS_TARGET:-trace}
JOBS=${PFC_SBS_JOBS:-8}
t_start=$(date +%s)

# Known differences: CASE<TAB>REASON, or TARGET:CASE<TAB>REASON for one
# target only.  Each must be a real difference that pfc should not copy.
KNOWN_DIFFS=$(cat <<'EOF'
eod-reject-then-data	Postfix 3.7.11 smtpd crashes (signal 11) on DATA after a RCPT refused once smtpd_end_of_data_restrictions rejected (SPEC-runtime.md 0.4 #11); the client sees the connection close with no reply, where pfc answers
EOF
)

for t in postfix postconf postmap postalias; do
    command -v $t >/dev/null 2>&1 || skip_all "$t not found on PATH"
done
command -v "$PYTHON" >/dev/null 2>&1 || skip_all "$PYTHON not found"
[ "$(id -u)" = 0 ] || skip_all "postfix start needs root"
id "$(postconf -d -h mail_owner 2>/dev/null)" >/dev/null 2>&1 || skip_all "no mail_owner user"
case $TARGET in
    trace) ;;
    smtp) [ -n "${PFC_SBS_SERVER:-}" ] || { echo "Bail out! PFC_SBS_TARGET=smtp needs PFC_SBS_SERVER"; exit 1; } ;;
    pfcd)
        PFCD=${PFCD:-$(dirname "${PFC:-./pfc}")/pfcd}
        [ -x "$PFCD" ] || { echo "Bail out! PFC_SBS_TARGET=pfcd: no pfcd at $PFCD"; exit 1; }
        PFC_SBS_SERVER="$PFCD -f --log={image}.log {image}"
        unset PFC_SBS_SERVER_STOP
        ;;
    *) echo "Bail out! PFC_SBS_TARGET must be trace, smtp or pfcd"; exit 1 ;;
esac
find_pfc

TMP=$(mktemp -d)
# Postfix's daemons run as mail_owner and must reach the instance below.
chmod 755 "$TMP"
started=()          # configuration directories of running instances
server_pids=()      # target servers (PFC_SBS_TARGET=smtp)
server_insts=()     # the instances they serve

# stop_instance ETC: postfix stop, then wait (bounded) for the master to go
stop_instance() {
    local etc=$1 qdir pid _
    qdir=$(postconf -c "$etc" -h queue_directory 2>/dev/null)
    pid=$(tr -d ' ' <"$qdir/pid/master.pid" 2>/dev/null)
    timeout 30 postfix -c "$etc" stop >/dev/null 2>&1
    if [ -n "$pid" ]; then
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || return 0
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null
    fi
}

stop_servers() {
    local pid inst cmd
    for pid in "${server_pids[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null
    done
    for pid in "${server_pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    server_pids=()
    if [ -n "${PFC_SBS_SERVER_STOP:-}" ]; then
        for inst in "${server_insts[@]}"; do
            cmd=$(server_command "$PFC_SBS_SERVER_STOP" "$inst")
            timeout 60 bash -c "$cmd" >/dev/null 2>&1
        done
    fi
    server_insts=()
}

# server_command TEMPLATE INSTANCE: {image} and {config} filled in
server_command() {
    local cmd=${1//\{image\}/$TMP/$2.pfi}
    printf '%s\n' "${cmd//\{config\}/${instdir[$2]}/etc}"
}

cleanup() {
    local etc
    for etc in "${started[@]}"; do
        stop_instance "$etc"
    done
    started=()
    stop_servers
    if [ -n "${PFC_SBS_KEEP:-}" ]; then
        echo "# PFC_SBS_KEEP: the work directory $TMP is kept"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# wait_port PORT: until something accepts on 127.0.0.1:PORT (30 s at most)
wait_port() {
    local _
    for _ in $(seq 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- the cases
if ! timeout 120 "$PYTHON" "$HERE/sbs_cases.py" "$TMP/gen" 2>"$TMP/gen.err"; then
    echo "Bail out! sbs_cases.py failed: $(head -n 5 "$TMP/gen.err")"
    exit 1
fi
sed 's/^/# /' "$TMP/gen.err"
MANIFEST=$TMP/gen/cases.tsv
if [ -n "${PFC_SBS_CASES:-}" ]; then
    awk -F'\t' -v re="^(${PFC_SBS_CASES})" '$1 ~ re' "$TMP/gen/cases.tsv" >"$TMP/gen/selected.tsv"
    MANIFEST=$TMP/gen/selected.tsv
fi
ncases=$(wc -l <"$MANIFEST")
[ "$ncases" -gt 0 ] || { echo "Bail out! no case selected"; exit 1; }

# The instances that serve the selected cases.
mapfile -t instances < <(cut -f2 "$MANIFEST" | sort -u)
declare -A instdir
while IFS=$'\t' read -r name dir; do instdir[$name]=$dir; done <"$TMP/gen/instances.tsv"
postconf -c "${instdir[${instances[0]}]}/etc" -m 2>/dev/null | grep -qx pcre ||
    skip_all "Postfix has no pcre table support (Debian: postfix-pcre)"

# ---------------------------------------------------------------- Postfix
owner=$(postconf -d -h mail_owner)
for inst in "${instances[@]}"; do
    d=${instdir[$inst]}
    mkdir -p "$d/queue" "$d/data"
    chown "$owner" "$d/data" && chmod 700 "$d/data"
    while read -r cmd map; do
        if ! "$cmd" -c "$d/etc" "$map" 2>"$TMP/map.err"; then
            echo "Bail out! $cmd $map: $(head -n 3 "$TMP/map.err")"
            exit 1
        fi
    done <"$d/maps.list"
    # Postfix re-reads (and re-warns about) a main.cf younger than a second.
    find "$d/etc" -type f -exec touch -d 2000-01-01 {} +
done

t_pf=$(date +%s)
# The instances start at the same time; each start is bounded.
for inst in "${instances[@]}"; do
    d=${instdir[$inst]}
    started+=("$d/etc")
    timeout 90 postfix -c "$d/etc" start >"$TMP/start.$inst" 2>&1 &
done
wait
for inst in "${instances[@]}"; do
    d=${instdir[$inst]}
    port=$(awk -F'\t' -v i="$inst" '$2 == i { split($3, a, ":"); print a[2]; exit }' "$TMP/gen/cases.tsv")
    if [ -z "$port" ] || ! wait_port "$port"; then
        echo "Bail out! Postfix instance $inst did not start: $(tail -n 5 "$TMP/start.$inst" "$d/maillog" 2>/dev/null | tr '\n' ' ')"
        exit 1
    fi
done

t_sessions=$(date +%s)
t_start_pf=$((t_sessions - t_pf))
timeout 600 "$PYTHON" "$HERE/sbs_client.py" --batch "$MANIFEST" --out "$TMP/postfix" \
    --jobs "$JOBS" 2>"$TMP/postfix.err"
t_sessions=$(($(date +%s) - t_sessions))
for inst in "${instances[@]}"; do
    stop_instance "${instdir[$inst]}/etc" &
done
wait
started=()
t_pf=$(($(date +%s) - t_pf))

# ---------------------------------------------------------------- the target
t_target=$(date +%s)
mkdir -p "$TMP/target"
: >"$TMP/images.tsv"
for inst in "${instances[@]}"; do
    if timeout 120 "$PFC" build -c "${instdir[$inst]}/etc" -o "$TMP/$inst.pfi" \
        >"$TMP/build.$inst" 2>&1; then
        printf '%s\t%s\n' "$inst" "$TMP/$inst.pfi" >>"$TMP/images.tsv"
    else
        printf '%s\t\tpfc build -c %s failed: %s\n' "$inst" "${instdir[$inst]}/etc" \
            "$({ grep ': error:' "$TMP/build.$inst" || cat "$TMP/build.$inst"; } |
                head -n 3 | tr '\n\t' '  ')" >>"$TMP/images.tsv"
    fi
done

compare_opts=()
if [ -n "${PFC_SBS_RECORD:-}" ] && [ "$TARGET" = trace ]; then
    compare_opts+=(--no-target)
    echo "# PFC_SBS_RECORD: only Postfix's transcripts are taken; the target is not run"
elif [ "$TARGET" = trace ]; then
    # Each case: the command reads the session on stdin; its stdout is
    # the transcript.
    command=${PFC_SBS_COMMAND:-"$PFC trace {image} --service {service} --client {client} {pipeline}"}
    timeout 900 "$PYTHON" "$HERE/sbs_client.py" --batch "$MANIFEST" --out "$TMP/target" \
        --jobs 2 --command "$command" --images "$TMP/images.tsv" 2>"$TMP/target.err"
else
    # An instance whose image pfc build refused has no server: its cases
    # are not sent, and each says why (compared as --refused below).
    served=()
    for inst in "${instances[@]}"; do
        why=$(awk -F'\t' -v i="$inst" '$1 == i && $2 == "" { print $3 }' "$TMP/images.tsv")
        if [ -n "$why" ] && [ "$TARGET" = pfcd ]; then
            awk -F'\t' -v i="$inst" '$2 == i { print $1 }' "$MANIFEST" | while read -r name; do
                printf '%s\n' "$why" >"$TMP/target/$name.err"
            done
        else
            served+=("$inst")
        fi
    done
    printf '%s\n' "${served[@]}" >"$TMP/served"
    awk -F'\t' 'NR == FNR { s[$1] = 1; next } $2 in s' "$TMP/served" "$MANIFEST" >"$TMP/gen/target.tsv"
    for inst in "${served[@]}"; do
        cmd=$(server_command "$PFC_SBS_SERVER" "$inst")
        server_insts+=("$inst")
        setsid bash -c "exec $cmd" >"$TMP/server.$inst" 2>&1 </dev/null &
        server_pids+=($!)
    done
    for inst in "${served[@]}"; do
        port=$(awk -F'\t' -v i="$inst" '$2 == i { split($3, a, ":"); print a[2]; exit }' "$TMP/gen/cases.tsv")
        wait_port "$port" || echo "# target server for instance $inst does not listen on $port"
    done
    timeout 600 "$PYTHON" "$HERE/sbs_client.py" --batch "$TMP/gen/target.tsv" --out "$TMP/target" \
        --jobs "$JOBS" 2>"$TMP/target.err"
    stop_servers
fi
t_target=$(($(date +%s) - t_target))

# ---------------------------------------------------------------- compare
if [ -n "${PFC_SBS_RECORD:-}" ]; then
    mkdir -p "$PFC_SBS_RECORD"
    compare_opts+=(--record "$PFC_SBS_RECORD")
    for inst in "${instances[@]}"; do
        mkdir -p "$PFC_SBS_RECORD/config-$inst"
        cp -p "${instdir[$inst]}"/etc/* "$PFC_SBS_RECORD/config-$inst/"
    done
    cp "$MANIFEST" "$PFC_SBS_RECORD/cases.tsv"
fi
printf '%s\n' "$KNOWN_DIFFS" >"$TMP/known.tsv"
# Instance c holds what pfc check calls errors: pfc build must refuse it.
[ "$TARGET" = trace ] || [ "$TARGET" = pfcd ] && compare_opts+=(--refused c)
timeout 300 "$PYTHON" "$HERE/sbs_compare.py" --known "$TMP/known.tsv" --target "$TARGET" \
    "${compare_opts[@]}" "$MANIFEST" "$TMP/postfix" "$TMP/target" 2>"$TMP/compare.err"
rc=$?
if [ "$rc" -gt 1 ]; then
    echo "Bail out! sbs_compare.py failed: $(head -n 5 "$TMP/compare.err")"
    exit 1
fi
if [ -s "$TMP/postfix.err" ]; then
    echo "# Postfix's log says:"
    for inst in "${instances[@]}"; do
        grep -E 'fatal|panic|killed by signal' "${instdir[$inst]}/maillog" 2>/dev/null |
            cut -c1-300 | sort -u | head -n 10 | sed 's/^/#   /'
    done
fi
[ -n "${PFC_SBS_RECORD:-}" ] && echo "# Postfix transcripts recorded in $PFC_SBS_RECORD"
echo "# runtime: $(($(date +%s) - t_start)) s; Postfix ${t_pf} s (start ${t_start_pf} s, sessions ${t_sessions} s); target ${t_target} s ($TARGET)"
exit "$rc"
