#!/usr/bin/env python3
"""smtp_probe - run SMTP sessions against a server and print each RCPT reply.

Reads sessions from stdin, one a line, fields separated by TABs:

    CASE  PORT  SOURCE-ADDRESS  HELO  SENDER  RECIPIENT

and prints "CASE<TAB>REPLY" for the RCPT TO reply (the last line of a
multi-line reply), or the reply that ended the session before it
("CASE<TAB>MAIL: 554 ..."). Each session is EHLO, MAIL FROM, RCPT TO,
QUIT on a fresh connection from SOURCE-ADDRESS to 127.0.0.1:PORT.
Standard library only; every socket operation has a timeout.
"""
import socket
import sys

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


def main():
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


if __name__ == "__main__":
    main()
