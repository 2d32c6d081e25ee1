#!/bin/bash
# help.sh - "pfc help", "pfc help COMMAND", "pfc COMMAND --help" and -h for
# every command: the usage and the options on stdout, nothing on stderr,
# exit 0; an unknown command or option: one line naming "pfc help", the
# command's exit status for a usage error.
#
# The options a command's help lists are checked against what the command
# accepts, both ways: each one listed is accepted (not "unknown option"),
# each letter not listed is refused; and against the synopsis of the
# command in man/pfc.1 (the same options, but those help calls "accepted,
# and ignored" or "refused", -h/--help and --root, which every command
# takes). TAP output.
#
# Environment: PFC (the pfc binary), srcdir (top of the source tree).
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
PAGE=$srcdir/man/pfc.1

[ -x "$PFC" ] || { echo "Bail out! pfc binary not found (set PFC)"; exit 1; }
[ -f "$PAGE" ] || { echo "Bail out! $PAGE not found"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/help.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# A configuration directory for the commands that read one.
mkdir "$tmp/cf"
: >"$tmp/cf/main.cf"
: >"$tmp/cf/master.cf"
export MAIL_CONFIG=$tmp/cf

# Every command, with its exit status for a usage error.
COMMANDS=(conf map alias newaliases lookup check build dump diff verify query trace test help)
declare -A USAGE_STATUS=([conf]=1 [map]=1 [alias]=1 [newaliases]=75 [lookup]=2
    [check]=2 [build]=2 [dump]=2 [diff]=2 [verify]=2 [query]=2 [trace]=2 [test]=2 [help]=2)
# Commands whose -h is an option of their own, not help.
declare -A H_IS_OPTION=([conf]=1 [map]=1)
# Known gaps: "# TODO" tests (XFAIL while they fail).
declare -A TODO=()

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    local name=$1
    shift
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $name"
    printf '# %s\n' "$@"
}
# result NAME PROBLEM TODO: ok when PROBLEM is empty; a TODO reason marks it
result() {
    local name=$1 problem=$2 todo=${3:-}
    if [ -n "$todo" ]; then
        n=$((n + 1))
        if [ -z "$problem" ]; then echo "ok $n - $name # TODO $todo"; else echo "not ok $n - $name # TODO $todo"; fi
    elif [ -z "$problem" ]; then
        ok "$name"
    else
        not_ok "$name" "$problem"
    fi
}

# run ARGS...: pfc ARGS, in $tmp, stdin from /dev/null: sets rc, out, err
run() {
    (cd "$tmp" && "$PFC" "$@") </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

########################################################################
# pfc help, pfc --help, pfc -h, pfc alone, unknown commands
########################################################################

run help
list=$out
problem=
[ "$rc" = 0 ] || problem+="exit $rc; "
[ -z "$err" ] || problem+="stderr: $err; "
for c in "${COMMANDS[@]}"; do
    grep -Eq "^  $c +[a-z]" <<<"$list" || problem+="no line for $c; "
done
result "pfc help lists every command with a summary" "$problem"
for a in --help -h; do
    run "$a"
    problem=
    [ "$rc" = 0 ] && [ -z "$err" ] && [ "$out" = "$list" ] || problem="exit $rc, stderr '$err', or not the list of pfc help"
    result "pfc $a is pfc help" "$problem"
done
run
problem=
[ "$rc" = 2 ] && [ -z "$out" ] && [ "$err" = "$list" ] || problem="exit $rc, stdout '$out', or stderr not the list"
result "pfc alone: the list on stderr, exit 2" "$problem"
run --version
problem=
[[ $rc = 0 && $out =~ ^pfc\ [0-9] && -z $err ]] || problem="exit $rc, stdout '$out', stderr '$err'"
result "pfc --version" "$problem"

for args in "nosuch" "--bogus" "help nosuch"; do
    # shellcheck disable=SC2086
    run $args
    problem=
    [ "$rc" = 2 ] || problem+="exit $rc; "
    [ -z "$out" ] || problem+="stdout: $out; "
    [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && grep -q "'pfc help'" <<<"$err" ||
        problem+="stderr: $err"
    result "pfc $args: one line naming 'pfc help', exit 2" "$problem"
done

########################################################################
# Each command: its help three ways, its usage errors
########################################################################

for c in "${COMMANDS[@]}"; do
    run help "$c"
    help=$out
    problem=
    [ "$rc" = 0 ] || problem+="exit $rc; "
    [ -z "$err" ] || problem+="stderr: $err; "
    grep -q "^usage: pfc $c" <<<"$help" || problem+="no 'usage: pfc $c' line; "
    grep -q '^options:$' <<<"$help" || problem+="no options; "
    result "pfc help $c: usage and options" "$problem"
    forms=(--help)
    [ -z "${H_IS_OPTION[$c]:-}" ] && forms+=(-h)
    for a in "${forms[@]}"; do
        run "$c" "$a"
        problem=
        [ "$rc" = 0 ] && [ -z "$err" ] && [ "$out" = "$help" ] ||
            problem="exit $rc, stderr '$err', or not the text of pfc help $c"
        result "pfc $c $a is pfc help $c" "$problem"
    done
    # --help after another option is help too
    case $c in
        conf | map | alias | newaliases | lookup | build | check | dump | diff)
            if [ "$c" = conf ] || [ "$c" = map ] || [ "$c" = alias ] || [ "$c" = check ]; then
                run "$c" -c "$tmp/cf" --help
            elif [ "$c" = newaliases ]; then
                run "$c" -v --help
            elif [ "$c" = lookup ] || [ "$c" = build ]; then
                run "$c" -c "$tmp/cf" --help
            else
                run "$c" x --help
            fi
            problem=
            [ "$rc" = 0 ] && [ "$out" = "$help" ] || problem="exit $rc, stderr '$err'"
            result "pfc $c --help after other arguments" "$problem"
            ;;
    esac
    for bad in -Z --bogus; do
        run "$c" "$bad"
        problem=
        [ "$rc" = "${USAGE_STATUS[$c]}" ] || problem+="exit $rc, want ${USAGE_STATUS[$c]}; "
        [ -z "$out" ] || problem+="stdout: $out; "
        [ "$err" = "pfc: $c: unknown option '$bad'; see 'pfc help $c'" ] ||
            problem+="stderr: $err"
        result "pfc $c $bad: one line naming 'pfc help $c'" "$problem" "${TODO[$c]:-}"
    done
done

# A usage error that is not an unknown option prints the usage lines, the
# text of the help, on stderr.
for args in "build" "dump" "diff x" "verify" "query x" "lookup" "trace" "test x"; do
    c=${args%% *}
    usage=$("$PFC" help "$c" | sed '/^$/,$d')
    # shellcheck disable=SC2086
    run $args
    problem=
    [ "$rc" = 2 ] || problem+="exit $rc; "
    [ "$(printf '%s\n' "$err" | tail -n "$(printf '%s\n' "$usage" | wc -l)")" = "$usage" ] ||
        problem+="stderr: $err"
    result "pfc $args: the usage of pfc help $c on stderr" "$problem"
done
for c in map alias; do
    run "$c"
    problem=
    [ "$rc" = 1 ] || problem+="exit $rc; "
    [ "$err" = "pfc: fatal: $("$PFC" help "$c" | sed -n 1p)" ] || problem+="stderr: $err"
    result "pfc $c without a table: postmap's fatal usage line, from pfc help $c" "$problem"
done

########################################################################
# The options listed: accepted, and the only ones; the man page agrees
########################################################################

# options_of COMMAND: "NAME ARG KIND AS-LISTED" for each option help
# lists; NAME is -x or --long; ARG is 0 (no value), 1 (a value in the next
# argument), 2 (--name=value) or 3 (attached: -oAtype:file); KIND is
# refused, ignored or plain
options_of() {
    "$PFC" help "$1" | awk '
        /^options:$/ { on = 1; next }
        /^$/ { on = 0 }
        on { line[++count] = $0 }
        END {
            pad = sprintf("%21s", "")
            for (i = 1; i <= count; i++) {
                if (line[i] !~ /^  -/) continue
                if (i < count && index(line[i + 1], pad) == 1) {
                    # a long name: its text is on the next line
                    names = substr(line[i], 3)
                    text = line[i + 1]
                } else {
                    names = substr(line[i], 3, 18)
                    text = substr(line[i], 22)
                }
                kind = text ~ /refused/ ? "refused" : text ~ /accepted, and ignored/ ? "ignored" : "plain"
                gsub(/,/, "", names)
                sub(/ +$/, "", names)
                n = split(names, w, / +/)
                for (k = 1; k <= n; k++) {
                    tok = full = w[k]
                    if (tok !~ /^-/) continue
                    arg = (k < n && w[k + 1] !~ /^-/) ? 1 : 0
                    if (tok ~ /^--[a-z-]+=/) { arg = 2; sub(/=.*/, "", tok) }
                    else if (tok ~ /^-[^-]./) { arg = 3; tok = substr(tok, 1, 2) }
                    print tok, arg, kind, full
                }
            }
        }
    '
}

# value_for COMMAND OPTION: a value the option accepts
value_for() {
    case $1:$2 in
        conf:-C) echo all ;;
        conf:-o) echo a=b ;;
        *:-c | *:-C) echo "$tmp/cf" ;;
        check:--format) echo text ;;
        check:-W) "$PFC" check --list-rules | awk '{ print $1; exit }' ;;
        *) echo x ;;
    esac
}

for c in "${COMMANDS[@]}"; do
    options_of "$c" >"$tmp/opts"
    problem=
    listed=" "
    while read -r name arg kind full; do
        listed+="$name "
        [ "$name" = --root ] && continue
        args=("$name")
        case $arg in
            1) args+=("$(value_for "$c" "$name")") ;;
            2) args=("$name=$(value_for "$c" "$name")") ;;
            3) args=("$full") ;;
        esac
        run "$c" "${args[@]}"
        if [ "$kind" = refused ]; then
            grep -q 'not supported' <<<"$err" || problem+="$name: not refused ($err); "
        elif grep -q 'unknown option\|missing value' <<<"$err"; then
            problem+="$name: $err; "
        fi
    done <"$tmp/opts"
    [ "$listed" != " " ] || problem+="no options listed; "
    # Every other letter is an unknown option.
    for l in {a..z} {A..Z} 0 1 9 '#'; do
        case $listed in *" -$l "*) continue ;; esac
        run "$c" "-$l"
        if [ "$c" = check ]; then
            grep -q "unknown option" <<<"$err" || problem+="-$l accepted: $err; "
        else
            [ "$err" = "pfc: $c: unknown option '-$l'; see 'pfc help $c'" ] ||
                problem+="-$l: $err; "
        fi
    done
    result "pfc $c accepts the options its help lists, and only those" "$problem"
done

# man_options COMMAND: the options of the command's SYNOPSIS forms in
# pfc.1, one a line: -x or --long
man_options() {
    awk -v cmd="$1" '
        /^\.Sh SYNOPSIS/ { syn = 1; next }
        /^\.Sh / { syn = 0 }
        !syn { next }
        /^\.Nm/ { form = 0; next }
        /^\.Cm / { form = ($2 == cmd); next }
        form {
            for (i = 1; i <= NF; i++) {
                if (($i != "Fl" && $i != ".Fl") || i == NF) continue
                w = $(i + 1)
                if (w ~ /^\\-/) { sub(/^\\-/, "", w); gsub(/\\/, "", w); print "--" w; continue }
                if (w == "|" || w == "") continue
                if (w == "oA") { print "-o"; continue }
                if (w ~ /^Wno/) { print "-W"; continue }
                for (k = 1; k <= length(w); k++) print "-" substr(w, k, 1)
            }
        }
    ' "$PAGE" | sort -u
}

for c in "${COMMANDS[@]}"; do
    help_h=-h
    [ -n "${H_IS_OPTION[$c]:-}" ] && help_h=--help
    options_of "$c" >"$tmp/opts"
    awk -v h="$help_h" '$3 == "plain" && $1 != "--help" && $1 != h && $1 != "--root" { print $1 }' \
        "$tmp/opts" | sort -u >"$tmp/help-opts"
    # Options help calls ignored or refused need not be in the synopsis.
    awk '$3 == "plain" { plain[$1] = 1 } $3 != "plain" { other[$1] = 1 }
        END { for (o in other) if (!(o in plain)) print o }' "$tmp/opts" | sort -u >"$tmp/other-opts"
    man_options "$c" | grep -vx -e '--root' -e '--help' -e '-' |
        comm -23 - "$tmp/other-opts" >"$tmp/man-opts"
    problem=
    if ! cmp -s "$tmp/help-opts" "$tmp/man-opts"; then
        problem="help only: $(comm -23 "$tmp/help-opts" "$tmp/man-opts" | tr '\n' ' ')"
        problem+="; man page only: $(comm -13 "$tmp/help-opts" "$tmp/man-opts" | tr '\n' ' ')"
    fi
    result "pfc help $c and the synopsis of pfc(1) list the same options" "$problem"
done

echo "1..$n"
[ "$failed" -eq 0 ]
