# local-lib.sh - what the local delivery e2e tests share; sourced.
#
#   local_init NAME    checks (root, useradd, python3, the driver), the work
#                      directory $T, the EXIT trap; NAME prefixes the users
#   local_users        creates the users $ALICE $BOB $CAROL $DAVE $ERIN
#                      $FRANK $GRACE (homes under $T/home, shell /bin/sh),
#                      removed at exit
#   local_config DIR   main.cf, master.cf, aliases, include files, transport,
#                      the capture command, .forward of $DAVE, as
#                      SPEC-runtime.md section 10 has them (the users'
#                      names replacing alice, bob, carol, dave), and more:
#                      commands that fail each way, the local(8) variants
#                      localmc (mailbox_command, for $ERIN), localsmall
#                      (mailbox_size_limit, 2 lock attempts, for $FRANK),
#                      localhm (home_mailbox = Mailbox, for $GRACE) and
#                      localluser (luser_relay, for lost@)
#   local_image DIR ROOT  pfc's tables and image of DIR's configuration,
#                      under --root ROOT (tables built with pfc alias/map
#                      there): $ROOT/policy.pfi
#   ok NAME / not_ok NAME DIAG / check NAME CMD... / expect NAME WANT GOT
#                      TAP output (skip_all REASON: tests/compat/lib.sh's)
#
# Environment: PFC (pfc), LOCAL_DRIVER (tests/e2e/local-driver),
# PFC_REQUIRE_ALL=1 (a missing tool is a failure, not a skip).

set -u
export LC_ALL=C

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/compat/lib.sh"

n=0
failed=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    printf '%s\n' "$2" | sed 's/^/# /'
}

# check NAME CONDITION-COMMAND...: ok when the command succeeds
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}

# expect NAME WANT GOT: ok when GOT has the line (or part of one) WANT
expect() {
    if grep -qF -- "$2" <<<"$3"; then
        ok "$1"
    else
        not_ok "$1" "$(printf 'want: %s\ngot:\n%s' "$2" "$3")"
    fi
}

created_users=()

local_cleanup() {
    local u
    [ -n "${LOCAL_CLEANUP_HOOK:-}" ] && $LOCAL_CLEANUP_HOOK
    for u in "${created_users[@]}"; do
        userdel "$u" >/dev/null 2>&1
    done
    if [ -n "${PFC_LOCAL_KEEP:-}" ]; then
        echo "# PFC_LOCAL_KEEP: $T is kept"
    else
        rm -rf "$T"
    fi
}

local_init() {
    local c
    [ "$(id -u)" = 0 ] || skip_all "needs root: it creates users and delivers as them"
    for c in useradd userdel python3; do
        command -v $c >/dev/null 2>&1 || skip_all "$c not found"
    done
    HERE=$srcdir/tests/e2e
    PFC=${PFC:-./pfc}
    LOCAL_DRIVER=${LOCAL_DRIVER:-tests/e2e/local-driver}
    case $PFC in /*) ;; *) PFC=$(pwd)/$PFC ;; esac
    case $LOCAL_DRIVER in /*) ;; *) LOCAL_DRIVER=$(pwd)/$LOCAL_DRIVER ;; esac
    [ -x "$PFC" ] || { echo "Bail out! $PFC not built"; exit 1; }
    [ -x "$LOCAL_DRIVER" ] || { echo "Bail out! $LOCAL_DRIVER not built"; exit 1; }
    T=$(mktemp -d /tmp/pfc-local.XXXXXX)
    # The users (and Postfix's daemons) must reach what is below.
    chmod 755 "$T"
    trap local_cleanup EXIT
    trap 'exit 1' HUP INT TERM
    # Short names, unique per run: $$ keeps parallel runs apart.
    P=$1$(($$ % 100000))
    ALICE=${P}a BOB=${P}b CAROL=${P}c DAVE=${P}d ERIN=${P}e FRANK=${P}f GRACE=${P}g
    USERS=("$ALICE" "$BOB" "$CAROL" "$DAVE" "$ERIN" "$FRANK" "$GRACE")
}

local_users() {
    local u
    mkdir -p "$T/home"
    for u in "${USERS[@]}"; do
        if id "$u" >/dev/null 2>&1; then
            userdel "$u" >/dev/null 2>&1
        fi
        useradd -m -d "$T/home/$u" -s /bin/sh "$u" || { echo "Bail out! useradd $u failed"; exit 1; }
        created_users+=("$u")
    done
}

# local_config DIR: a lab configuration in DIR/etc (paths absolute, under DIR)
local_config() {
    local d=$1
    mkdir -p "$d/etc" "$d/queue" "$d/data" "$d/spool" "$d/out" "$d/bin"
    chown root:mail "$d/spool" && chmod 2775 "$d/spool"
    chmod 1777 "$d/out"
    cat >"$d/bin/capture.sh" <<EOF
#!/bin/sh
# capture.sh - what a local(8) command sees: argv, ids, cwd, umask, env, stdin
n=\$(date +%s%N)
f=$d/out/cap.\$1.\$n
{
  echo "argv0=\$0"
  i=1; for a in "\$@"; do echo "argv\$i=[\$a]"; i=\$((i+1)); done
  echo "uid=\$(id -u) gid=\$(id -g) groups=\$(id -G)"
  echo "cwd=\$(pwd)"
  echo "umask=\$(umask)"
  echo "--- env"
  env | sort
} > \$f.meta 2>&1
cat > \$f.stdin
exit 0
EOF
    chmod 755 "$d/bin/capture.sh"
    cat >"$d/bin/exitwith.sh" <<'EOF'
#!/bin/sh
# exitwith.sh CODE [OUTPUT...] - read the message, say OUTPUT, exit CODE
# (CODE "signal": die by SIGTERM)
code=$1
shift
cat >/dev/null
[ $# -gt 0 ] && echo "$*"
[ "$code" = signal ] && kill -TERM $$
exit "$code"
EOF
    chmod 755 "$d/bin/exitwith.sh"
    cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.7
config_directory = $d/etc
queue_directory = $d/queue
data_directory = $d/data
myhostname = mail.pfxlab.test
mydomain = pfxlab.test
myorigin = \$myhostname
mydestination = \$myhostname, localhost.\$mydomain, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relayhost =
default_transport = error:no outside mail
relay_transport = error:no outside mail
maillog_file = $d/maillog
maillog_file_prefixes = $d
mail_spool_directory = $d/spool
alias_maps = hash:$d/etc/aliases, hash:$d/etc/aliases2
alias_database = hash:$d/etc/aliases
transport_maps = hash:$d/etc/transport
local_recipient_maps =
biff = no
recipient_delimiter = +
EOF
    cat >"$d/etc/master.cf" <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
localmd   unix  -       n       n       -       -       local
  -o home_mailbox=Maildir/
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    cat >>"$d/etc/master.cf" <<EOF
localmc   unix  -       n       n       -       -       local
  -o { mailbox_command = $d/bin/capture.sh mboxcmd "\$EXTENSION" }
localsmall unix -       n       n       -       -       local
  -o mailbox_size_limit=2000 -o message_size_limit=1800
  -o deliver_lock_attempts=2 -o deliver_lock_delay=1s
localhm   unix  -       n       n       -       -       local
  -o home_mailbox=Mailbox
localluser unix -       n       n       -       -       local
  -o luser_relay=$ALICE+\$user
EOF
    cat >"$d/etc/aliases" <<EOF
postmaster: root
root: $ALICE
fwd: $BOB
fwd2: $BOB, $CAROL
pipeit: "|$d/bin/capture.sh aliasarg"
tofile: $d/out/alias-file.mbox
incl: :include:$d/etc/include.list
ghost: nosuchuser
list1: $BOB, nosuchuser2
owner-list1: $ALICE
incl2: :include:$d/etc/include2.list
incl3: :include:$d/etc/include3.list
cmd75: "|$d/bin/exitwith.sh 75"
cmd67: "|$d/bin/exitwith.sh 67 no such mailbox here"
cmddsn: "|$d/bin/exitwith.sh 1 5.7.3 custom dsn text"
cmd3: "|$d/bin/exitwith.sh 3"
cmdsig: "|$d/bin/exitwith.sh signal"
cmdshell: "|echo shell-meta \$SENDER >> $d/out/shell.txt; cat > /dev/null"
homefile: ~/x
relpath: :include:relative.list
maildirfile: $d/out/md/
EOF
    echo "pipebob: \"|$d/bin/capture.sh ownerbob\"" >"$d/etc/aliases2"
    echo "$BOB" >"$d/etc/include.list"
    # Deliberately unquoted: two addresses.
    echo "|$d/bin/capture.sh inclarg" >"$d/etc/include2.list"
    # A /file in an :include: file: restricted by allow_mail_to_files.
    echo "$d/out/incl-file.mbox" >"$d/etc/include3.list"
    cat >"$d/etc/transport" <<EOF
$CAROL@mail.pfxlab.test localmd:
$ERIN@mail.pfxlab.test localmc:
$FRANK@mail.pfxlab.test localsmall:
$GRACE@mail.pfxlab.test localhm:
lost@mail.pfxlab.test localluser:
EOF
    printf '\\%s\n"|%s/bin/capture.sh fwdarg"\n%s/home/%s/fwd-file.mbox\n' \
        "$DAVE" "$d" "$T" "$DAVE" >"$T/home/$DAVE/.forward"
    chown "$DAVE:" "$T/home/$DAVE/.forward"
}

# local_image CONF ROOT: CONF's configuration copied under ROOT, its tables
# built by pfc there, the image ROOT/policy.pfi
local_image() {
    local conf=$1 root=$2 out
    mkdir -p "$root$conf"
    cp -a "$conf/etc" "$root$conf/"
    rm -f "$root$conf"/etc/*.db
    if ! out=$("$PFC" alias --root "$root" -c "$conf/etc" "$conf/etc/aliases" 2>&1) ||
        ! out=$("$PFC" alias --root "$root" -c "$conf/etc" "$conf/etc/aliases2" 2>&1) ||
        ! out=$("$PFC" map --root "$root" -c "$conf/etc" "$conf/etc/transport" 2>&1) ||
        ! out=$("$PFC" build --root "$root" -c "$conf/etc" -o "$root/policy.pfi" 2>&1); then
        echo "Bail out! pfc could not build the image: $out"
        exit 1
    fi
}
