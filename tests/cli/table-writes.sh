#!/bin/bash
# table-writes.sh - pfc map and pfc alias write tables safely, beside
# postmap and postalias doing the same (TAP):
#   - concurrent -i and -d take turns (a lock, as postmap's): none is lost;
#   - -i changes the table in place, all or nothing: a writer killed in
#     the middle leaves the table reading as it was (its journal), and the
#     next writer restores it;
#   - readers never see a change half made;
#   - a build does not replace a file that is not a pfc table (Postfix's
#     Berkeley DB table) unless --replace-foreign says so;
#   - a .db that is a symbolic link is written through;
#   - SIGINT, SIGTERM and SIGHUP leave no temporary file (pfc map, pfc
#     build), and the next run removes those a killed process left, not
#     those a live one holds;
#   - a full disk says so, and leaves the old table.
set -u
srcdir=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
PFC=${PFC:-$srcdir/pfc}
PATH=$PATH:/usr/sbin:/sbin
tmp=$(mktemp -d "${TMPDIR:-/tmp}/table-writes.XXXXXX") || exit 1
mnt=
cleanup() {
    [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
    jobs -p | xargs -r kill 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
printf 'compatibility_level = 3.6\n' > main.cf
# Postfix re-reads a main.cf changed within the last second.
touch -d 2000-01-01 main.cf
export MAIL_CONFIG=$tmp
have_postfix=1
command -v postmap >/dev/null 2>&1 && command -v postalias >/dev/null 2>&1 || have_postfix=0
. "$srcdir/tests/cli/tap.sh"
same() {		# same WANT GOT: equal strings, else both shown
    [ "$1" = "$2" ] && return 0
    printf 'want: %s\ngot:  %s\n' "$1" "$2"
    return 1
}
entries() {		# entries TOOL TABLE: its -s output, sorted
    "$@" 2>&1 | LC_ALL=C sort
}
# gen N [PREFIX]: N source lines "PREFIXuserI@example-domain-D.com destI"
gen() {
    awk -v n="$1" -v p="${2:-}" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "%suser%d@example-domain-%d.com dest%d@other.example\n", p, i, i % 997, i
    }'
}
nothing_left() {	# nothing_left GLOB: no file matches
    local left
    left=$(compgen -G "$1")
    [ -z "$left" ] && return 0
    echo "left behind: $left"
    return 1
}

# ------------------------------------------------------------ concurrency
# parallel_i CMD TOOL N FORMAT SEED: a table holding SEED built by pfc CMD
# (hash:CMD-par) and by the Postfix TOOL (hash:pf/CMD-par, Berkeley DB),
# then N "-i" of each at once, each adding one entry (FORMAT, its %d the
# run's number)
parallel_i() {
    local cmd=$1 tool=$2 count=$3 format=$4 seed=$5 i
    printf '%s\n' "$seed" > "$cmd-par"
    "$PFC" "$cmd" "hash:$cmd-par"
    mkdir -p pf && cp "$cmd-par" pf/
    [ $have_postfix = 1 ] && "$tool" "hash:pf/$cmd-par"
    for i in $(seq 1 "$count"); do
        printf "$format\n" "$i" "$i" | "$PFC" "$cmd" -i "hash:$cmd-par" &
        [ $have_postfix = 1 ] && { printf "$format\n" "$i" "$i" | "$tool" -i "hash:pf/$cmd-par" & }
    done
    wait
}
# side_by_side NAME CMD TOOL: both tables of parallel_i hold the same
# entries (but the YP_ time stamps of aliases)
side_by_side() {
    if [ $have_postfix = 1 ]; then
        ok "$1" same "$(entries "$3" -s "hash:pf/$2-par" | grep -v '^YP_')" \
            "$(entries "$PFC" "$2" -s "hash:$2-par" | grep -v '^YP_')"
    else
        skip "$1" "$3 not installed"
    fi
}

parallel_i map postmap 40 'key%d %d' 'seed 0'
ok "40 parallel pfc map -i of one key each keep all 41 entries" \
    same 41 "$("$PFC" map -s hash:map-par | wc -l)"
side_by_side "... as 40 parallel postmap -i do on hash:" map postmap

for i in $(seq 1 40); do
    "$PFC" map -d "key$i" hash:map-par &
    [ $have_postfix = 1 ] && { postmap -d "key$i" hash:pf/map-par & }
done
wait
ok "40 parallel pfc map -d remove all 40 keys" \
    same "seed	0" "$("$PFC" map -s hash:map-par)"
# postmap -d locks each deletion but not its view of the table, and
# loses some when run in parallel: its result is shown, not compared.
[ $have_postfix = 1 ] &&
    echo "# 40 parallel postmap -d left $(postmap -s hash:pf/map-par | wc -l) entries of 41 (1 wanted)"

parallel_i alias postalias 20 'user%d: u%d' 'root: admin'
ok "20 parallel pfc alias -i keep every alias" \
    same 21 "$("$PFC" alias -s hash:alias-par | grep -c '^[ru]')"
side_by_side "... as 20 parallel postalias -i do" alias postalias

# Two writers on a large table, ten rounds.
gen 200000 > big
"$PFC" map hash:big
lost=0
for r in $(seq 1 10); do
    echo "a$r@x.example a" | "$PFC" map -i hash:big &
    echo "b$r@x.example b" | "$PFC" map -i hash:big &
    wait
    [ "$("$PFC" map -q "a$r@x.example" hash:big)" = a ] || lost=$((lost + 1))
    [ "$("$PFC" map -q "b$r@x.example" hash:big)" = b ] || lost=$((lost + 1))
done
ok "two parallel -i on a 200,000-entry table, ten rounds: no update lost" same 0 "$lost"

ino() { stat -L -c %i "$1"; }
before=$(ino big.db)
echo "one@x.example 1" | "$PFC" map -i hash:big
ok "-i changes the table in place (same file, not a rewritten copy)" \
    same "$before" "$(ino big.db)"
"$PFC" map -d one@x.example hash:big
ok "-d too" same "$before" "$(ino big.db)"

# Readers while writers work: every lookup answers, with the right value.
gen 2000 > rw
"$PFC" map hash:rw
(
    for i in $(seq 1 20); do
        echo "w$i@x.example w" | "$PFC" map -i hash:rw
        [ $((i % 5)) = 0 ] && "$PFC" map hash:rw
        "$PFC" map -d "user$((i * 7))@example-domain-$((i * 7 % 997)).com" hash:rw
    done
) &
writer=$!
bad=0 reads=0
while kill -0 "$writer" 2>/dev/null || [ $reads -lt 20 ]; do
    # user1999 is in domain 1999 % 997 = 5
    v=$("$PFC" map -q user1999@example-domain-5.com hash:rw 2>&1) || bad=$((bad + 1))
    [ "$v" = dest1999@other.example ] || { bad=$((bad + 1)); echo "# read: $v"; }
    c=$("$PFC" map -s hash:rw 2>&1 | grep -c '^user1[0-9][0-9][0-9]@')
    [ "$c" = 1000 ] || { bad=$((bad + 1)); echo "# -s: $c of user1000..1999"; }
    reads=$((reads + 1))
done
wait "$writer"
ok "readers during writers: $reads reads, each whole" same 0 "$bad"
# One long-lived reader (-q -) while the table changes under it in place.
got=$( (for i in $(seq 1 20); do
            echo "user$((1000 + i))@example-domain-$(((1000 + i) % 997)).com"
            echo "late$i@x.example l$i" | "$PFC" map -i hash:rw
            echo "late$i@x.example"
        done) | "$PFC" map -q - hash:rw | wc -l)
ok "pfc map -q - sees each change made in place between its lookups" same 40 "$got"

# ---------------------------------------------------------- crash safety
# A writer that dies half-way through its update: killed by SIGXFSZ when
# the table outgrows "ulimit -f" while its records are being replaced.
gen 20000 > cr
"$PFC" map hash:cr
old=$(entries "$PFC" map -s hash:cr)
# 120 keys touch fewer than a quarter of the 626 buckets: changed in place.
gen 120 | sed 's/ dest/ a-much-longer-destination-than-before-/' > batch
limit=$(( $(stat -c %s cr.db) / 1024 + 8 ))
(ulimit -f "$limit"; exec "$PFC" map -i -r hash:cr < batch) 2>/dev/null
rc=$?
ok "an update killed half-way (SIGXFSZ) dies of it" same 153 "$rc"
ok "... and leaves its journal" test -e cr.db.journal
ok "... readers read the table as it was (-s)" same "$old" "$(entries "$PFC" map -s hash:cr)"
ok "... and -q" same dest17@other.example \
    "$("$PFC" map -q user17@example-domain-17.com hash:cr)"
echo "new@x.example n" | "$PFC" map -i hash:cr
ok "the next writer restores the table, then adds its entry" \
    same "$(printf '%s\nnew@x.example\tn\n' "$old" | LC_ALL=C sort)" "$(entries "$PFC" map -s hash:cr)"
ok "... and removes the journal" nothing_left 'cr.db.journal'

# kill -9 at random moments while an update replaces its records (the
# journal exists): the table reads as before or as after, never between.
"$PFC" map hash:cr
gen 120 | sed 's/ dest/ z/' > batch-z
after=$( (cat cr batch-z) | awk '{ v[$1] = $2; if (!($1 in o)) { o[$1] = 1; k[++n] = $1 } }
    END { for (i = 1; i <= n; i++) printf "%s\t%s\n", k[i], v[k[i]] }' | LC_ALL=C sort)
hit=0 between=0
for r in $(seq 1 5); do
    "$PFC" map hash:cr
    "$PFC" map -i -r hash:cr < batch-z &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && [ ! -e cr.db.journal ]; do :; done
    [ -e cr.db.journal ] && hit=$((hit + 1))
    sleep "0.00$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    now=$(entries "$PFC" map -s hash:cr)
    [ "$now" = "$old" ] || [ "$now" = "$after" ] || between=$((between + 1))
    "$PFC" map -i hash:cr < /dev/null
    now=$(entries "$PFC" map -s hash:cr)
    [ "$now" = "$old" ] || [ "$now" = "$after" ] || between=$((between + 1))
done
ok "kill -9 during an update ($hit of 5 with its journal there): old or new table, never a mix" \
    same "0 yes" "$between $([ $hit -gt 0 ] && echo yes)"

# ------------------------------------------------ a file pfc did not write
printf 'info@example.com alice\n' > virtual
if [ $have_postfix = 1 ]; then
    postmap hash:virtual
    cp virtual.db bdb-copy
    err=$("$PFC" map hash:virtual 2>&1)
    ok "a build over postmap's Berkeley DB virtual.db exits 1" same 1 "$?"
    ok "... saying what would break" same "pfc: fatal: virtual.db is a Berkeley DB file, not a pfc table: Postfix reads it, and could not read the GDBM table pfc would write in its place; not replaced (--replace-foreign replaces it)" "$err"
    ok "... and leaves the file as it was" cmp virtual.db bdb-copy
    ok "--replace-foreign replaces it" "$PFC" map --replace-foreign hash:virtual
    ok "... with pfc's table" same alice "$("$PFC" map -q info@example.com hash:virtual)"
    printf 'root: admin\n' > aliases
    postalias hash:aliases
    cp aliases.db bdb-copy
    err=$("$PFC" alias hash:aliases 2>&1)
    ok "pfc alias refuses postalias's aliases.db too (exit 1)" same 1 "$?"
    ok "... and leaves it as it was" cmp aliases.db bdb-copy
    ok "pfc alias --replace-foreign replaces it" "$PFC" alias --replace-foreign hash:aliases
else
    for c in "a build over postmap's Berkeley DB virtual.db exits 1" "... saying what would break" \
        "... and leaves the file as it was" "--replace-foreign replaces it" "... with pfc's table" \
        "pfc alias refuses postalias's aliases.db too (exit 1)" "... and leaves it as it was" \
        "pfc alias --replace-foreign replaces it"; do
        skip "$c" "postmap not installed"
    done
fi
printf 'not a table\n' > junk.db
printf 'k v\n' > junk
err=$("$PFC" map hash:junk 2>&1)
ok "a build over a file of unknown format exits 1 and says so" \
    same "1 pfc: fatal: junk.db is a file of unknown format, not a pfc table: what reads it now could not read the GDBM table pfc would write in its place; not replaced (--replace-foreign replaces it)" "$? $err"

# ------------------------------------------------------- symbolic links
mkdir -p real pmreal
printf 'a 1\n' > ln
"$PFC" map hash:ln && mv ln.db real/ln.db && ln -s real/ln.db ln.db
printf 'a 1\nb 2\n' > ln
"$PFC" map hash:ln
ok "a build writes through a symbolic link .db: the link stays" test -L ln.db
ok "... and the file it names is the new table" same 2 "$("$PFC" map -q b hash:real/ln)"
echo 'c 3' | "$PFC" map -i hash:ln
ok "-i writes through it too" same "3 link" "$("$PFC" map -q c hash:real/ln) $(test -L ln.db && echo link)"
if [ $have_postfix = 1 ]; then
    mkdir pml && printf 'a 1\n' > pml/ln && postmap hash:pml/ln
    mv pml/ln.db pmreal/ln.db && ln -s ../pmreal/ln.db pml/ln.db
    printf 'a 1\nb 2\n' > pml/ln
    postmap hash:pml/ln
    ok "... as postmap does (its link stays, its target is rebuilt)" \
        same "link 2" "$(test -L pml/ln.db && echo link) $(postmap -q b hash:pmreal/ln)"
else
    skip "... as postmap does (its link stays, its target is rebuilt)" "postmap not installed"
fi

# ------------------------------------------------------------- signals
# interrupt SIG TEMP CMD...: run CMD, send it SIG as soon as its temporary
# file TEMP.tmpXXXXXX exists (three tries); says "1 STATUS" when the file
# was there and CMD's exit status
interrupt() {
    local sig=$1 temp=$2 seen=0 attempt pid rc
    shift 2
    for attempt in 1 2 3; do
        # An asynchronous command starts with SIGINT ignored, and the
        # test itself may run with SIGINT or SIGHUP ignored (in the
        # background, under nohup), which a shell cannot undo: env can.
        env --default-signal=INT,HUP,TERM "$@" 2>/dev/null &
        pid=$!
        while kill -0 "$pid" 2>/dev/null && [ -z "$(compgen -G "$temp.tmp??????")" ]; do :; done
        [ -n "$(compgen -G "$temp.tmp??????")" ] && seen=1
        kill -"$sig" "$pid" 2>/dev/null
        { wait "$pid"; } 2>/dev/null
        rc=$?
        [ $seen = 1 ] && break
    done
    echo "$seen $rc"
}

gen 400000 > sig
"$PFC" map hash:sig
cp sig.db sig-copy
for s in INT TERM HUP; do
    ok "SIG$s to pfc map while it writes sig.db.tmpXXXXXX: it dies of it" \
        same "1 $((128 + $(kill -l "$s")))" "$(interrupt "$s" sig.db "$PFC" map hash:sig)"
    ok "... leaving no temporary file" nothing_left 'sig.db.tmp*'
    ok "... and the old table" cmp sig.db sig-copy
done

mkdir cfg
cp "$srcdir/examples/local-only/master.cf" cfg/
printf 'compatibility_level = 3.6\nvirtual_alias_maps = hash:%s/cfg/virtual\n' "$tmp" > cfg/main.cf
gen 300000 > cfg/virtual
for s in INT TERM HUP; do
    ok "SIG$s to pfc build while it writes policy.pfi.tmpXXXXXX: it dies of it" \
        same "1 $((128 + $(kill -l "$s")))" \
        "$(interrupt "$s" policy.pfi "$PFC" build -c cfg -o policy.pfi)"
    ok "... leaving no temporary file" nothing_left 'policy.pfi.tmp*'
done

# Stale temporary files: removed by the next run, unless a live process holds one.
: > sig.db.tmpAbC123
flock -o sig.db.tmpXyZ789 sleep 60 &
holder=$!
while [ ! -e sig.db.tmpXyZ789 ]; do :; done
sleep 0.2
printf 'k v\n' > sig
"$PFC" map hash:sig
ok "pfc map removes a temporary file a killed run left" nothing_left 'sig.db.tmpAbC123'
ok "... not one a live process holds" test -e sig.db.tmpXyZ789
kill "$holder"
wait "$holder" 2>/dev/null
: > policy.pfi.tmpQwE456
printf 'compatibility_level = 3.6\n' > cfg/main.cf
"$PFC" build -c cfg -o policy.pfi
ok "pfc build removes one of its own too" nothing_left 'policy.pfi.tmpQwE456'

# ------------------------------------------------------------ disk full
mnt=$tmp/small
mkdir "$mnt"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
    printf 'a 1\n' > "$mnt/full"
    "$PFC" map "hash:$mnt/full"
    cp "$mnt/full.db" full-copy
    # The source lives elsewhere (a link): only the table fills the disk.
    gen 30000 > big-source
    rm "$mnt/full" && ln -s "$tmp/big-source" "$mnt/full"
    err=$("$PFC" map "hash:$mnt/full" 2>&1)
    rc=$?
    ok "a build on a full disk fails (exit 1)" same 1 "$rc"
    ok "... saying: No space left on device" grep -q 'No space left on device' <<<"$err"
    ok "... leaving the old table" cmp "$mnt/full.db" full-copy
    ok "... and no temporary file" nothing_left "$mnt/full.db.tmp*"
    err=$(gen 30000 | "$PFC" map -i "hash:$mnt/full" 2>&1)
    rc=$?
    ok "-i on a full disk fails too, saying so" \
        same "1 yes" "$rc $(grep -q 'No space left on device' <<<"$err" && echo yes)"
    ok "... and the table reads as it was" same "a	1" "$("$PFC" map -s "hash:$mnt/full")"
    # A disk with no room left at all: even the journal of a one-key -i fails.
    dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null
    err=$(echo 'b 2' | "$PFC" map -i "hash:$mnt/full" 2>&1)
    rc=$?
    ok "a one-key -i on a disk with no room fails, saying so" \
        same "1 yes" "$rc $(grep -q 'No space left on device' <<<"$err" && echo yes)"
    ok "... leaving the table as it was, and no journal" \
        same "a	1 " "$("$PFC" map -s "hash:$mnt/full") $(compgen -G "$mnt/full.db.j*")"
    umount "$mnt" && mnt=
else
    for c in "a build on a full disk fails (exit 1)" "... saying: No space left on device" \
        "... leaving the old table" "... and no temporary file" "-i on a full disk fails too, saying so" \
        "... and the table reads as it was" "a one-key -i on a disk with no room fails, saying so" \
        "... leaving the table as it was, and no journal"; do
        skip "$c" "cannot mount a small tmpfs (needs root)"
    done
    mnt=
fi

echo "1..$n"
exit $failed
