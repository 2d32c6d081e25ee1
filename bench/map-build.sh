#!/bin/bash
# map-build.sh - how long "pfc map hash:FILE" takes to build a virtual(5)
# table, against "postmap hash:FILE" (Berkeley DB), "postmap lmdb:FILE" and
# "postmap cdb:FILE", on the same generated source, in one run.
#
# The source has lines like "user123@example-domain-7.com  dest123@other.example"
# (SIZES entries each).  Every tool builds into its own directory, so no run
# sees another tool's table.  Issue 3's target: pfc hash >= 1.5x faster than
# postmap hash at 1,000,000 entries.
#
# Environment:
#   PFC      the pfc binary (default: ../pfc beside this script's directory)
#   SIZES    table sizes, in entries (default "100000 1000000")
#   RUNS     timed runs of each build (default 3)
#   NO_HYPERFINE=1  time with a plain shell loop even if hyperfine exists
#   KEEP=DIR keep the generated sources and tables in DIR

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
. "$here/virtual-data.sh"
PFC=${PFC:-$here/../pfc}
SIZES=${SIZES:-"100000 1000000"}
RUNS=${RUNS:-3}

die() { echo "map-build.sh: $*" >&2; exit 2; }

command -v postmap >/dev/null 2>&1 || die "postmap not installed"
[ -x "$PFC" ] || die "pfc binary not found (set PFC)"
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive integer" ;; esac
for s in $SIZES; do
    case $s in ''|*[!0-9]*|0) die "SIZES must be positive integers" ;; esac
done

if [ -n "${KEEP:-}" ]; then
    tmp=$KEEP
    mkdir -p "$tmp" || die "cannot create $tmp"
else
    tmp=$(mktemp -d) || die "mktemp failed"
    trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 1' HUP INT TERM

# A configuration directory for both tools (old mtime: Postfix re-reads a
# main.cf changed within the last second).
cfg=$tmp/cfg
mkdir -p "$cfg"
echo 'compatibility_level = 3.6' >"$cfg/main.cf"
touch -d 2000-01-01 "$cfg/main.cf"

types=$(postconf -c "$cfg" -m 2>/dev/null)
tools="pfc-hash postmap-hash"
for t in lmdb cdb; do
    if grep -qx "$t" <<<"$types"; then
        tools="$tools postmap-$t"
    else
        echo "note: postmap has no $t: support, not timed" >&2
    fi
done

# table_of TOOL SIZE: the source file (and table name) of TOOL
# argv_of TOOL SIZE: its build command line, shell-quoted
table_of() { echo "$tmp/$1-$2/virtual"; }
argv_of() {
    local tool=$1 size=$2 file
    file=$(table_of "$tool" "$size")
    case $tool in
        pfc-hash) printf '%q ' "$PFC" map -c "$cfg" "hash:$file" ;;
        postmap-*) printf '%q ' postmap -c "$cfg" "${tool#postmap-}:$file" ;;
    esac
}

[ "$("$PFC" map -c "$cfg" -q x 'static:{y}' 2>/dev/null)" = y ] || die "$PFC cannot run pfc map"
echo "pfc:      $PFC"
if [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1; then
    method=hyperfine
    echo "method:   $(hyperfine --version), $RUNS runs each, no shell, 1 warm-up run"
else
    method=loop
    echo "method:   shell loop timed with date +%s%N, $RUNS runs each, 1 warm-up run"
fi

# loop_time CMD...: mean seconds per run
loop_time() {
    local i=0 t0 t1
    "$@" >/dev/null 2>&1
    t0=$(date +%s%N)
    while [ "$i" -lt "$RUNS" ]; do
        "$@" >/dev/null 2>&1
        i=$((i + 1))
    done
    t1=$(date +%s%N)
    awk -v d="$((t1 - t0))" -v n="$RUNS" 'BEGIN { printf "%.4f\n", d / n / 1e9 }'
}

for size in $SIZES; do
    src=$tmp/virtual-$size
    virtual_map "$size" >"$src"
    for tool in $tools; do
        mkdir -p "$tmp/$tool-$size"
        ln -f "$src" "$(table_of "$tool" "$size")" 2>/dev/null ||
            cp "$src" "$(table_of "$tool" "$size")"
    done

    # Sanity: pfc's table holds what postmap's does (first size only: -s of
    # both, sorted).
    eval "$(argv_of pfc-hash "$size")" 2>"$tmp/pfc.err" || die "pfc map failed: $(cat "$tmp/pfc.err")"
    eval "$(argv_of postmap-hash "$size")" 2>/dev/null || die "postmap hash: failed"
    if [ "$size" = "${SIZES%% *}" ]; then
        a=$("$PFC" map -c "$cfg" -s "hash:$(table_of pfc-hash "$size")" | sort | md5sum)
        b=$(postmap -c "$cfg" -s "hash:$(table_of postmap-hash "$size")" | sort | md5sum)
        [ "$a" = "$b" ] || echo "warning: pfc's table differs from postmap's (-s output)" >&2
    fi

    echo
    echo "virtual map, $size entries ($(wc -c <"$src") bytes):"
    declare -A secs=()
    if [ "$method" = hyperfine ]; then
        args=()
        for tool in $tools; do
            args+=(-n "$tool" "$(argv_of "$tool" "$size")")
        done
        hyperfine -N --style none --warmup 1 --runs "$RUNS" \
            --export-csv "$tmp/times.csv" "${args[@]}" >/dev/null 2>&1 ||
            die "hyperfine failed"
        while IFS=, read -r name mean _; do
            secs[$name]=$mean
        done < <(tail -n +2 "$tmp/times.csv")
    else
        for tool in $tools; do
            secs[$tool]=$(eval "loop_time $(argv_of "$tool" "$size")")
        done
    fi
    for tool in $tools; do
        awk -v name="$tool" -v s="${secs[$tool]}" -v f="${secs[pfc-hash]}" 'BEGIN {
            label = name
            sub(/-/, " ", label); label = label ":"
            if (name == "pfc-hash") { printf "  %-16s %8.3f s\n", label, s; exit }
            printf "  %-16s %8.3f s   pfc hash is %.2fx %s\n", label, s,
                (s >= f ? s / f : f / s), (s >= f ? "faster" : "slower")
        }'
    done
    if [ "$size" = 1000000 ]; then
        if awk -v p="${secs[postmap-hash]}" -v f="${secs[pfc-hash]}" 'BEGIN { exit !(p / f >= 1.5) }'; then
            echo "  target (pfc hash >= 1.5x faster than postmap hash): met"
        else
            echo "  target (pfc hash >= 1.5x faster than postmap hash): MISSED"
        fi
    fi
    unset secs
    # free the disk space of this size before the next
    [ -z "${KEEP:-}" ] && rm -rf "$src" "$tmp"/*-"$size"
done
exit 0
