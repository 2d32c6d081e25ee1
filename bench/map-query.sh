#!/bin/bash
# map-query.sh - how long "pfc map -q - hash:FILE" takes for many lookups,
# against "postmap -q -" on hash: (Berkeley DB), lmdb: and cdb: tables built
# from the same source, in one run.
#
# The table is a generated virtual(5) map ("user123@example-domain-7.com
# dest123@other.example", ENTRIES lines); the keys (LOOKUPS of them) are half
# hits and half misses, shuffled with a fixed seed.  The tables are built
# once, untimed.  Issue 3's target: pfc -q - >= 4x faster than
# "postmap -q - hash:" with 1,000,000 lookups in a 1,000,000-entry map.
#
# Environment:
#   PFC      the pfc binary (default: ../pfc beside this script's directory)
#   ENTRIES  entries in the table (default 1000000)
#   LOOKUPS  keys looked up (default 1000000)
#   RUNS     timed runs of each command (default 3)
#   NO_HYPERFINE=1  time with a plain shell loop even if hyperfine exists

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
. "$here/virtual-data.sh"
PFC=${PFC:-$here/../pfc}
ENTRIES=${ENTRIES:-1000000}
LOOKUPS=${LOOKUPS:-1000000}
RUNS=${RUNS:-3}

die() { echo "map-query.sh: $*" >&2; exit 2; }

command -v postmap >/dev/null 2>&1 || die "postmap not installed"
[ -x "$PFC" ] || die "pfc binary not found (set PFC)"
for v in ENTRIES LOOKUPS RUNS; do
    case ${!v} in ''|*[!0-9]*|0) die "$v must be a positive integer" ;; esac
done

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

cfg=$tmp/cfg
mkdir "$cfg"
echo 'compatibility_level = 3.6' >"$cfg/main.cf"
touch -d 2000-01-01 "$cfg/main.cf"
[ "$("$PFC" map -c "$cfg" -q x 'static:{y}' 2>/dev/null)" = y ] || die "$PFC cannot run pfc map"

types=$(postconf -c "$cfg" -m 2>/dev/null)
tools="pfc-hash postmap-hash"
for t in lmdb cdb; do
    if grep -qx "$t" <<<"$types"; then
        tools="$tools postmap-$t"
    else
        echo "note: postmap has no $t: support, not timed" >&2
    fi
done

# The table (virtual-data.sh, as map-build.sh's) and the keys: LOOKUPS/2
# hits drawn from the table, LOOKUPS/2 misses of the same shape, shuffled.
virtual_map "$ENTRIES" >"$tmp/virtual"
virtual_keys "$ENTRIES" "$LOOKUPS" >"$tmp/keys"

table_of() { echo "$tmp/$1/virtual"; }
for tool in $tools; do
    mkdir "$tmp/$tool"
    ln "$tmp/virtual" "$(table_of "$tool")" 2>/dev/null || cp "$tmp/virtual" "$(table_of "$tool")"
    case $tool in
        pfc-hash) "$PFC" map -c "$cfg" "hash:$(table_of "$tool")" ;;
        postmap-*) postmap -c "$cfg" "${tool#postmap-}:$(table_of "$tool")" ;;
    esac 2>"$tmp/build.err" || die "$tool build failed: $(cat "$tmp/build.err")"
done

# cmd TOOL: the lookup command, for sh -c
cmd() {
    local tool=$1 file
    file=$(table_of "$tool")
    case $tool in
        pfc-hash) printf '%q ' "$PFC" map -c "$cfg" -q - "hash:$file" ;;
        postmap-*) printf '%q ' postmap -c "$cfg" -q - "${tool#postmap-}:$file" ;;
    esac
    printf '<%q >/dev/null' "$tmp/keys"
}

# Sanity: pfc answers what postmap hash: answers, line for line.
eval "$(cmd pfc-hash | sed 's|>/dev/null|>"$tmp/pfc.out"|')"
eval "$(cmd postmap-hash | sed 's|>/dev/null|>"$tmp/postmap.out"|')"
cmp -s "$tmp/pfc.out" "$tmp/postmap.out" ||
    echo "warning: pfc's -q - output differs from postmap hash:'s" >&2
hits=$(wc -l <"$tmp/pfc.out")

echo "pfc:      $PFC"
echo "input:    $ENTRIES entries, $LOOKUPS lookups ($hits hits), one process each"

declare -A secs=()
if [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1; then
    echo "method:   $(hyperfine --version), $RUNS runs each, 1 warm-up run, through sh -c"
    args=()
    for tool in $tools; do
        args+=(-n "$tool" "$(cmd "$tool")")
    done
    hyperfine --style none --warmup 1 --runs "$RUNS" -i \
        --export-csv "$tmp/times.csv" "${args[@]}" >/dev/null 2>&1 ||
        die "hyperfine failed"
    while IFS=, read -r name mean _; do
        secs[$name]=$mean
    done < <(tail -n +2 "$tmp/times.csv")
else
    echo "method:   shell loop timed with date +%s%N, $RUNS runs each, 1 warm-up run"
    for tool in $tools; do
        c=$(cmd "$tool")
        eval "$c"
        t0=$(date +%s%N)
        for ((i = 0; i < RUNS; i++)); do eval "$c"; done
        t1=$(date +%s%N)
        secs[$tool]=$(awk -v d="$((t1 - t0))" -v n="$RUNS" 'BEGIN { printf "%.4f\n", d / n / 1e9 }')
    done
fi

for tool in $tools; do
    awk -v name="$tool" -v s="${secs[$tool]}" -v f="${secs[pfc-hash]}" -v k="$LOOKUPS" 'BEGIN {
        label = name
        sub(/-/, " ", label); label = label ":"
        if (name == "pfc-hash") {
            printf "  %-16s %8.3f s  (%.2f us/lookup)\n", label, s, s / k * 1e6; exit
        }
        printf "  %-16s %8.3f s  (%.2f us/lookup)   pfc hash is %.2fx %s\n", label, s,
            s / k * 1e6, (s >= f ? s / f : f / s), (s >= f ? "faster" : "slower")
    }'
done
if awk -v p="${secs[postmap-hash]}" -v f="${secs[pfc-hash]}" 'BEGIN { exit !(p / f >= 4) }'; then
    echo "  target (pfc -q - >= 4x faster than postmap -q - hash:): met"
else
    echo "  target (pfc -q - >= 4x faster than postmap -q - hash:): MISSED"
fi
exit 0
