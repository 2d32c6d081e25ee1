#!/bin/bash
# image.sh - the policy image against Postfix's own tables, on the same
# data, in one run (issue 5's targets):
#
#   build:   "pfc build" of a configuration whose virtual_alias_maps is a
#            1,000,000-entry virtual(5) map, against "postmap" of that map
#            as hash: (Berkeley DB), lmdb: and cdb:; and of a map of the
#            same size but another shape (virtual-data.sh), which must not
#            cost more;
#   lookups: 1,000,000 keys (half hits) through "pfc query IMAGE TABLE -"
#            against "postmap -q -" on each table, and against bench/flat.c,
#            a bare mmapped open-addressing table (the physical limit);
#   one:     one lookup, whole process, as a script's loop runs it:
#            "pfc query IMAGE TABLE KEY" against "postmap -q KEY lmdb:" and
#            /bin/true (what starting a process costs), QUERY_RUNS runs;
#   load:    "pfc verify" of the image (map, check everything, exit), the
#            file in page cache;
#   memory:  peak resident set of each command (GNU time), when installed.
#
# Targets: build >= 6x faster than postmap lmdb:, the other shape within
# 1.2x of the first; lookups >= 8x faster than postmap -q - lmdb:, >= 2x
# faster than cdb:, within 2x of flat; one lookup within 2x of /bin/true;
# verify of the 1,000,000-entry image under 50 ms.
#
# Environment:
#   PFC      the pfc binary (default: ../pfc beside this script's directory)
#   ENTRIES  entries in the map (default 1000000)
#   LOOKUPS  keys looked up (default 1000000)
#   RUNS     timed runs of each command (default 3)
#   QUERY_RUNS  timed runs of one lookup (default 30)
#   CC       compiler for bench/flat.c (default cc)

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
. "$here/virtual-data.sh"
PFC=${PFC:-$here/../pfc}
ENTRIES=${ENTRIES:-1000000}
LOOKUPS=${LOOKUPS:-1000000}
RUNS=${RUNS:-3}
QUERY_RUNS=${QUERY_RUNS:-30}
CC=${CC:-cc}

die() { echo "image.sh: $*" >&2; exit 2; }

command -v postmap >/dev/null 2>&1 || die "postmap not installed"
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not installed (apt-get install hyperfine)"
[ -x "$PFC" ] || die "pfc binary not found (set PFC)"
for v in ENTRIES LOOKUPS RUNS QUERY_RUNS; do
    case ${!v} in ''|*[!0-9]*|0) die "$v must be a positive integer" ;; esac
done

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

"$CC" -O2 -o "$tmp/flat" "$here/flat.c" || die "cannot compile flat.c"

# The configuration pfc builds: the map is its virtual_alias_maps.
cfg=$tmp/cfg
mkdir "$cfg"
cat >"$cfg/main.cf" <<CF
compatibility_level = 3.6
virtual_alias_maps = hash:$cfg/virtual
CF
# Postfix's stock master.cf, as the linter's tests use it.
cp "$here/../tests/check/base/master.cf" "$cfg/master.cf" || die "no stock master.cf"
# The same configuration with the map of the other shape.
cfg2=$tmp/cfg2
mkdir "$cfg2"
sed "s|$cfg/|$cfg2/|" "$cfg/main.cf" >"$cfg2/main.cf"
cp "$cfg/master.cf" "$cfg2/master.cf"
types=$(postconf -c "$cfg" -m 2>/dev/null)
postmap_types=hash
for t in lmdb cdb; do
    if grep -qx "$t" <<<"$types"; then
        postmap_types="$postmap_types $t"
    else
        echo "note: postmap has no $t: support, not timed" >&2
    fi
done

# The map and the keys (virtual-data.sh, as map-query.sh's).
virtual_map "$ENTRIES" >"$cfg/virtual"
virtual_map "$ENTRIES" domains >"$cfg2/virtual"
virtual_keys "$ENTRIES" "$LOOKUPS" >"$tmp/keys"
# One key for the one-lookup runs: an entry in the middle of the map.
key=$(virtual_key "$ENTRIES" $((ENTRIES / 2)))
for t in $postmap_types; do
    mkdir "$tmp/$t"
    cp "$cfg/virtual" "$tmp/$t/virtual"
done

# Each job as a shell command, named.
build_cmd() {
    case $1 in
        pfc) printf '%q ' "$PFC" build -c "$cfg" -o "$tmp/policy.pfi" ;;
        pfc2) printf '%q ' "$PFC" build -c "$cfg2" -o "$tmp/policy2.pfi" ;;
        flat) printf '%q ' "$tmp/flat" build "$cfg/virtual" "$tmp/flat.tbl" ;;
        *) printf '%q ' postmap -c "$cfg" "$1:$tmp/$1/virtual" ;;
    esac
}
# build_output NAME: what the build writes, removed before each timed run:
# the jobs build from scratch, and none pays for freeing the last run's
# file (up to 0.3 s for 80 MB here, whoever wrote it).
build_output() {
    case $1 in
        pfc) printf '%q' "$tmp/policy.pfi" ;;
        pfc2) printf '%q' "$tmp/policy2.pfi" ;;
        flat) printf '%q' "$tmp/flat.tbl" ;;
        *) printf '%q ' "$tmp/$1/virtual".{db,lmdb,cdb} ;;
    esac
}
query_cmd() {
    case $1 in
        pfc) printf '%q ' "$PFC" query "$tmp/policy.pfi" "hash:$cfg/virtual" - ;;
        flat) printf '%q ' "$tmp/flat" query "$tmp/flat.tbl" ;;
        *) printf '%q ' postmap -c "$cfg" -q - "$1:$tmp/$1/virtual" ;;
    esac
    printf '<%q >/dev/null' "$tmp/keys"
}

# time_jobs KIND NAME...: median seconds of each, into secs[KIND-NAME]
# (the median: a shared machine's stalls hit a run or two, not the job)
declare -A secs=() peak=()
time_jobs() {
    local kind=$1 args=() name
    shift
    for name in "$@"; do
        args+=(-n "$kind-$name" "$("${kind}_cmd" "$name")")
        [ "$kind" = build ] && args+=(--prepare "rm -f $(build_output "$name")")
    done
    hyperfine --style none --warmup 1 --runs "$RUNS" -i \
        --export-csv "$tmp/times.csv" "${args[@]}" >/dev/null 2>&1 || die "hyperfine failed"
    while IFS=, read -r n _ _ median _; do
        secs[$n]=$median
    done < <(tail -n +2 "$tmp/times.csv")
}
# peak_of KIND NAME: peak RSS in MiB with GNU time, "-" without it
peak_of() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f %M -o "$tmp/rss" sh -c "$("${1}_cmd" "$2")" >/dev/null 2>&1
        awk '{ printf "%.0f MiB", $1 / 1024 }' "$tmp/rss"
    else
        echo "-"
    fi
}

for t in $postmap_types; do
    eval "$(build_cmd "$t")" || die "postmap $t: failed"
done
eval "$(build_cmd pfc)" 2>"$tmp/err" || die "pfc build failed: $(head -n 3 "$tmp/err")"
eval "$(build_cmd flat)" || die "flat build failed"

# Sanity: the image answers what postmap answers, key for key.
eval "$(query_cmd pfc | sed 's|>/dev/null|>"$tmp/pfc.out"|')"
eval "$(query_cmd hash | sed 's|>/dev/null|>"$tmp/postmap.out"|')"
cmp -s "$tmp/pfc.out" "$tmp/postmap.out" || die "pfc query answers differ from postmap -q - hash:"
hits=$(wc -l <"$tmp/pfc.out")

echo "pfc:      $PFC"
echo "input:    $ENTRIES entries ($(du -k "$cfg/virtual" | cut -f1) KiB), $LOOKUPS lookups ($hits hits)"
echo "image:    $(du -k "$tmp/policy.pfi" | cut -f1) KiB"
echo "method:   $(hyperfine --version), median of $RUNS runs each after 1 warm-up, whole"
echo "          processes; each build starts without its output file"

time_jobs build pfc pfc2 $postmap_types flat
time_jobs query pfc $postmap_types flat
hyperfine --style none --warmup 3 --runs $((RUNS * 10)) -N \
    --export-csv "$tmp/times.csv" "$PFC verify $tmp/policy.pfi" >/dev/null 2>&1 || die "hyperfine failed"
verify=$(tail -n 1 "$tmp/times.csv" | cut -d, -f4)

# One lookup, whole process: the answer first, then the times (medians).
"$PFC" query "$tmp/policy.pfi" "hash:$cfg/virtual" "$key" >"$tmp/one.pfc" 2>&1
postmap -c "$cfg" -q "$key" "lmdb:$tmp/lmdb/virtual" >"$tmp/one.postmap" 2>&1
if grep -qx lmdb <<<"$types"; then
    cmp -s "$tmp/one.pfc" "$tmp/one.postmap" || die "pfc query $key answers otherwise than postmap -q"
fi
one_jobs=(-n one-pfc "$PFC query $tmp/policy.pfi hash:$cfg/virtual $key" -n one-true /bin/true)
grep -qx lmdb <<<"$types" &&
    one_jobs+=(-n one-lmdb "postmap -c $cfg -q $key lmdb:$tmp/lmdb/virtual")
hyperfine --style none --warmup 3 --runs "$QUERY_RUNS" -N --export-csv "$tmp/times.csv" \
    "${one_jobs[@]}" >/dev/null 2>&1 || die "hyperfine failed"
while IFS=, read -r n _ _ median _; do
    secs[$n]=$median
done < <(tail -n +2 "$tmp/times.csv")

ratio() {  # ratio OTHER PFC: "N.NNx faster|slower"
    awk -v o="$1" -v p="$2" 'BEGIN { printf "%.2fx %s", (o >= p ? o / p : p / o), (o >= p ? "faster" : "slower") }'
}
row() {    # row KIND NAME LABEL
    local s=${secs[$1-$2]}
    printf "  %-22s %8.3f s  %7.2f M/s  peak %-8s" "$3" "$s" \
        "$(awk -v s="$s" -v n="$ENTRIES" -v k="$LOOKUPS" -v q="$1" 'BEGIN { printf "%.2f", (q == "query" ? k : n) / s / 1e6 }')" \
        "$(peak_of "$1" "$2")"
    [ "$2" = pfc ] && { echo; return; }
    echo "  pfc is $(ratio "$s" "${secs[$1-pfc]}")"
}

echo "build ($ENTRIES entries):"
row build pfc "pfc build (image)"
printf "  %-22s %8.3f s  %7.2f M/s  peak %-8s  %s\n" "pfc build, other shape" \
    "${secs[build-pfc2]}" \
    "$(awk -v s="${secs[build-pfc2]}" -v n="$ENTRIES" 'BEGIN { printf "%.2f", n / s / 1e6 }')" \
    "$(peak_of build pfc2)" \
    "$(awk -v a="${secs[build-pfc]}" -v b="${secs[build-pfc2]}" 'BEGIN { printf "%.2fx the first shape'"'"'s time", b / a }')"
for t in $postmap_types; do row build "$t" "postmap $t:"; done
row build flat "flat table (bench)"
echo "lookups ($LOOKUPS keys, one process):"
row query pfc "pfc query IMAGE -"
for t in $postmap_types; do row query "$t" "postmap -q - $t:"; done
row query flat "flat table (limit)"
echo "one lookup, whole process ($QUERY_RUNS runs, median):"
printf "  %-22s %8.1f ms\n" "pfc query IMAGE T KEY" "$(awk -v s="${secs[one-pfc]}" 'BEGIN { printf "%.1f", s * 1000 }')"
printf "  %-22s %8.1f ms  pfc is %s\n" "/bin/true" \
    "$(awk -v s="${secs[one-true]}" 'BEGIN { printf "%.1f", s * 1000 }')" \
    "$(awk -v t="${secs[one-true]}" -v p="${secs[one-pfc]}" 'BEGIN { printf "%.2fx its time", p / t }')"
[ -n "${secs[one-lmdb]:-}" ] &&
    printf "  %-22s %8.1f ms  pfc is %s\n" "postmap -q KEY lmdb:" \
        "$(awk -v s="${secs[one-lmdb]}" 'BEGIN { printf "%.1f", s * 1000 }')" \
        "$(ratio "${secs[one-lmdb]}" "${secs[one-pfc]}")"
echo "load+verify:"
printf "  %-22s %8.1f ms  (whole process, image in page cache)\n" "pfc verify" \
    "$(awk -v s="$verify" 'BEGIN { printf "%.1f", s * 1000 }')"

target() { # target TEXT CONDITION-AWK
    if awk -v pb="${secs[build-pfc]}" -v lb="${secs[build-lmdb]:-0}" -v pb2="${secs[build-pfc2]}" \
        -v op="${secs[one-pfc]}" -v ot="${secs[one-true]}" \
        -v pq="${secs[query-pfc]}" -v lq="${secs[query-lmdb]:-0}" -v cq="${secs[query-cdb]:-0}" \
        -v fq="${secs[query-flat]}" -v v="$verify" "BEGIN { exit !($2) }"; then
        echo "  target: $1: met"
    else
        echo "  target: $1: MISSED"
    fi
}
echo "targets:"
target "build >= 6x faster than postmap lmdb:" 'lb > 0 && lb / pb >= 6'
target "build of the other shape within 1.2x of the first" 'pb2 / pb <= 1.2'
target "lookups >= 8x faster than postmap -q - lmdb:" 'lq > 0 && lq / pq >= 8'
target "lookups >= 2x faster than postmap -q - cdb:" 'cq > 0 && cq / pq >= 2'
target "lookups within 2x of the flat table" 'pq / fq <= 2'
target "one lookup within 2x of /bin/true" 'op / ot <= 2'
target "load+verify under 50 ms" 'v < 0.050'
exit 0
