#!/bin/bash
# tests/e2e/pfcd-lookups.sh - the lookups pfcd's SMTP side shares between
# the sessions of one second (TAP): pfcd started as root under a scratch
# --root on a loopback port, with the example configuration
# (examples/local-only), in a mount namespace of its own where
# /etc/hosts is a copy this test rewrites. The client's names follow a
# change of /etc/hosts at once; the account answers (local_recipient_maps)
# follow /etc/passwd at once: an unknown user is refused, accepted the
# moment useradd made it, refused again the moment userdel removed it.
. "${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/pfcd_lib.sh"
need_root "pfcd binds, creates users; a mount namespace"
need swaks "swaks not installed (scripts/install-deps)"
need useradd "useradd not found"
need unshare "unshare not found (util-linux)"
unshare -m true 2>/dev/null || skip_all "no mount namespace here"
need_pfcd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfcd-lookups.XXXXXX") || exit 1
chmod 755 "$tmp"
p=pk$$
p=${p:0:20}
owner=${p}o nu=${p}n
master=
cleanup() {
    [ -n "$master" ] && kill -TERM "$master" 2>/dev/null && wait "$master" 2>/dev/null
    userdel "$owner" >/dev/null 2>&1
    userdel "$nu" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
root=$tmp/root
add_owner "$owner"

plan 6

port=$(free_port)
example_root "$port"
echo "mail_owner = $owner" >>"$root/etc/postfix/main.cf"
build_image newaliases
log=$tmp/maillog
printf '127.0.0.1 localhost\n::1 localhost\n' >"$tmp/hosts"

# pfcd in a mount namespace of its own, /etc/hosts there the test's copy
# (rewritten in place below: the same file, new contents).
unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$tmp/hosts" \
    "$PFCD" -f --root "$root" --log="$log" "$tmp/p.pfi" 2>"$tmp/pfcd.err" &
master=$!
wait_for "$log" "daemon started"
check "pfcd starts on 127.0.0.1:$port, /etc/hosts its own" $? "$(cat "$tmp/pfcd.err")"

# 2-3: the client's names: as /etc/hosts says, and at once as it says next.
session() { swaks --server 127.0.0.1 --port "$port" --quit-after HELO >/dev/null 2>&1; }
session
grep -q 'connect from localhost\[127.0.0.1\]' "$log"
check "the client's name from /etc/hosts: localhost[127.0.0.1]" $? "$(grep 'connect from' "$log")"
printf '127.0.0.1 renamed.example\n::1 localhost\n' >"$tmp/hosts"
session
grep -q 'connect from renamed.example\[127.0.0.1\]' "$log"
check "/etc/hosts changed: the next session's name is the new one at once" $? \
    "$(grep 'connect from' "$log")"

# 4-6: the account answers follow /etc/passwd at once.
rcpt_reply() {
    swaks --server 127.0.0.1 --port "$port" --helo client.example --from "root@localhost" \
        --to "$1@localhost" --quit-after RCPT 2>&1 |
        awk '/^ *-> RCPT TO/ { getline; print $2; exit }'
}
r1=$(rcpt_reply "$nu")
useradd --no-create-home --home-dir "/home/$nu" --shell /bin/sh "$nu"
r2=$(rcpt_reply "$nu")
userdel "$nu"
r3=$(rcpt_reply "$nu")
[ "$r1" = 550 ]
check "RCPT to an unknown user: 550" $? "got $r1"
[ "$r2" = 250 ]
check "RCPT to that user just added to /etc/passwd: 250" $? "got $r2"
[ "$r3" = 550 ]
check "RCPT to that user just removed: 550 again" $? "got $r3"
