#!/bin/bash
# tests/e2e/local-privs.sh - whose rights local delivery uses, and where
# it may write: never root past the fork (root's own mailbox is
# deferred with the reason, not written as root), deliveries by a
# process that is not root go only to its own user, and with --root no
# symbolic link takes a write out of the root directory (a /file's
# directory, a Maildir, a mailbox), while a .forward that is a link is
# ignored as local(8) ignores it.
#
# Environment: PFC, LOCAL_DRIVER, PFC_REQUIRE_ALL=1, PFC_LOCAL_KEEP=1.

. "$(dirname "$0")/local-lib.sh"

local_init lv
command -v su >/dev/null 2>&1 || skip_all "su not found"
local_users
L=$T/lab
local_config "$L"
echo "escape: $L/out/link/x.mbox" >>"$L/etc/aliases"
ROOT=$T/root
local_image "$L" "$ROOT"
chown "$BOB" "$ROOT$L/etc/aliases2.db"
mkdir -p "$ROOT$L/spool" "$ROOT$L/out" "$ROOT$L/queue" "$T/outside" "$T/outside-md"
chown root:mail "$ROOT$L/spool" && chmod 2775 "$ROOT$L/spool"
chmod 1777 "$ROOT$L/out" "$T/outside" "$T/outside-md"
for u in "${USERS[@]}"; do
    mkdir -p "$ROOT$T/home/$u"
    chown "$u:" "$ROOT$T/home/$u"
done
chmod 755 "$T/root"

M=$T/msg
printf 'Subject: privs\n\nbody\n' >"$M"
deliver() {
    "$LOCAL_DRIVER" --root "$ROOT" -f "$ALICE@mail.pfxlab.test" "$ROOT/policy.pfi" "$@" <"$M" 2>&1
}

# Root's mailbox: deferred, nothing written.
got=$(deliver '\root@mail.pfxlab.test')
want='relay=local, dsn=4.3.0, status=deferred (cannot update mailbox '"$L"'/spool/root for user root. pfcd does not deliver as root: give root an alias ("root: someone" in aliases(5)))'
expect "root's own mailbox is deferred, not written as root" "$want" "$got"
check "no mailbox for root" test ! -e "$ROOT$L/spool/root"

# A /file whose directory is a link out of the root.
ln -s "$T/outside" "$ROOT$L/out/link"
got=$(deliver "escape@mail.pfxlab.test")
want="to=<escape@mail.pfxlab.test>, relay=local, dsn=5.2.0, status=bounced (cannot append message to file $L/out/link/x.mbox: cannot open file: it leads outside $ROOT (to $T/outside))"
expect "a /file through a link out of --root is refused" "$want" "$got"
check "nothing written outside" test -z "$(ls -A "$T/outside")"

# A Maildir that is a link out of the root.
ln -s "$T/outside-md" "$ROOT$T/home/$CAROL/Maildir"
got=$(deliver "$CAROL@mail.pfxlab.test")
want="to=<$CAROL@mail.pfxlab.test>, relay=localmd, dsn=5.2.0, status=bounced (maildir delivery failed: create maildir file: it leads outside $ROOT (to $T/outside-md))"
expect "a Maildir through a link out of --root is refused" "$want" "$got"
check "no Maildir made outside" test -z "$(ls -A "$T/outside-md")"

# A spool mailbox that is a link: out of the root, or to a file of the
# same user inside it: refused either way.
touch "$T/outside/bobs" "$ROOT$L/out/bobs" && chown "$BOB:" "$T/outside/bobs" "$ROOT$L/out/bobs"
ln -s "$T/outside/bobs" "$ROOT$L/spool/$BOB"
got=$(deliver "$BOB@mail.pfxlab.test")
want="to=<$BOB@mail.pfxlab.test>, relay=local, dsn=5.2.0, status=bounced (cannot update mailbox $L/spool/$BOB for user $BOB. cannot open file: it leads outside $ROOT (to $T/outside/bobs))"
expect "a spool mailbox linked out of --root is refused" "$want" "$got"
check "the link's target is untouched" test ! -s "$T/outside/bobs"
rm -f "$ROOT$L/spool/$BOB"
ln -s "$ROOT$L/out/bobs" "$ROOT$L/spool/$BOB"
got=$(deliver "$BOB@mail.pfxlab.test")
want="to=<$BOB@mail.pfxlab.test>, relay=local, dsn=5.2.0, status=bounced (cannot update mailbox $L/spool/$BOB for user $BOB. file is a symbolic link)"
expect "a spool mailbox that is a symbolic link is refused" "$want" "$got"
check "... and its target is untouched" test ! -s "$ROOT$L/out/bobs"
rm -f "$ROOT$L/spool/$BOB"

# A .forward that is a link: ignored, as local(8) does, with its warning.
cp "$T/home/$DAVE/.forward" "$T/outside/dave.forward"
ln -s "$T/outside/dave.forward" "$ROOT$T/home/$DAVE/.forward"
got=$(deliver "$DAVE@mail.pfxlab.test")
expect "a .forward link is not followed" "warning: file $T/home/$DAVE/.forward is not a regular file" "$got"
expect "... and the mail goes to the mailbox" "to=<$DAVE@mail.pfxlab.test>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)" "$got"

# Not root: deliveries as that user only.
rm -f "$ROOT$T/home/$CAROL/Maildir"
chmod 644 "$ROOT/policy.pfi"
got=$(su -s /bin/sh "$CAROL" -c "'$LOCAL_DRIVER' --root '$ROOT' -f '$ALICE@mail.pfxlab.test' '$ROOT/policy.pfi' '$CAROL@mail.pfxlab.test' '$BOB@mail.pfxlab.test' <'$M'" 2>&1)
expect "not root: to the user itself, delivered" "to=<$CAROL@mail.pfxlab.test>, relay=localmd, dsn=2.0.0, status=sent (delivered to maildir)" "$got"
want="to=<$BOB@mail.pfxlab.test>, relay=local, dsn=4.3.0, status=deferred (cannot deliver as uid $(id -u "$BOB"): running as uid $(id -u "$CAROL"), not root)"
expect "not root: to another user, deferred with the reason" "$want" "$got"

# Every delivery process gave up root: a command sees its own ids only.
got=$(deliver "pipeit@mail.pfxlab.test")
meta=$(cat "$L"/out/cap.aliasarg.*.meta 2>/dev/null)
nobody_ids="uid=$(id -u nobody) gid=$(id -g nobody) groups=$(id -g nobody)"
check "a root-owned alias's command runs as default_privs, one group" grep -qx "$nobody_ids" <<<"$meta"

echo "1..$n"
[ "$failed" = 0 ]
