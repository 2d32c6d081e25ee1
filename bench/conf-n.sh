#!/bin/bash
# conf-n.sh - how long "pfc conf -c DIR -n" takes, against "postconf -c DIR -n".
#
# The input is the largest real main.cf in the corpus (most lines, chosen at
# run time), with the master.cf from the same repository and directory when
# the corpus has one, else the local-only example's stock-like master.cf.
# Both tools run on a temporary copy whose files have an old mtime (Postfix
# re-reads files changed in the last second).  A process that does nothing
# (/bin/true) is timed too, as the floor.
#
# Environment:
#   PFC      the pfc binary (default: ../pfc beside this script's directory)
#   CORPUS   the corpus (default: ../../shared/corpus from this script)
#   RUNS     runs of each command (default 500)
#   NO_HYPERFINE=1  time with a plain shell loop even if hyperfine exists

set -u

here=$(cd "$(dirname "$0")" && pwd)
PFC=${PFC:-$here/../pfc}
CORPUS=${CORPUS:-$here/../../shared/corpus}
RUNS=${RUNS:-500}
TRUE=/bin/true

die() { echo "conf-n.sh: $*" >&2; exit 2; }

command -v postconf >/dev/null 2>&1 || die "postconf not installed"
[ -x "$PFC" ] || die "pfc binary not found (set PFC)"
[ -d "$CORPUS/main.cf" ] || die "no main.cf directory in the corpus (set CORPUS)"
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive integer" ;; esac

# The main.cf with the most lines.
main=
best=-1
for f in "$CORPUS"/main.cf/*; do
    [ -f "$f" ] || continue
    n=$(wc -l <"$f")
    if [ "$n" -gt "$best" ]; then
        best=$n
        main=$f
    fi
done
[ -n "$main" ] || die "no main.cf files in $CORPUS/main.cf"

# Its master.cf: same repository and directory, per MANIFEST.tsv
# (columns: file kind repo path commit).
master=
if [ -f "$CORPUS/MANIFEST.tsv" ]; then
    rel=main.cf/$(basename "$main")
    master=$(awk -F'\t' -v rel="$rel" '
        function dir(p) { sub(/\/[^\/]*$/, "", p); return p }
        NR > 1 { kind[NR] = $2; file[NR] = $1; repo[NR] = $3; path[NR] = $4 }
        NR > 1 && $1 == rel { r = $3; d = dir($4) }
        END {
            for (i = 2; i <= NR; i++)
                if (kind[i] == "master.cf" && repo[i] == r && dir(path[i]) == d) {
                    print file[i]; exit
                }
        }' "$CORPUS/MANIFEST.tsv")
    [ -n "$master" ] && master=$CORPUS/$master
fi

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
dir=$tmp/conf
mkdir "$dir"
cp "$main" "$dir/main.cf"
if [ -z "$master" ] || ! cp "$master" "$dir/master.cf" ||
   ! postconf -c "$dir" -M >/dev/null 2>&1; then
    master=$here/../examples/local-only/master.cf
    cp "$master" "$dir/master.cf" || die "no master.cf to pair with"
fi
touch -d 2000-01-01 "$dir/main.cf" "$dir/master.cf"

postconf -c "$dir" -n >"$tmp/postconf.out" 2>/dev/null ||
    die "postconf -n fails on $(basename "$main")"
"$PFC" conf -c "$dir" -n >"$tmp/pfc.out" 2>/dev/null ||
    echo "warning: pfc conf -n exits non-zero on this input" >&2
cmp -s "$tmp/postconf.out" "$tmp/pfc.out" ||
    echo "warning: pfc conf -n output differs from postconf -n" >&2

echo "input:    $(basename "$main") ($best lines), master.cf: $(basename "$master")"

# Mean wall time per run, in microseconds, of: true, postconf, pfc.
if [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1; then
    echo "method:   $(hyperfine --version), $RUNS runs each, no shell"
    q() { printf '%q ' "$@"; }
    hyperfine -N --style none --warmup 20 --runs "$RUNS" \
        --export-csv "$tmp/times.csv" \
        -n true "$(q "$TRUE")" \
        -n postconf "$(q postconf -c "$dir" -n)" \
        -n pfc "$(q "$PFC" conf -c "$dir" -n)" >/dev/null 2>&1 ||
        die "hyperfine failed"
    # CSV: command,mean,stddev,median,user,system,min,max (seconds)
    read -r t_true t_postconf t_pfc < <(awk -F, '
        NR > 1 { m[$1] = $2 * 1e6 }
        END { printf "%.1f %.1f %.1f\n", m["true"], m["postconf"], m["pfc"] }
        ' "$tmp/times.csv")
else
    echo "method:   shell loop timed with date +%s%N, $RUNS runs each"
    # loop CMD... - mean microseconds per run of CMD
    loop() {
        local i=0 t0 t1
        t0=$(date +%s%N)
        while [ "$i" -lt "$RUNS" ]; do
            "$@" >/dev/null 2>&1
            i=$((i + 1))
        done
        t1=$(date +%s%N)
        awk -v d="$((t1 - t0))" -v n="$RUNS" 'BEGIN { printf "%.1f\n", d / n / 1000 }'
    }
    loop "$TRUE" >/dev/null             # warm up the caches
    loop postconf -c "$dir" -n >/dev/null
    t_true=$(loop "$TRUE")
    t_postconf=$(loop postconf -c "$dir" -n)
    t_pfc=$(loop "$PFC" conf -c "$dir" -n)
fi

awk -v t="$t_true" -v p="$t_postconf" -v f="$t_pfc" 'BEGIN {
    printf "%-28s %9.3f ms\n", "/bin/true (process start)", t / 1000
    printf "%-28s %9.3f ms\n", "postconf -c DIR -n", p / 1000
    printf "%-28s %9.3f ms\n", "pfc conf -c DIR -n", f / 1000
    if (f <= 0 || p <= 0) { print "no ratio: a mean time is zero"; exit }
    if (p >= f) printf "pfc is %.1fx faster than postconf\n", p / f
    else        printf "pfc is %.1fx slower than postconf\n", f / p
    if (f > t && p > t)
        printf "(beyond process start: %.1fx)\n", (p - t) / (f - t)
}'
