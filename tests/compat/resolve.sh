#!/bin/bash
# tests/compat/resolve.sh - the policy engine's address resolution and
# rewriting (runtime/policy/resolve.c, with matchlist.c and maps.c under
# it) versus Postfix's own trivial-rewrite, side by side.
#
# Postfix's trivial-rewrite(8) answers one request on its standard input
# when run with -S (stand-alone mode), reading main.cf from MAIL_CONFIG:
# no master, no socket, no root. The request and the reply are Postfix's
# attribute protocol (attr_print0: name NUL value NUL ..., NUL at the end):
#
#   request resolve sender S address A   ->  flags transport nexthop recipient flags
#   request rewrite rule local address A ->  flags address
#
# That is the exact answer the SMTP server, the queue manager and cleanup
# get, so it is the cheapest reliable reference: each query costs one
# process start (some milliseconds).
#
# For each of a set of generated configurations (the toggles of rewrite.c
# and resolve.c, relayhost, transports, domain lists with tables, ! and
# parent-domain styles, sender-dependent maps, transport_maps with pattern
# tables and a wildcard, relocated_maps, a trivial-rewrite service with -o
# overrides, an smtpd -o that must not count), the test builds an image
# with pfc build and asks both for every address of a fixed set (routing
# operators, quoting, literals, local and remote domains of each class):
# transport, next hop, recipient and flags must be equal, and the rewrite
# request's answer too. TAP, one case per configuration and request kind;
# a difference prints both answers.
#
# Environment: PFC, POLICY_DRIVER (tests/policy/policy_driver), srcdir,
# PFC_REQUIRE_ALL=1 (a missing trivial-rewrite is a bail-out).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
find_pfc
find_policy_driver
command -v postconf >/dev/null 2>&1 || skip_all "postconf not found on PATH"
TRW=$(postconf -d -h daemon_directory 2>/dev/null)/trivial-rewrite
[ -x "$TRW" ] || skip_all "trivial-rewrite not found"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/queue"

# The tables every configuration shares (absolute names: trivial-rewrite
# runs in its queue directory).
T=$TMP/tables
mkdir -p "$T"
printf 'dest.example x\n' >"$T/dest"
printf 'relay3.example x\nsub.relay4.example x\n' >"$T/relays"
printf 'valias2.example x\n' >"$T/valias"
printf '%s\n' 'special.example smtp:[mx.special]:2525' '.sub.example relay:' \
    'err.example error:5.1.2 no such user' 'user@relay.example :[hop.example]' \
    'keep.example :' 'local.example local:' 'retry.example retry:' \
    'relay.example lmtp:unix:/run/lmtp' 'u+ext@other.example smtp:[ext.example]' \
    'a.b.parent.example smtp:[abp]' 'parent.example smtp:[p]' '.parent.example smtp:[dotp]' \
    >"$T/transport"
printf '%s\n' '/^regex@/ smtp:[re.example]' '/^x@special\.example$/ error:regexp said no' \
    >"$T/transport.re"
printf '%s\n' 'moved@mail.example.com new@else.example' '@gone.example nobody@else.example' \
    >"$T/relocated"
printf '%s\n' 'sender@sender.example [sdr.example]:25' '@dunno.example DUNNO' \
    '<> [null.example]' >"$T/sdr"

# cfg N - the main.cf of generated configuration N (its toggles are N's bits)
cfg() {
    local n=$1 b
    bit() { [ $(((n >> $1) & 1)) = 1 ]; }
    cat <<EOF
compatibility_level = 3.7
queue_directory = $TMP/queue
myhostname = mail.example.com
mydomain = example.com
myorigin = \$mydomain
mydestination = \$myhostname, localhost, localhost.\$mydomain, texthash:$T/dest
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
proxy_interfaces = 192.0.2.1
recipient_delimiter = +
relay_domains = relay.example, .sub.example, !no.relay4.example, relay4.example, texthash:$T/relays
virtual_alias_domains = valias.example, texthash:$T/valias
virtual_mailbox_domains = vmbox.example
transport_maps = texthash:$T/transport, regexp:$T/transport.re, inline:{*=smtp:[wild.example]}
relocated_maps = texthash:$T/relocated
sender_dependent_relayhost_maps = texthash:$T/sdr
sender_dependent_default_transport_maps = inline:{{sender@sender.example=sdt:[sdt.example]}, {@dunno.example=DUNNO}}
EOF
    bit 0 && echo "append_dot_mydomain = yes"
    bit 1 && echo "swap_bangpath = no"
    bit 2 && echo "allow_percent_hack = no"
    bit 3 && echo "resolve_dequoted_address = no"
    bit 4 && echo "resolve_null_domain = yes"
    bit 5 && echo "resolve_numeric_domain = yes"
    bit 6 && echo "relayhost = [relay.host.example]:587"
    bit 7 && echo "parent_domain_matches_subdomains = transport_maps"
    bit 8 && echo "show_user_unknown_table_name = no"
    bit 9 && echo "allow_min_user = yes"
    bit 10 && echo "smtputf8_enable = no"
    bit 11 && printf '%s\n' 'default_transport = error:no outside mail' \
	'relay_transport = relay:[relay.next]' 'local_transport = local'
    bit 12 && echo "empty_address_recipient = postmaster"
    bit 13 && echo "append_at_myorigin = no"
    :
}

# The addresses, as trivial-rewrite receives them (internal form), with a sender.
ADDRS=$TMP/addrs
cat >"$ADDRS" <<'EOF'
|user@mail.example.com
|USER@Mail.Example.COM
|user@mail.example.com.
|user@mail.example.com..
|user
|user@localhost
|user@localhost.example.com
|user@host
|
|@
|user@
|@mail.example.com
|u@[127.0.0.1]
|u@[192.0.2.1]
|u@[192.0.2.2]
|u@[IPv6:::1]
|u@127.0.0.1
|u@192.0.2.1
|u@1.2.3.4
|u@[300.1.1.1]
|u%other.example
|u%other.example@mail.example.com
|u%v%w@localhost
|other.example!u
|a.example!b.example!u
|other.example!u@mail.example.com
|u@other.example@mail.example.com
|u@mail.example.com@localhost
|@a.example,@b.example:u@c.example
|@a.example:u@mail.example.com
|a b@mail.example.com
|a b@other.example
|a"b@other.example
|a@b@other.example
|"u@other.example"@mail.example.com
|u+ext@relay.example
|user@relay.example
|u@relay.example
|u@sub.relay.example
|u@x.sub.example
|u@sub.example
|u@relay3.example
|u@relay4.example
|u@no.relay4.example
|u@sub.relay4.example
|u@valias.example
|u@VALIAS2.example
|u@vmbox.example
|u@dest.example
|u@special.example
|x@special.example
|regex@any.example
|u@err.example
|u@keep.example
|u@local.example
|u@retry.example
|u+ext@other.example
|u@a.b.parent.example
|u@b.parent.example
|u@c.b.parent.example
|u@parent.example
|u@other.example
|-u@other.example
|-u@mail.example.com
|moved@mail.example.com
|moved+x@mail.example.com
|x@gone.example
|u@bad_domain.example
|u@bad..example
|u@-bad.example
|u@xn--bcher-kva.example
|u@bücher.example
|postmaster
|MAILER-DAEMON
|""
sender@sender.example|u@other.example
sender@sender.example|u@relay.example
sender@sender.example|u@mail.example.com
x@dunno.example|u@other.example
Sender@Sender.Example|u@other.example
EOF

# dq WORD - WORD quoted for the policy driver
dq() {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

# postfix_answers DIR KIND [-o NAME=VALUE ...] - trivial-rewrite's answers
# for every address (KIND resolve or rewrite), one line each. One process
# per request, nothing else per request: the replies go out one after
# another, each followed by a marker record, and one awk reads them all.
postfix_answers() {
    local dir=$1 kind=$2 snd addr
    shift 2
    while IFS='|' read -r snd addr; do
	if [ "$kind" = resolve ]; then
	    printf 'request\0resolve\0sender\0%s\0address\0%s\0\0' "$snd" "$addr"
	else
	    printf 'request\0rewrite\0rule\0local\0address\0%s\0\0' "$addr"
	fi | MAIL_CONFIG=$dir "$TRW" -S "$@" 2>/dev/null
	printf '__end\0\0'
    done <"$ADDRS" | tr '\0' '\n' | awk -v kind="$kind" '
	# name, value, name, value ..., an empty name ends a reply.
	want == "value" { v[name] = $0; want = "name"; next }
	$0 == "" { next }
	$0 == "__end" {
	    if (kind == "resolve")
		printf "%s\t%s\t%s\t%s\n", v["transport"], v["nexthop"], v["recipient"], v["flags"]
	    else
		print v["address"]
	    delete v
	    next
	}
	{ name = $0; want = "value" }'
}

# pfc_answers IMAGE KIND - the driver's answers, in the same shape
pfc_answers() {
    local image=$1 kind=$2 snd addr
    while IFS='|' read -r snd addr; do
	if [ "$kind" = resolve ]; then
	    printf 'query %s %s\n' "$(dq "$snd")" "$(dq "$addr")"
	else
	    printf 'rewrite-external %s\n' "$(dq "$addr")"
	fi
    done <"$ADDRS" | "$DRIVER" "$image" | if [ "$kind" = resolve ]; then cut -f2-; else cat; fi
}

n=0
fails=0
same=0
compared=0
check_kind() {		# check_kind NAME DIR KIND [-o ...]
    local name=$1 dir=$2 kind=$3
    shift 3
    n=$((n + 1))
    postfix_answers "$dir" "$kind" "$@" >"$dir/postfix.$kind"
    pfc_answers "$dir/p.pfi" "$kind" >"$dir/pfc.$kind" 2>"$dir/pfc.err"
    compared=$((compared + $(wc -l <"$ADDRS")))
    if [ "$(wc -l <"$dir/postfix.$kind")" = "$(wc -l <"$ADDRS")" ] &&
	cmp -s "$dir/postfix.$kind" "$dir/pfc.$kind"; then
	echo "ok $n - $name: $kind"
	same=$((same + $(wc -l <"$ADDRS")))
    else
	echo "not ok $n - $name: $kind"
	# Each differing address: the request, then Postfix's and pfc's answers.
	local i=0 a p q
	exec 3<"$ADDRS" 4<"$dir/postfix.$kind" 5<"$dir/pfc.$kind"
	while IFS= read -r a <&3; do
	    IFS= read -r p <&4 || p='(none)'
	    IFS= read -r q <&5 || q='(none)'
	    i=$((i + 1))
	    [ "$p" = "$q" ] && continue
	    printf '# [%s]\n#   postfix: %s\n#   pfc:     %s\n' "$a" "$p" "$q"
	done
	exec 3<&- 4<&- 5<&-
	sed 's/^/# stderr: /' "$dir/pfc.err"
	fails=$((fails + 1))
    fi
}

# The generated configurations: none of the toggles, all of them, and a
# spread between (each toggle on in at least two). Rewrite requests
# depend on four toggles: two configurations cover them. Each request
# is one trivial-rewrite process: the sets are sized to keep the test
# within a minute or two.
RESOLVE_CONFIGS="0 16383 1365 2730 4681 12483"
REWRITE_CONFIGS="0 8199"
echo "1..$(($(echo $RESOLVE_CONFIGS $REWRITE_CONFIGS | wc -w) + 3))"

# Every transport the tables name is a unix service, as pfc build wants.
MASTER_BASE='smtp      inet  n       -       n       -       -       smtpd
  -o relay_domains=smtpd-only.example
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
sdt       unix  -       -       n       -       -       smtp
lmtp      unix  -       -       n       -       -       lmtp
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr'

build() {		# build DIR: main.cf aged (Postfix re-reads a fresh one), image
    touch -d 2000-01-01 "$1/main.cf"
    "$PFC" build -c "$1" -o "$1/p.pfi" >"$1/build.out" 2>&1
}

# config N KIND - build generated configuration N (once) and compare KIND
config() {
    local c=$1 kind=$2 dir=$TMP/cfg$1
    if [ ! -f "$dir/p.pfi" ]; then
	mkdir -p "$dir"
	cfg "$c" >"$dir/main.cf"
	printf '%s\nrewrite   unix  -       -       n       -       -       trivial-rewrite\n' \
	    "$MASTER_BASE" >"$dir/master.cf"
	if ! build "$dir"; then
	    n=$((n + 1)); echo "not ok $n - config $c: $kind: pfc build failed"
	    sed 's/^/# /' "$dir/build.out"
	    fails=$((fails + 1))
	    return
	fi
    fi
    check_kind "config $c" "$dir" "$kind"
}

for c in $RESOLVE_CONFIGS; do
    config "$c" resolve
done
for c in $REWRITE_CONFIGS; do
    config "$c" rewrite
done

# The trivial-rewrite service's own -o overrides count (master.cf passes
# them to it as -o options); an smtpd's do not.
dir=$TMP/override
mkdir -p "$dir"
cfg 0 >"$dir/main.cf"
OVR='relay_domains=other.example'
printf '%s\nrewrite   unix  -       -       n       -       -       trivial-rewrite\n  -o %s\n  -o %s\n' \
    "$MASTER_BASE" "$OVR" "virtual_mailbox_domains=relay.example" >"$dir/master.cf"
build "$dir"
check_kind "rewrite service -o" "$dir" resolve -o "$OVR" -o virtual_mailbox_domains=relay.example

# A rewrite_service_name that names another service.
dir=$TMP/renamed
mkdir -p "$dir"
{ cfg 0; echo "rewrite_service_name = rw2"; } >"$dir/main.cf"
printf '%s\nrw2       unix  -       -       n       -       -       trivial-rewrite\n  -o myorigin=elsewhere.example\n  -o append_dot_mydomain=yes\n' \
    "$MASTER_BASE" >"$dir/master.cf"
build "$dir"
check_kind "rewrite_service_name" "$dir" resolve -o myorigin=elsewhere.example -o append_dot_mydomain=yes
check_kind "rewrite_service_name" "$dir" rewrite -o myorigin=elsewhere.example -o append_dot_mydomain=yes

echo "# identical: $same/$compared"
[ "$fails" = 0 ]
