#!/usr/bin/env python3
"""envelope-client.py - send envelopes to an SMTP server, one session each,
and keep the RCPT reply of each (bench/engine.sh's Postfix half).

    envelope-client.py [--host H] --port P ENVELOPES OUT

ENVELOPES holds "CLIENT[,NAME] HELO SENDER RECIPIENT" lines, as
"pfc trace --envelopes" reads them ("<>" the null sender).  For each, one
session: the greeting, XCLIENT ADDR=CLIENT NAME=NAME (NAME=[UNAVAILABLE]
and REVERSE_NAME=[UNAVAILABLE] without a name) and its new greeting,
EHLO HELO, then MAIL FROM, RCPT TO and QUIT in one write, as a pipelining
client sends them.  Sessions run one at a time.  OUT gets the RCPT reply of
each envelope, a line each without CRLF (a multi-line reply joined by
spaces would show as such: smtpd sends none here).  Standard output gets
the wall time of the sessions in seconds; an unexpected reply (a refused
XCLIENT, a server that closes early) is an error, exit status 1.

Python 3 standard library only.
"""

import argparse
import socket
import sys
import time


class SessionError(Exception):
    pass


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b''

    def reply(self):
        """one whole reply, its lines without CRLF"""
        lines = []
        while True:
            while b'\n' not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    raise SessionError('connection closed after %r' % lines)
                self.buf += data
            line, self.buf = self.buf.split(b'\n', 1)
            line = line.rstrip(b'\r')
            lines.append(line)
            if len(line) < 4 or line[3:4] != b'-':
                return lines

    def expect(self, code):
        r = self.reply()
        if not r[-1].startswith(code):
            raise SessionError('expected %s, got %r' % (code.decode(), r))
        return r

    def close(self):
        self.sock.close()


def session(host, port, client, helo, sender, recipient):
    addr, _, name = client.partition(',')
    if name:
        xclient = 'XCLIENT ADDR=%s NAME=%s' % (addr, name)
    else:
        xclient = 'XCLIENT ADDR=%s NAME=[UNAVAILABLE] REVERSE_NAME=[UNAVAILABLE]' % addr
    c = Conn(host, port)
    try:
        c.expect(b'220')
        c.sock.sendall(xclient.encode() + b'\r\n')
        c.expect(b'220')
        c.sock.sendall(b'EHLO %s\r\n' % helo.encode())
        c.expect(b'250')
        if sender == '<>':
            sender = ''
        c.sock.sendall(b'MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nQUIT\r\n'
                       % (sender.encode(), recipient.encode()))
        c.expect(b'250')
        rcpt = c.reply()
        c.expect(b'221')
    finally:
        c.close()
    return b' '.join(rcpt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('envelopes')
    ap.add_argument('out')
    a = ap.parse_args()
    with open(a.envelopes) as f:
        envelopes = [line.split() for line in f if line.strip()]
    for n, e in enumerate(envelopes, 1):
        if len(e) != 4:
            sys.exit('%s:%d: need CLIENT HELO SENDER RECIPIENT' % (a.envelopes, n))
    replies = []
    start = time.monotonic()
    for n, e in enumerate(envelopes, 1):
        try:
            replies.append(session(a.host, a.port, *e))
        except (OSError, SessionError) as ex:
            sys.exit('%s:%d: %s' % (a.envelopes, n, ex))
    secs = time.monotonic() - start
    with open(a.out, 'wb') as f:
        f.write(b''.join(r + b'\n' for r in replies))
    print('%.3f' % secs)


if __name__ == '__main__':
    main()
