#!/bin/sh
# build.sh - build the libFuzzer harnesses of tests/fuzz (make fuzz runs it).
#
#   build.sh SRCDIR OUTDIR HARNESS... -- SOURCE...
#
# Compiles each SOURCE of pfc's libraries (as Makefile.am lists them: .c,
# and .y/.l whose generated .c is taken from the build directory, else
# from SRCDIR) with $FUZZ_CC and libFuzzer's coverage and the address and
# undefined-behaviour sanitizers, into OUTDIR/obj and one archive, then
# links OUTDIR/fuzz_HARNESS for each HARNESS from tests/fuzz/fuzz_HARNESS.c
# and tests/fuzz/fuzz.c. This is a second build of the same sources beside
# the normal one (which gcc may have made): libFuzzer needs clang.
#
# Environment: FUZZ_CC (default clang), FUZZ_CFLAGS (default -g -O1),
# FUZZ_CPPFLAGS (the preprocessor flags of the normal build), FUZZ_LIBS
# (the libraries, e.g. -lgdbm -lpcre2-8), FUZZ_JOBS (parallel compiles,
# default 2). Run from the build directory. Exit 0, or 2 when it cannot
# build.
set -eu

srcdir=$1 out=$2
shift 2
harnesses=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    harnesses="$harnesses $1"
    shift
done
[ $# -gt 0 ] && shift

cc=${FUZZ_CC:-clang}
cflags=${FUZZ_CFLAGS:--g -O1}
jobs=${FUZZ_JOBS:-2}
san="address,undefined"
sanflags="-fno-omit-frame-pointer -fno-sanitize-recover=all"

mkdir -p "$out/obj"

# Can this compiler make a fuzzer at all?
probe=$out/obj/probe
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; return (int) n & 0; }' \
    > "$probe.c"
if ! $cc -fsanitize=fuzzer,$san "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
    echo "make fuzz: $cc cannot build a libFuzzer program:" >&2
    sed 's/^/  /' "$probe.log" >&2
    echo "make fuzz: needs clang and its runtime (Debian: apt-get install clang libclang-rt-dev)," >&2
    echo "  or name another compiler: make fuzz FUZZ_CC=clang-14" >&2
    exit 2
fi

# The library sources, as the compile list "SOURCE OBJECT" per line.
list=$out/obj/sources
: > "$list"
for f in "$@"; do
    case $f in
    *.c) c=$f ;;
    *.y | *.l) c=${f%.?}.c ;;
    *) continue ;;
    esac
    if [ -f "$c" ]; then src=$c
    elif [ -f "$srcdir/$c" ]; then src=$srcdir/$c
    else echo "make fuzz: $c not found (run make first)" >&2; exit 2
    fi
    obj=$out/obj/$(printf '%s' "${c%.c}" | tr / _).o
    echo "$src $obj" >> "$list"
done
for h in $harnesses fuzz; do
    case $h in fuzz) c=tests/fuzz/fuzz.c ;; *) c=tests/fuzz/fuzz_$h.c ;; esac
    echo "$srcdir/$c $out/obj/harness_$h.o" >> "$list"
done

# Compile what is missing or older than its source; everything when a
# header changed since the last build.
if [ -f "$out/obj/libfuzzpfc.a" ] && [ -n "$(find "$srcdir/lib" "$srcdir/grammar" \
	"$srcdir/maps" "$srcdir/compiler" "$srcdir/runtime" "$srcdir/tests/fuzz" \
	-name '*.h' -newer "$out/obj/libfuzzpfc.a" | head -n 1)" ]; then
    rm -f "$out"/obj/*.o
fi
export cc cflags san sanflags
export FUZZ_CPPFLAGS="${FUZZ_CPPFLAGS:-}"
# shellcheck disable=SC2016
while read -r src obj; do
    if [ ! -f "$obj" ] || [ -n "$(find "$src" -newer "$obj")" ]; then
	echo "$src $obj"
    fi
done < "$list" | xargs -r -n 2 -P "$jobs" sh -c '
    echo "  FUZZCC   $1"
    $cc $FUZZ_CPPFLAGS $cflags -fsanitize=fuzzer-no-link,$san $sanflags \
        -Wno-unused-command-line-argument -c "$0" -o "$1"' \
    || { echo "make fuzz: compile failed" >&2; exit 2; }

# One archive of the library objects: the linker takes what each needs.
rm -f "$out/obj/libfuzzpfc.a"
grep -v ' .*/harness_[^/]*\.o$' "$list" | while read -r src obj; do echo "$obj"; done |
    xargs ar cr "$out/obj/libfuzzpfc.a"

for h in $harnesses; do
    echo "  FUZZLD   $out/fuzz_$h"
    # shellcheck disable=SC2086
    $cc $cflags -fsanitize=fuzzer,$san $sanflags -o "$out/fuzz_$h" \
	"$out/obj/harness_$h.o" "$out/obj/harness_fuzz.o" "$out/obj/libfuzzpfc.a" \
	${FUZZ_LIBS:-} || { echo "make fuzz: cannot link fuzz_$h" >&2; exit 2; }
done
