#!/bin/bash
# tests/compat/cleanup.sh - the policy engine's envelope rewriting
# (runtime/policy/rewrite.c: canonical maps, masquerading, virtual alias
# expansion) versus Postfix's own cleanup(8), side by side.
#
# cleanup needs trivial-rewrite through the master, so the test runs a
# private Postfix instance (root only: master binds as root and runs its
# children as mail_owner) with only pickup, cleanup, trivial-rewrite and
# postlogd, and no queue manager: each message that sendmail(1) submits
# goes through pickup and cleanup and then stays in the incoming queue,
# where postcat(1) shows its envelope as cleanup wrote it. One message
# carries every recipient of the test (cleanup keeps each input
# recipient's expansion apart, by its original recipient); each sender
# of the test gets a message of its own, told apart by a recipient no
# table maps. The same configuration goes through pfc build, and the
# policy driver's "sender" and "recipient" answers must be the same.
#
# Cases where cleanup refuses the message (loops, too many addresses, a
# failed lookup) leave nothing in the queue to compare with; tests/policy
# (rewrite-virtual, rewrite-canonical) pins those down.
#
# Environment: PFC, POLICY_DRIVER, srcdir, PFC_REQUIRE_ALL=1 (not root or
# no Postfix: a bail-out).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
find_pfc
find_policy_driver
[ "$(id -u)" = 0 ] || skip_all "a private Postfix instance needs root"
for tool in postfix postcat sendmail; do
    command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not found on PATH"
done
id postfix >/dev/null 2>&1 || skip_all "no postfix user"

TMP=$(mktemp -d)
chmod 755 "$TMP"		# the instance's daemons run as postfix
ETC=$TMP/etc
started=0
stop() {
    [ "$started" = 1 ] && postfix -c "$ETC" stop >/dev/null 2>&1
    rm -rf "$TMP"
}
trap stop EXIT
mkdir -p "$ETC" "$TMP/queue" "$TMP/data"
chown postfix "$TMP/data"

cat >"$ETC/main.cf" <<EOF
compatibility_level = 3.7
config_directory = $ETC
queue_directory = $TMP/queue
data_directory = $TMP/data
maillog_file = $TMP/maillog
maillog_file_prefixes = $TMP
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.example.com
mydomain = example.com
myorigin = example.com
mydestination = \$myhostname, example.com
recipient_delimiter = +
canonical_maps = texthash:$TMP/canonical
sender_canonical_maps = texthash:$TMP/sender_canonical
recipient_canonical_maps = texthash:$TMP/recipient_canonical
masquerade_domains = !keep.example.com, example.com
masquerade_exceptions = root
masquerade_classes = envelope_sender, envelope_recipient
virtual_alias_maps = texthash:$TMP/virtual
EOF
cat >"$TMP/canonical" <<'EOF'
joe@example.com Joe.Public@example.com
@old.example @new.example
chain1@example.com chain2@example.com
chain2@example.com chain3@example.com
multi@example.com a@example.com, b@example.com
self@example.com Self@example.com
EOF
printf 'sender@example.com sc@host.example.com\n' >"$TMP/sender_canonical"
printf 'rcpt@example.com rc@sub.keep.example.com\n' >"$TMP/recipient_canonical"
cat >"$TMP/virtual" <<'EOF'
list@example.com a@example.com, b@example.com, A@example.com
a@example.com a-final@example.net
vself@example.com vself@example.com, other@example.net
ext@example.com ext-target@example.net
@domain.example @example.net
named@example.com Some Name <sn@example.net>, "quoted user"@example.net
bare@example.com localuser
dup@example.com d@example.net, D@Example.net
chain3@example.com c3@example.net, c3b@example.net
EOF
# pfc build wants the transports main.cf's defaults name; the instance
# runs only what it needs (no qmgr: messages stay in the incoming queue).
cat >"$ETC/master.cf" <<'EOF'
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
postlog   unix-dgram n  -       n       -       1       postlogd
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
EOF
"$PFC" build -c "$ETC" -o "$TMP/p.pfi" >"$TMP/build.out" 2>&1 ||
    { echo "Bail out! pfc build failed: $(head -n 3 "$TMP/build.out")"; exit 1; }
# The instance's master.cf: the same, less the services it must not run.
grep -v '^smtp  \|^relay \|^local \|^virtual ' "$ETC/master.cf" >"$ETC/master.cf.new" &&
    mv "$ETC/master.cf.new" "$ETC/master.cf"
touch -d 2000-01-01 "$ETC/main.cf"

RECIPIENTS="joe@example.com joe+foo@example.com x@old.example x+y@old.example
chain1@example.com multi@example.com self@example.com rcpt@example.com
user@host.example.com root@host.example.com u@sub.keep.example.com list@example.com
vself@example.com ext+foo@example.com x+y@domain.example named@example.com
bare@example.com dup@example.com nobody@example.org user Mixed@Example.COM"
SENDERS="joe@example.com joe+foo@example.com x+y@old.example sender@example.com
root@host.example.com u@deep.sub.example.com u@sub.keep.example.com
MAILER-DAEMON@example.com mailer-daemon user chain1@example.com"

if ! postfix -c "$ETC" start >"$TMP/start.out" 2>&1; then
    skip_all "the private Postfix instance does not start: $(tail -n 1 "$TMP/start.out")"
fi
started=1

printf 'Subject: pfc cleanup compat\n\nbody\n' >"$TMP/msg"
# shellcheck disable=SC2086
sendmail -C "$ETC" -f nobody@example.org $RECIPIENTS <"$TMP/msg"
count=1
i=0
for s in "" $SENDERS; do
    i=$((i + 1))
    sendmail -C "$ETC" -f "$s" "case-$i@example.org" <"$TMP/msg"
    count=$((count + 1))
done

# Wait for pickup and cleanup to put every message in the incoming queue.
for _ in $(seq 1 120); do
    [ "$(find "$TMP/queue/incoming" -type f | wc -l)" -ge "$count" ] && break
    sleep 0.5
done

# postcat's envelope of each queued message: "sender S" and
# "rcpt ORIGINAL FINAL" lines.
for f in "$TMP"/queue/incoming/*; do
    postcat -c "$ETC" -e "$f" 2>/dev/null | awk '
	/^sender: / { sub(/^sender: /, ""); print "sender\t" $0 }
	/^sender:$/ { print "sender\t" }
	/^original_recipient: / { sub(/^original_recipient: /, ""); orig = $0 }
	/^recipient: / { sub(/^recipient: /, ""); print "rcpt\t" orig "\t" $0 }'
    echo "end"
done >"$TMP/queue.txt"

# Postfix's answers in the driver's shape: recipients grouped by input.
postfix_recipients() {
    local r
    for r in $RECIPIENTS; do
	awk -F'\t' -v r="$r" '
	    $1 == "rcpt" && $2 == r { out = out (n++ ? "\t" : "") $3 }
	    END { print out }' "$TMP/queue.txt"
    done
}
postfix_senders() {
    local i=0 s
    for s in "" $SENDERS; do
	i=$((i + 1))
	awk -F'\t' -v c="case-$i@example.org" '
	    $1 == "sender" { sender = $2 }
	    $1 == "rcpt" && $2 == c { found = sender }
	    $1 == "end" { sender = "" }
	    END { print found }' "$TMP/queue.txt"
    done
}

n=0
fails=0
compare() {		# compare NAME POSTFIX PFC INPUTS
    n=$((n + 1))
    if cmp -s "$2" "$3"; then
	echo "ok $n - $1: $(wc -l <"$2") addresses as cleanup has them"
    else
	echo "not ok $n - $1"
	paste -d'|' "$4" "$2" "$3" | awk -F'|' '$2 != $3 {
	    printf "# [%s]\n#   postfix: %s\n#   pfc:     %s\n", $1, $2, $3 }'
	fails=$((fails + 1))
    fi
}

echo "1..2"
printf '%s\n' $RECIPIENTS >"$TMP/recipients.in"
postfix_recipients >"$TMP/recipients.postfix"
sed 's/^/recipient /' "$TMP/recipients.in" | "$DRIVER" "$TMP/p.pfi" >"$TMP/recipients.pfc" 2>&1
compare "envelope recipients" "$TMP/recipients.postfix" "$TMP/recipients.pfc" "$TMP/recipients.in"

{ echo ""; printf '%s\n' $SENDERS; } >"$TMP/senders.in"
postfix_senders >"$TMP/senders.postfix"
{ echo 'sender ""'; printf 'sender %s\n' $SENDERS; } | "$DRIVER" "$TMP/p.pfi" >"$TMP/senders.pfc" 2>&1
compare "envelope senders" "$TMP/senders.postfix" "$TMP/senders.pfc" "$TMP/senders.in"

if [ "$fails" != 0 ] && [ -f "$TMP/maillog" ]; then
    grep -E 'warning|error|fatal' "$TMP/maillog" | sed 's/^/# maillog: /' | head -n 20
fi
[ "$fails" = 0 ]
