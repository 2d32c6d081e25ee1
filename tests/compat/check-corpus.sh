#!/bin/bash
# tests/compat/check-corpus.sh - "pfc check" side by side with real Postfix
# on the real-world corpus (shared/corpus; see its README.md).
#
# TAP output, one case per corpus file:
#   main.cf/X    paired with its repository's master.cf (MANIFEST.tsv repo
#                column), else the stock tests/check/base/master.cf;
#   master.cf/X  paired with its repository's main.cf, else an empty main.cf;
#   checks/X, map-*/X (regexp and pcre tables only)
#                named by the parameter that uses such a table, in a main.cf
#                of its own, beside the stock master.cf;
#   template/X   Jinja/shell templates, in the role their name says.
# For the first three kinds, in a scratch config directory DIR:
#   (a) every warning of "postconf -c DIR -n" and "postconf -c DIR -M" (and
#       of "echo KEY | postmap -q - TYPE:FILE" for a table), without its
#       "postconf: warning: " prefix, is the "postfix" field of some finding
#       of "pfc check -c DIR --format=json" (exact text; DIR written as DIR
#       on both sides; warnings compared as sets);
#   (b) no finding of severity error, but for the rules in ALLOWED_ERRORS
#       below (the corpus ships main.cf and master.cf, not the tables and
#       transports they name) and for findings whose "postfix" text is one
#       of Postfix's warnings (a line Postfix skips, e.g. a bad regexp);
#   (c) when Postfix fails (postconf exits non-zero: the iRedMail master.cf
#       with placeholders in numeric fields), pfc check exits 1 with at
#       least one error finding.
# Templates: pfc check exits 1 with at least one error finding; what real
# Postfix says about the same file is shown as TAP comments.
#
# Environment: PFC (the pfc binary), CORPUS (default
# $srcdir/../shared/corpus), srcdir (top of the source tree).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
CORPUS=${CORPUS:-$srcdir/../shared/corpus}

[ -d "$CORPUS/main.cf" ] && [ -d "$CORPUS/master.cf" ] || skip_all "corpus not found"
command -v postconf >/dev/null 2>&1 || skip_all "postconf not found on PATH"
command -v postmap >/dev/null 2>&1 || skip_all "postmap not found on PATH"
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
find_pfc
STOCK_MASTER=$srcdir/tests/check/base/master.cf
MANIFEST=$CORPUS/MANIFEST.tsv

# Error findings that are right on the corpus, by rule, with the reason.
# "undefined-transport" only counts as allowed beside the stock master.cf,
# which does not define the repository's own transports (dovecot, amavis...).
ALLOWED_ERRORS=$(cat <<'EOF'
table-source-missing	the corpus holds main.cf, not the tables it names
db-missing	no table of the corpus is built (no .db beside its source)
db-foreign	(a warning by default) the same, for .db files pfc did not build
unsupported-table-type	(a warning by default) mysql:, ldap:... cannot be read here
undefined-transport@stock	the stock master.cf lacks the repository's transports
parameter-file	nor the host files it names (myorigin = /etc/mailname): Postfix stops the same way on this host ("postmap: fatal: /etc/mailname: cannot open file")
EOF
)

# Error findings on one corpus file that are right, though postconf alone
# accepts the file: each is a start-up failure of a Postfix daemon.
FILE_ERRORS=$(cat <<'EOF'
main.cf/012_iredmail_main.cf	bad-number	PH_* placeholders in numeric fields: every daemon stops with "bad numerical configuration"
main.cf/012_iredmail_main.cf	bad-size	the same, for message_size_limit = PH_MESSAGE_SIZE_LIMIT_BYTES
main.cf/012_iredmail_main.cf	unknown-table-type	PH_POSTFIX_DEFAULT_DB_TYPE:...: "unsupported dictionary type" at the first lookup
main.cf/095_simpleone-mailserver_main.cf	bad-hostname	myhostname = ${MAIL_DOMAIN}, undefined: empty, every daemon stops with "bad string length 0 < 1: myhostname = "
main.cf/102_froxlor-mail_main.cf	bad-hostname	myhostname = $ENV_MAIL_HOSTNAME, undefined: the same
master.cf/096_simpleone-mailserver_master.cf	bad-hostname	paired with 095's main.cf: the same
master.cf/103_froxlor-mail_master.cf	bad-hostname	paired with 102's main.cf: the same
main.cf/114_outbound-mail_main.cf	relay-guard	no relay guard and no compatibility_level: smtpd refuses to start (its fatal text is the finding's)
master.cf/115_outbound-mail_master.cf	relay-guard	paired with 114's main.cf: the same
master.cf/132_elaine_submission.cf	undefined-transport	a submission-only fragment, not a whole master.cf: smtp, local and relay are not in it
EOF
)

# Postfix warnings that depend on the machine, not on the file (README.md):
# the client configuration files of mysql:, pgsql: and ldap: tables.
machine_dependent() {
    grep -v -E '(mysql|pgsql|ldap)(:|_table|.*\.cf)'
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# table_type REL -> regexp, pcre or "" (not a pattern table). A checks/
# file is pcre unless a main.cf of its repository names it as regexp:.
table_type() {
    local rel=$1 base repo f
    case $rel in *.cidr) return 0 ;; *.regexp) echo regexp; return 0 ;; *.pcre) echo pcre; return 0 ;; esac
    case $rel in checks/*) ;; *) return 0 ;; esac
    base=$(basename "$(manifest_field "$rel" 4)")
    repo=$(manifest_field "$rel" 3)
    for f in $(awk -F'\t' -v r="$repo" '$3 == r && $2 == "main.cf" { print $1 }' "$MANIFEST"); do
        if grep -q -E "regexp:[^ ,]*/$base([ ,]|\$)" "$CORPUS/$f"; then echo regexp; return 0; fi
    done
    echo pcre
}

# A main.cf made up for a master.cf or a table of the corpus sets
# compatibility_level, as every stock main.cf does: with an empty one, the
# 3.7 defaults have no relay guard and smtpd refuses to start (relay-guard).
MINIMAL_MAIN="compatibility_level = 3.6"

# table_setting REL TYPE:FILE -> the main.cf lines that use the table.
table_setting() {
    local rel=$1 t=$2
    echo "$MINIMAL_MAIN"
    case $rel in
        *smtp_header_checks*) echo "smtp_header_checks = $t" ;;
        *body_checks*) echo "body_checks = $t" ;;
        checks/*|*header_checks*) echo "header_checks = $t" ;;
        *sender_login*) echo "smtpd_sender_login_maps = $t" ;;
        *command_filter*) echo "smtpd_command_filter = $t" ;;
        *dsn_filter*) echo "smtp_dsn_filter = $t" ;;
        *mydomains*) echo "mydestination = $t" ;;
        *helo_access*) echo "smtpd_helo_restrictions = check_helo_access $t" ;;
        map-access/*) echo "smtpd_recipient_restrictions = check_client_access $t, reject_unauth_destination" ;;
        map-transport/*|*transport*) echo "transport_maps = $t" ;;
        map-virtual/*|*virtual*) echo "virtual_alias_maps = $t" ;;
        *sni*) echo "tls_server_sni_maps = $t" ;;
        *) echo "canonical_maps = $t" ;;
    esac
}

# findings JSON DIR -> TSV lines: severity, rule, postfix (DIR as "DIR")
findings() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    print("BADJSON\t%s\t" % e)
    sys.exit(0)
for f in doc.get("findings", []):
    p = (f.get("postfix") or "").replace(sys.argv[2], "DIR")
    print("%s\t%s\t%s" % (f["severity"], f["rule"], p))
EOF
}

# judge NAME STOCK(0|1) POSTFIX_RC: compare $TMP/pf.warn with pfc's findings
# in $TMP/pfc.json (exit status $pfc_rc), set $diag.
judge() {
    local stock=$2 prc=$3 w sev rule pf allowed
    diag=
    findings "$TMP/pfc.json" "$dir" >"$TMP/f.tsv"
    if grep -q '^BADJSON' "$TMP/f.tsv"; then
        diag+="pfc check printed no JSON (exit $pfc_rc): $(head -c 300 "$TMP/pfc.err")"$'\n'
        return
    fi
    cut -f3 "$TMP/f.tsv" | sort -u >"$TMP/f.postfix"
    while IFS= read -r w; do
        grep -qxF -- "$w" "$TMP/f.postfix" ||
            diag+="(a) Postfix warns, no finding says so: $w"$'\n'
    done <"$TMP/pf.warn"
    if [ "$prc" = 0 ]; then
        while IFS=$'\t' read -r sev rule pf; do
            [ "$sev" = error ] || continue
            allowed=$(printf '%s\n' "$ALLOWED_ERRORS" | cut -f1 | grep -xF -e "$rule" || true)
            [ -z "$allowed" ] && [ "$stock" = 1 ] &&
                allowed=$(printf '%s\n' "$ALLOWED_ERRORS" | cut -f1 | grep -xF -e "$rule@stock" || true)
            [ -z "$allowed" ] &&
                allowed=$(printf '%s\n' "$FILE_ERRORS" | cut -f1,2 | grep -xF -e "$rel"$'\t'"$rule" || true)
            # Postfix skips a line it warns about (a bad regexp): pfc may call
            # that an error, as long as it says what Postfix says.
            [ -z "$allowed" ] && [ -n "$pf" ] && grep -qxF -- "$pf" "$TMP/pf.warn" && allowed=1
            [ -n "$allowed" ] ||
                diag+="(b) error finding on a file Postfix accepts: $rule${pf:+ (postfix: $pf)}"$'\n'
        done <"$TMP/f.tsv"
        if [ "$pfc_rc" != 0 ] && [ "$pfc_rc" != 1 ]; then
            diag+="pfc check exited $pfc_rc: $(head -c 300 "$TMP/pfc.err")"$'\n'
        fi
    else
        { [ "$pfc_rc" = 1 ] && cut -f1 "$TMP/f.tsv" | grep -qx error; } ||
            diag+="(c) Postfix fails (exit $prc: $(head -n 1 "$TMP/pf.fatal")), pfc check exits $pfc_rc without an error finding"$'\n'
    fi
}

# postfix_warnings CMD... - run a Postfix tool (with one line on stdin: postmap
# -q - opens a table at the first key, so an empty stdin shows nothing); its warnings (prefix cut,
# DIR for the scratch dir, machine-dependent ones dropped) are appended to
# $TMP/pf.warn, its fatal lines to $TMP/pf.fatal; returns its exit status.
postfix_warnings() {
    local rc
    echo "probe@example.com" | "$@" >/dev/null 2>"$TMP/pf.err"
    rc=$?
    sed -n 's/^[a-z]*: warning: //p' "$TMP/pf.err" | sed "s|$dir|DIR|g" |
        machine_dependent >>"$TMP/pf.warn"
    grep -v ': warning: ' "$TMP/pf.err" >>"$TMP/pf.fatal"
    return $rc
}

run_pfc() {
    "$PFC" check -c "$dir" --format=json >"$TMP/pfc.json" 2>"$TMP/pfc.err" </dev/null
    pfc_rc=$?
}

files=()
for f in "$CORPUS"/main.cf/* "$CORPUS"/master.cf/* "$CORPUS"/checks/* "$CORPUS"/map-*/* \
    "$CORPUS"/template/*; do
    [ -f "$f" ] || continue
    rel=${f#"$CORPUS"/}
    case $rel in map-*/*) [ -n "$(table_type "$rel")" ] || continue ;; esac
    files+=("$rel")
done
echo "1..${#files[@]}"

n=0 failed=0
dir=$TMP/cfg
for rel in "${files[@]}"; do
    n=$((n + 1))
    rm -rf "$dir"
    mkdir -p "$dir"
    : >"$TMP/pf.warn"
    : >"$TMP/pf.fatal"
    stock=0
    case $rel in
        main.cf/*)
            cp "$CORPUS/$rel" "$dir/main.cf"
            other=$(partner "$rel" master.cf)
            if [ -n "$other" ]; then cp "$CORPUS/$other" "$dir/master.cf"
            else cp "$STOCK_MASTER" "$dir/master.cf"; stock=1; fi ;;
        master.cf/*)
            cp "$CORPUS/$rel" "$dir/master.cf"
            other=$(partner "$rel" main.cf)
            if [ -n "$other" ]; then cp "$CORPUS/$other" "$dir/main.cf"
            else echo "$MINIMAL_MAIN" >"$dir/main.cf"; fi ;;
        template/*)
            cp "$STOCK_MASTER" "$dir/master.cf"
            : >"$dir/main.cf"
            case $rel in
                *main.cf) cp "$CORPUS/$rel" "$dir/main.cf" ;;
                *master.cf) cp "$CORPUS/$rel" "$dir/master.cf" ;;
                *)
                    cp "$CORPUS/$rel" "$dir/table"
                    t=texthash
                    grep -v -E '^[[:space:]]*(#|$)' "$dir/table" | head -n 1 | grep -q '^/' && t=pcre
                    table_setting "$rel" "$t:$dir/table" >"$dir/main.cf" ;;
            esac ;;
        *)
            t=$(table_type "$rel")
            cp "$STOCK_MASTER" "$dir/master.cf"
            cp "$CORPUS/$rel" "$dir/table"
            table_setting "$rel" "$t:$dir/table" >"$dir/main.cf" ;;
    esac
    touch -d 2000-01-01 "$dir"/*

    case $rel in
    template/*)
        run_pfc
        shown=$(
            postconf -c "$dir" -n 2>&1 >/dev/null | sed "s|$dir|DIR|g"
            postconf -c "$dir" -M 2>&1 >/dev/null | sed "s|$dir|DIR|g"
            if [ -f "$dir/table" ]; then
                t=$(sed -n 's/.* \([a-z]*\):[^ ]*table.*/\1/p' "$dir/main.cf")
                if [ "$t" = texthash ]; then
                    cp "$dir/table" "$TMP/hashcopy"
                    postmap -c "$dir" "hash:$TMP/hashcopy" 2>&1 | sed "s|$TMP/hashcopy|DIR/table|g"
                    rm -f "$TMP/hashcopy" "$TMP/hashcopy.db"
                else
                    echo probe@example.com | postmap -c "$dir" -q - "$t:$dir/table" 2>&1 >/dev/null |
                        sed "s|$dir|DIR|g"
                fi
            fi)
        errors=$(findings "$TMP/pfc.json" "$dir" | awk -F'\t' '$1 == "error" { print $2 }' | sort -u | tr '\n' ' ')
        if [ "$pfc_rc" = 1 ] && [ -n "$errors" ]; then
            echo "ok $n - $rel (pfc: ${errors% })"
        else
            echo "not ok $n - $rel: pfc check exits $pfc_rc, error findings: {${errors% }}"
            failed=$((failed + 1))
        fi
        { printf '%s\n' "$shown" | grep . | head -n 5 | sed 's/^/Postfix: /'
          findings "$TMP/pfc.json" "$dir" | head -n 5 | sed 's/^/pfc: /'
        } | sed 's/^/# /'
        continue ;;
    checks/*|map-*)
        # postmap -q exits 1 when no key is found: only a
        # fatal message means Postfix refuses the table.
        postfix_warnings postmap -c "$dir" -q - "$t:$dir/table"
        prc=0
        grep -q 'fatal:' "$TMP/pf.fatal" && prc=1 ;;
    *)
        postfix_warnings postconf -c "$dir" -n; prc=$?
        postfix_warnings postconf -c "$dir" -M; r=$?
        [ "$prc" = 0 ] && prc=$r ;;
    esac
    sort -u -o "$TMP/pf.warn" "$TMP/pf.warn"
    run_pfc
    judge "$rel" "$stock" "$prc"
    if [ -z "$diag" ]; then
        echo "ok $n - $rel"
    else
        echo "not ok $n - $rel"
        printf '%s' "$diag" | head -n 25 | sed 's/^/# /'
        failed=$((failed + 1))
    fi
done
echo "# $failed of ${#files[@]} failed"
[ "$failed" -eq 0 ]
