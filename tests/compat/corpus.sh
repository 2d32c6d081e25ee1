#!/bin/bash
# tests/compat/corpus.sh - compare `pfc conf` with Postfix's `postconf` on the
# real-world corpus (shared/corpus/main.cf/ and shared/corpus/master.cf/).
#
# TAP output.  For every corpus file a config dir is built in a temp dir:
#   * main.cf/X   paired with the master.cf of the same repository (MANIFEST.tsv
#                 repo column; same directory inside the repo preferred), else
#                 with Postfix's stock master.cf;
#   * master.cf/X paired with the main.cf of its repository, else an empty
#                 main.cf.
# Then for each mode (-n, -nx, -M, -F, -P) both tools are run with -c DIR and
# compared: stdout byte-equal, stderr byte-equal in order (postconf's leading
# "postconf: " mapped to "pfc: "), exit status equal. postconf runs with
# NORANDOMIZE set: its warnings then come in the hash-table order that pfc
# follows (compiler/model/htorder.h), not in one of its random orders.
#
# Environment: PFC (path of the pfc binary), CORPUS (corpus dir; default
# $srcdir/../shared/corpus), srcdir (repository root; default: two levels up
# from this script).

set -u
export LC_ALL=C
export NORANDOMIZE=1

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
CORPUS=${CORPUS:-$srcdir/../shared/corpus}

if [ ! -d "$CORPUS/main.cf" ] || [ ! -d "$CORPUS/master.cf" ]; then
    skip_all "corpus not found"
fi
if ! command -v postconf >/dev/null 2>&1; then
    skip_all "postconf not found on PATH"
fi
find_pfc

# Stock master.cf, located at run time.
STOCK_MASTER=
if [ -f /usr/share/postfix/master.cf.dist ]; then
    STOCK_MASTER=/usr/share/postfix/master.cf.dist
else
    cfdir=$(postconf -dh config_directory 2>/dev/null)
    if [ -n "$cfdir" ] && [ -f "$cfdir/master.cf" ]; then
        STOCK_MASTER=$cfdir/master.cf
    fi
fi
if [ -z "$STOCK_MASTER" ]; then
    skip_all "stock master.cf not found"
fi

# Known differences judged to be a Postfix bug or machine-dependent behaviour.
# One entry per line: CASE-NAME<TAB>REASON  (CASE-NAME as in the TAP output,
# e.g. "-n main.cf/001_docker-mailserver_main.cf").  Such cases are reported
# as "ok N - name # SKIP reason" when they differ.  Keep this table explicit.
KNOWN_DIFFS=$(cat <<'EOF'
EOF
)


TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

MANIFEST=$CORPUS/MANIFEST.tsv

# pidnorm PID: replace the decimal PID (as a whole word) with "<PID>".
# $process_id expands to the PID of the running program (e.g. in the stock
# debugger_command shown by -nx), so two runs of postconf itself differ there.
# stdout is compared byte for byte first; only when that fails are both sides
# compared again with each tool's own PID masked.
pidnorm() {
    sed "s/\\([^0-9]\\|^\\)$1\\([^0-9]\\|\$\\)/\\1<PID>\\2/g"
}

MODES="-n -nx -M -F -P"
mode_args() {
    case $1 in
        -nx) printf '%s\n' "-n -x" ;;
        *) printf '%s\n' "$1" ;;
    esac
}

files=()
for f in "$CORPUS"/main.cf/* "$CORPUS"/master.cf/*; do
    [ -f "$f" ] || continue
    files+=("${f#"$CORPUS"/}")
done

nmodes=0
for m in $MODES; do nmodes=$((nmodes + 1)); done
echo "1..$(( ${#files[@]} * nmodes ))"

n=0
failed=0
declare -A same_count total_count
for m in $MODES; do same_count[$m]=0; total_count[$m]=0; done

for rel in "${files[@]}"; do
    dir=$TMP/cfg
    rm -rf "$dir"
    mkdir -p "$dir"
    case $rel in
        main.cf/*)
            cp "$CORPUS/$rel" "$dir/main.cf"
            other=$(partner "$rel" master.cf)
            if [ -n "$other" ] && [ -f "$CORPUS/$other" ]; then
                cp "$CORPUS/$other" "$dir/master.cf"
            else
                cp "$STOCK_MASTER" "$dir/master.cf"
            fi
            ;;
        master.cf/*)
            cp "$CORPUS/$rel" "$dir/master.cf"
            other=$(partner "$rel" main.cf)
            if [ -n "$other" ] && [ -f "$CORPUS/$other" ]; then
                cp "$CORPUS/$other" "$dir/main.cf"
            else
                : >"$dir/main.cf"
            fi
            ;;
    esac
    # Postfix re-reads (and re-warns about) a main.cf changed in the last second.
    touch -d 2000-01-01 "$dir/main.cf" "$dir/master.cf"

    for m in $MODES; do
        n=$((n + 1))
        name="$m $rel"
        # Run in the background only to learn each process's PID (see pidnorm).
        # postconf runs under the name "pfc" (exec -a): $process_name, the
        # running program's name, then reads the same for both tools.
        # shellcheck disable=SC2046
        (exec -a pfc postconf -c "$dir" $(mode_args "$m")) >"$TMP/p.out" 2>"$TMP/p.err" </dev/null &
        ppid_=$!
        wait "$ppid_"
        prc=$?
        # shellcheck disable=SC2046
        "$PFC" conf -c "$dir" $(mode_args "$m") >"$TMP/f.out" 2>"$TMP/f.err" </dev/null &
        fpid_=$!
        wait "$fpid_"
        frc=$?
        sed 's/^postconf: /pfc: /' "$TMP/p.err" >"$TMP/p.errs"
        cp "$TMP/f.err" "$TMP/f.errs"

        if ! cmp -s "$TMP/p.out" "$TMP/f.out"; then
            pidnorm "$ppid_" <"$TMP/p.out" >"$TMP/p.outn"
            pidnorm "$fpid_" <"$TMP/f.out" >"$TMP/f.outn"
            if cmp -s "$TMP/p.outn" "$TMP/f.outn"; then
                cp "$TMP/p.out" "$TMP/f.out"    # equal up to each tool's own PID
            fi
        fi

        diag=
        if ! cmp -s "$TMP/p.out" "$TMP/f.out"; then
            diag+="stdout differs (--- postconf, +++ pfc):"$'\n'
            diag+=$(diff -u --label postconf --label pfc "$TMP/p.out" "$TMP/f.out" | head -n 40)$'\n'
        fi
        if ! cmp -s "$TMP/p.errs" "$TMP/f.errs"; then
            diag+="stderr differs (--- postconf, +++ pfc):"$'\n'
            diag+=$(diff -u --label postconf --label pfc "$TMP/p.errs" "$TMP/f.errs" | head -n 40)$'\n'
        fi
        if [ "$prc" != "$frc" ]; then
            diag+="exit status: postconf $prc, pfc $frc"$'\n'
        fi

        total_count[$m]=$(( ${total_count[$m]} + 1 ))
        if [ -z "$diag" ]; then
            same_count[$m]=$(( ${same_count[$m]} + 1 ))
            echo "ok $n - $name"
        elif reason=$(known_reason "$name"); then
            echo "ok $n - $name # SKIP $reason"
        else
            failed=$((failed + 1))
            echo "not ok $n - $name"
            printf '%s' "$diag" | sed 's/^/# /'
        fi
    done
done

for m in $MODES; do
    echo "# identical $m: ${same_count[$m]}/${total_count[$m]}"
done

[ "$failed" -eq 0 ] && exit 0
exit 1
