#!/bin/bash
# lookup.sh - pfc lookup on small configuration directories, exact output.
# Each case is a directory under tests/cli/lookup-cases/ holding main.cf and its
# tables (relative paths, so the output names no path of the machine that
# runs it), "args" (the pfc arguments, one per line, run inside the case
# directory), and expect.out, expect.err, expect.rc (golden-lib.sh runs
# them). The cases follow SPEC 8: key-major order over several tables,
# partial keys kept from pattern tables, a DUNNO that stops a table's
# search while the list goes on.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
. "$srcdir/tests/cli/golden-lib.sh"
golden_run "$srcdir/tests/cli/lookup-cases"
