# pfcd_lib.sh - what pfcd's end-to-end tests share, sourced first: the
# programs under test, the skips, TAP's plan and checks, a free loopback
# port, waiting for a log line, the users a test makes, and the example
# configuration (examples/local-only) under a scratch root with its smtp
# service on a loopback port. Each test keeps its own processes and its
# own cleanup: those differ.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PFC=${PFC:-./pfc}
PFCD=${PFCD:-$(dirname "$PFC")/pfcd}
PYTHON=${PYTHON:-python3}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root ($1)"; }
need() { command -v "$1" >/dev/null 2>&1 || skip_all "$2"; }	# need COMMAND WHY-NOT
need_pfcd() { [ -x "$PFCD" ] || { echo "Bail out! no pfcd at $PFCD"; exit 1; }; }

n=0
plan() { echo "1..$1"; }
check() {		# check NAME RESULT DETAIL
    n=$((n + 1))
    if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; printf '%s\n' "$3" | sed 's/^/# /'; fi
}

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for FILE TEXT: up to 10 s for TEXT in FILE
wait_for() {
    local i
    for i in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# add_owner NAME: an account for mail_owner, no home, no login
add_owner() {
    useradd --system --no-create-home --shell /usr/sbin/nologin "$1" || { echo "Bail out! useradd $1"; exit 1; }
}
# add_user NAME: a user whose home is /home/NAME, made under $root (the user's, 0700)
add_user() {
    useradd --no-create-home --home-dir "/home/$1" --shell /bin/sh "$1" || { echo "Bail out! useradd $1"; exit 1; }
    mkdir -p "$root/home/$1" && chown "$1:" "$root/home/$1" && chmod 700 "$root/home/$1"
}

# example_root PORT: $root/etc/postfix, the example configuration with
# its smtp service on 127.0.0.1:PORT; $root/var/mail as Debian makes it
example_root() {
    mkdir -p "$root/etc/postfix" "$root/var/mail"
    chgrp mail "$root/var/mail" && chmod 2775 "$root/var/mail"
    cp -R "$srcdir/examples/local-only/." "$root/etc/postfix/"
    sed -i "s/^smtp      inet/127.0.0.1:$1 inet/" "$root/etc/postfix/master.cf"
}

# build_image [newaliases]: $tmp/p.pfi from $root/etc/postfix (the aliases first), or bail out
build_image() {
    { [ "${1:-}" != newaliases ] || "$PFC" newaliases --root "$root" -C /etc/postfix >"$tmp/build.out" 2>&1; } &&
        "$PFC" build --root "$root" -c /etc/postfix -o "$tmp/p.pfi" >>"$tmp/build.out" 2>&1 ||
        { echo "Bail out! pfc build: $(cat "$tmp/build.out")"; exit 1; }
}
