#!/bin/bash
# root.sh - "--root DIR" takes every absolute path under DIR, in every
# command: a configuration kept in a repository is read where it is kept,
# though it names its files by their deployed paths; and nothing outside
# DIR is read through it: a link out of the tree is a root-escape error of
# check, a refusal of build, and its target is printed nowhere (TAP).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
root=$(mktemp -d "${TMPDIR:-/tmp}/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/postfix"
cp "$srcdir"/examples/small-company/{main.cf,master.cf,aliases,virtual} "$root/etc/postfix/"
echo "1..13"
n=0 failed=0
ok() {  # ok NAME COMMAND...: the command succeeds
    n=$((n + 1))
    local name=$1; shift
    if out=$("$@" 2>&1); then echo "ok $n - $name"
    else echo "not ok $n - $name"; printf '%s\n' "$out" | sed 's/^/# /'; failed=1; fi
}
cd "$root" || exit 1
ok "conf reads main.cf under the root" \
    bash -c '"$0" conf --root . -c /etc/postfix -h myhostname | grep -qx mail.example.com' "$PFC"
ok "map builds the deployed path under the root" \
    bash -c '"$0" map --root "$PWD" hash:/etc/postfix/virtual && test -f etc/postfix/virtual.db' "$PFC"
ok "map -q answers from it" \
    bash -c '"$0" map --root=. -q info@example.org hash:/etc/postfix/virtual | grep -qx info' "$PFC"
ok "newaliases builds alias_database under the root" \
    bash -c '"$0" newaliases --root . -C /etc/postfix && test -f etc/postfix/aliases.db' "$PFC"
ok "alias -q answers from it" \
    bash -c '"$0" alias --root . -q postmaster hash:/etc/postfix/aliases | grep -qx root' "$PFC"
ok "lookup finds the table under the root" \
    bash -c '"$0" lookup --root . -c /etc/postfix virtual_alias_maps info@example.org | grep -q "^found"' "$PFC"
ok "check is clean under the root" \
    bash -c '"$0" check --root . -c /etc/postfix' "$PFC"
n=$((n + 1))
# Without the root, the deployed paths do not exist here.
if "$PFC" check -c etc/postfix --format=json | grep -q '"rule": "table-source-missing"\|"rule": "db-missing"'; then
    echo "ok $n - without --root the deployed tables are missing"
else
    echo "not ok $n - without --root the deployed tables are missing"; failed=1
fi

# A tree from a pull request: links out of it, one absolute, one that climbs
# with "..", and one inside it that is fine.
printf 'virtual_alias_maps = hash:/etc/postfix/virtual, texthash:/etc/postfix/transport_out\n' \
    >> etc/postfix/main.cf
mv etc/postfix/virtual etc/postfix/virtual.real
ln -s virtual.real etc/postfix/virtual
"$PFC" map --root . hash:/etc/postfix/virtual >/dev/null 2>&1
ln -s ../../../../../../../../../../../../../../../../etc/passwd etc/postfix/transport_out
ok "a link inside the tree is followed" \
    bash -c '! "$0" check --root . -c /etc/postfix --format=json | grep "root-escape" | grep -q "/etc/postfix/virtual:"' "$PFC"
report=$("$PFC" check --root . -c /etc/postfix 2>&1); rc=$?
ok "a link that climbs out with ..: check exits 1 with root-escape" \
    bash -c 'test "$0" = 1 && printf "%s\n" "$1" | grep -q "/etc/postfix/transport_out leads outside the --root directory (to /etc/passwd).*\[root-escape\]$"' "$rc" "$report"
rm etc/postfix/virtual.db etc/postfix/virtual
ln -s /etc/passwd etc/postfix/virtual
report=$("$PFC" check --root . -c /etc/postfix 2>&1); rc=$?
ok "an absolute link out of the tree: root-escape" \
    bash -c 'test "$0" = 1 && printf "%s\n" "$1" | grep -q "/etc/postfix/virtual leads outside the --root directory (to /etc/passwd).*\[root-escape\]$"' "$rc" "$report"
ok "the target's content is printed nowhere" \
    bash -c '! printf "%s\n" "$0" | grep -q "root:[^ ]*:0:0:"' "$report"
"$PFC" build --root . -c /etc/postfix -o policy.pfi >build.out 2>&1; rc=$?
ok "build refuses it (exit 1) and writes no image" \
    bash -c 'test "$0" = 1 && test ! -e policy.pfi && grep -q "\[root-escape\]$" build.out' "$rc"
rm -f build.out
exit $failed
