# lib.sh - what the side-by-side tests in tests/compat share; sourced.
#
#   skip_all MESSAGE   no cases can run: a TAP skip, or with PFC_REQUIRE_ALL=1
#                      (as CI sets it) a bail-out, since nothing was tested
#   find_pfc           set PFC (the pfc binary, absolute) or bail out
#   find_policy_driver set DRIVER (the policy engine's test driver) or bail out
#   known_reason NAME  the reason a case is listed in $KNOWN_DIFFS
#                      ("NAME<TAB>REASON" lines; a NAME ending in "*" stands
#                      for every case that starts with it); fails if unlisted
#   tap_result NAME DIAG  one TAP line: ok when DIAG (the differences) is
#                      empty, "ok # SKIP reason" when NAME is listed, else
#                      "not ok" with DIAG; counts n, identical, listed, failed

skip_all() {
    if [ "${PFC_REQUIRE_ALL:-0}" = 1 ]; then
        echo "Bail out! $1 (PFC_REQUIRE_ALL=1)"
        exit 1
    fi
    echo "1..0 # SKIP $1"
    exit 0
}

find_pfc() {
    local c
    if [ -z "${PFC:-}" ]; then
        for c in ./pfc "$srcdir/pfc"; do
            if [ -x "$c" ]; then PFC=$c; break; fi
        done
    fi
    if [ -z "${PFC:-}" ] || [ ! -x "$PFC" ]; then
        echo "Bail out! pfc binary not found (set PFC=path/to/pfc)"
        exit 1
    fi
    # Cases run in their own directories: make the path absolute.
    case $PFC in /*) ;; *) PFC=$(cd "$(dirname "$PFC")" && pwd)/$(basename "$PFC") ;; esac
}

# find_policy_driver - set DRIVER (tests/policy/policy_driver, absolute)
# or bail out: the side-by-side tests of the policy engine ask it.
find_policy_driver() {
    DRIVER=${POLICY_DRIVER:-tests/policy/policy_driver}
    case $DRIVER in /*) ;; *) DRIVER=$(pwd)/$DRIVER ;; esac
    if [ ! -x "$DRIVER" ]; then
        echo "Bail out! $DRIVER not built"
        exit 1
    fi
}

known_reason() {
    local name=$1 line pattern
    while IFS= read -r line; do
        [ -z "$line" ] && continue
        pattern=${line%%	*}
        if [ "$pattern" = "$name" ] || { [ "${pattern%\*}" != "$pattern" ] &&
            [ "${name#"${pattern%\*}"}" != "$name" ]; }; then
            printf '%s\n' "${line#*	}"
            return 0
        fi
    done <<<"${KNOWN_DIFFS:-}"
    return 1
}

tap_result() {
    local name=$1 diag=$2 reason
    n=$((n + 1))
    if [ -z "$diag" ]; then
        identical=$((identical + 1))
        echo "ok $n - $name"
    elif reason=$(known_reason "$name"); then
        # Listed differences are reported, and not counted as comparisons.
        listed=$((listed + 1))
        echo "ok $n - $name # SKIP $reason"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name"
        printf '%s' "$diag" | sed 's/^/# /'
    fi
}

# The corpus manifest (MANIFEST must name $CORPUS/MANIFEST.tsv).
# manifest_field FILE COLUMN -> value (columns: 1 file, 2 kind, 3 repo, 4 path)
manifest_field() {
    [ -f "$MANIFEST" ] || return 0
    awk -F'\t' -v f="$1" -v c="$2" '$1 == f { print $c; exit }' "$MANIFEST"
}

# partner FILE KIND -> corpus-relative file of kind KIND from the same repo,
# preferring the one in the same directory of the repository.
partner() {
    local file=$1 kind=$2 repo path
    [ -f "$MANIFEST" ] || return 0
    repo=$(manifest_field "$file" 3)
    path=$(manifest_field "$file" 4)
    [ -n "$repo" ] || return 0
    awk -F'\t' -v r="$repo" -v k="$kind" -v p="$path" '
        function dir(s) { sub(/\/[^\/]*$/, "", s); return s }
        $3 == r && $2 == k {
            if (first == "") first = $1
            if (dir($4) == dir(p) && same == "") same = $1
        }
        END { if (same != "") print same; else if (first != "") print first }
    ' "$MANIFEST"
}
