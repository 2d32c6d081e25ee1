#!/bin/bash
# passwd-snapshot.sh - the batch runs' snapshot of the account database
# answers every name as getpwnam() does, on account databases this host
# does not have: tests/unit/test_passwd_snapshot (which compares the two
# for every listed name and names near them) run in a mount namespace of
# its own where /etc/passwd and /etc/nsswitch.conf are the files below.
# The passwd file has a name twice (the first line answers), NIS compat
# lines (+name, -name: listed, never matched by name), an empty name and
# one with '@'; with and without root (nss-systemd makes up root and
# nobody and lists neither); nsswitch.conf puts systemd before and after
# files, or lists no source at all. Needs root and unshare(1): skipped
# without them. The host's own files are not touched.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
unit=$(dirname "$PFC")/tests/unit/test_passwd_snapshot
n=0 failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }

[ -x "$unit" ] || { echo "1..0 # SKIP $unit not built"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a mount namespace)"; exit 0; }
unshare -m true 2>/dev/null || { echo "1..0 # SKIP unshare -m does not work here"; exit 0; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/passwd-snapshot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/passwd" <<'PW'
root:x:0:0:root:/root:/bin/bash
alice:x:1000:1000:Alice:/home/alice:/bin/sh
alice:x:1001:1001:Alice Again:/home/alice2:/bin/sh
+nisuser::::::
-bob::::::
:x:5:5:no name:/:/bin/sh
carol@example.com:x:1002:1002::/home/carol:/bin/sh
PW
grep -v '^root:' "$tmp/passwd" >"$tmp/passwd.noroot"

# run PASSWD NSSWITCH-LINE: the unit test with those as /etc's files
run() {
    printf '%b' "$2" >"$tmp/nsswitch.conf"
    TMPDIR=$tmp CMOCKA_MESSAGE_OUTPUT=TAP unshare -m sh -c 'mount --bind "$1" /etc/passwd &&
        mount --bind "$2" /etc/nsswitch.conf && exec "$3"' sh \
        "$tmp/$1" "$tmp/nsswitch.conf" "$unit" >"$tmp/out" 2>&1
}

for pw in passwd passwd.noroot; do
    for ns in 'passwd: files systemd\n' 'passwd: systemd files\n' 'passwd:\n' 'hosts: files\n'; do
        [ "$pw" = passwd.noroot ] && case $ns in passwd:\\n|hosts*) continue ;; esac
        what="$pw, nsswitch.conf '${ns%\\n}'"
        if run "$pw" "$ns" && grep -q '^ok 4 - test_snapshot_answers_as_getpwnam$' "$tmp/out"; then
            pass "$what: the snapshot answers as getpwnam()"
        else
            fail "$what: the snapshot and getpwnam() differ"
            sed 's/^/# /' "$tmp/out"
        fi
    done
done
# An nsswitch.conf whose source may not list all it answers: no snapshot.
run passwd 'passwd: files ldap\n'
if grep -q '^ok 4 - test_snapshot_answers_as_getpwnam$' "$tmp/out" &&
    grep -q 'no snapshot on this host: a passwd source other than files and systemd' "$tmp/out"; then
    pass "passwd: files ldap: no snapshot, each name asked as before"
else
    fail "passwd: files ldap: a snapshot was taken"
    sed 's/^/# /' "$tmp/out"
fi
echo "1..$n"
exit $failed
