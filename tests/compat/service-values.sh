#!/bin/bash
# tests/compat/service-values.sh - what each master.cf service sees, side
# by side with Postfix: a daemon puts its -o overrides into its dictionary
# before it expands anything, so every value that names an overridden
# parameter, a default too, changes with it (-o compatibility_level=3.7
# turns smtputf8_enable and smtpd_relay_before_recipient_restrictions
# on, -o mydomain=... changes mydestination). pfc build stores those as
# the service's derived values (pfc-image(5), OVRD).
#
# Postfix's side: "postconf -c DIR -x -o NAME=VALUE..." with the service's
# -o overrides, which expands every parameter exactly so. pfc's: the
# image, read by the policy engine's view of that service
# (tests/policy/policy_driver "value NAME", host values joined on this
# host). For every service with -o overrides, every parameter whose value
# differs from main.cf's on either side must be the same on both (values
# compared with their white space collapsed, as postconf prints them).
# One TAP case per service; a difference prints both values. Then the
# engine answers EHLO with the service's smtputf8_enable (pfc trace).
#
# The configurations: the examples, and a compatibility level 0 main.cf
# with services that override compatibility_level, smtputf8_enable,
# mydomain, myhostname and a parameter of the user's that a main.cf list
# names.
#
# Environment: PFC, POLICY_DRIVER, srcdir, PFC_REQUIRE_ALL=1 (a missing
# postconf is a bail-out).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
find_pfc
find_policy_driver
command -v postconf >/dev/null 2>&1 || skip_all "postconf not found on PATH"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0 identical=0 listed=0 failed=0
KNOWN_DIFFS=

# The configurations: NAME -> a root with etc/postfix in it.
roots=()
for ex in "$srcdir"/examples/*/; do
    name=$(basename "$ex")
    mkdir -p "$TMP/$name/etc/postfix"
    cp -r "$ex"/* "$TMP/$name/etc/postfix/"
    roots+=("$name")
done

mkdir -p "$TMP/levels/etc/postfix"
cat >"$TMP/levels/etc/postfix/main.cf" <<'EOF'
compatibility_level = 0
myhostname = mail.example.test
mydomain = example.test
alias_maps =
alias_database =
relay_guard = reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, $relay_guard
EOF
cat >"$TMP/levels/etc/postfix/master.cf" <<'EOF'
smtp      inet  n       -       n       -       -       smtpd
2525      inet  n       -       n       -       -       smtpd
  -o compatibility_level=3.7
2526      inet  n       -       n       -       -       smtpd
  -o compatibility_level=3.7 -o smtputf8_enable=no
2527      inet  n       -       n       -       -       smtpd
  -o mydomain=other.test
2528      inet  n       -       n       -       -       smtpd
  -o myhostname=mx.third.example
2529      inet  n       -       n       -       -       smtpd
  -o relay_guard=reject
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
local     unix  -       n       n       -       -       local
EOF
roots+=(levels)
# Postfix's tools trust a main.cf only a second after it was written.
sleep 1.1

# values FILE: "name = value" lines (postconf's) as NAME<TAB>VALUE, white space collapsed
values() {
    sed -e 's/[[:space:]][[:space:]]*/ /g' -e 's/ *$//' -e 's/^\([^ ]*\) = \{0,1\}/\1\t/' "$1"
}

for name in "${roots[@]}"; do
    etc=$TMP/$name/etc/postfix
    image=$TMP/$name.pfi
    if ! "$PFC" build --root "$TMP/$name" -c /etc/postfix -o "$image" 2>"$TMP/build.err"; then
        tap_result "$name: pfc build" "$(cat "$TMP/build.err")"$'\n'
        continue
    fi
    postconf -c "$etc" -x 2>/dev/null >"$TMP/main.pf"
    values "$TMP/main.pf" | sort >"$TMP/main.pfv"
    cut -f1 "$TMP/main.pfv" | sed 's/^/value /' >"$TMP/ask"
    [ -s "$TMP/main.pf" ] || { tap_result "$name: postconf -x" "postconf -x printed nothing"$'\n'; continue; }
    (echo 'service -'; cat "$TMP/ask") | "$DRIVER" "$image" 2>/dev/null | tail -n +2 |
        tr '\t' ' ' >"$TMP/main.out"
    # "service/type/name = value" of each -o, grouped by service
    postconf -c "$etc" -P 2>/dev/null | sed 's/ = \{0,1\}/\t/' >"$TMP/overrides"
    cut -f1 "$TMP/overrides" | sed 's|/[^/]*$||' | uniq >"$TMP/services"
    while IFS= read -r svc; do
        # The daemon's service_name is the service's; postconf has none to set.
        args=() sname=${svc%/*}
        while IFS=$'\t' read -r key value; do
            value=${value//\$service_name/$sname}
            value=${value//\$\{service_name\}/$sname}
            [ "${key%/*}" = "$svc" ] && args+=(-o "${key##*/}=$value")
        done <"$TMP/overrides"
        postconf -c "$etc" -x "${args[@]}" 2>/dev/null >"$TMP/svc.pf"
        values "$TMP/svc.pf" | sort >"$TMP/svc.pfv"
        (echo "service $svc"; cat "$TMP/ask") | "$DRIVER" "$image" >"$TMP/svc.raw" 2>&1
        diag=
        if [ "$(head -n 1 "$TMP/svc.raw")" != ok ]; then
            diag="the engine has no service $svc: $(head -n 1 "$TMP/svc.raw")"$'\n'
        else
            tail -n +2 "$TMP/svc.raw" | tr '\t' ' ' >"$TMP/svc.out"
            diag=$(paste "$TMP/main.pfv" "$TMP/svc.pfv" "$TMP/main.out" "$TMP/svc.out" | awk -F'\t' '
                function squeeze(s) { gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s); return s }
                {
                    name = $1; pm = $2; ps = $4; fm = squeeze($5); fs = squeeze($6)
                    # a value that changes for the service on either side must agree
                    if ($3 != name) { print "postconf lists " name " and " $3 " in one place"; exit }
                    # the process'"'"'s own, not the service'"'"'s
                    if (name == "process_id" || name == "process_name") next
                    if ((pm != ps || fm != fs) && ps != fs)
                        printf "%s: postconf \"%s\", pfc \"%s\"\n", name, ps, fs
                }')
            [ -z "$diag" ] || diag+=$'\n'
        fi
        tap_result "$name: $svc" "$diag"
    done <"$TMP/services"
done

# The engine answers with the service's values: EHLO offers SMTPUTF8 where
# smtputf8_enable is on, by default from compatibility_level 1 on.
ehlo_offers() {
    printf 'EHLO client.example\r\nQUIT\r\n' |
        "$PFC" trace "$TMP/levels.pfi" --service "$1" --client 198.51.100.1,client.example 2>/dev/null |
        tr -d '\r' | grep -qx '250-SMTPUTF8'
}
for svc in smtp 2525 2526; do
    want=no
    [ "$svc" = 2525 ] && want=yes
    got=no
    ehlo_offers "$svc" && got=yes
    diag=
    [ "$got" = "$want" ] || diag="EHLO offers SMTPUTF8: $got, expected $want"$'\n'
    tap_result "levels: pfc trace --service $svc: SMTPUTF8 offered: $want" "$diag"
done
echo "1..$n"
echo "# identical: $identical/$((n - listed))"
[ "$failed" = 0 ]
