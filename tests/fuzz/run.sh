#!/bin/sh
# run.sh - run the fuzzers build.sh made (make fuzz runs it).
#
#   run.sh SRCDIR OUTDIR HARNESS...
#
# Each OUTDIR/fuzz_HARNESS runs $FUZZ_TIME seconds (default 60) on its
# working corpus OUTDIR/corpus/HARNESS, which starts as a copy of the
# saved corpus SRCDIR/tests/fuzz/corpus/HARNESS (never written to: the
# source tree may be read-only) and keeps what libFuzzer adds across runs.
# The image harness also gets fresh images from make-image-seeds.sh when
# $PFC can build them. A dictionary SRCDIR/tests/fuzz/dict/HARNESS.dict
# is used when there is one. $FUZZ_JOBS fuzzers (default 2) run at once.
#
# Output: one line per harness (executions, seconds, coverage, result);
# its whole log is OUTDIR/HARNESS.log, a crashing input is saved as
# OUTDIR/artifacts/HARNESS-crash-<sha1> (or leak-, timeout-, oom-). Exit 1
# when any fuzzer found something, 2 when one could not run.
set -u

srcdir=$1 out=$2
shift 2
time=${FUZZ_TIME:-60}
jobs=${FUZZ_JOBS:-2}
timeout=${FUZZ_TIMEOUT:-30}

mkdir -p "$out/corpus" "$out/artifacts" || exit 2

# report HARNESS STATUS - the summary line of one finished fuzzer
report() {
    h=$1 rc=$2 log=$out/$1.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*\(corp: [^ ]*\).*/\1 \2 \3/p')
    if [ "$rc" -eq 0 ]; then
	result=ok
    else
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	result="FAILED (exit $rc${artifact:+, input $artifact}; see $log)"
    fi
    printf 'fuzz_%s: %s execs in %s s, %s: %s\n' "$h" "${execs:-?}" "${secs:-?}" \
	"${cov:-no coverage line}" "$result"
}

# start HARNESS - start one fuzzer in the background, its pid in $!
start() {
    h=$1
    work=$out/corpus/$h
    mkdir -p "$work"
    if [ -d "$srcdir/tests/fuzz/corpus/$h" ]; then
	for f in "$srcdir/tests/fuzz/corpus/$h"/*; do
	    [ -f "$f" ] && [ ! -e "$work/${f##*/}" ] && cp "$f" "$work/"
	done
    fi
    if [ "$h" = image ] && [ -x "${PFC:-}" ]; then
	sh "$srcdir/tests/fuzz/make-image-seeds.sh" "$PFC" "$srcdir" "$work" >"$out/image-seeds.log" 2>&1 ||
	    echo "fuzz_image: no fresh images from pfc build (see $out/image-seeds.log)"
    fi
    dict=
    [ -f "$srcdir/tests/fuzz/dict/$h.dict" ] && dict=-dict=$srcdir/tests/fuzz/dict/$h.dict
    # shellcheck disable=SC2086
    "$out/fuzz_$h" -max_total_time="$time" -timeout="$timeout" -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" $dict "$work" \
	>"$out/$h.log" 2>&1 &
}

status=0
batch=
n=0
# finish - wait for the fuzzers of the batch and report each
finish() {
    for job in $batch; do
	wait "${job%%:*}"
	rc=$?
	report "${job#*:}" "$rc"
	[ "$rc" -ne 0 ] && [ "$status" -eq 0 ] && status=1
    done
    batch='' n=0
}
for h in "$@"; do
    if [ ! -x "$out/fuzz_$h" ]; then
	echo "fuzz_$h: not built" >&2
	status=2
	continue
    fi
    echo "fuzz_$h: running for $time s"
    start "$h"
    batch="$batch $!:$h"
    n=$((n + 1))
    [ "$n" -ge "$jobs" ] && finish
done
finish
exit "$status"
