#!/bin/bash
# tests/policy/engine.sh - the policy engine's table lookups (maps.c),
# match lists (matchlist.c), address resolution (resolve.c) and cleanup
# rewriting (rewrite.c), through tests/policy/policy_driver, on images
# pfc build makes from the configurations of tests/policy/engine-cases.
#
# Each case is a directory: main.cf (and master.cf, else the shared
# engine-cases/master.cf), the tables it names, "commands" (the driver's
# input) and "expected" (its output). "@DIR@" in any of its files stands
# for the case's directory; the output says "@DIR@" where it names it.
# Most cases turn the trace on for some commands, so the
# expected output also shows each table probe and its answer, in order:
# the key orders and the source lines are part of what is tested.
#
# Postfix answers the resolution side by side in tests/compat/resolve.sh;
# what it cannot be asked without a running mail system (match lists,
# key orders, cleanup's mappings) is pinned down here, each expected
# answer worked out from Postfix 3.7.11's sources (the case says where).
#
# Set ENGINE_UPDATE=1 to write each case's output into its "expected".
# TAP.
set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-./pfc}
DRIVER=${POLICY_DRIVER:-tests/policy/policy_driver}
case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
case $DRIVER in /*) ;; *) DRIVER=$(pwd)/$DRIVER ;; esac
cases=$srcdir/tests/policy/engine-cases
tmp=$(mktemp -d "${TMPDIR:-/tmp}/engine.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

names=$(cd "$cases" && for d in */; do echo "${d%/}"; done)
echo "1..$(($(echo "$names" | wc -l) + 4))"
n=0
status=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; status=1; }

for name in $names; do
    dir=$tmp/$name
    cp -R "$cases/$name" "$dir"
    [ -f "$dir/master.cf" ] || cp "$cases/master.cf" "$dir/master.cf"
    grep -rl '@DIR@' "$dir" | xargs sed -i "s|@DIR@|$dir|g"
    if ! "$PFC" build -c "$dir" -o "$dir/p.pfi" >"$dir/build.out" 2>&1; then
	not_ok "$name: pfc build"
	sed 's/^/# /' "$dir/build.out"
	continue
    fi
    "$DRIVER" "$dir/p.pfi" <"$dir/commands" 2>&1 | sed "s|$dir|@DIR@|g" >"$dir/out"
    if [ "${ENGINE_UPDATE:-0}" = 1 ]; then
	cp "$dir/out" "$cases/$name/expected"
    fi
    if cmp -s "$dir/out" "$cases/$name/expected"; then
	ok "$name"
    else
	not_ok "$name"
	diff -u "$cases/$name/expected" "$dir/out" | sed 's/^/# /'
    fi
done

# Broken input: the driver's own diagnostics and exit codes.
image=$(ls "$tmp"/*/p.pfi 2>/dev/null | head -n 1)
out=$(printf 'find no_such_parameter x\nfrobnicate\nfind no_such_parameter y\n' | "$DRIVER" "$image" 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "$(printf 'notfound\npolicy_driver: line 2: bad command')" ] &&
    ok "an unknown command: line number, exit 1, nothing after it" ||
    { not_ok "an unknown command"; echo "# rc=$rc out=$out"; }
out=$(printf 'find "alias_maps x\n' | "$DRIVER" "$image" 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "policy_driver: line 1: bad command" ] &&
    ok "an unterminated quote is a bad command" ||
    { not_ok "an unterminated quote"; echo "# rc=$rc out=$out"; }
printf 'not an image' >"$tmp/junk.pfi"
out=$("$DRIVER" "$tmp/junk.pfi" </dev/null 2>&1)
rc=$?
[ "$rc" = 2 ] && case $out in "policy_driver: $tmp/junk.pfi: "*) true ;; *) false ;; esac &&
    ok "a file that is not an image: exit 2 with the loader's message" ||
    { not_ok "not an image"; echo "# rc=$rc out=$out"; }
out=$("$DRIVER" "$image" no-such-service </dev/null 2>&1)
rc=$?
[ "$rc" = 2 ] && case $out in "policy_driver: no service \"no-such-service\" in master.cf"*) true ;; *) false ;; esac &&
    ok "an unknown service: exit 2" ||
    { not_ok "an unknown service"; echo "# rc=$rc out=$out"; }
exit $status
