#!/bin/bash
# policy.sh - runtime/policy/policy_client.c against real policy servers
# (TAP): a scripted one (policy_server.py: each answer and each failure a
# policy server can give, over inet: and unix:) and Debian's postgrey
# (greylisting: DEFER_IF_PERMIT, then after its delay PREPEND and DUNNO).
# policyq prints what the client returns and the warnings smtpd logs.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
POLICYQ=${POLICYQ:-tests/policy/policyq}
. "$srcdir/tests/policy/lib.sh"

[ -x "$POLICYQ" ] || skip_all "$POLICYQ is not built"
command -v python3 > /dev/null || skip_all "python3 is not installed"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/policy.XXXXXX") || exit 1
cleanup_add "rm -rf '$tmp'"

port=$(free_port)
ep=127.0.0.1:$port
python3 "$srcdir/tests/policy/policy_server.py" "inet:$ep" "$tmp/log" 100 &
cleanup_add "kill $!"
mkdir -p "$tmp/queue/private"
python3 "$srcdir/tests/policy/policy_server.py" "unix:$tmp/queue/private/policy" "$tmp/ulog" 100 &
cleanup_add "kill $!"
wait_port "$port" 20 || { echo "Bail out! the scripted policy server does not start"; exit 1; }

# pq NAME WANT ARGS... - policyq's output, lines joined by " | "
pq() {
    local name=$1 want=$2 out
    shift 2
    out=$("$POLICYQ" "$@" 2>&1)
    out=${out//$'\n'/ | }
    same "$name" "$out" "$want"
}
# connections LOG - how many connections carried requests
connections() { awk '$1 == "request" { seen[$2] = 1 } END { print length(seen) }' "$1"; }

echo "# answers, over one connection"
: > "$tmp/log"
pq "each answer as the server gave it" "$(printf '%s' \
    "reject@x: answered: REJECT policy says no | dunno@x: answered: DUNNO | " \
    "dip@x: answered: defer_if_permit Service temporarily unavailable | " \
    "custom@x: answered: 550 5.7.0 custom | bogus@x: answered: bogus_action_xyz | " \
    "empty@x: answered:  | extra@x: answered: OK extra | twice@x: answered: REJECT first")" \
    "inet:$ep" reject@x dunno@x dip@x custom@x bogus@x empty@x extra@x twice@x
same "eight requests, one connection" "$(connections "$tmp/log")" 1
grep -q "^request [0-9][0-9]* request=smtpd_access_policy|protocol_state=RCPT|.*|recipient=twice@x|.*|policy_context=$" "$tmp/log"
ok "the request is sent as name=value lines" $? "$(tail -n 1 "$tmp/log")"

echo "# failures: smtpd's warnings, its retries, the default action"
pq "no action attribute: retried, then the default action" \
    "warning: missing attribute action in input from $ep | warning: missing attribute action in input from $ep | warning: problem talking to server $ep: Application error | noaction@x: default: 451 4.3.5 Server configuration problem" \
    "inet:$ep" noaction@x
pq "\"action\" without a value" \
    "warning: missing value for string attribute action from $ep | warning: missing value for string attribute action from $ep | warning: problem talking to server $ep: Application error | novalue@x: default: 451 4.3.5 Server configuration problem" \
    "inet:$ep" novalue@x
pq "the server closes in the middle of the answer" \
    "warning: premature end-of-input on $ep while reading input attribute value | warning: premature end-of-input on $ep while reading input attribute value | warning: problem talking to server $ep: Application error | partial@x: default: 451 4.3.5 Server configuration problem" \
    "inet:$ep" partial@x
pq "a slow server: a timeout each try" \
    "warning: problem talking to server $ep: Connection timed out | warning: problem talking to server $ep: Connection timed out | slow@x: default: 451 4.3.5 Server configuration problem" \
    -o timeout=1 "inet:$ep" slow@x
pq "the server closes without answering: one warning, at the last try" \
    "warning: problem talking to server $ep: Application error | close@x: default: 451 4.3.5 Server configuration problem" \
    "inet:$ep" close@x
pq "a failure and then an answer: no warning" "flaky@x: answered: DUNNO" "inet:$ep" flaky@x
dead=$(free_port)
pq "connection refused, each try" \
    "warning: connect to 127.0.0.1:$dead: Connection refused | warning: problem talking to server 127.0.0.1:$dead: Connection refused | warning: connect to 127.0.0.1:$dead: Connection refused | warning: problem talking to server 127.0.0.1:$dead: Connection refused | x@y: default: 451 4.3.5 Server configuration problem" \
    "inet:127.0.0.1:$dead" x@y
pq "not UTF-8, with smtputf8_enable" \
    "warning: malformed UTF-8 in policy server inet:$ep response: \"REJECT bad $(printf '\377') byte\" | utf8bad@x: default: 451 4.3.5 Server configuration problem" \
    -o smtputf8=1 "inet:$ep" utf8bad@x

echo "# per-server options and connection reuse"
pq "{ endpoint, default_action=DUNNO, try_limit=1 }" \
    "warning: connect to 127.0.0.1:$dead: Connection refused | warning: problem talking to server 127.0.0.1:$dead: Connection refused | x@y: default: DUNNO" \
    "{ inet:127.0.0.1:$dead, default_action=DUNNO, try_limit=1 }" x@y
out=$("$POLICYQ" "{ inet:127.0.0.1:$dead, { default_action = 550 5.7.1 nope }, try_limit=1 }" x@y | tail -n 1)
same "{ name = value } items keep their spaces" "$out" "x@y: default: 550 5.7.1 nope"
: > "$tmp/log"
pq "policy_context" "dunno@x: answered: DUNNO" "{ inet:$ep, policy_context=ctx1 }" dunno@x
grep -q 'policy_context=ctx1$' "$tmp/log"
ok "policy_context is sent" $? "$(cat "$tmp/log")"
: > "$tmp/log"
pq "request_limit=2" "a@x: answered: DUNNO | b@x: answered: DUNNO | c@x: answered: DUNNO" \
    "{ inet:$ep, request_limit=2 }" a@x b@x c@x
same "request_limit=2: three requests, two connections" "$(connections "$tmp/log")" 2
: > "$tmp/log"
pq "max_idle=1" "a@x: answered: DUNNO | b@x: answered: DUNNO" -w 2 "{ inet:$ep, max_idle=1 }" a@x b@x
same "max_idle=1: a new connection after 2 idle seconds" "$(connections "$tmp/log")" 2
: > "$tmp/log"
pq "max_ttl=1" "a@x: answered: DUNNO | b@x: answered: DUNNO" -w 2 "{ inet:$ep, max_ttl=1, max_idle=100 }" a@x b@x
same "max_ttl=1: a new connection after 2 seconds" "$(connections "$tmp/log")" 2

echo "# unix: sockets, under the queue directory"
pq "unix:private/policy" "reject@x: answered: REJECT policy says no" \
    -o "queue_directory=$tmp/queue" unix:private/policy reject@x
pq "unix:/absolute/path" "reject@x: answered: REJECT policy says no" \
    "unix:$tmp/queue/private/policy" reject@x
pq "a socket that does not exist: ENOENT is warned about once" \
    "warning: connect to private/nosuch: No such file or directory | warning: connect to private/nosuch: No such file or directory | warning: problem talking to server private/nosuch: No such file or directory | x@y: default: 451 4.3.5 Server configuration problem" \
    -o "queue_directory=$tmp/queue" unix:private/nosuch x@y

echo "# bad arguments: smtpd's start-up errors"
while IFS='|' read -r spec want; do
    [ -z "$spec" ] && continue
    out=$("$POLICYQ" "$spec" x@y 2>&1)
    same "bad spec: $spec" "$out" "fatal: $want"
done <<'EOF'
inet|need service transport:endpoint instead of "inet"
inet:|need service transport:endpoint instead of "inet:"
tcp:127.0.0.1:9|invalid transport name: tcp in service: tcp:127.0.0.1:9
{ }|empty policy service: "{ }"
{ inet:127.0.0.1:9|policy service syntax error:  inet:127.0.0.1:9
{ inet:127.0.0.1:9, timeout=0 }|invalid timeout: 0 (min 1)
{ inet:127.0.0.1:9, timeout=10x }|timeout: bad time value or unit: 10x
{ inet:127.0.0.1:9, try_limit=0 }|invalid try_limit parameter value 0 < 1
{ inet:127.0.0.1:9, try_limit=two }|bad numerical configuration: try_limit = two
{ inet:127.0.0.1:9, default_action= }|bad string length 0 < 1: default_action = 
{ inet:127.0.0.1:9, bogus=1 }|unknown option: "bogus = 1"
{ inet:127.0.0.1:9, timeout }|malformed option: missing '=' after attribute name: "...timeout..."
{ inet:127.0.0.1:9, { timeout=1 }|policy service syntax error:  inet:127.0.0.1:9, { timeout=1 }
EOF
out=$("$POLICYQ" "inet:[127.0.0.1" x@y 2>&1)
same "a malformed endpoint is fatal when it is used" "${out//$'\n'/ | }" \
    'warning: fatal: [127.0.0.1: missing "]" | x@y: fatal: '

echo "# postgrey"
if [ "$(id -u)" = 0 ] && command -v postgrey > /dev/null && id postgrey > /dev/null 2>&1; then
    pgport=$(free_port)
    mkdir -p "$tmp/pg"
    chown postgrey "$tmp/pg"
    chmod 755 "$tmp"
    : > "$tmp/empty"
    postgrey --inet="127.0.0.1:$pgport" --dbdir="$tmp/pg" --delay=2 --hostname=pfctest \
        --whitelist-clients="$tmp/empty" --whitelist-recipients="$tmp/empty" \
        --auto-whitelist-clients=0 > "$tmp/pg.out" 2>&1 &
    cleanup_add "kill $!"
    if wait_port "$pgport" 30; then
        out=$("$POLICYQ" "inet:127.0.0.1:$pgport" grey@mail.pfc.test 2>&1)
        same "postgrey: a new triplet is greylisted" "$out" \
            "grey@mail.pfc.test: answered: DEFER_IF_PERMIT 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/mail.pfc.test.html"
        out=$("$POLICYQ" "inet:127.0.0.1:$pgport" grey@mail.pfc.test 2>&1)
        same "postgrey: too early a retry is greylisted again" "$out" \
            "grey@mail.pfc.test: answered: DEFER_IF_PERMIT 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/mail.pfc.test.html"
        sleep 3
        out=$("$POLICYQ" "inet:127.0.0.1:$pgport" grey@mail.pfc.test grey@mail.pfc.test 2>&1)
        [[ $out == "grey@mail.pfc.test: answered: PREPEND X-Greylist: delayed "[0-9]*" seconds by postgrey-"*" at pfctest; "*$'\n'"grey@mail.pfc.test: answered: DUNNO" ]]
        ok "postgrey: after the delay, PREPEND X-Greylist, then DUNNO (one connection)" $? "$out"
    else
        ok "postgrey starts" 1 "$(cat "$tmp/pg.out")"
    fi
elif [ "${PFC_REQUIRE_ALL:-0}" = 1 ]; then
    ok "postgrey is installed and the test runs as root" 1 "scripts/install-deps installs postgrey"
else
    echo "# SKIP postgrey: not installed or not root"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
