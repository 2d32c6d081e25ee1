#!/bin/bash
# tests/e2e/local-readers.sh - what pfc's local delivery writes, read by
# the programs that read mailboxes on Debian: s-nail and bsd-mailx (mbox,
# and s-nail's Maildir support) and Python's mailbox module (mbox and
# Maildir); each must find every message, no more, with its subject and
# body, and complain about nothing. Then the locks those readers take:
# a kernel (fcntl) lock held on a mailbox defers the delivery with
# local(8)'s words, and the delivery goes through once it is released.
#
# Runs as root (real users), without --root: the configuration's paths
# are the scratch directory's.
#
# Environment: PFC, LOCAL_DRIVER, PFC_REQUIRE_ALL=1, PFC_LOCAL_KEEP=1.

. "$(dirname "$0")/local-lib.sh"

local_init lr
command -v s-nail >/dev/null 2>&1 || skip_all "s-nail not found (Debian: s-nail)"
command -v bsd-mailx >/dev/null 2>&1 || skip_all "bsd-mailx not found (Debian: bsd-mailx)"
local_users
L=$T/lab
local_config "$L"
for t in aliases aliases2; do
    "$PFC" alias -c "$L/etc" "$L/etc/$t" >/dev/null || { echo "Bail out! pfc alias"; exit 1; }
done
"$PFC" map -c "$L/etc" "$L/etc/transport" >/dev/null || { echo "Bail out! pfc map"; exit 1; }
"$PFC" build -c "$L/etc" -o "$T/policy.pfi" >/dev/null || { echo "Bail out! pfc build"; exit 1; }

deliver() {
    "$LOCAL_DRIVER" -C "localhost,127.0.0.1,client.example,ESMTP" "$T/policy.pfi" "$@"
}

# The messages: "From " in the body, a 3000-byte line, a last line
# without its end, the null sender, a bounce (MIME) for alice.
M=$T/msg
mkdir -p "$M"
printf 'Subject: one\nFrom: %s@mail.pfxlab.test\n\nFrom the body\n>From quoted\nFrom\n' "$ALICE" >"$M/1"
python3 -c 'import sys; open(sys.argv[1], "w").write("Subject: two\n\n" + "z" * 3000 + "\n")' "$M/2"
printf 'Subject: three\n\nno end of line' >"$M/3"
printf 'Subject: four\n\nFrom MAILER-DAEMON  Sun Dec  6 19:44:16 2026\n\n' >"$M/4"
out=$( {
    deliver -f "$ALICE@mail.pfxlab.test" "$BOB@mail.pfxlab.test" <"$M/1"
    deliver -f "$ALICE@mail.pfxlab.test" "$BOB@mail.pfxlab.test" <"$M/2"
    deliver -f "$ALICE@mail.pfxlab.test" "$BOB@mail.pfxlab.test" <"$M/3"
    deliver -f "" "$BOB@mail.pfxlab.test" <"$M/4"
    deliver -f "$ALICE@mail.pfxlab.test" "ghost@mail.pfxlab.test" <"$M/1"
    for i in 1 2 3; do
        deliver -f "$ALICE@mail.pfxlab.test" "$CAROL@mail.pfxlab.test" <"$M/$i"
    done
} 2>&1)
count=$(grep -c 'status=sent (delivered to ma' <<<"$out")
if [ "$count" = 8 ]; then ok "eight deliveries"; else not_ok "eight deliveries" "$out"; fi

BOX=$L/spool/$BOB
MD=$T/home/$CAROL/Maildir

# s-nail: one header line per message, nothing on stderr.
check_snail() {
    local what=$1 folder=$2 want=$3 subjects=$4 got
    got=$(s-nail -n -N -H -f "$folder" 2>"$T/snail.err")
    if [ -s "$T/snail.err" ]; then
        not_ok "s-nail reads $what" "$(cat "$T/snail.err")"
    elif [ "$(wc -l <<<"$got")" != "$want" ]; then
        not_ok "s-nail reads $what" "want $want messages: $got"
    elif [ "$(awk '{print $NF}' <<<"$got" | tr '\n' ' ')" != "$subjects" ]; then
        not_ok "s-nail reads $what" "subjects: $got"
    else
        ok "s-nail reads $what ($want messages)"
    fi
}
check_snail "the spool mbox" "$BOX" 4 "one two three four "
check_snail "the Maildir" "maildir://$MD" 3 "one two three "

# s-nail prints a message as it was sent ("From " quoted in the mbox).
got=$(printf 'p 1\nq\n' | s-nail -n -N -R -f "$BOX" 2>&1)
check "s-nail shows message 1's body" grep -qx '>From the body' <<<"$got"

# bsd-mailx: "N messages N new".
got=$(printf 'q\n' | bsd-mailx -n -f "$BOX" 2>&1)
check "bsd-mailx counts 4 messages" grep -q '": 4 messages 4 new' <<<"$got"
got=$(printf 'q\n' | bsd-mailx -n -f "$L/spool/$ALICE" 2>&1)
check "bsd-mailx counts the bounce" grep -q '": 1 message 1 new' <<<"$got"

# Python's mailbox module: mbox and Maildir, subjects, bodies, the bounce's MIME.
check "Python's mailbox reads the mbox and the Maildir" python3 - "$BOX" "$MD" "$L/spool/$ALICE" <<'EOF'
import email, mailbox, sys
box = mailbox.mbox(sys.argv[1], create=False)
subjects = [m["Subject"] for m in box]
assert subjects == ["one", "two", "three", "four"], subjects
msgs = list(box)
assert msgs[0].get_payload() == ">From the body\n>From quoted\nFrom\n", repr(msgs[0].get_payload())
assert msgs[1].get_payload() == "z" * 3000 + "\n", "long line"
assert msgs[2].get_payload() == "no end of line\n", repr(msgs[2].get_payload())
assert msgs[3].get_from() == "MAILER-DAEMON  " + msgs[3].get_from().split("  ", 1)[1]
assert msgs[3]["Return-Path"] == "<>"
assert msgs[3].get_payload() == ">From MAILER-DAEMON  Sun Dec  6 19:44:16 2026\n\n", \
    repr(msgs[3].get_payload())
md = mailbox.Maildir(sys.argv[2], factory=None, create=False)
assert sorted(m["Subject"] for m in md) == ["one", "three", "two"]
assert all(m.get_subdir() == "new" for m in md)
bounce = list(mailbox.mbox(sys.argv[3], create=False))
assert len(bounce) == 1
b = bounce[0]
assert b.get_content_type() == "multipart/report", b.get_content_type()
parts = [p.get_content_type() for p in b.get_payload()]
assert parts == ["text/plain", "message/delivery-status", "message/rfc822"], parts
status = b.get_payload()[1].get_payload()
fields = {k: v for blk in status for k, v in blk.items()}
assert fields["Status"] == "5.1.1" and fields["Action"] == "failed", fields
assert b.get_payload()[2].get_payload()[0]["Subject"] == "one"
EOF

# A kernel lock on the mailbox, as mutt or s-nail takes it: deferred
# (2 attempts a second apart with localsmall), delivered after.
deliver -f "$ALICE@mail.pfxlab.test" "$FRANK@mail.pfxlab.test" <"$M/1" >/dev/null
python3 - "$L/spool/$FRANK" "$T/locked" <<'EOF' &
import fcntl, os, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
for _ in range(100):
    if not os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
EOF
locker=$!
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.1; done
got=$(deliver -f "$ALICE@mail.pfxlab.test" "$FRANK@mail.pfxlab.test" <"$M/1" 2>&1)
rm -f "$T/locked"
wait "$locker"
want="to=<$FRANK@mail.pfxlab.test>, relay=localsmall, dsn=4.2.0, status=deferred (cannot update mailbox $L/spool/$FRANK for user $FRANK. unable to lock for exclusive access: Resource temporarily unavailable)"
check "an fcntl lock held: deferred" grep -qF "$want" <<<"$got"
got=$(deliver -f "$ALICE@mail.pfxlab.test" "$FRANK@mail.pfxlab.test" <"$M/1" 2>&1)
check "the lock released: delivered" grep -q 'status=sent (delivered to mailbox)' <<<"$got"
check "the deferred delivery left nothing behind" python3 -c '
import mailbox, sys
assert len(mailbox.mbox(sys.argv[1], create=False)) == 2' "$L/spool/$FRANK"

echo "1..$n"
[ "$failed" = 0 ]
