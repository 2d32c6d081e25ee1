# tests/e2e/postfix_private.sh - a private real Postfix 3.7 on a loopback
# port, for the tests and benches that compare pfcd with it (sourced).
# Everything lives under one directory: its own config, queue, data and
# maillog; /etc/postfix and any system Postfix are never touched.
#
#   pfp_config DIR PORT MAIN_CF_LINES  write DIR/etc/{main,master}.cf
#                                      (MAIN_CF_LINES appended to main.cf)
#   pfp_start DIR PORT                 start it, wait until PORT accepts
#   pfp_stop DIR                       postfix stop, the master waited for

pfp_config() {
    local dir=$1 port=$2 extra=$3 owner
    owner=$(postconf -d -h mail_owner)
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
    chown "$owner" "$dir/data" && chmod 700 "$dir/data"
    cat >"$dir/etc/main.cf" <<EOCF
compatibility_level = 3.7
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP \$mail_name
biff = no
$extra
EOCF
    # Each daemon out of chroot, the SMTP service on PORT.
    cat >"$dir/etc/master.cf" <<EOCF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
showq     unix  n       -       n       -       -       showq
EOCF
    # Postfix re-reads (and re-warns about) a main.cf younger than a second.
    touch -d 2000-01-01 "$dir/etc/main.cf" "$dir/etc/master.cf"
}

pfp_start() {
    local dir=$1 port=$2 _
    timeout 90 postfix -c "$dir/etc" start >"$dir/start.out" 2>&1 || return 1
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

pfp_stop() {
    local dir=$1 pid _
    pid=$(tr -d ' ' <"$dir/queue/pid/master.pid" 2>/dev/null)
    timeout 30 postfix -c "$dir/etc" stop >/dev/null 2>&1
    [ -n "$pid" ] || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
}
