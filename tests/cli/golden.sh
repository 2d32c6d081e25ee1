#!/bin/bash
# golden.sh - fixed inputs with their exact stdout, stderr and exit status.
# Each case is a directory under tests/cli/golden-cases/ holding the config
# files, "args" (the pfc arguments, one per line, run inside the case
# directory), and expect.out, expect.err, expect.rc (golden-lib.sh runs
# them). Broken input lives here: the diagnostic text and the exit code
# are part of pfc's interface.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
. "$srcdir/tests/cli/golden-lib.sh"
golden_run "$srcdir/tests/cli/golden-cases"
