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

# The checks, all in one python3 run (one run per file costs seconds under
# the sanitizers' load; the schema is read and checked once).  MANIFEST
# has one line per configuration: "OUTDIR<TAB>NAME<TAB>NOTES" (NOTES=1: the
# github lines show the notes).  For each FORMAT it writes
# OUTDIR/problems.FORMAT, empty when the output is right:
#   sarif   valid against the schema;
#   json    parses;
#   github  one workflow command per JSON finding, in order, with its
#           level, file, line and col (notes counted on a last line
#           unless shown);
#   and for "many findings" (sarif, json): the UTF-8 comes back decoded:
#   some message says "café" (well-formed UTF-8 is copied, not escaped
#   byte by byte into "cafÃ©"), and the Latin-1 byte of "caf\xe9" comes
#   back as U+FFFD.
# A first line "BROKEN<TAB>FILE" names the negative control: its schema
# violations go to FILE.problems, and there must be some.
run_checks() {
    "$PYTHON" - "$SARIF_SCHEMA" "$1" <<'EOF'
import json, re, sys
import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)

def sarif_problems(path):
    doc = json.load(open(path, encoding="utf-8"))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return ["/".join(str(p) for p in e.absolute_path) + ": " + e.message[:300]
            for e in errors[:10]]

def utf8_problems(fmt, path):
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
    return [b.encode("ascii", "backslashreplace").decode() for b in bad]

def github_problems(json_path, github_path, notes):
    findings = json.load(open(json_path, encoding="utf-8"))["findings"]
    lines = open(github_path, encoding="utf-8", errors="replace").read().splitlines()
    level = {"error": "error", "warning": "warning", "note": "notice"}
    bad = []
    if not notes:
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
    return bad[:10]

def guarded(check, *args):
    try:
        return check(*args)
    except Exception as e:          # unreadable or unparsable output
        return ["%s: %s" % (type(e).__name__, str(e)[:300])]

def write(path, problems):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(p + "\n" for p in problems))

for line in open(sys.argv[2], encoding="utf-8"):
    outdir, name, notes = line.rstrip("\n").split("\t")
    if outdir == "BROKEN":
        write(name + ".problems", guarded(sarif_problems, name))
        continue
    probs = {"sarif": guarded(sarif_problems, outdir + "/out.sarif")}
    try:
        json.load(open(outdir + "/out.json", encoding="utf-8"))
        probs["json"] = []
        probs["github"] = guarded(github_problems, outdir + "/out.json",
                                  outdir + "/out.github", notes == "1")
    except Exception as e:
        probs["json"] = ["does not parse: %s" % str(e)[:300]]
        probs["github"] = ["no JSON findings to compare with"]
    if name == "many findings":
        for fmt in ("sarif", "json"):
            if not probs[fmt]:
                probs[fmt] = guarded(utf8_problems, fmt, outdir + "/out." + fmt)
    for fmt, p in probs.items():
        write(outdir + "/problems." + fmt, p)
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

# pfc check on every configuration in every format; then the checks.
printf 'BROKEN\t%s\t\n' "$scratch/broken.sarif" >"$scratch/manifest"
i=0
for c in "${configs[@]}"; do
    IFS=$'\t' read -r name dir argsfile <<<"$c"
    i=$((i + 1))
    o=$scratch/out-$i
    mkdir -p "$o"
    args=()
    [ -n "$argsfile" ] && [ -f "$argsfile" ] && mapfile -t args <"$argsfile"
    notes=0
    for a in "${args[@]}"; do
        case $a in --notes|-v) notes=1 ;; esac
    done
    for fmt in sarif json github; do
        (cd "$dir" && "$PFC" check -c . "${args[@]}" --format=$fmt) \
            >"$o/out.$fmt" 2>"$o/err.$fmt"
        echo $? >"$o/rc.$fmt"
    done
    printf '%s\t%s\t%s\n' "$o" "$name" "$notes" >>"$scratch/manifest"
done
run_checks "$scratch/manifest" || echo "# the checker stopped: exit $?"

if [ -s "$scratch/broken.sarif.problems" ]; then
    echo "ok $n - a broken SARIF log is rejected"
    sed 's/^/# /' "$scratch/broken.sarif.problems"
else
    echo "not ok $n - a broken SARIF log is rejected: the validator accepted it"
    failed=1
fi

i=0
for c in "${configs[@]}"; do
    IFS=$'\t' read -r name dir argsfile <<<"$c"
    i=$((i + 1))
    o=$scratch/out-$i
    for fmt in sarif json github; do
        n=$((n + 1))
        problems=""
        rc=$(cat "$o/rc.$fmt")
        [ $fmt = github ] || [ -s "$o/out.$fmt" ] || problems+="no output"$'\n'
        case $rc in 0|1) ;; *) problems+="exit status $rc"$'\n' ;; esac
        [ -s "$o/err.$fmt" ] && problems+="stderr: $(head -c 300 "$o/err.$fmt")"$'\n'
        if [ -f "$o/problems.$fmt" ]; then
            problems+=$(cat "$o/problems.$fmt")
        else
            problems+="not checked (the checker stopped)"
        fi
        nres=$(grep -c '"ruleId"' "$o/out.sarif" 2>/dev/null)
        if [ -z "$problems" ]; then
            if [ $fmt = sarif ]; then
                echo "ok $n - $fmt: $name ($nres results)"
            else
                echo "ok $n - $fmt: $name"
            fi
        else
            echo "not ok $n - $fmt: $name"
            printf '%s\n' "$problems" | sed 's/^/# /'
            failed=1
        fi
    done
done
exit $failed
