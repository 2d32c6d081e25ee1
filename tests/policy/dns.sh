#!/bin/bash
# dns.sh - runtime/policy/dns.c against a real DNS server (TAP): nsd serves
# tests/policy/zones on 127.0.0.1 and ::1 (a port of its own), and dnsq asks
# the questions of smtpd's DNS restrictions - every status Postfix's
# dns_lookup() tells apart (found, NXDOMAIN and NODATA, SERVFAIL and
# REFUSED, null MX, a malformed or numeric MX host, CNAMEs), the walks of
# check_*_{a,mx,ns}_access, DNS lists with reply filters, TXT text and the
# default_rbl_reply text, with the warnings Postfix logs.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
DNSQ=${DNSQ:-tests/policy/dnsq}
. "$srcdir/tests/policy/lib.sh"

command -v nsd > /dev/null || skip_all "nsd is not installed (scripts/install-deps)"
[ -x "$DNSQ" ] || skip_all "$DNSQ is not built"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dns.XXXXXX") || exit 1
cleanup_add "rm -rf '$tmp'"
# A dead server answers at once (connection refused); keep timeouts short anyway.
export RES_OPTIONS="timeout:2 attempts:1"

port=$(free_port)
v6=::1
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2> /dev/null || v6=
nsd_start "$tmp/nsd" "$port" 127.0.0.1 $v6 || { echo "Bail out! nsd does not start"; exit 1; }

# q NAME ARGS WANT [WANT_STDERR] - dnsq's output, lines joined by " | ".
q() {
    local name=$1 args=$2 want=$3 want_err=${4:-} out err
    out=$(eval "\"$DNSQ\" -s 127.0.0.1:$port $args" 2> "$tmp/err")
    out=${out//$'\n'/ | }
    err=$(< "$tmp/err")
    err=${err//dnsq: warning: /}
    err=${err//$'\n'/ | }
    [ "$out" = "$want" ] && [ "$err" = "$want_err" ]
    ok "$name" $? "$(printf 'got:  %s\nwant: %s\ngot stderr:  %s\nwant stderr: %s' \
        "$out" "$want" "$err" "$want_err")"
}

NF="Host or domain name not found. Name service error for name"

echo "# statuses of one lookup"
q "A record" "lookup a host.pfc.test" "A 192.0.2.10 | OK"
q "NODATA is not found" "lookup mx host.pfc.test" \
    "NOTFOUND: $NF=host.pfc.test type=MX: Host found but no data record of requested type"
q "NXDOMAIN is not found" "lookup a nope.pfc.test" \
    "NOTFOUND: $NF=nope.pfc.test type=A: Host not found"
q "SERVFAIL is a temporary failure" "lookup a x.broken.test" \
    "RETRY: $NF=x.broken.test type=A: Host not found, try again"
q "REFUSED is a temporary failure" "lookup a x.other.test" \
    "RETRY: $NF=x.other.test type=A: Host not found, try again"
q "null MX" "lookup mx nullmx.pfc.test" "NULLMX: Domain nullmx.pfc.test does not accept mail (nullMX)"
q "malformed MX host is DNS_INVAL, with Postfix's two warnings" "lookup mx badmx.pfc.test" \
    "INVAL: Name service error for name=badmx.pfc.test type=MX: Malformed or unexpected name server reply" \
    'valid_hostname: invalid character 92(decimal): bad\032host.pfc.test | malformed domain name in resource data of MX record for badmx.pfc.test: bad\032host.pfc.test'
q "numeric MX host passes, with a warning" "lookup mx numericmx.pfc.test" "MX 10 192.0.2.99 | OK" \
    "numeric domain name in resource data of MX record for numericmx.pfc.test: 192.0.2.99"
q "two MX records, in the server's order" "lookup mx mx2.pfc.test" \
    "MX 20 both.pfc.test | MX 10 host.pfc.test | OK"
q "CNAME followed" "lookup a alias.pfc.test" "A 192.0.2.10 | OK"
q "CNAME to nothing" "lookup a dangling.pfc.test" \
    "NOTFOUND: $NF=dangling.pfc.test type=A: Host not found"
q "TXT: non-printable bytes become spaces" "lookup txt 5.0.0.127.rbl.pfc.test" "TXT bad bytes here | OK"
q "an address is not looked up" "lookup a 192.0.2.1" \
    "NOTFOUND: Name service error for 192.0.2.1: invalid host or domain name"
q "an invalid name is not looked up" "lookup a bad-.pfc.test" \
    "NOTFOUND: Name service error for bad-.pfc.test: invalid host or domain name"
q "the server on ::1" "lookup aaaa host6.pfc.test" "AAAA 2001:db8::10 | OK"
if [ -n "$v6" ]; then
    out=$("$DNSQ" -s "[::1]:$port" lookup aaaa host6.pfc.test 2>&1)
    same "a server given as [::1]:port" "${out//$'\n'/ | }" "AAAA 2001:db8::10 | OK"
fi
out=$("$DNSQ" -s "127.0.0.1:$(free_port)" lookup a host.pfc.test 2>&1)
same "a dead server is a temporary failure" "$out" \
    "RETRY: $NF=host.pfc.test type=A: Host not found, try again"
out=$("$DNSQ" -s "127.0.0.1:99999" lookup a host.pfc.test 2>&1)
same "a bad server argument" "$out" \
    'dnsq: bad DNS server "127.0.0.1:99999": need address, address:port, [address] or [address]:port'

echo "# reject_unknown_hostname: A, AAAA or MX"
q "MX only" "addr_or_mx mxonly.pfc.test" "OK"
q "AAAA only" "addr_or_mx host6.pfc.test" "OK"
q "TXT only" "addr_or_mx txtonly.pfc.test" "NOTFOUND"
q "null MX" "addr_or_mx nullmx.pfc.test" "NULLMX"
q "SERVFAIL" "addr_or_mx x.broken.test" "RETRY"
q "no such name" "addr_or_mx nope.pfc.test" "NOTFOUND"

echo "# reject_unknown_*_domain: MX, else A or AAAA"
q "null MX stops the lookup" "mailhost nullmx.pfc.test" "NULLMX"
q "AAAA only" "mailhost host6.pfc.test" "OK"
q "A only" "mailhost host.pfc.test" "OK"
q "malformed MX stops the lookup" "mailhost badmx.pfc.test" "INVAL" \
    'valid_hostname: invalid character 92(decimal): bad\032host.pfc.test | malformed domain name in resource data of MX record for badmx.pfc.test: bad\032host.pfc.test'
q "TXT only" "mailhost txtonly.pfc.test" "NOTFOUND"
q "SERVFAIL" "mailhost x.broken.test" "RETRY"

echo "# addresses of a host"
q "A and AAAA" "addrs both.pfc.test" "A 192.0.2.11 | AAAA 2001:db8::11 | OK"
q "IPv4 only (inet_protocols = ipv4)" "-4 addrs both.pfc.test" "A 192.0.2.11 | OK"
q "getaddrinfo's words for no address" "host_addrs mxonly.pfc.test" \
    "NOTFOUND: No address associated with hostname"
q "getaddrinfo's words for no name" "host_addrs nope.pfc.test" "NOTFOUND: Name or service not known"
q "getaddrinfo's words for SERVFAIL" "host_addrs x.broken.test" \
    "RETRY: Temporary failure in name resolution"

echo "# check_*_{a,mx,ns}_access: the hosts and addresses walked"
q "two MX hosts, best first as the server lists them" "walk mx u@mx2.pfc.test" \
    "name both.pfc.test | addr 192.0.2.11 | addr 2001:db8::11 | name host.pfc.test | addr 192.0.2.10 | result 0"
q "no MX: the domain is its own MX host" "walk mx u@host.pfc.test" \
    "name host.pfc.test | addr 192.0.2.10 | result 0"
q "an MX host without address: warning, next host" "walk mx u@deadmx.pfc.test" \
    "name nohost.pfc.test | result 0" \
    "Unable to look up MX host nohost.pfc.test for Recipient address u@deadmx.pfc.test: Name or service not known"
q "a numeric MX host is an address" "walk mx u@numericmx.pfc.test" "addr 192.0.2.99 | result 0" \
    "numeric domain name in resource data of MX record for numericmx.pfc.test: 192.0.2.99"
q "null MX: nothing to check" "walk mx u@nullmx.pfc.test" "result 0"
q "SERVFAIL: warning, nothing checked" "walk mx u@x.broken.test" "result 0" \
    "Unable to look up MX host for x.broken.test: Host not found, try again"
q "NS records of a parent domain" "walk ns u@a.b.pfc.test" "name ns.pfc.test | addr 127.0.0.1 | result 0"
q "NS lookup refused" "walk ns u@x.other.test" "result 0" \
    "Unable to look up NS host for x.other.test: Host not found, try again"
q "A: the domain's addresses, no name" "walk a u@both.pfc.test" \
    "addr 192.0.2.11 | addr 2001:db8::11 | result 0"
q "an address literal is its own MX host" "walk mx 'u@[192.0.2.1]'" "addr 192.0.2.1 | result 0"
q "an IPv6 literal is its own A record" "walk a 'u@[IPv6:2001:db8::1]'" "addr 2001:db8::1 | result 0"
q "an address literal has no NS" "walk ns 'u@[192.0.2.1]'" "result 0"

echo "# DNS lists"
q "listed, with TXT" "rbl rbl.pfc.test 127.0.0.2" \
    "listed | txt: listed: see https://rbl.example/?127.0.0.2 | reply: 554 4.7.1 Service unavailable; Client host [127.0.0.2] blocked using rbl.pfc.test; listed: see https://rbl.example/?127.0.0.2"
q "listed, no TXT" "rbl rbl.pfc.test 127.0.0.3" \
    "listed | reply: 554 4.7.1 Service unavailable; Client host [127.0.0.3] blocked using rbl.pfc.test"
q "two TXT records joined" "rbl rbl.pfc.test 127.0.0.4" \
    "listed | txt: first reason / second reason | reply: 554 4.7.1 Service unavailable; Client host [127.0.0.4] blocked using rbl.pfc.test; first reason / second reason"
q "not listed" "rbl rbl.pfc.test 127.0.0.9" "not listed"
q "IPv6 client: reversed nibbles" "rbl rbl.pfc.test ::1" \
    "listed | reply: 554 4.7.1 Service unavailable; Client host [::1] blocked using rbl.pfc.test"
q "reply filter refuses 127.0.0.2" "rbl 'rbl.pfc.test=127.0.0.[3..5]' 127.0.0.2" \
    "not listed | txt: listed: see https://rbl.example/?127.0.0.2"
q "reply filter takes 127.0.0.4" "rbl 'rbl.pfc.test=127.0.0.[3..5]' 127.0.0.4" \
    "listed | txt: first reason / second reason | reply: 554 4.7.1 Service unavailable; Client host [127.0.0.4] blocked using rbl.pfc.test; first reason / second reason"
q "reply filter with a list" "rbl 'rbl.pfc.test=127.0.0.[1;10]' 127.0.0.4" \
    "listed | txt: first reason / second reason | reply: 554 4.7.1 Service unavailable; Client host [127.0.0.4] blocked using rbl.pfc.test; first reason / second reason"
q "reply filter in brackets" "rbl 'rbl.pfc.test=[127.0.0.2]' 127.0.0.2" \
    "listed | txt: listed: see https://rbl.example/?127.0.0.2 | reply: 554 4.7.1 Service unavailable; Client host [127.0.0.2] blocked using rbl.pfc.test; listed: see https://rbl.example/?127.0.0.2"
q "a list that fails is soft, with Postfix's warning" "rbl rbl.broken.test 127.0.0.2" "soft" \
    "2.0.0.127.rbl.broken.test: RBL lookup error: $NF=2.0.0.127.rbl.broken.test type=A: Host not found, try again"
q "a bad reply filter is fatal" "rbl 'rbl.pfc.test=127.0.0.[5..3]' 127.0.0.2" \
    'fatal: RBL reply error: numeric range error at "127.0.0.[5..>3<]"'
q "rhsbl: the sender's domain" "rhsbl dbl.pfc.test user@spam.example 'Sender address'" \
    "listed | txt: spam domain | reply: 554 4.7.1 Service unavailable; Sender address [user@spam.example] blocked using dbl.pfc.test; spam domain"
q "rhsbl: an address literal is not asked" "rhsbl dbl.pfc.test 'user@[192.0.2.1]' 'Sender address'" "not listed"
q "rhsbl: a numeric last label is not asked" "rhsbl dbl.pfc.test user@example.123 'Sender address'" "not listed"
q "rhsbl: a bad filter is not fatal when nothing is asked" \
    "rhsbl 'dbl.pfc.test=1.2' 'user@[192.0.2.1]' 'Sender address'" "not listed"
q "rbl_reply_maps template with \$rbl_* and smtpd names" \
    "-t '\$rbl_code 5.7.9 \${rbl_reason?[\$rbl_reason]} \$rbl_class \$rbl_what from \$client_name via \$rbl_domain' rbl 'rbl.pfc.test=127.0.0.2' 127.0.0.2" \
    "listed | txt: listed: see https://rbl.example/?127.0.0.2 | reply: 554 5.7.9 [listed: see https://rbl.example/?127.0.0.2] Client host 127.0.0.2 from client.example via rbl.pfc.test"
q "template values pass smtpd_expand_filter" "-t '450 \$rbl_reason' rbl rbl.pfc.test 127.0.0.5" \
    "listed | txt: bad bytes here | reply: 450 4.7.1 bad bytes here"
q "template without a status code: a warning and 450 4.7.1" "-t 'no code \$rbl_what' rbl rbl.pfc.test 127.0.0.3" \
    "listed | reply: 450 4.7.1 Service unavailable" "rbl response code configuration error: no code 127.0.0.3"
q "template with an undefined name: the default one" "-t '550 \$nosuchname' rbl rbl.pfc.test 127.0.0.3" \
    "listed | reply: 554 4.7.1 Service unavailable; Client host [127.0.0.3] blocked using rbl.pfc.test" \
    'rbl_reject_reply: bad rbl reply template for domain rbl.pfc.test: 550 $nosuchname'
q "filter syntax: missing field" "filter x=1.2.3" 'RBL reply error: need "." at "1.2.3><"'
q "filter syntax: octet too large" "filter x=127.0.0.256" \
    'RBL reply error: need decimal number 0..255 or "[" at "127.0.0.>256<"'
q "filter syntax: open bracket" "filter 'x=[127.0.0.1'" 'RBL reply error: missing "]" character'
q "filter syntax: garbage" "filter 'x=127.0.0.1.5'" 'RBL reply error: garbage after pattern at "127.0.0.1>.<5"'

echo "1..$n"
[ "$failed" -eq 0 ]
