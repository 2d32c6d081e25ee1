#!/bin/bash
# root.sh - "--root DIR" takes every absolute path under DIR, in every
# command: a configuration kept in a repository is read where it is kept,
# though it names its files by their deployed paths (TAP).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
root=$(mktemp -d "${TMPDIR:-/tmp}/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/postfix"
cp "$srcdir"/examples/small-company/{main.cf,master.cf,aliases,virtual} "$root/etc/postfix/"
echo "1..8"
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
exit $failed
