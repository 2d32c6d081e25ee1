#!/bin/bash
# examples.sh - every configuration in examples/ is accepted by real Postfix
# without a single warning.
#
# For each example directory: postconf -n, -M, -P (and a plain postconf and
# postconf -nx for good measure), postmap of every hash: table main.cf names,
# postalias of the aliases file, and postmap -q of headers against every
# regexp:/pcre: table.  Each command must exit 0 and print nothing on stderr.
# Tables are named by their deployed paths (/etc/postfix/NAME) in the
# examples; the file NAME beside main.cf is the source that is checked.
#
# TAP output.  Exit status 1 if any case failed.  Skipped when Postfix is
# not installed.

set -u
. "$(dirname "$0")/lib.sh"

if ! command -v postconf >/dev/null 2>&1; then
    skip_all "postconf not installed"
fi
# postmap/postalias live in sbin, which may not be on a user's PATH.
PATH=$PATH:/usr/sbin:/usr/local/sbin
export PATH

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$here/../..}
examples=$srcdir/examples

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

results=()      # TAP lines, printed after the plan
count=0         # test cases so far
failed=0

# record DESC CMD... - run CMD, capture stdout in $out; ok when it exits 0
# with an empty stderr.
record() {
    local desc=$1 rc
    shift
    out=$("$@" 2>"$tmp/stderr")
    rc=$?
    count=$((count + 1))
    if [ "$rc" -eq 0 ] && [ ! -s "$tmp/stderr" ]; then
        results+=("ok $count - $desc")
    else
        failed=1
        results+=("not ok $count - $desc")
        results+=("# exit status $rc; command: $*")
        while IFS= read -r line; do
            results+=("# stderr: $line")
        done <"$tmp/stderr"
    fi
}

# expect DESC WANT GOT - a plain comparison case.
expect() {
    count=$((count + 1))
    if [ "$2" = "$3" ]; then
        results+=("ok $count - $1")
    else
        failed=1
        results+=("not ok $count - $1")
        results+=("# want: $2")
        results+=("# got:  $3")
    fi
}

for ex in local-only small-company submission; do
    src=$examples/$ex
    d=$tmp/$ex
    if [ ! -f "$src/main.cf" ] || [ ! -f "$src/master.cf" ]; then
        expect "$ex: main.cf and master.cf exist" present missing
        continue
    fi
    cp -R "$src" "$d"
    # Postfix re-reads (and re-warns about) files changed in the last second.
    find "$d" -type f -exec touch -d 2000-01-01 {} +

    record "$ex: postconf -n" postconf -c "$d" -n
    n_out=$out
    record "$ex: postconf -M" postconf -c "$d" -M
    record "$ex: postconf -P" postconf -c "$d" -P
    p_out=$out
    record "$ex: postconf (all parameters)" postconf -c "$d"
    record "$ex: postconf -nx" postconf -c "$d" -n -x

    # Must-haves for every example.
    level=$(postconf -c "$d" -h compatibility_level 2>/dev/null)
    expect "$ex: compatibility_level = 3.6" 3.6 "$level"
    guard=$(postconf -c "$d" -h smtpd_relay_restrictions \
            smtpd_recipient_restrictions 2>/dev/null | grep -c reject_unauth_destination)
    expect "$ex: reject_unauth_destination guards relaying" yes \
        "$([ "$guard" -gt 0 ] && echo yes || echo no)"

    # Every table named in main.cf or in a master.cf -o, as type:/etc/postfix/NAME.
    tables=$(printf '%s\n%s\n' "$n_out" "$p_out" | tr ' ,\t' '[\n*3]' |
             grep -E '^(hash|regexp|pcre):/etc/postfix/' | sort -u)
    if [ -z "$tables" ]; then
        expect "$ex: names at least one table" yes no
    fi
    for t in $tables; do
        type=${t%%:*}
        name=${t##*/}
        if [ ! -f "$d/$name" ]; then
            expect "$ex: source for $t exists" "$name" missing
            continue
        fi
        case $type:$name in
        hash:aliases)
            record "$ex: postalias $name" postalias -c "$d" "hash:$d/$name"
            record "$ex: postmap -q root $name" postmap -c "$d" -q root "hash:$d/$name"
            expect "$ex: root is aliased to a user" yes \
                "$([ -n "$out" ] && [ "$out" != root ] && echo yes || echo no)"
            ;;
        hash:*)
            record "$ex: postmap $name" postmap -c "$d" "hash:$d/$name"
            ;;
        regexp:*|pcre:*)
            for h in 'Received: from pc.example.com (pc [192.168.1.5]) by mail.example.com' \
                     'User-Agent: Mozilla/5.0 Thunderbird/115.0'; do
                record "$ex: postmap -q '${h%%:*}: ...' $t" \
                    postmap -c "$d" -q "$h" "$type:$d/$name"
                expect "$ex: $name strips ${h%%:*}:" IGNORE "$out"
            done
            # A whole message header: only the two headers above match,
            # the folded Received: as one unit.
            printf '%s\n' 'Received: from pc.example.com (pc [192.168.1.5])' \
                '	by mail.example.com with ESMTPSA' \
                'From: alice@example.com' 'Subject: hello' \
                'User-Agent: Mozilla/5.0 Thunderbird/115.0' '' 'body' >"$tmp/msg"
            record "$ex: postmap -hq - $name (a message header)" \
                postmap -c "$d" -hq - "$type:$d/$name" <"$tmp/msg"
            want=$(printf '%s\n' 'Received: from pc.example.com (pc [192.168.1.5])' \
                '	by mail.example.com with ESMTPSA	IGNORE' \
                'User-Agent: Mozilla/5.0 Thunderbird/115.0	IGNORE')
            expect "$ex: $name leaves From: and Subject: alone" "$want" "$out"
            ;;
        esac
    done
done

echo "1..$count"
printf '%s\n' "${results[@]}"
exit "$failed"
