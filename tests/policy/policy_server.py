#!/usr/bin/env python3
"""policy_server - a scripted SMTP access policy server for tests/policy.

    policy_server.py inet:127.0.0.1:PORT|unix:PATH LOG [LIFETIME]

Answers each request by the local part of its recipient (the case name):

    reject     action=REJECT policy says no
    dunno      action=DUNNO
    ok         action=OK
    dip        action=defer_if_permit Service temporarily unavailable
    custom     action=550 5.7.0 custom
    bogus      action=bogus_action_xyz
    noaction   no action attribute (foo=bar)
    empty      action= (an empty value)
    extra      other attributes around action=OK extra
    twice      action=REJECT first, then action=OK second
    novalue    "action" without "="
    partial    "action=REJECT cut" and the connection closes
    utf8bad    action=REJECT with a byte that is not UTF-8
    slow       action=DUNNO after 3 seconds
    close      the connection closes without an answer
    flaky      closes the first time it is asked, answers DUNNO after that

Anything else gets DUNNO. LOG gets one line per connection ("connect N")
and per request ("request N name=value|name=value|..."), flushed at once.
The server stops by itself after LIFETIME seconds (default 120).
Standard library only.
"""
import os
import socket
import sys
import threading
import time

ANSWERS = {
    "reject": b"action=REJECT policy says no\n\n",
    "dunno": b"action=DUNNO\n\n",
    "ok": b"action=OK\n\n",
    "dip": b"action=defer_if_permit Service temporarily unavailable\n\n",
    "custom": b"action=550 5.7.0 custom\n\n",
    "bogus": b"action=bogus_action_xyz\n\n",
    "noaction": b"foo=bar\n\n",
    "empty": b"action=\n\n",
    "extra": b"foo=bar\naction=OK extra\nbaz=qux\n\n",
    "twice": b"action=REJECT first\naction=OK second\n\n",
    "novalue": b"action\n\n",
    "utf8bad": b"action=REJECT bad \xff byte\n\n",
}

lock = threading.Lock()
counter = {"conn": 0, "flaky": 0}


def log(line):
    with lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def serve(conn, num):
    log("connect %d" % num)
    f = conn.makefile("rb")
    try:
        while True:
            attrs = []
            while True:
                line = f.readline()
                if not line:
                    return
                line = line.rstrip(b"\n").decode("utf-8", "replace")
                if line == "":
                    break
                attrs.append(line)
            log("request %d %s" % (num, "|".join(attrs)))
            rcpt = ""
            for a in attrs:
                if a.startswith("recipient="):
                    rcpt = a[len("recipient="):]
            case = rcpt.split("@")[0].lower()
            if case == "close":
                return
            if case == "flaky":
                with lock:
                    counter["flaky"] += 1
                    first = counter["flaky"] == 1
                if first:
                    return
            if case == "partial":
                conn.sendall(b"action=REJECT cut")
                return
            if case == "slow":
                time.sleep(3)
                answer = b"action=DUNNO\n\n"
            else:
                answer = ANSWERS.get(case, b"action=DUNNO\n\n")
            conn.sendall(answer)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    global LOG
    endpoint, LOG = sys.argv[1], sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 120
    if endpoint.startswith("unix:"):
        path = endpoint[5:]
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        os.chmod(path, 0o666)
    else:
        host, port = endpoint[5:].rsplit(":", 1)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    s.listen(16)
    s.settimeout(0.5)
    end = time.time() + lifetime
    while time.time() < end:
        try:
            conn, _ = s.accept()
        except socket.timeout:
            continue
        counter["conn"] += 1
        threading.Thread(target=serve, args=(conn, counter["conn"]), daemon=True).start()
    s.close()


if __name__ == "__main__":
    main()
