#!/bin/bash
# check-sarif.sh - the machine-readable outputs of "pfc check" are what
# their readers expect:
#   --format=sarif   valid against the SARIF 2.1.0 JSON schema;
#   --format=json    parses (python3 -m json.tool);
#   --format=github  one workflow command per finding, in the order of the
#                    JSON findings: "::error|warning|notice file=F,line=L,
#                    col=C,title=RULE::message" (line and col where the
#                    finding has them); notes only with --notes or -v,
#                    else one last "::notice title=pfc check::N notes not
#                    shown ..." counts them.
# Configurations: a clean one (the stock master.cf of tests/check/base/ and
# an empty main.cf), every case of tests/check/cases/ (set up as
# tests/cli/check-golden.sh sets it up, by golden-lib.sh's check_case_copy;
# cases of usage errors, which exit 2 and print no report, are left out),
# and one with many findings.
# A first test feeds the validator a broken SARIF log: it must say no, or
# the rest proves nothing.
#
# The schema is the SARIF 2.1.0 (rtm.5) schema that scripts/install-deps
# fetches from npm (@microsoft/jest-sarif); the validator is python3's
# jsonschema (Debian: python3-jsonschema). Without them the whole test is
# a TAP skip, or with PFC_REQUIRE_ALL=1 (as CI sets it) a bail-out.
#
# Environment: PFC (the pfc binary), srcdir (top of the source tree),
# SARIF_SCHEMA (the schema file; default where install-deps puts it).
set -u
export LC_ALL=C
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-$srcdir/pfc}
case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
. "$srcdir/tests/cli/golden-lib.sh"
SARIF_SCHEMA=${SARIF_SCHEMA:-/usr/local/share/pfc/sarif-2.1.0-rtm.5.json}

skip_all() {
    if [ "${PFC_REQUIRE_ALL:-0}" = 1 ]; then
        echo "Bail out! $1 (PFC_REQUIRE_ALL=1; scripts/install-deps installs it)"
        exit 1
    fi
    echo "1..0 # SKIP $1"
    exit 0
}

[ -x "$PFC" ] || { echo "Bail out! pfc binary not found (set PFC)"; exit 1; }
[ -f "$SARIF_SCHEMA" ] || skip_all "SARIF schema $SARIF_SCHEMA not found"
PYTHON=
for c in python3 /usr/bin/python3; do
    if "$c" -c 'import jsonschema' >/dev/null 2>&1; then PYTHON=$c; break; fi
done
[ -n "$PYTHON" ] || skip_all "python3 with the jsonschema module not found"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/check-sarif.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# validate_sarif FILE - print each schema violation; fail if there is one.
validate_sarif() {
    "$PYTHON" - "$SARIF_SCHEMA" "$1" <<'EOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
doc = json.load(open(sys.argv[2], encoding="utf-8"))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
for e in errors[:10]:
    print("/".join(str(p) for p in e.absolute_path) + ": " + e.message[:300])
sys.exit(1 if errors else 0)
EOF
}

# check_utf8 FORMAT FILE - the UTF-8 of the "many findings" configuration
# comes back decoded: some message says "café" (well-formed UTF-8 is
# copied, not escaped byte by byte into "cafÃ©"), and the Latin-1 byte of
# "caf\xe9" comes back as U+FFFD.
check_utf8() {
    "$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
fmt, path = sys.argv[1], sys.argv[2]
doc = json.load(open(path, encoding="utf-8"))
if fmt == "json":
    messages = [f["message"] for f in doc["findings"]]
else:
    messages = [r["message"]["text"] for run in doc["runs"] for r in run["results"]]
bad = []
if not any("caf\u00e9_limit" in m for m in messages):
    bad.append("no message says caf\u00e9_limit (UTF-8 not round-tripped)")
if not any("caf\ufffd_latin1" in m for m in messages):
    bad.append("no message says caf\ufffd_latin1 (a byte that is not UTF-8 is not U+FFFD)")
if any("\u00c3" in m for m in messages):
    bad.append("a message has mojibake (UTF-8 decoded as Latin-1)")
for b in bad:
    print(b.encode("ascii", "backslashreplace").decode())
sys.exit(1 if bad else 0)
EOF
}

# check_github JSON GITHUB NOTES - the github lines match the JSON findings
# (NOTES=1: the notes are shown, else counted on a last line).
check_github() {
    "$PYTHON" - "$1" "$2" "$3" <<'EOF'
import json, re, sys
findings = json.load(open(sys.argv[1], encoding="utf-8"))["findings"]
lines = open(sys.argv[2], encoding="utf-8", errors="replace").read().splitlines()
level = {"error": "error", "warning": "warning", "note": "notice"}
bad = []
if sys.argv[3] != "1":
    hidden = sum(1 for f in findings if f["severity"] == "note")
    findings = [f for f in findings if f["severity"] != "note"]
    if hidden:
        want = "::notice title=pfc check::%d note%s not shown (pfc check --notes shows them)" % (
            hidden, "" if hidden == 1 else "s")
        if not lines or lines[-1] != want:
            bad.append("last line %r, expected %r" % (lines[-1] if lines else None, want))
        lines = lines[:-1]
if len(lines) != len(findings):
    bad.append("%d lines for %d findings" % (len(lines), len(findings)))
line_re = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")
for i, (f, l) in enumerate(zip(findings, lines)):
    m = line_re.match(l)
    if not m:
        bad.append("line %d is no workflow command: %s" % (i + 1, l))
        continue
    props = dict(p.split("=", 1) for p in m.group(2).split(",") if "=" in p)
    want = {"title": f["rule"]}
    if f.get("file"):
        want["file"] = f["file"]
    if f.get("line"):
        want["line"] = str(f["line"])
    if f.get("column"):
        want["col"] = str(f["column"])
    if m.group(1) != level.get(f["severity"]):
        bad.append("line %d: ::%s for a %s" % (i + 1, m.group(1), f["severity"]))
    for k, v in want.items():
        if props.get(k) != v:
            bad.append("line %d: %s=%s, expected %s" % (i + 1, k, props.get(k), v))
for b in bad[:10]:
    print(b)
sys.exit(1 if bad else 0)
EOF
}

# The configurations: NAME<TAB>DIR<TAB>ARGS-FILE (may be empty).
configs=()

d=$scratch/clean
mkdir -p "$d"
cp "$srcdir/tests/check/base/master.cf" "$d/"
: >"$d/main.cf"
configs+=("clean"$'\t'"$d"$'\t')

for dir in "$srcdir"/tests/check/cases/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    # A usage error (exit 2) prints no report to validate.
    [ "$(cat "$dir/expect.rc" 2>/dev/null)" = 2 ] && continue
    d=$scratch/case-$name
    check_case_copy "$dir" "$d" >/dev/null 2>&1 || continue  # check-golden.sh reports it
    configs+=("case $name"$'\t'"$d"$'\t'"$dir/args")
done

# Many findings at once: a message with quotes, backslashes, tabs,
# UTF-8 (café) and a byte that is not UTF-8, findings in every file, of
# every severity.
d=$scratch/many
mkdir -p "$d"
cp "$srcdir/tests/check/base/master.cf" "$d/"
cat >>"$d/master.cf" <<'EOF'
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=maybe
  -o smtpd_recpient_restrictions=permit_sasl_authenticated,reject
#smtps     inet  n       -       y       -       -       smtpd
  -o smtpd_tls_wrappermode=yes
smtp      inet  n       -       y       -       -       smtpd
bogus     unix  -       -       n       -       x       pipe
EOF
printf '%s\n' \
    'myhostname = mail.example.com' \
    'mydomain = example.com' \
    'myorigin = $mydomian' \
    'this line has no equals sign "quoted" \backslash' \
    ' indented_line = ignored' \
    'smtpd_recipient_restriction = permit_mynetworks, reject_unauth_destination' \
    'smtpd_recipient_restrictions = permit_mynetworks, reject, permit_sasl_authenticated, check_client_access' \
    'smtpd_helo_required = maybe' \
    'message_size_limit = ten megabytes' \
    'maximal_queue_lifetime = 5x' \
    'bounce_queue_lifetime = 1d2h' \
    'default_process_limit = -5' \
    'smtpd_tls_security_level = sometimes' \
    "virtual_alias_maps = hash:$d/virtual, nosuch:$d/x, hash:$d/missing" \
    "header_checks = pcre:$d/header_checks" \
    'transport_maps = texthash:'"$d"'/transport' \
    'relayhost = ${RELAY_HOST}' \
    'smtpd_banner = {{ banner }} café	tab' \
    'inet_interfaces = all myhostname = glued' \
    'mydestination = $myhostname, $mydomain' \
    'virtual_alias_domains = example.com' \
    'mydomain = example.org' \
    'smtpd_client_restrictions = reject_rbl_client, check_sender_access hash:/nonexistent/x' \
    'unknown_thing_nobody_uses = 1' \
    'café_limit = 1' \
    $'caf\xe9_latin1 = 1' >"$d/main.cf"
printf 'a@example.com b@example.com\nnovalue\n' >"$d/virtual"
printf '/^Subject: (.*)/ REJECT $2\n/[unclosed/ DISCARD\n/^X-/ FROBNICATE\n  indented\n' >"$d/header_checks"
printf 'example.com nosuchtransport:\n' >"$d/transport"
configs+=("many findings"$'\t'"$d"$'\t')

echo "1..$((1 + 3 * ${#configs[@]}))"
n=1 failed=0

# The negative control: a log that breaks the schema in two ways.
cat >"$scratch/broken.sarif" <<'EOF'
{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "pfc"}},
  "results": [{"ruleId": "x", "level": "fatal", "message": {"txt": "no"}}]}]}
EOF
if out=$(validate_sarif "$scratch/broken.sarif" 2>&1); then
    echo "not ok $n - a broken SARIF log is rejected: the validator accepted it"
    failed=1
else
    echo "ok $n - a broken SARIF log is rejected"
    printf '%s\n' "$out" | sed 's/^/# /'
fi

for c in "${configs[@]}"; do
    IFS=$'\t' read -r name dir argsfile <<<"$c"
    args=()
    [ -n "$argsfile" ] && [ -f "$argsfile" ] && mapfile -t args <"$argsfile"
    for fmt in sarif json github; do
        n=$((n + 1))
        (cd "$dir" && "$PFC" check -c . "${args[@]}" --format=$fmt) \
            >"$scratch/out.$fmt" 2>"$scratch/err.$fmt"
        rc=$?
        problems=""
        [ $fmt = github ] || [ -s "$scratch/out.$fmt" ] || problems+="no output"$'\n'
        case $rc in 0|1) ;; *) problems+="exit status $rc"$'\n' ;; esac
        [ -s "$scratch/err.$fmt" ] && problems+="stderr: $(head -c 300 "$scratch/err.$fmt")"$'\n'
        case $fmt in
            sarif) out=$(validate_sarif "$scratch/out.sarif" 2>&1) || problems+=$out$'\n' ;;
            json) out=$("$PYTHON" -m json.tool "$scratch/out.json" 2>&1 >/dev/null) ||
                      problems+="does not parse: $out"$'\n' ;;
            github)
                if ! "$PYTHON" -m json.tool "$scratch/out.json" >/dev/null 2>&1; then
                    problems+="no JSON findings to compare with"$'\n'
                else
                    notes=0
                    for a in "${args[@]}"; do
                        case $a in --notes|-v) notes=1 ;; esac
                    done
                    out=$(check_github "$scratch/out.json" "$scratch/out.github" $notes 2>&1) ||
                        problems+=$out$'\n'
                fi ;;
        esac
        if [ "$name" = "many findings" ] && [ $fmt != github ] && [ -z "$problems" ]; then
            out=$(check_utf8 $fmt "$scratch/out.$fmt" 2>&1) || problems+=$out$'\n'
        fi
        nres=$(grep -c '"ruleId"' "$scratch/out.sarif" 2>/dev/null)
        if [ -z "$problems" ]; then
            if [ $fmt = sarif ]; then
                echo "ok $n - $fmt: $name ($nres results)"
            else
                echo "ok $n - $fmt: $name"
            fi
        else
            echo "not ok $n - $fmt: $name"
            printf '%s' "$problems" | sed 's/^/# /'
            failed=1
        fi
    done
done
exit $failed
