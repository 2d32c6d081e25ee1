#!/bin/bash
# check-golden.sh - one case per pfc check rule: bad input, the exact
# findings and the exit status. Each case is a directory under
# tests/check/cases/ holding the files of a configuration directory (the
# stock master.cf of tests/check/base/ is added unless the case has one, or
# a file "no-master.cf"), "args" (extra pfc check arguments, one per line;
# optional), expect.out (stdout and stderr) and expect.rc (golden-lib.sh
# runs them). pfc runs as "pfc check --root . -c . ARGS" inside a scratch
# copy of the case, so paths in the findings are relative, and the system
# files Postfix's defaults name are the case's, not this machine's: the
# scratch copy has an etc/aliases (tests/check/base/aliases) with its
# aliases.db built, as alias_maps' default wants, before "setup" runs.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
. "$srcdir/tests/cli/golden-lib.sh"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/check-golden.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# The system files of every case's root, built once with an empty main.cf.
mkdir -p "$scratch/host/etc/postfix"
: >"$scratch/host/etc/postfix/main.cf"
cp "$srcdir/tests/check/base/aliases" "$scratch/host/etc/aliases"
(cd "$scratch/host" && "$PFC" alias --root . -c /etc/postfix hash:/etc/aliases) ||
    { echo "Bail out! cannot build etc/aliases.db"; exit 1; }
rm -r "$scratch/host/etc/postfix"

golden_prepare() {
    work=$scratch/$(basename "$1")
    mkdir -p "$work" && cp -R "$scratch/host/etc" "$work/" && check_case_copy "$1" "$work"
}

golden_command() {
    "$PFC" check --root . -c . "$@"
}

golden_run "$srcdir/tests/check/cases"
