#!/bin/bash
# tests/compat/sbs-pfcd.sh - the side-by-side harness (sbs.sh) with pfcd
# as the target: the same sessions sent over TCP to real Postfix 3.7's
# smtpd and to pfcd serving the images of the same configurations, the
# replies compared byte for byte (queue ids masked).
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export PFC_SBS_TARGET=pfcd
exec "$srcdir/tests/compat/sbs.sh" "$@"
