#!/bin/bash
# check-manpage.sh - every rule of "pfc check" has an example in
# pfc-check(7), and each example fires its rule and no other.
#
# The page has one section ".Ss RULE-ID" per rule. The first ".Bd -literal"
# block of that section is the example:
#     ==> main.cf <==
#     ...lines of main.cf...
#     ==> virtual <==
#     ...
#     ==> commands <==      (optional: shell lines, run first)
# Each "==> NAME <==" starts a file of etc/postfix in a scratch root; the
# stock master.cf of tests/check/base/ is added unless the example has one.
# The root has /etc/aliases (tests/check/base/aliases) with its aliases.db
# built, as a deployed system has for alias_maps' default.
# The commands run with bash -e in that directory, with "pfc" on PATH and
# MAIL_CONFIG set to that directory (so "pfc map hash:virtual" works, to
# build a table, say). Then
#     pfc check --root ROOT -c /etc/postfix --format=json
# must exit 1 if the rule's severity (second column of
# "pfc check --list-rules") is error, else 0, print nothing on stderr, and
# its findings must name exactly the rule of the section. The mdoc escapes
# \e and \& are undone.
#
# One test per rule of "pfc check --list-rules" (a rule without a section
# or without an example fails), and one failing test per section whose
# title looks like a rule id but is none. TAP output.
#
# Environment: PFC (the pfc binary), srcdir (top of the source tree),
# PAGE (the page; default $srcdir/man/pfc-check.7).
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
PAGE=${PAGE:-$srcdir/man/pfc-check.7}

[ -x "$PFC" ] || { echo "Bail out! pfc binary not found (set PFC)"; exit 1; }
[ -f "$PAGE" ] || { echo "Bail out! $PAGE not found"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-manpage.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
mkdir "$tmp/bin" "$tmp/ex"
ln -s "$PFC" "$tmp/bin/pfc"

mapfile -t listed < <("$PFC" check --list-rules | awk '{ print $1 "\t" $2 }')
rules=()
declare -A severity=()
for l in "${listed[@]}"; do
    rules+=("${l%%$'\t'*}")
    severity[${l%%$'\t'*}]=${l#*$'\t'}
done
[ "${#rules[@]}" -gt 0 ] || { echo "Bail out! pfc check --list-rules lists no rules"; exit 1; }

# Split the page. For every section whose title looks like a rule id:
# ex/ID/line (its line in the page); with an example also ex/ID/files/NAME
# for each file and ex/ID/has-example. A second section of the same title
# gets ex/ID/twice.
awk -v dir="$tmp/ex" '
    function undo(s) {
        gsub(/\\&/, "", s)
        gsub(/\\e/, "\\", s)
        return s
    }
    /^\.S[hs] / {
        cur = ""
        if ($1 == ".Ss" && NF == 2 && $2 ~ /^[a-z0-9]+(-[a-z0-9]+)*$/) {
            cur = dir "/" $2
            if ($2 in seen) { print "" > (cur "/twice"); close(cur "/twice") }
            seen[$2] = 1
            system("mkdir -p \"" cur "/files\"")
            print FNR > (cur "/line"); close(cur "/line")
            done = 0
        }
        next
    }
    cur != "" && !done && !inbd && /^\.Bd -literal/ { inbd = 1; out = ""; next }
    inbd && /^\.Ed/ {
        inbd = 0; done = 1
        if (out != "") close(out)
        print "" > (cur "/has-example"); close(cur "/has-example")
        next
    }
    inbd {
        line = undo($0)
        if (match(line, /^==> [^ \/]+ <==$/)) {
            if (out != "") close(out)
            name = substr(line, 5, length(line) - 8)
            out = cur "/files/" name
            printf "" > out
            next
        }
        if (out == "") { out = cur "/files/.bad"; printf "" > out }
        print line > out
    }
' "$PAGE"

declare -A is_rule=()
for r in "${rules[@]}"; do is_rule[$r]=1; done
bogus=()
for d in "$tmp"/ex/*/; do
    [ -d "$d" ] || continue
    id=$(basename "$d")
    [ -n "${is_rule[$id]:-}" ] || bogus+=("$id")
done

# The system files of every example's root, built once with an empty main.cf.
mkdir -p "$tmp/host/etc/postfix"
: >"$tmp/host/etc/postfix/main.cf"
cp "$srcdir/tests/check/base/aliases" "$tmp/host/etc/aliases"
"$PFC" alias --root "$tmp/host" -c /etc/postfix hash:/etc/aliases ||
    { echo "Bail out! cannot build etc/aliases.db"; exit 1; }

echo "1..$(( ${#rules[@]} + ${#bogus[@]} ))"
n=0 failed=0
for rule in "${rules[@]}"; do
    n=$((n + 1))
    ex=$tmp/ex/$rule
    problems=()
    if [ ! -d "$ex" ]; then
        problems+=("no section .Ss $rule in $(basename "$PAGE")")
    elif [ ! -f "$ex/has-example" ]; then
        problems+=("section .Ss $rule has no .Bd -literal example")
    elif [ -f "$ex/files/.bad" ]; then
        problems+=("the example does not start with a \"==> NAME <==\" line")
    fi
    [ -f "$ex/twice" ] && problems+=("two sections .Ss $rule")
    where="$(basename "$PAGE"):$(cat "$ex/line" 2>/dev/null || echo '?')"
    if [ "${#problems[@]}" -eq 0 ]; then
        root=$tmp/root-$rule
        cfg=$root/etc/postfix
        mkdir -p "$cfg"
        for f in "$ex"/files/*; do
            [ -e "$f" ] || continue
            [ "$(basename "$f")" = commands ] || cp "$f" "$cfg/"
        done
        [ -e "$cfg/master.cf" ] || cp "$srcdir/tests/check/base/master.cf" "$cfg/"
        cp "$tmp/host/etc/aliases" "$tmp/host/etc/aliases.db" "$root/etc/"
        if [ -f "$ex/files/commands" ]; then
            if ! (cd "$cfg" && MAIL_CONFIG=$cfg PATH="$tmp/bin:$PATH" bash -e "$ex/files/commands") \
                    >"$tmp/cmd.out" 2>&1 </dev/null; then
                problems+=("its commands failed:")
                while IFS= read -r l; do problems+=("  $l"); done <"$tmp/cmd.out"
            fi
        fi
    fi
    if [ "${#problems[@]}" -eq 0 ]; then
        "$PFC" check --root "$root" -c /etc/postfix --format=json \
            >"$tmp/out" 2>"$tmp/err" </dev/null
        rc=$?
        fired=$(grep -o '"rule": "[^"]*"' "$tmp/out" | sed 's/.*: "//; s/"$//' | sort -u |
            tr '\n' ' ')
        fired=${fired% }
        # An error finding makes pfc check exit 1; warnings and notes do not.
        want_rc=0
        [ "${severity[$rule]}" = error ] && want_rc=1
        [ "$rc" = "$want_rc" ] ||
            problems+=("pfc check exited $rc, expected $want_rc (severity ${severity[$rule]:-?})")
        while IFS= read -r l; do problems+=("stderr: $l"); done <"$tmp/err"
        [ "$fired" = "$rule" ] ||
            problems+=("rules that fire: {${fired// /, }}, expected {$rule}")
        if [ "$fired" != "$rule" ]; then
            # The text report says where: it is what a reader fixes.
            "$PFC" check --root "$root" -c /etc/postfix >"$tmp/text" 2>&1 </dev/null
            while IFS= read -r l; do problems+=("  $l"); done <"$tmp/text"
        fi
    fi
    if [ "${#problems[@]}" -eq 0 ]; then
        echo "ok $n - $rule ($where)"
    else
        echo "not ok $n - $rule ($where)"
        printf '# %s\n' "${problems[@]}"
        failed=1
    fi
done
for id in "${bogus[@]}"; do
    n=$((n + 1))
    echo "not ok $n - .Ss $id ($(basename "$PAGE"):$(cat "$tmp/ex/$id/line")) is no rule of pfc check --list-rules"
    failed=1
done
exit $failed
