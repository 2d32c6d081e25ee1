# lib.sh - what the tests of runtime/policy share; sourced (bash).
#
#   skip_all MESSAGE         no case can run (tests/compat/lib.sh)
#   ok NAME RESULT DETAIL    one TAP line (RESULT 0 = ok); DETAIL shown on failure
#   same NAME GOT WANT       ok when GOT and WANT are equal strings
#   free_port                a TCP port on 127.0.0.1 that nobody listens on
#   wait_port PORT [SECS]    wait until something listens on 127.0.0.1:PORT
#   wait_listen PORT [SECS]  the same without connecting (/proc/net/tcp)
#   nsd_start DIR PORT ADDR...  the test zones (tests/policy/zones) served by nsd
#                            on ADDR@PORT; NSD_PID is set
#   pfx_start DIR PORT...    a private Postfix on loopback (see below)
#   cleanup_add COMMAND      run COMMAND when the test exits, however it exits

#   in_netns TOOL...         run this test again, as root, in mount, network and
#                            PID namespaces of its own (the kernel ends every
#                            process in them when the test ends), loopback up

. "$srcdir/tests/compat/lib.sh"		# skip_all

n=0
failed=0
cleanups=()

in_netns() {
    local tool
    if [ -n "${PFC_IN_NETNS:-}" ]; then
        ip link set lo up || { echo "Bail out! cannot bring up loopback"; exit 1; }
        return 0
    fi
    [ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, Postfix)"
    for tool in ip "$@"; do
        command -v "$tool" > /dev/null || skip_all "$tool is not installed (scripts/install-deps)"
    done
    unshare -m -n -p -f --mount-proc true 2> /dev/null || skip_all "cannot create namespaces here"
    export PFC_IN_NETNS=1 srcdir
    exec timeout -k 5 150 unshare -m -n -p -f --mount-proc bash "$0"
}

ok() {
    n=$((n + 1))
    if [ "$2" = 0 ]; then
        echo "ok $n - $1"
    else
        failed=$((failed + 1))
        echo "not ok $n - $1"
        printf '%s\n' "$3" | sed 's/^/# /'
    fi
}

same() {
    [ "$2" = "$3" ]
    ok "$1" $? "$(printf 'got:  %s\nwant: %s' "$2" "$3")"
}

cleanup_add() {
    cleanups+=("$1")
}

run_cleanups() {
    local i
    for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do
        eval "${cleanups[$i]}" > /dev/null 2>&1
    done
    cleanups=()
}
trap run_cleanups EXIT
trap 'exit 1' INT TERM HUP

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
    local port=$1 secs=${2:-10}
    python3 - "$port" "$secs" <<'EOF'
import socket, sys, time
port, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

wait_listen() {
    local hex i line secs=${2:-10}
    hex=$(printf '0100007F:%04X' "$1")
    for ((i = 0; i < secs * 20; i++)); do
        while read -r line; do
            set -- $line
            [ "$2" = "$hex" ] && [ "$4" = 0A ] && return 0
        done < /proc/net/tcp
        sleep 0.05
    done
    return 1
}

# nsd_start DIR PORT ADDR... - serve the test zones; waits until they answer.
nsd_start() {
    local dir=$1 port=$2 addr i
    shift 2
    mkdir -p "$dir"
    cp "$srcdir"/tests/policy/zones/*.zone "$dir"/
    {
        echo "server:"
        for addr in "$@"; do echo "    ip-address: $addr@$port"; done
        echo "    username: \"\""
        echo "    chroot: \"\""
        echo "    zonesdir: \"$dir\""
        echo "    database: \"\""
        echo "    pidfile: \"$dir/nsd.pid\""
        echo "    xfrdfile: \"$dir/xfrd.state\""
        echo "    zonelistfile: \"$dir/zone.list\""
        echo "    logfile: \"$dir/nsd.log\""
        echo "    server-count: 1"
        echo "    hide-version: yes"
        echo "remote-control:"
        echo "    control-enable: no"
        echo "zone:"
        echo "    name: \"pfc.test\""
        echo "    zonefile: \"pfc.test.zone\""
        echo "zone:"
        echo "    name: \"broken.test\""
        echo "    zonefile: \"broken.test.zone\""
    } > "$dir/nsd.conf"
    nsd -d -c "$dir/nsd.conf" > "$dir/nsd.out" 2>&1 &
    NSD_PID=$!
    cleanup_add "kill $NSD_PID; wait $NSD_PID"
    for ((i = 0; i < 100; i++)); do
        if "$DNSQ" -s "$1:$port" lookup a ns.pfc.test 2> /dev/null | grep -q '^OK'; then
            return 0
        fi
        kill -0 "$NSD_PID" 2> /dev/null || break
        sleep 0.05
    done
    echo "# nsd did not start:"
    sed 's/^/# /' "$dir/nsd.out" "$dir/nsd.log" 2> /dev/null
    return 1
}

# pfx_start DIR MAINCF MASTERCF - a private Postfix instance in DIR with
# the given main.cf and master.cf lines added to a loopback-only base;
# logs go to DIR/maillog. Stopped at exit.
pfx_start() {
    local dir=$1 maincf=$2 mastercf=$3 i
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
    # Postfix's own users must reach the data directory through its parents.
    chmod 755 "$dir" "$(dirname "$dir")"
    chown postfix "$dir/data"
    cat > "$dir/etc/main.cf" <<EOF
compatibility_level = 3.7
config_directory = $dir/etc
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = mail.pfc.test
mydomain = pfc.test
mydestination = \$myhostname, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relayhost =
default_transport = discard:no outside mail
relay_transport = discard:no outside mail
smtpd_banner = \$myhostname ESMTP
biff = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
local_recipient_maps =
$maincf
EOF
    cat > "$dir/etc/master.cf" <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
proxymap  unix  -       -       n       -       -       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
$mastercf
EOF
    touch -d '2 minutes ago' "$dir/etc/main.cf" "$dir/etc/master.cf"
    if ! postfix -c "$dir/etc" start > "$dir/start.out" 2>&1; then
        echo "# postfix did not start:"
        sed 's/^/# /' "$dir/start.out" "$dir/maillog" 2> /dev/null
        return 1
    fi
    cleanup_add "postfix -c '$dir/etc' stop; sleep 0.2; kill \$(cat '$dir/queue/pid/master.pid' 2>/dev/null) 2>/dev/null"
}
