#!/usr/bin/env python3
"""smtp_probe - run SMTP sessions against a server and print each RCPT reply.

Reads sessions from stdin, one a line, fields separated by TABs:

    CASE  PORT  SOURCE-ADDRESS  HELO  SENDER  RECIPIENT

and prints "CASE<TAB>REPLY" for the RCPT TO reply (the last line of a
multi-line reply), or the reply that ended the session before it
("CASE<TAB>MAIL: 554 ..."). Each session is EHLO, MAIL FROM, RCPT TO,
QUIT on a fresh connection from SOURCE-ADDRESS to 127.0.0.1:PORT.

    smtp_probe.py --log MAILLOG

runs the sessions one after the other, waits after each one until smtpd
has logged its end ("disconnect from"), and prints the warnings smtpd
logged during it, "CASE<TAB>warning: TEXT", after its reply (for servers
whose smtpd processes serve one session each: max_use = 1).
Standard library only; every socket operation has a timeout.
"""
import re
import socket
import sys
import time

TIMEOUT = 30


def reply(f):
    """One complete reply: its last line, without CRLF."""
    while True:
        line = f.readline()
        if not line:
            return "<EOF>"
        line = line.decode("latin-1").rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line


def session(port, src, helo, sender, rcpt):
    s = socket.socket()
    s.settimeout(TIMEOUT)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    f = s.makefile("rb")
    try:
        greet = reply(f)
        if not greet.startswith("220"):
            return "GREETING: " + greet
        for cmd, what in ((b"EHLO " + helo.encode() + b"\r\n", "EHLO"),
                          (b"MAIL FROM:<" + sender.encode() + b">\r\n", "MAIL"),
                          (b"RCPT TO:<" + rcpt.encode() + b">\r\n", None)):
            s.sendall(cmd)
            r = reply(f)
            if what is None:
                return r
            if not r.startswith("250"):
                return what + ": " + r
    finally:
        try:
            s.sendall(b"QUIT\r\n")
            reply(f)
        except OSError:
            pass
        s.close()


def log_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def wait_log(path, disconnects, seen):
    """The smtpd warnings logged since line seen, once the session ended."""
    end = time.time() + 20
    while True:
        lines = log_lines(path)
        if sum(" disconnect from " in l for l in lines) >= disconnects or time.time() > end:
            break
        time.sleep(0.05)
    warnings = []
    for l in lines[seen:]:
        m = re.search(r"postfix/smtpd\[\d+\]: (warning: .*)", l)
        if m:
            warnings.append(m.group(1))
    return warnings, len(lines)


def main():
    log = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--log" else None
    seen = len(log_lines(log)) if log else 0
    disconnects = sum(" disconnect from " in l for l in log_lines(log)) if log else 0
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        case, port, src, helo, sender, rcpt = line.split("\t")
        try:
            r = session(int(port), src, helo, sender, rcpt)
        except OSError as e:
            r = "ERROR: %s" % e
        print("%s\t%s" % (case, r), flush=True)
        if log:
            disconnects += 1
            warnings, seen = wait_log(log, disconnects, seen)
            for w in warnings:
                print("%s\t%s" % (case, w), flush=True)


if __name__ == "__main__":
    main()
