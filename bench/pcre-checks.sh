#!/bin/bash
# pcre-checks.sh - how long "pfc map -hq - pcre:TABLE" takes to run a large
# header_checks table over a message, against "postmap -hq - pcre:TABLE",
# on the same generated table and message, in one run.
#
# The table has RULES realistic header_checks rules (/^Subject:.*\bword123\b/
# REJECT, /^X-Spam-Flag: YES/, /^From:.*@bad123\.example/, an if/endif
# block, ...); the message has LINES header lines (Received:, Subject:,
# From:, To:, Date:, Message-ID:, X-Mailer:, ...), a few of which match.
# Issue 3's target: pfc >= 5x faster than postmap with 1,000 rules.
#
# Until pfc has pcre tables and -h, this says so and exits 0.
#
# Environment:
#   PFC      the pfc binary (default: ../pfc beside this script's directory)
#   RULES    rules in the table (default 1000)
#   LINES    header lines in the message (default 100000)
#   RUNS     timed runs of each command (default 3)
#   NO_HYPERFINE=1  time with a plain shell loop even if hyperfine exists

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
PFC=${PFC:-$here/../pfc}
RULES=${RULES:-1000}
LINES=${LINES:-100000}
RUNS=${RUNS:-3}

die() { echo "pcre-checks.sh: $*" >&2; exit 2; }

command -v postmap >/dev/null 2>&1 || die "postmap not installed"
[ -x "$PFC" ] || die "pfc binary not found (set PFC)"
for v in RULES LINES RUNS; do
    case ${!v} in ''|*[!0-9]*|0) die "$v must be a positive integer" ;; esac
done
[ "$RULES" -ge 10 ] || die "RULES must be at least 10"

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

cfg=$tmp/cfg
mkdir "$cfg"
echo 'compatibility_level = 3.6' >"$cfg/main.cf"
touch -d 2000-01-01 "$cfg/main.cf"

postconf -c "$cfg" -m 2>/dev/null | grep -qx pcre || die "postmap has no pcre: support"

# Does this pfc have pcre tables and -h?  A one-rule probe.
printf '/^Subject: hello/ REJECT probe\n' >"$tmp/probe.pcre"
printf 'Subject: hello\n\nbody\n' >"$tmp/probe.msg"
probe=$("$PFC" map -c "$cfg" -hq - "pcre:$tmp/probe.pcre" <"$tmp/probe.msg" 2>&1)
rc=$?
if [ "$probe" != "Subject: hello	REJECT probe" ] || [ "$rc" != 0 ]; then
    echo "pfc:      $PFC"
    echo "pfc does not support pcre tables with -h (\"pfc map -hq - pcre:FILE\") yet:"
    echo "nothing timed.  The probe (one rule, one matching header) gave exit status $rc and"
    if [ -n "$probe" ]; then
        printf '%s\n' "$probe" | head -n 3 | sed 's/^/    /'
    else
        echo "    no output"
    fi
    exit 0
fi

# The table: 2 fixed rules, an if/endif block of up to 10, then rules of
# five kinds in turn, RULES in all (each if/endif counts as a rule).
awk -v n="$RULES" 'BEGIN {
    print "# generated header_checks"
    print "/^X-Spam-Flag: YES/                         REJECT spam flagged upstream"
    print "/^Subject:.*\\b(viagra|cialis)\\b/i           REJECT pharmacy spam"
    left = n - 2
    block = left >= 14 ? 10 : 0
    if (block) {
        print "if /^Subject:/"
        for (i = 0; i < block; i++)
            printf "/lottery%d|jackpot%d/  REJECT lottery %d\n", i, i, i
        print "endif"
        left -= block + 2
    }
    for (i = 0; i < left; i++) {
        k = i % 5
        if (k == 0)      printf "/^Subject:.*\\bword%d\\b/               REJECT spam word %d\n", i, i
        else if (k == 1) printf "/^From:.*@bad%d\\.example/            REJECT bad sender domain %d\n", i, i
        else if (k == 2) printf "/^Received:.*\\[203\\.0\\.%d\\.%d\\]/     REJECT blocked relay\n", int(i / 256) % 256, i % 256
        else if (k == 3) printf "/^X-Mailer:.*BulkMailer %d\\b/          DISCARD bulk mailer\n", i
        else             printf "/^(To|Cc):.*@victim%d\\.example/i       HOLD\n", i
    }
}' >"$tmp/header_checks.pcre"

# The message: LINES header lines, a blank line, a short body.
awk -v n="$LINES" -v r="$RULES" 'BEGIN {
    for (i = 0; i < n; i++) {
        k = i % 10
        if (k == 0)
            printf "Received: from mx%d.sender%d.example (mx%d.sender%d.example [192.0.2.%d]) by mail.example.com (Postfix) with ESMTPS id 4Q%dX; Mon, 1 Jan 2024 00:00:00 +0000\n", i, i % 500, i, i % 500, i % 250, i
        else if (k == 1)
            printf "Subject: Re: meeting notes for week %d, see word%d and more\n", i % 52, (i * 13) % (r * 25)
        else if (k == 2)
            printf "From: \"User %d\" <user%d@%s%d.example>\n", i, i, (i % 400 == 2 ? "bad" : "good"), (i * 7) % (r * 2)
        else if (k == 3)
            printf "To: recipient%d@example.com, other%d@example.org\n", i, i
        else if (k == 4)
            printf "Date: Mon, 1 Jan 2024 %02d:%02d:%02d +0000\n", i % 24, i % 60, (i * 7) % 60
        else if (k == 5)
            printf "Message-ID: <%d.%d@mail%d.example.com>\n", i, i * 7, i % 10
        else if (k == 6)
            printf "X-Spam-Flag: %s\n", (i % 5000 == 6 ? "YES" : "NO")
        else if (k == 7)
            printf "X-Mailer: %s %d\n", (i % 300 == 7 ? "BulkMailer" : "Thunderbird"), (i * 3) % r
        else if (k == 8)
            printf "Content-Type: text/plain; charset=utf-8; format=flowed\n"
        else
            printf "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel%d; h=from:to:subject:date; bh=%08x\n", i % 7, i * 2654435761 % 4294967296
    }
    print ""
    print "Hello,"
    print "this is the body."
}' >"$tmp/message"

cmd() {
    case $1 in
        pfc) printf '%q ' "$PFC" map -c "$cfg" -hq - "pcre:$tmp/header_checks.pcre" ;;
        postmap) printf '%q ' postmap -c "$cfg" -hq - "pcre:$tmp/header_checks.pcre" ;;
    esac
    printf '<%q >/dev/null' "$tmp/message"
}

# Sanity: the same matches, line for line.
eval "$(cmd pfc | sed 's|>/dev/null|>"$tmp/pfc.out" 2>"$tmp/pfc.err"|')"
eval "$(cmd postmap | sed 's|>/dev/null|>"$tmp/postmap.out" 2>"$tmp/postmap.err"|')"
cmp -s "$tmp/pfc.out" "$tmp/postmap.out" ||
    echo "warning: pfc's -hq - output differs from postmap's" >&2
matches=$(wc -l <"$tmp/postmap.out")

echo "pfc:      $PFC"
echo "input:    $RULES pcre rules, $LINES header lines ($matches matches), one process each"

declare -A secs=()
if [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1; then
    echo "method:   $(hyperfine --version), $RUNS runs each, 1 warm-up run, through sh -c"
    hyperfine --style none --warmup 1 --runs "$RUNS" -i \
        --export-csv "$tmp/times.csv" -n pfc "$(cmd pfc)" -n postmap "$(cmd postmap)" \
        >/dev/null 2>&1 || die "hyperfine failed"
    while IFS=, read -r name mean _; do
        secs[$name]=$mean
    done < <(tail -n +2 "$tmp/times.csv")
else
    echo "method:   shell loop timed with date +%s%N, $RUNS runs each, 1 warm-up run"
    for tool in pfc postmap; do
        c=$(cmd "$tool")
        eval "$c"
        t0=$(date +%s%N)
        for ((i = 0; i < RUNS; i++)); do eval "$c"; done
        t1=$(date +%s%N)
        secs[$tool]=$(awk -v d="$((t1 - t0))" -v n="$RUNS" 'BEGIN { printf "%.4f\n", d / n / 1e9 }')
    done
fi

awk -v p="${secs[postmap]}" -v f="${secs[pfc]}" 'BEGIN {
    printf "  %-16s %8.3f s\n", "pfc pcre:", f
    printf "  %-16s %8.3f s   pfc is %.2fx %s\n", "postmap pcre:", p,
        (p >= f ? p / f : f / p), (p >= f ? "faster" : "slower")
    printf "  target (pfc >= 5x faster than postmap): %s\n", (p / f >= 5 ? "met" : "MISSED")
}'
exit 0
