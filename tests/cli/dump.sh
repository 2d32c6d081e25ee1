#!/bin/bash
# dump.sh - pfc dump and pfc diff (TAP). The dump of every example
# configuration is a golden file, tests/cli/dump-golden/EXAMPLE.dump; so is the
# output of two diffs, tests/cli/dump-golden/diff-*.out. Each example is deployed
# under a scratch root as it names its files (/etc/postfix/...) and built
# with --root, so no golden names a path of the machine that runs it.
# After an intended change of the format or of the examples, regenerate
# the goldens with
#     UPDATE=1 make check TESTS=tests/cli/dump.sh
# and review the difference before committing it.
set -u
srcdir=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
PFC=${PFC:-$srcdir/pfc}
golden=$srcdir/tests/cli/dump-golden
UPDATE=${UPDATE:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dump.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
examples=(local-only small-company submission)
echo "1..$((${#examples[@]} + 24))"
n=0 failed=0

ok() {  # ok NAME COMMAND...: the command succeeds
    n=$((n + 1))
    local name=$1; shift
    if out=$("$@" 2>&1); then echo "ok $n - $name"
    else echo "not ok $n - $name"; printf '%s\n' "$out" | sed 's/^/# /'; failed=1; fi
}

# expect NAME RC ERR-PATTERN COMMAND...: exit status RC, nothing on stdout,
# and stderr matching ERR-PATTERN (grep -E), one line or more
expect() {
    n=$((n + 1))
    local name=$1 want_rc=$2 pattern=$3; shift 3
    local out rc
    out=$("$@" 2>"$tmp/err")
    rc=$?
    if [ "$rc" = "$want_rc" ] && [ -z "$out" ] && grep -Eq -- "$pattern" "$tmp/err"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name (exit $rc, want $want_rc)"
        { printf '%s\n' "$out"; cat "$tmp/err"; } | sed 's/^/# /'
        failed=1
    fi
}

# same_as_golden NAME FILE GOLDEN: FILE is GOLDEN (with UPDATE=1: becomes it)
same_as_golden() {
    n=$((n + 1))
    if [ -n "$UPDATE" ]; then
        cp "$2" "$3" && echo "ok $n - $1 # SKIP golden updated"
    elif cmp -s "$2" "$3"; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        diff -u "$3" "$2" | head -40 | sed 's/^/# /'
        failed=1
    fi
}

# deploy ROOT EXAMPLE: the example's files in ROOT/etc/postfix, tables built
deploy() {
    mkdir -p "$1/etc/postfix" &&
    cp -R "$srcdir/examples/$2/." "$1/etc/postfix/" &&
    "$PFC" newaliases --root "$1" -C /etc/postfix || return 1
    for table in virtual sender_access; do
        if [ -f "$1/etc/postfix/$table" ]; then
            "$PFC" map --root "$1" "hash:/etc/postfix/$table" || return 1
        fi
    done
}

# build ROOT IMAGE: pfc build of ROOT's /etc/postfix
build() {
    "$PFC" build --root "$1" -c /etc/postfix -o "$2"
}

# ---------------------------------------------------------------- dump
for ex in "${examples[@]}"; do
    deploy "root-$ex" "$ex" && build "root-$ex" "$ex.pfi" &&
        "$PFC" dump "$ex.pfi" > "$ex.dump"
    same_as_golden "dump of examples/$ex" "$ex.dump" "$golden/$ex.dump"
done

build root-small-company again.pfi
ok "two builds dump the same" \
    bash -c '"$0" dump again.pfi | cmp -s - small-company.dump' "$PFC"

# The virtual table's entries in another order: the same policy.
deploy reordered small-company &&
    { grep '^#' "$srcdir/examples/small-company/virtual";
      grep -v '^#' "$srcdir/examples/small-company/virtual" | grep . | sort -r; } \
        > reordered/etc/postfix/virtual &&
    "$PFC" map --root reordered hash:/etc/postfix/virtual &&
    build reordered reordered.pfi
ok "reordered entries: the full dump shows the new lines" \
    bash -c '! "$0" dump reordered.pfi | cmp -s - small-company.dump' "$PFC"
ok "reordered entries: dump --policy is the same" \
    bash -c 'cmp <("$0" dump --policy reordered.pfi) <("$0" dump --policy small-company.pfi)' "$PFC"
ok "reordered entries: diff finds no difference (exit 0, no output)" \
    bash -c 'out=$("$0" diff small-company.pfi reordered.pfi) && [ -z "$out" ]' "$PFC"

# ---------------------------------------------------------------- diff
ok "diff of an image with itself: exit 0, no output" \
    bash -c 'out=$("$0" diff submission.pfi submission.pfi) && [ -z "$out" ]' "$PFC"

# Both sides compiled in one process: the second compile must not see
# (or leak) anything of the first.
"$PFC" diff --root root-submission /etc/postfix /etc/postfix > diff.out 2>&1
rc=$?
n=$((n + 1))
if [ "$rc" = 0 ] && [ ! -s diff.out ]; then echo "ok $n - diff of a directory with itself: exit 0, no output"
else echo "not ok $n - diff of a directory with itself: exit $rc"; head -20 diff.out | sed 's/^/# /'; failed=1; fi

# One directory by other spellings (issue 11, point 9): "dir/", "./dir",
# "." and the absolute path give one config_directory, the same source
# paths and so the same content id; diff finds nothing.
ok "diff of one directory as /etc/postfix/ and . (inside the root): no output" \
    bash -c 'out=$(cd root-submission/etc/postfix && "$0" diff --root ../.. /etc/postfix/ .) && [ -z "$out" ]' "$PFC"
mkdir -p spell/cfg && cp root-submission/etc/postfix/master.cf spell/cfg/ &&
    printf '%s\n' 'myhostname = mx.example.com' 'alias_maps =' 'alias_database =' \
        'smtpd_relay_restrictions = reject_unauth_destination' \
        'virtual_alias_maps = hash:$config_directory/virtual' > spell/cfg/main.cf &&
    printf 'a@example.com b@example.org\n' > spell/cfg/virtual &&
    "$PFC" map -c spell/cfg hash:spell/cfg/virtual
ok "diff of cfg/, ./cfg and its absolute path (no root): no output" \
    bash -c 'cd spell && out=$("$0" diff cfg/ ./cfg && "$0" diff cfg "$PWD/cfg/" &&
             cd cfg && "$0" diff . ..//cfg) && [ -z "$out" ]' "$PFC"
ok "pfc build -c cfg/ and -c \$PWD/cfg: one content id" \
    bash -c 'cd spell && "$0" build -c cfg/ -o a.pfi && "$0" build -c "$PWD/./cfg" -o b.pfi &&
             [ "$("$0" verify a.pfi | sed "s/^a.pfi//")" = "$("$0" verify b.pfi | sed "s/^b.pfi//")" ]' "$PFC"

# Two configuration directories under one root: a parameter changed and
# one set, an -o override changed, a restriction list shortened.
b=root-submission/etc/postfix-b
cp -R root-submission/etc/postfix "$b"
sed -i -e 's/^smtpd_helo_required = yes/smtpd_helo_required = no/' \
    -e 's/^\(smtpd_relay_restrictions = permit_mynetworks,\) permit_sasl_authenticated,/\1/' \
    "$b/main.cf"
echo 'message_size_limit = 20480000' >> "$b/main.cf"
sed -i 's/-o smtpd_tls_security_level=encrypt/-o smtpd_tls_security_level=may/' "$b/master.cf"
"$PFC" diff --root root-submission /etc/postfix /etc/postfix-b > diff-dirs.out 2>diff.err
rc=$?
n=$((n + 1))
if [ "$rc" = 1 ]; then echo "ok $n - diff of two directories: exit 1"
else echo "not ok $n - diff of two directories: exit $rc"; sed 's/^/# /' diff.err; failed=1; fi
same_as_golden "diff of two directories: the changes" diff-dirs.out "$golden/diff-dirs.out"

# An image against a directory: table entries added, removed and changed,
# a header_checks rule removed and one added, a parameter changed.
deploy changed submission
c=changed/etc/postfix
sed -i -e '/^no-reply-marketing@/d' \
    -e 's/^bulk.example.*/bulk.example\t\tREJECT Bulk mail is not accepted/' "$c/sender_access"
printf 'newbad@example.com\t\tREJECT\n' >> "$c/sender_access"
"$PFC" map --root changed hash:/etc/postfix/sender_access
sed -i '/^\/\^User-Agent:\//d' "$c/header_checks"
printf '/^X-Originating-IP:/\tIGNORE\n' >> "$c/header_checks"
sed -i 's/^smtp_tls_security_level = may/smtp_tls_security_level = encrypt/' "$c/main.cf"
"$PFC" diff --root changed submission.pfi /etc/postfix > diff-changes.out 2>diff.err
rc=$?
n=$((n + 1))
if [ "$rc" = 1 ]; then echo "ok $n - diff of an image and a directory: exit 1"
else echo "not ok $n - diff of an image and a directory: exit $rc"; sed 's/^/# /' diff.err; failed=1; fi
same_as_golden "diff of an image and a directory: the changes" diff-changes.out \
    "$golden/diff-changes.out"
ok "the other way round, + and - swap" \
    bash -c 'diff <("$0" diff --root changed /etc/postfix submission.pfi | sed -n "s/^    \([-+]\)/\1/p" | sort) \
                  <(sed -n "s/^    +/-/p; s/^    -/+/p" diff-changes.out | sort)' "$PFC"

# ---------------------------------------------------------------- errors
printf 'not an image at all\n' > garbage.pfi
cp submission.pfi corrupt.pfi
printf '\377' | dd of=corrupt.pfi bs=1 seek=2000 conv=notrunc 2>/dev/null
expect "dump of a file that is not an image: exit 1" 1 'pfc: dump: .*not an image' \
    "$PFC" dump garbage.pfi
expect "dump of a damaged image: exit 1" 1 'pfc: dump: .*corrupt' "$PFC" dump corrupt.pfi
expect "dump of a missing file: exit 2" 2 'pfc: dump: .*missing.pfi' "$PFC" dump missing.pfi
expect "diff with a damaged image: exit 2, never 1 (different)" 2 'pfc: diff: .*corrupt' \
    "$PFC" diff submission.pfi corrupt.pfi
expect "diff with a missing file: exit 2" 2 'pfc: diff: .*missing.pfi' \
    "$PFC" diff missing.pfi submission.pfi
mkdir -p broken/etc/postfix
cp "$srcdir/examples/local-only/master.cf" broken/etc/postfix/
printf 'smtpd_relay_restrictions = reject_unauth_destinatoin\n' > broken/etc/postfix/main.cf
expect "diff of a directory that does not check: exit 2 with the findings" 2 \
    'error: .*reject_unauth_destinatoin' "$PFC" diff --root broken submission.pfi /etc/postfix
expect "diff of one argument: usage, exit 2" 2 'usage: pfc diff' "$PFC" diff submission.pfi
expect "diff of three arguments: usage, exit 2" 2 'usage: pfc diff' "$PFC" diff a b c
expect "dump without an image: usage, exit 2" 2 'usage: pfc dump' "$PFC" dump
expect "dump with an unknown option: exit 2" 2 'unknown option' "$PFC" dump -x submission.pfi
exit $failed
