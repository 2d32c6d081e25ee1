# tap.sh - TAP cases for the shell tests of tests/cli; sourced.
#
#   ok NAME COMMAND...   one case: it passes when COMMAND succeeds, and
#                        shows COMMAND's output as comments when it fails
#   skip NAME REASON     a case that cannot run here
#   n, failed            the cases so far; 1 once one failed (the exit status)

n=0 failed=0

ok() {
    local name=$1
    shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        printf '%s\n' "$out" | sed 's/^/# /'
        failed=1
    fi
}

skip() {
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}
