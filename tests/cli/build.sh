#!/bin/bash
# build.sh - pfc build: every example configuration compiles to an image
# the verifier accepts; two builds from the same inputs are the same bytes,
# whatever the order the files were created in, the time zone, the locale
# or the host name; the values the host decides are joined on the host
# that reads the image, as Postfix's postconf computes them there, and a
# comparison of one is refused; a configuration with errors writes nothing
# and leaves an existing image alone; usage and I/O failures exit 2 and
# leave no temporary file; the header is what pfc-image(5) says (TAP).
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/build.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$srcdir/tests/cli/tap.sh"

# deploy DIR ROOT [reverse]: the files of DIR under ROOT/etc/postfix, as
# scripts/demo deploys the examples; "reverse" creates them in the
# opposite order (another directory order on disk).
deploy() {
    local dir=$1 root=$2 files f
    mkdir -p "$root/etc/postfix"
    files=$(cd "$dir" && find . -type f | LC_ALL=C sort)
    [ "${3:-}" = reverse ] && files=$(printf '%s\n' "$files" | LC_ALL=C sort -r)
    for f in $files; do
        mkdir -p "$root/etc/postfix/$(dirname "$f")"
        cp "$dir/$f" "$root/etc/postfix/$f"
    done
}

# build ROOT OUT [ENV...]: pfc build of the configuration deployed at ROOT
build() {
    local root=$1 out=$2
    shift 2
    env "$@" "$PFC" build --root "$root" -c /etc/postfix -o "$out"
}

# quiet COMMAND...: succeeds and prints nothing at all, as a compiler does
quiet() {
    local out
    out=$("$@" 2>&1) || { printf '%s\n' "$out"; return 1; }
    [ -z "$out" ] || { printf 'unexpected output: %s\n' "$out"; return 1; }
}

examples=("$srcdir"/examples/*/)
echo "1..$((3 * ${#examples[@]} + 21))"

# ------------------------------------------------------------ the examples
for dir in "${examples[@]}"; do
    name=$(basename "$dir")
    deploy "$dir" "$tmp/$name.a"
    deploy "$dir" "$tmp/$name.b" reverse
    ok "$name: builds, printing nothing" quiet build "$tmp/$name.a" "$tmp/$name.1.pfi"
    ok "$name: the verifier accepts it" "$PFC" verify "$tmp/$name.1.pfi"
    build "$tmp/$name.a" "$tmp/$name.2.pfi" >/dev/null 2>&1
    build "$tmp/$name.b" "$tmp/$name.3.pfi" TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 \
        >/dev/null 2>&1
    ok "$name: same bytes twice, from files created in reverse order, in another time zone" \
        bash -c 'cmp "$0" "$1" && cmp "$0" "$2"' "$tmp/$name.1.pfi" "$tmp/$name.2.pfi" \
        "$tmp/$name.3.pfi"
done

# ------------------------------------------------------------ the host
# Left unset, myhostname, mydomain and mynetworks come from the host: the
# image keeps what uses them as pieces joined where it is read, so it is
# the same on every machine. ${x?..} and ${x:..} of a host value are
# decided at build time (the host's values are never empty).
mkdir -p "$tmp/host/etc/postfix"
cp "$srcdir/tests/check/base/master.cf" "$tmp/host/etc/postfix/"
printf '%s\n' 'compatibility_level = 3.6' 'smtpd_banner = $myhostname ESMTP' \
    'myorigin = ${myhostname?{$mydomain}:{nothing}}' 'relayhost = ${mynetworks:none}' \
    'smtp_helo_name = ${myhostname?{helo.$mydomain}}' \
    'mydestination = $myhostname, localhost.$mydomain, localhost' 'alias_maps =' \
    > "$tmp/host/etc/postfix/main.cf"
build "$tmp/host" "$tmp/host.1.pfi" >/dev/null 2>&1
if unshare -u true 2>/dev/null; then
    unshare -u sh -c 'hostname pfc-build-test.invalid && "$0" build --root "$1" -c /etc/postfix -o "$2"' \
        "$PFC" "$tmp/host" "$tmp/host.2.pfi" >/dev/null 2>&1
    ok "the same bytes under another host name" cmp "$tmp/host.1.pfi" "$tmp/host.2.pfi"
else
    skip "the same bytes under another host name" "unshare -u is not permitted here"
fi

# host_values IMAGE: "name<TAB>value" of each setting as pfc dump --host
# shows it here: its value on this host, else its expansion, else as written
host_values() {
    "$PFC" dump --host "$1" | awk -F'\t' '
        /^param / { if (name != "") print name "\t" value
                    name = $1; sub(/^param /, "", name); sub(/ =.*/, "", name)
                    value = $1; sub(/^[^=]*= ?/, "", value); host = 0; next }
        /^  expanded/ { if (!host) value = substr($0, 12); next }
        /^  on-host/ { value = substr($0, 11); host = 1; next }
        END { if (name != "") print name "\t" value }'
}
# same_as_postfix IMAGE DIR NAME...: each value as postconf -x computes it
# on this host from DIR's main.cf (white space runs made one, as postconf
# prints lists)
same_as_postfix() {
    local img=$1 dir=$2 name want got bad=""
    shift 2
    sleep 1.1		# Postfix reads a main.cf only once it is a second old
    host_values "$img" > "$tmp/values"
    for name in "$@"; do
        got=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$tmp/values" |
            sed 's/\\x20/ /g; s/  */ /g; s/ $//')
        want=$(postconf -c "$dir" -xh "$name" 2>/dev/null | sed 's/  */ /g; s/ $//')
        [ "$got" = "$want" ] || bad="$bad$name: pfc [$got], postconf [$want]; "
    done
    [ -z "$bad" ] || { echo "$bad"; return 1; }
}
host_params="myhostname mydomain mynetworks smtpd_banner myorigin relayhost smtp_helo_name
    mydestination local_transport proxy_read_maps smtpd_client_event_limit_exceptions"
# shellcheck disable=SC2086
ok "host values: dump --host = postconf -x on this host" \
    same_as_postfix "$tmp/host.1.pfi" "$tmp/host/etc/postfix" $host_params
ok "host values: ?: of a host value decided at build time" \
    bash -c '"$0" dump "$1" | grep -qx "param relayhost = \${mynetworks:none}	# main.cf:4" &&
        "$0" dump "$1" | grep -A1 "^param smtp_helo_name " | grep -q "# main.cf:5, host"' \
    "$PFC" "$tmp/host.1.pfi"
if unshare -u true 2>/dev/null; then
    ok "host values: joined on the host that reads the image" \
        unshare -u sh -c 'hostname pfc-read-test.invalid &&
            "$0" dump --host "$1" | grep -A1 "^param smtpd_banner " |
            grep -qx "  on-host pfc-read-test.invalid ESMTP"' "$PFC" "$tmp/host.1.pfi"
else
    skip "host values: joined on the host that reads the image" "unshare -u is not permitted here"
fi

# A comparison of a host value: no piece can hold it; refused, nothing written.
mkdir -p "$tmp/compare"
cp "$srcdir/tests/check/base/master.cf" "$tmp/compare/"
printf '%s\n' 'compatibility_level = 3.6' \
    'smtpd_banner = ${{$myhostname} == {mail.example.com} ? {main} : {other}} ESMTP' \
    > "$tmp/compare/main.cf"
(cd "$tmp/compare" && "$PFC" build -c . -o new.pfi >out 2>err)
rc=$?
ok "a relational expression of a host value: exit 1, nothing written" \
    bash -c 'test "$0" = 1 && test ! -e "$1/new.pfi" && test ! -s "$1/out"' "$rc" "$tmp/compare"
ok "a relational expression of a host value: the reason and the fix" \
    test "$(cat "$tmp/compare/err")" = "$(cd "$tmp/compare" && pwd -P)"'/main.cf:2:16: error: smtpd_banner: a relational expression ({a} == {b}, ...) compares $myhostname, which the host decides (main.cf does not set it); an image cannot hold a value that depends on that comparison: set myhostname in main.cf'

# ------------------------------------------------------------ the header
img=$tmp/small-company.1.pfi
ok "the header starts with the magic" \
    test "$(od -A n -t x1 -N 8 "$img" | tr -d ' \n')" = 895046490d0a1a0a
ok "file_size in the header is the file's size" \
    test "$(od -A n -t u8 -j 24 -N 8 "$img" | tr -d ' ')" = "$(wc -c < "$img" | tr -d ' ')"

# ------------------------------------------------------------ the readers
# A source with everything the logical-line reader and postmap's format
# know (continuations, comments inside them, quotes, backslashes, CR LF,
# bad lines, duplicates that differ in case, UTF-8) compiles the same with
# the in-memory reader as with the shared one.
mkdir -p "$tmp/tricky/etc/postfix"
cp "$srcdir/tests/check/base/master.cf" "$tmp/tricky/etc/postfix/"
printf '%s\n' 'compatibility_level = 3.6' \
    'virtual_alias_maps = hash:/etc/postfix/virtual, texthash:/etc/postfix/virtual' \
    'alias_maps = hash:/etc/postfix/aliases' 'alias_database = $alias_maps' \
    > "$tmp/tricky/etc/postfix/main.cf"
printf '  leading\n# c\nUser@Example.COM  one\nuser@example.com  dup\n\nk2\tv  with  spaces \r\nk3 v\n  more\n# in between\n\tand more\n"quoted key" q\n"unbalanced v\nback\\ slash b\nend\\\nnovalue\ncolon: v\nStra\303\237e s\nbad\377 line\n\013vt x\nfoo\014bar f\n\r\nlast x\n   ' \
    > "$tmp/tricky/etc/postfix/virtual"
printf 'root: admin\nPostMaster: "Root User" <root>\n"quoted name": x\nbad line\n' \
    > "$tmp/tricky/etc/postfix/aliases"
build "$tmp/tricky" "$tmp/tricky.1.pfi" >/dev/null 2>&1
build "$tmp/tricky" "$tmp/tricky.2.pfi" PFC_BUILD_SLOW_READER=1 >/dev/null 2>&1
ok "the in-memory reader reads what the shared one reads" \
    cmp "$tmp/tricky.1.pfi" "$tmp/tricky.2.pfi"

# ------------------------------------------------------------ errors
mkdir -p "$tmp/broken"
cp "$srcdir/tests/check/base/master.cf" "$tmp/broken/"
printf 'compatibility_level = 3.6\nsmtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destinatoin\nalias_maps =\n' \
    > "$tmp/broken/main.cf"
(cd "$tmp/broken" && "$PFC" build -c . -o new.pfi >out 2>err)
rc=$?
ok "a check error: exit 1" test "$rc" = 1
ok "a check error: pfc check's finding on stderr" \
    test "$(head -n 1 "$tmp/broken/err")" = "$(cd "$tmp/broken" && pwd -P)"'/main.cf:2:51: error: smtpd_recipient_restrictions: unknown restriction "reject_unauth_destinatoin"; did you mean "reject_unauth_destination"? [unknown-restriction]'
ok "a check error: nothing written" \
    bash -c 'test ! -s "$0" && test ! -e "$1" && test -z "$(ls "$2" | grep -v "^\(main\|master\).cf$\|^out$\|^err$")"' \
    "$tmp/broken/out" "$tmp/broken/new.pfi" "$tmp/broken"
cp "$img" "$tmp/broken/old.pfi"
(cd "$tmp/broken" && "$PFC" build -c . -o old.pfi >/dev/null 2>&1)
ok "a check error: an existing image is left as it was" cmp "$img" "$tmp/broken/old.pfi"

# What every Postfix daemon stops on, and what pfc cannot read, is a
# refusal too: the finding on stderr, exit 1, no image.
refused() {  # refused NAME RULE: the configuration in $tmp/refused
    (cd "$tmp/refused" && "$PFC" build -c . -o new.pfi >out 2>err)
    local rc=$?
    ok "$1: exit 1, $2 on stderr, no image" \
        bash -c 'test "$0" = 1 && grep -q "\[$1\]$" "$2/err" && test ! -e "$2/new.pfi" && test ! -s "$2/out"' \
        "$rc" "$2" "$tmp/refused"
}
mkdir -p "$tmp/refused"
cp "$srcdir/tests/check/base/master.cf" "$tmp/refused/"
printf 'compatibility_level = 3.6\nalias_maps =\nmyhostname = $mydomain\nmydomain = $myhostname\n' \
    > "$tmp/refused/main.cf"
refused "a \$myhostname <-> \$mydomain loop" expansion-nesting
{ printf 'compatibility_level = 3.6\nalias_maps =\nsmtpd_banner = $p0\n'
  i=0; while [ $i -lt 2000 ]; do echo "p$i = \$p$((i + 1))"; i=$((i + 1)); done
  echo "p2000 = end"; } > "$tmp/refused/main.cf"
refused "a \$p0 -> ... -> \$p2000 chain" expansion-nesting
printf 'compatibility_level = 3.6\nalias_maps =\nsmtpd_restriction_classes = a, b\na = permit_mynetworks, b\nb = a\n' \
    > "$tmp/refused/main.cf"
refused "a restriction class loop" class-cycle
printf 'compatibility_level = 3.6\nalias_maps =\nvirtual_alias_maps = hash:$config_directory/virtual\n' \
    > "$tmp/refused/main.cf"
printf 'not a database\n' > "$tmp/refused/virtual.db"
refused "a .db pfc cannot read, without its source" db-unreadable

out=$("$PFC" build --root "$tmp/small-company.a" -c /etc/postfix 2>&1)
rc=$?
ok "no -o: usage, exit 2" \
    bash -c 'test "$0" = 2 && printf "%s\n" "$1" | grep -q "^usage: pfc build"' "$rc" "$out"
out=$("$PFC" build --root "$tmp/small-company.a" -c /etc/postfix -o "$tmp/one.pfi" \
    -o "$tmp/two.pfi" 2>&1)
rc=$?
ok "two -o: refused, exit 2, neither image written" \
    bash -c 'test "$0" = 2 && test "$1" = "pfc: build: -o given twice, the second time with '"'"'$2/two.pfi'"'"'; see '"'"'pfc help build'"'"'" &&
             test ! -e "$2/one.pfi" && test ! -e "$2/two.pfi"' "$rc" "$out" "$tmp"

# An output that cannot be written: in a directory that is a file (before
# the temporary file), and over a directory (at the rename, after it).
mkdir -p "$tmp/out" "$tmp/out/taken.pfi"
: > "$tmp/out/file"
build "$tmp/small-company.a" "$tmp/out/file/x.pfi" >/dev/null 2>&1
rc=$?
ok "an unwritable output: exit 2" test "$rc" = 2
build "$tmp/small-company.a" "$tmp/out/taken.pfi" >/dev/null 2>&1
rc=$?
ok "an output that cannot be renamed into place: exit 2, no temporary file left" \
    bash -c 'test "$0" = 2 && test -d "$1/taken.pfi" && test -z "$(ls "$1" | grep -v "^\(file\|taken.pfi\)$")"' \
    "$rc" "$tmp/out"
exit $failed
