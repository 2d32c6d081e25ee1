#!/bin/bash
# tests/e2e/local-postfix.sh - pfcd's local delivery side by side with
# Postfix 3.7's local(8) (SPEC-runtime.md sections 3 and 4): the same
# messages, to the same users, through the same configuration, must give
# the same mailboxes, Maildir files, /files, command input and
# environment, and the same log texts.
#
# How:
#  1. Real users are created (useradd, homes under a scratch directory),
#     and a lab configuration as SPEC-runtime.md section 10 has it:
#     aliases (forwarding, lists with owner-, :include:, |command, /file,
#     an alias table owned by a user), a .forward, a Maildir transport.
#  2. A private Postfix instance on 127.0.0.1 receives each case over SMTP
#     (Python's smtplib) through an smtpd whose cleanup holds the message
#     (header_checks = static:HOLD); the queued content is read with
#     postcat, and the message released and delivered by Postfix itself.
#     Forwarded messages and bounces go through Postfix's own cleanup,
#     qmgr, local and bounce.
#  3. The same content and envelope go to tests/e2e/local-driver, under
#     --root (the same configuration, its tables built by pfc), which runs
#     runtime/local and stands in for qmgr, the queue and bounce(8).
#  4. local-compare.py compares the results with dates, queue ids, MIME
#     boundaries' times and --root masked: mailboxes and files as sets
#     of messages, Maildir files, what each command got, the log lines
#     (to=, orig_to=, relay=, dsn=, status=, text).
#
# Environment: PFC, LOCAL_DRIVER, PFC_REQUIRE_ALL=1, PFC_LOCAL_KEEP=1
# (keep the work directory).

. "$(dirname "$0")/local-lib.sh"

for t in postfix postconf postalias postmap postcat postqueue postsuper; do
    command -v $t >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v $t >/dev/null 2>&1 || skip_all "$t not found"
done
local_init lp
id "$(postconf -d -h mail_owner 2>/dev/null)" >/dev/null 2>&1 || skip_all "no mail_owner user"

stop_postfix() {
    local pid
    [ -f "$PF/queue/pid/master.pid" ] || return 0
    pid=$(tr -d ' ' <"$PF/queue/pid/master.pid")
    timeout 30 postfix -c "$PF/etc" stop >/dev/null 2>&1
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
}
LOCAL_CLEANUP_HOOK=stop_postfix

local_users
PF=$T/lab
local_config "$PF"
ROOT=$T/pfcroot
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >>"$PF/etc/master.cf" <<EOF
127.0.0.1:$PORT inet n  -       n       -       -       smtpd
  -o cleanup_service_name=holdcleanup
holdcleanup unix n      -       n       -       0       cleanup
  -o header_checks=static:HOLD
EOF

# pfc's image first: the same configuration under --root.
local_image "$PF" "$ROOT"
chown "$BOB" "$ROOT$PF/etc/aliases2.db"

# ---------------------------------------------------------------- Postfix
owner=$(postconf -d -h mail_owner)
chown "$owner" "$PF/data" && chmod 700 "$PF/data"
postalias -c "$PF/etc" "hash:$PF/etc/aliases" "hash:$PF/etc/aliases2" &&
    postmap -c "$PF/etc" "hash:$PF/etc/transport" ||
    { echo "Bail out! postalias/postmap failed"; exit 1; }
chown "$BOB" "$PF/etc/aliases2.db"
find "$PF/etc" -type f -exec touch -d 2000-01-01 {} +
if ! out=$(timeout 60 postfix -c "$PF/etc" start 2>&1); then
    echo "Bail out! postfix start: $out"
    exit 1
fi
for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done

# The cases: NAME, sender, recipients, MAIL/RCPT options, message file.
mkdir -p "$T/cases"
MSG=$T/cases
printf 'Subject: s3 plain\nFrom: Alice <%s@mail.pfxlab.test>\nTo: undisclosed@mail.pfxlab.test\n\nbody line\nFrom the body\n>From quoted\n' \
    "$ALICE" >"$MSG/plain"
python3 - "$MSG/long" <<'EOF'
import sys
open(sys.argv[1], "w").write("Subject: s3 long\n\n" + "x" * 3000 + "\n..leading dot\nFrom me\n")
EOF
printf 'Subject: s3 loop\nDelivered-To: %s@mail.pfxlab.test\n\nlooping\n' "$BOB" >"$MSG/loop"
printf 'Subject: no final newline\n\nlast line' >"$MSG/partial"
python3 - "$MSG/medium" <<'EOF'
import sys
open(sys.argv[1], "w").write("Subject: s3 medium\n\n" + ("y" * 69 + "\n") * 10)
EOF

# name|sender|rcpts (comma)|mail options|rcpt options|message
cat >"$T/cases.list" <<EOF
plain-bob|$ALICE@mail.pfxlab.test|$BOB@mail.pfxlab.test|||plain
long-bob|$ALICE@mail.pfxlab.test|$BOB@mail.pfxlab.test|||long
maildir-carol|$ALICE@mail.pfxlab.test|$CAROL@mail.pfxlab.test|||plain
case-preserved|$ALICE@mail.pfxlab.test|$(echo "$BOB" | tr a-z A-Z)@MAIL.PFXLAB.TEST|||plain
extension|$ALICE@mail.pfxlab.test|$BOB+tag@mail.pfxlab.test|||plain
null-sender||$BOB@mail.pfxlab.test|||plain
alias-fwd|$ALICE@mail.pfxlab.test|fwd@mail.pfxlab.test|||plain
alias-fwd2|$ALICE@mail.pfxlab.test|fwd2@mail.pfxlab.test|||plain
alias-pipe|$ALICE@mail.pfxlab.test|pipeit@mail.pfxlab.test|||plain
alias-file|$ALICE@mail.pfxlab.test|tofile@mail.pfxlab.test|||plain
include|$ALICE@mail.pfxlab.test|incl@mail.pfxlab.test|||plain
include-command|$ALICE@mail.pfxlab.test|incl2@mail.pfxlab.test|||plain
unknown-via-alias|$ALICE@mail.pfxlab.test|ghost@mail.pfxlab.test|||plain
unknown|$ALICE@mail.pfxlab.test|nobody-here@mail.pfxlab.test|||plain
list-owner|$ALICE@mail.pfxlab.test|list1@mail.pfxlab.test|||plain
dot-forward|$ALICE@mail.pfxlab.test|$DAVE@mail.pfxlab.test|||plain
postmaster|$ALICE@mail.pfxlab.test|postmaster@mail.pfxlab.test|||plain
user-owned-alias|$ALICE@mail.pfxlab.test|pipebob@mail.pfxlab.test|||plain
loop|$ALICE@mail.pfxlab.test|$BOB@mail.pfxlab.test|||loop
partial-line|$ALICE@mail.pfxlab.test|$BOB@mail.pfxlab.test|||partial
ret-hdrs-envid|$ALICE@mail.pfxlab.test|ghost@mail.pfxlab.test|RET=HDRS ENVID=env-12345|NOTIFY=FAILURE ORCPT=rfc822;Ghost@Example.Org|plain
notify-success|$ALICE@mail.pfxlab.test|$BOB@mail.pfxlab.test||NOTIFY=SUCCESS|plain
notify-never|$ALICE@mail.pfxlab.test|ghost@mail.pfxlab.test||NOTIFY=NEVER|plain
two-rcpts|$ALICE@mail.pfxlab.test|$BOB@mail.pfxlab.test,fwd@mail.pfxlab.test|||plain
cmd-tempfail|$ALICE@mail.pfxlab.test|cmd75@mail.pfxlab.test|||plain
cmd-nouser|$ALICE@mail.pfxlab.test|cmd67@mail.pfxlab.test|||plain
cmd-dsn-output|$ALICE@mail.pfxlab.test|cmddsn@mail.pfxlab.test|||plain
cmd-status3|$ALICE@mail.pfxlab.test|cmd3@mail.pfxlab.test|||plain
cmd-signal|$ALICE@mail.pfxlab.test|cmdsig@mail.pfxlab.test|||plain
cmd-shell|$ALICE@mail.pfxlab.test|cmdshell@mail.pfxlab.test|||plain
include-file|$ALICE@mail.pfxlab.test|incl3@mail.pfxlab.test|||plain
home-file|$ALICE@mail.pfxlab.test|homefile@mail.pfxlab.test|||plain
include-relative|$ALICE@mail.pfxlab.test|relpath@mail.pfxlab.test|||plain
maildir-file|$ALICE@mail.pfxlab.test|maildirfile@mail.pfxlab.test|||plain
mailbox-command|$ALICE@mail.pfxlab.test|$ERIN+ext@mail.pfxlab.test|||plain
home-mbox|$ALICE@mail.pfxlab.test|$GRACE@mail.pfxlab.test|||plain
luser-relay|$ALICE@mail.pfxlab.test|lost@mail.pfxlab.test|||plain
size-limit-1|$ALICE@mail.pfxlab.test|$FRANK@mail.pfxlab.test|||medium
size-limit-2|$ALICE@mail.pfxlab.test|$FRANK@mail.pfxlab.test|||medium
locked|$ALICE@mail.pfxlab.test|$FRANK@mail.pfxlab.test|||plain
EOF

# send_case: one message over SMTP; prints the held queue id
send_case() {
    python3 - "$PORT" "$@" <<'EOF'
import smtplib, sys
port, sender, rcpts, mopts, ropts, path = sys.argv[1:7]
s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="client.example", timeout=30)
s.ehlo("client.example")
data = open(path, "rb").read().replace(b"\n", b"\r\n")
s.sendmail(sender, rcpts.split(","), data, mail_options=mopts.split(), rcpt_options=ropts.split())
s.quit()
EOF
}

# held_id: the one message in the hold queue
held_id() {
    local _ id
    for _ in $(seq 100); do
        id=$(postqueue -c "$PF/etc" -j | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m["queue_name"] == "hold": print(m["queue_id"])')
        [ -n "$id" ] && { echo "$id"; return 0; }
        sleep 0.1
    done
    return 1
}

# queue_settled: wait (30 s at most) until Postfix has nothing queued but
# deferred mail, then drop that (a deferral is logged; no retry is wanted)
queue_settled() {
    local _
    for _ in $(seq 300); do
        if ! postqueue -c "$PF/etc" -j | grep -qv '"queue_name": *"deferred"'; then
            postsuper -c "$PF/etc" -d ALL deferred >/dev/null 2>&1
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# A held dotlock makes the "locked" case (2 attempts a second apart).
lock_file() {
    case $1 in locked) echo "$2$PF/spool/$FRANK.lock" ;; esac
}

while IFS='|' read -r name sender rcpts mopts ropts msg; do
    if ! send_case "$sender" "$rcpts" "$mopts" "$ropts" "$MSG/$msg" 2>"$T/send.err"; then
        echo "Bail out! sending $name to Postfix failed: $(cat "$T/send.err")"
        exit 1
    fi
    id=$(held_id) || { echo "Bail out! $name: no held message"; exit 1; }
    postcat -c "$PF/etc" -bh -q "$id" >"$T/cases/$name.content" 2>"$T/postcat.err" ||
        { echo "Bail out! postcat $id: $(cat "$T/postcat.err")"; exit 1; }
    echo "$id" >"$T/cases/$name.id"
    lock=$(lock_file "$name" "")
    [ -n "$lock" ] && touch "$lock"
    postsuper -c "$PF/etc" -H "$id" >/dev/null 2>&1
    postqueue -c "$PF/etc" -i "$id" >/dev/null 2>&1
    queue_settled || { echo "Bail out! $name: Postfix did not deliver within 30 s"; exit 1; }
    [ -n "$lock" ] && rm -f "$lock"
done <"$T/cases.list"
stop_postfix

# Postfix's results, out of the way of pfc's.
R=$T/result
mkdir -p "$R/postfix" "$R/pfc"
collect() {
    local dst=$1 base=$2 u
    mkdir -p "$dst/spool" "$dst/home" "$dst/out"
    cp -a "$base$PF/spool/." "$dst/spool/" 2>/dev/null
    for u in "${USERS[@]}"; do
        mkdir -p "$dst/home/$u"
        for f in Maildir fwd-file.mbox Mailbox; do
            [ -e "$base$T/home/$u/$f" ] && cp -a "$base$T/home/$u/$f" "$dst/home/$u/"
        done
    done
    cp -a "$base$PF/out/." "$dst/out/" 2>/dev/null
    # Commands write where they are told, outside --root.
    [ -n "$base" ] && cp -a "$PF/out/." "$dst/out/" 2>/dev/null
    return 0
}
collect "$R/postfix" ""
rm -rf "$PF/out"/* "$T/home/$CAROL/Maildir" "$T/home/$DAVE/fwd-file.mbox" "$T/home/$GRACE/Mailbox"
grep ' postfix/local\[' "$PF/maillog" | sed 's/^.*postfix\/local\[[0-9]*\]: //' >"$R/postfix/log"
grep ' postfix/bounce\[' "$PF/maillog" | sed 's/^.*postfix\/bounce\[[0-9]*\]: //' >>"$R/postfix/log"

# ---------------------------------------------------------------- pfc
# What --root needs besides the configuration: the spool, the homes, the
# directories /files and commands use, the queue directory (commands' cwd).
mkdir -p "$ROOT$PF/spool" "$ROOT$PF/out" "$ROOT$PF/queue" "$ROOT$T/home"
chown root:mail "$ROOT$PF/spool" && chmod 2775 "$ROOT$PF/spool"
chmod 1777 "$ROOT$PF/out"
for u in "${USERS[@]}"; do
    mkdir -p "$ROOT$T/home/$u"
    chown "$u:" "$ROOT$T/home/$u"
done
cp -a "$T/home/$DAVE/.forward" "$ROOT$T/home/$DAVE/"
: >"$R/pfc/log"
while IFS='|' read -r name sender rcpts mopts ropts msg; do
    args=(-i "$(cat "$T/cases/$name.id")" -f "$sender" -C "localhost,127.0.0.1,client.example,ESMTP")
    for o in $mopts; do
        case $o in
        RET=*) args+=(-R "${o#RET=}") ;;
        ENVID=*) args+=(-E "${o#ENVID=}") ;;
        esac
    done
    for o in $ropts; do
        case $o in
        NOTIFY=SUCCESS) args+=(-N 2) ;;
        NOTIFY=FAILURE) args+=(-N 4) ;;
        NOTIFY=NEVER) args+=(-N 1) ;;
        ORCPT=*) args+=(-O "${o#ORCPT=}") ;;
        esac
    done
    IFS=, read -ra rcpt_list <<<"$rcpts"
    lock=$(lock_file "$name" "$ROOT")
    [ -n "$lock" ] && touch "$lock"
    "$LOCAL_DRIVER" --root "$ROOT" "${args[@]}" "$ROOT/policy.pfi" "${rcpt_list[@]}" \
        <"$T/cases/$name.content" >>"$R/pfc/log" 2>>"$R/pfc/stderr"
    [ -n "$lock" ] && rm -f "$lock"
done <"$T/cases.list"
collect "$R/pfc" "$ROOT"

# ---------------------------------------------------------------- compare
users=$(IFS=,; echo "${USERS[*]}")
python3 "$HERE/local-compare.py" --root "$ROOT" --users "$users" "$R/postfix" "$R/pfc"
