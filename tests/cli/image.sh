#!/bin/bash
# image.sh - pfc verify and pfc query on an image pfc build made (TAP).
#
# One configuration with a table of every kind pfc compiles (hash with
# folding, texthash, inline, regexp with $n and if/endif, pcre, cidr,
# static, unionmap, pipemap) is built into an image; then:
#   - pfc verify prints its one "ok" line and exits 0;
#   - pfc query answers side by side with pfc map -q from the sources,
#     key by key (stdout, stderr and exit status identical) and with "-"
#     for a batch of keys, among them odd ones (empty, CR, not UTF-8,
#     very long, no final newline);
#   - damaged copies (empty, text, truncated, line ends converted both
#     ways, one byte flipped, version bumped) are refused by verify and
#     query with their own message and exit status;
#   - a FIFO or a directory given to verify, dump or query is refused at
#     once (no open() waiting for a writer), exit 2; so is a texthash:
#     source that is a FIFO or a device.
# The tables are named by absolute paths in a temporary directory, so
# both tools name them the same way.
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

results=()
n=0
failed=0
ok() {				# ok NAME: one passing case
    n=$((n + 1))
    results+=("ok $n - $1")
}
not_ok() {			# not_ok NAME DETAIL...: one failing case
    n=$((n + 1))
    results+=("not ok $n - $1")
    shift
    local line
    for line in "$@"; do
        while IFS= read -r l; do results+=("# $l"); done <<<"$line"
    done
    failed=1
}
finish() {
    echo "1..$n"
    printf '%s\n' "${results[@]}"
    exit $failed
}

cfg=$tmp/cfg
mkdir "$cfg"
export MAIL_CONFIG=$cfg
cat >"$cfg/main.cf" <<EOF
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
alias_maps = hash:$cfg/aliases
alias_database = hash:$cfg/aliases
virtual_alias_maps = hash:$cfg/virtual, unionmap:{texthash:$cfg/plain, static:fallback}
canonical_maps = pipemap:{hash:$cfg/virtual, regexp:$cfg/rewrite}
sender_canonical_maps = static:bounce@example.com
transport_maps = inline:{example.com=smtp:[relay.example.com], {other.example = smtp:[x]}}
header_checks = regexp:$cfg/header_checks
body_checks = pcre:$cfg/body_checks
smtpd_client_restrictions = check_client_access cidr:$cfg/clients, permit
relocated_maps = unionmap:{static:moved, pipemap:{regexp:$cfg/trigger, fail:broken}}
sender_dependent_relayhost_maps = lmdb:$cfg/relayhosts
EOF
cat >"$cfg/master.cf" <<'EOF'
smtp      inet  n       -       y       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
smtp      unix  -       -       y       -       -       smtp
local     unix  -       n       n       -       -       local
EOF
printf 'postmaster: root\nroot: admin\n' >"$cfg/aliases"
cat >"$cfg/virtual" <<'EOF'
# virtual aliases
alice@example.com       alice
Bob@Example.COM         bob, robert@elsewhere.example
postmaster@example.com  root
user-joe@example.com    joe
pipe@example.com        user-ann@site.example
@catchall.example       catchall
EOF
printf 'Key   v1\nkey2  v2\n' >"$cfg/plain"
cat >"$cfg/rewrite" <<'EOF'
if /^user-/
/^user-([^@]*)@(.*)$/   $2!$1
endif
/^a/!/^ab/             A-not-AB
/^q/!//                never
!/x/                   no-x $$5
EOF
cat >"$cfg/header_checks" <<'EOF'
/^Subject:.*viagra/     REJECT spam
/^X-Mailer: (.*)$/      WARN mailer ${1}
if !/^Received:/
/^From: .*@(example\.com)>?$/  INFO from $1
endif
EOF
cat >"$cfg/body_checks" <<'EOF'
/^(\d+)\.(\d+)$/      INFO v$1-$2
/buy now/i            REJECT ads
/^BLOCK (\w+) (\w+)/  REJECT $2 then $1
/^(a)|(b)$/           INFO got $1$2
EOF
cat >"$cfg/clients" <<'EOF'
192.168.0.0/16        OK
[2001:db8::]/32       REJECT v6
10.1.2.3              REJECT one
!10.0.0.0/8           DUNNO
EOF
printf '/^bad/ fail\n' >"$cfg/trigger"
"$PFC" map "hash:$cfg/virtual" 2>/dev/null
"$PFC" alias "hash:$cfg/aliases" 2>/dev/null

img=$tmp/policy.pfi
if "$PFC" build -c "$cfg" -o "$img" >"$tmp/build.out" 2>&1; then
    ok "pfc build of a table of every kind"
else
    if grep -q "is not in this release" "$tmp/build.out"; then
        echo "1..0 # SKIP pfc build is not in this pfc yet"
        exit 0
    fi
    not_ok "pfc build of a table of every kind" "$(cat "$tmp/build.out")"
    finish
fi

# run NAME EXPECT_RC EXPECT_OUT_REGEX EXPECT_ERR CMD...: one case
run() {
    local name=$1 rc=$2 out_re=$3 err=$4 got_out got_err got_rc
    shift 4
    got_out=$("$@" 2>"$tmp/err")
    got_rc=$?
    got_err=$(cat "$tmp/err")
    if [ "$got_rc" = "$rc" ] && [[ $got_out =~ $out_re ]] && [ "$got_err" = "$err" ]; then
        ok "$name"
    else
        not_ok "$name" "exit $got_rc (want $rc)" "stdout: $got_out" "stderr: $got_err" \
            "want stderr: $err"
    fi
}

# ------------------------------------------------------------------ verify
size=$(stat -c %s "$img")
run "verify: the ok line" 0 \
    "^$img: ok: image 2\\.1, content id [0-9a-f]{64}, [0-9]+ parameters, [0-9]+ services, [0-9]+ tables, [0-9]+ entries, [0-9]+ rules, [0-9]+ programs\$" \
    "" "$PFC" verify "$img"
run "verify: usage" 2 '^$' "usage: pfc verify policy.pfi..." "$PFC" verify

# ------------------------------------------------------ query vs pfc map -q
# same TABLE KEY...: pfc query and pfc map -q agree on every key
same() {
    local table=$1 key bad=()
    shift
    for key in "$@"; do
        local q m
        q=$("$PFC" query "$img" "$table" "$key" 2>&1; echo "exit $?")
        m=$("$PFC" map -q "$key" "$table" 2>&1; echo "exit $?")
        [ "$q" = "$m" ] || bad+=("key '$key': query: $q" "  map: $m")
    done
    if [ ${#bad[@]} -eq 0 ]; then
        ok "query = map -q: ${table//$cfg/CFG} ($# keys)"
    else
        not_ok "query = map -q: ${table//$cfg/CFG}" "${bad[@]}"
    fi
}
virtual=(alice@example.com ALICE@EXAMPLE.COM Bob@example.com bob@example.com nobody
         @catchall.example x@catchall.example "" pipe@example.com user-joe@example.com
         $'caf\xc3\xa9@example.com' $'\xff@example.com')
same "hash:$cfg/virtual" "${virtual[@]}"
same "texthash:$cfg/plain" Key key KEY key2 nothing ""
same "unionmap:{texthash:$cfg/plain, static:fallback}" Key key2 alice@example.com nothing ""
same "pipemap:{hash:$cfg/virtual, regexp:$cfg/rewrite}" "${virtual[@]}"
same "regexp:$cfg/rewrite" user-bob@example.com USER-Bob@X abc axe abx user-x user-y "" xyz qq
same "regexp:$cfg/header_checks" "Subject: buy viagra" "X-Mailer: mutt 1.2" \
    "From: a@example.com" "From: <b@example.com>" "Received: from x" "subject: VIAGRA" "Other"
same "pcre:$cfg/body_checks" 10.20 "BUY NOW please" "BLOCK foo bar" "block foo bar" a b c ""
same "cidr:$cfg/clients" 192.168.1.1 2001:db8::5 10.1.2.3 10.9.9.9 8.8.8.8 ::1 garbage \
    192.168.1 ""
same "static:bounce@example.com" anything ""
same "inline:{example.com=smtp:[relay.example.com], {other.example = smtp:[x]}}" \
    example.com EXAMPLE.COM other.example nope

# The same with "-": many keys on stdin, odd ones among them.
{
    # 1,200 keys that the unionmap answers, more than 4096 bytes, before
    # the first that makes it fail: what is printed before the fatal
    # error is pfc map's (whole 4096-byte blocks).
    for i in $(seq 1 100); do
        printf '%s\n' alice@example.com BOB@example.com nope "" pipe@example.com \
            user-bob@example.com 192.168.4.4 10.1.2.3 Key axe "Subject: viagra" 10.20
    done
    printf 'cr@catchall.example\r\n\xff\xfe not utf-8\n'
    head -c 300000 /dev/zero | tr '\0' x
    printf '\nbad key\nalice@example.com'
} >"$tmp/keys"
for table in "hash:$cfg/virtual" "texthash:$cfg/plain" "regexp:$cfg/rewrite" \
    "pcre:$cfg/body_checks" "cidr:$cfg/clients" \
    "unionmap:{texthash:$cfg/plain, static:fallback}" \
    "pipemap:{hash:$cfg/virtual, regexp:$cfg/rewrite}" \
    "unionmap:{static:moved, pipemap:{regexp:$cfg/trigger, fail:broken}}"; do
    "$PFC" query "$img" "$table" - <"$tmp/keys" >"$tmp/q.out" 2>"$tmp/q.err"
    qrc=$?
    "$PFC" map -q - "$table" <"$tmp/keys" >"$tmp/m.out" 2>"$tmp/m.err"
    mrc=$?
    if [ $qrc = $mrc ] && cmp -s "$tmp/q.out" "$tmp/m.out" && cmp -s "$tmp/q.err" "$tmp/m.err"
    then
        ok "query - = map -q -: ${table//$cfg/CFG} ($(wc -l <"$tmp/q.out") answers)"
    else
        not_ok "query - = map -q -: ${table//$cfg/CFG}" "exit $qrc vs $mrc" \
            "$(diff "$tmp/q.out" "$tmp/m.out" | head -5)" "$(diff "$tmp/q.err" "$tmp/m.err" | head -5)"
    fi
done
run "query: a lookup that fails" 1 '^$' \
    "pfc: fatal: table unionmap:{static:moved, pipemap:{regexp:$cfg/trigger, fail:broken}}: query error: Application error" \
    "$PFC" query "$img" "unionmap:{static:moved, pipemap:{regexp:$cfg/trigger, fail:broken}}" bad
run "query: a table pfc does not compile" 1 '^$' \
    "pfc: fatal: table lmdb:$cfg/relayhosts is not compiled into the image (pfc does not read lmdb tables)" \
    "$PFC" query "$img" "lmdb:$cfg/relayhosts" key
run "query -: nothing found, exit 1" 1 '^$' "" \
    "$PFC" query "$img" "hash:$cfg/virtual" - </dev/null

# Tables named by their name alone; a table that is not there.
run "query: a table by its name" 0 '^alice$' "" \
    "$PFC" query "$img" "$cfg/virtual" alice@example.com
run "query: not found, exit 1" 1 '^$' "" "$PFC" query "$img" "hash:$cfg/virtual" nobody
run "query: no such table, exit 2" 2 '^$' "pfc: table nosuch is not in $img" \
    "$PFC" query "$img" nosuch key
run "query: usage" 2 '^$' "usage: pfc query policy.pfi TABLE KEY
       pfc query policy.pfi TABLE - (keys on standard input)" "$PFC" query "$img" x

# ------------------------------------------------------------ damaged images
bad=$tmp/bad.pfi
# refused NAME VERIFY_RC MESSAGE: verify and query refuse $bad with MESSAGE
refused() {
    run "verify: $1" "$2" '^$' "pfc: $3" "$PFC" verify "$bad"
    run "query: $1" 2 '^$' "pfc: $3" "$PFC" query "$bad" "hash:$cfg/virtual" alice@example.com
}
: >"$bad"
refused "an empty file" 1 "$bad: not an image: the file is empty"
cp "$cfg/main.cf" "$bad"
refused "a text file" 1 "$bad: not an image"
head -c 1000 "$img" >"$bad"
refused "a truncated image" 1 "$bad: truncated: 1000 bytes, the header says $size"
head -c 40 "$img" >"$bad"
refused "a truncated header" 1 "$bad: truncated: 40 bytes, shorter than the 96-byte header"
perl -0777 -pe 's/\r\n/\n/g' "$img" >"$bad"
refused "line ends converted CR LF to LF" 1 \
    "$bad: not an image: it looks like one whose line ends were converted (CR LF to LF): copy it in binary mode"
perl -0777 -pe 's/(?<!\r)\n/\r\n/g' "$img" >"$bad"
refused "line ends converted LF to CR LF" 1 \
    "$bad: not an image: it looks like one whose line ends were converted (LF to CR LF): copy it in binary mode"
cp "$img" "$bad"
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$img" | tr -d ' ')
printf "\\$(printf %03o $(( (byte + 1) % 256 )))" |
    dd of="$bad" bs=1 seek=$((size / 2)) count=1 conv=notrunc 2>/dev/null
# The block the byte is in: 64 KiB blocks from the end of the section
# table (96 + 16 * 24 bytes) up to SUMS, the last section.
sums=$(od -An -tu8 -j $((96 + 15 * 24 + 8)) -N8 "$img" | tr -d ' ')
from=$(( 480 + (size / 2 - 480) / 65536 * 65536 ))
to=$(( from + 65535 < sums - 1 ? from + 65535 : sums - 1 ))
refused "one byte changed" 1 "$bad: corrupt: checksum mismatch in bytes $from to $to"
cp "$img" "$bad"
printf '\001' | dd of="$bad" bs=1 seek=8 count=1 conv=notrunc 2>/dev/null
refused "a version 1 image" 1 \
    "$bad: version mismatch: image format 1.1, this pfc reads 2.1: rebuild with pfc build"
cp "$img" "$bad"
printf '\002' | dd of="$bad" bs=1 seek=10 count=1 conv=notrunc 2>/dev/null
refused "a newer minor version" 1 \
    "$bad: version mismatch: image format 2.2, this pfc reads 2.1: rebuild with pfc build"
cp "$img" "$bad"
printf '\0\0\0\0\0\0\0\0' >>"$bad"
refused "bytes added at the end" 1 \
    "$bad: corrupt: $((size + 8)) bytes, the header says $size: bytes were added at the end"
rm -f "$bad"
refused "a missing file" 2 "open $bad: No such file or directory"
mkdir "$bad"
refused "a directory" 2 "$bad: not a regular file"
rmdir "$bad"
# A FIFO: open() would wait for a writer; each command must refuse it at once.
mkfifo "$bad"
run "verify: a FIFO, at once" 2 '^$' "pfc: $bad: not a regular file" \
    timeout 10 "$PFC" verify "$bad"
run "query: a FIFO, at once" 2 '^$' "pfc: $bad: not a regular file" \
    timeout 10 "$PFC" query "$bad" "hash:$cfg/virtual" alice@example.com
run "query -: a FIFO, at once" 2 '^$' "pfc: $bad: not a regular file" \
    timeout 10 "$PFC" query "$bad" "hash:$cfg/virtual" - </dev/null
run "dump: a FIFO, at once" 2 '^$' "pfc: dump: $bad: not a regular file" \
    timeout 10 "$PFC" dump "$bad"
# A texthash: source is read whole at open: a FIFO would block the open
# and /dev/zero the read, for ever (pfc lookup and pfc map -q hung).
run "map -q texthash: a FIFO, at once" 1 '^$' "pfc: fatal: open database $bad: not a regular file" \
    timeout 10 "$PFC" map -q k "texthash:$bad"
run "map -q texthash:/dev/zero, at once" 1 '^$' "pfc: fatal: open database /dev/zero: not a regular file" \
    timeout 10 "$PFC" map -q k texthash:/dev/zero

finish
