#!/bin/bash
# mandoc-lint.sh - every man page is clean under mandoc -Tlint (TAP)
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
mandoc=${MANDOC:-mandoc}
pages=("$srcdir"/man/*.[1-9])
if ! command -v "$mandoc" >/dev/null 2>&1; then
    if [ "${PFC_REQUIRE_ALL:-0}" = 1 ]; then echo "Bail out! mandoc not installed (PFC_REQUIRE_ALL=1)"; exit 1; fi
    echo "1..0 # SKIP mandoc not installed"
    exit 0
fi
echo "1..${#pages[@]}"
n=0 failed=0
for page in "${pages[@]}"; do
    n=$((n + 1))
    out=$("$mandoc" -Tlint -Wwarning "$page" 2>&1)
    if [ -z "$out" ]; then
        echo "ok $n - mandoc -Tlint $(basename "$page")"
    else
        echo "not ok $n - mandoc -Tlint $(basename "$page")"
        printf '%s\n' "$out" | sed 's/^/# /'
        failed=1
    fi
done
exit $failed
