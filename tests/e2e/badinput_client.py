#!/usr/bin/env python3
"""badinput_client.py - hostile SMTP clients for tests/e2e/pfcd-badinput.sh.

Usage: badinput_client.py PORT CASE

Each CASE connects to 127.0.0.1:PORT, does one kind of damage, and prints
what the server answered, one reply line a line ("S: ..."), so that the
same case against pfcd and against a real Postfix can be compared:

  longline   a 10 MB command line, then NOOP
  longdata   a message with a 10 MB line in its body
  barelf     commands and message lines ended by a bare LF
  nul        NUL bytes in a command and in a message line
  flood      20,000 HELOs pipelined, sent before any reply is read, then QUIT
             (HELO, like NOOP, RSET, VRFY and ETRN, is a junk command that
             smtpd counts as an error past smtpd_junk_command_limit: the
             test raises that limit on both servers)
  served     one ordinary message (is the server still serving others?)

Python 3 standard library only.
"""

import socket
import sys
import time

MB10 = 10 * 1024 * 1024


def connect(port):
    s = socket.create_connection(('127.0.0.1', port), timeout=30)
    return s


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b''

    def line(self):
        while b'\n' not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        l, _, self.buf = self.buf.partition(b'\n')
        return l + b'\n'

    def reply(self):
        """one reply, every line of it"""
        out = []
        while True:
            l = self.line()
            out.append(l)
            if len(l) < 4 or l[3:4] != b'-':
                return out


def show(lines):
    for l in lines:
        sys.stdout.write('S: %r\n' % l)


def session(port, steps):
    """steps: bytes to send, each followed by reading one reply"""
    s = connect(port)
    r = Reader(s)
    try:
        show(r.reply())
        for data in steps:
            s.sendall(data)
            show(r.reply())
    except EOFError:
        print('closed')
    s.close()


def main():
    port, case = int(sys.argv[1]), sys.argv[2]
    if case == 'longline':
        session(port, [b'EHLO client.test\r\n', b'NOOP ' + b'a' * MB10 + b'\r\n',
                       b'HELO ' + b'h' * MB10 + b'\r\n', b'NOOP\r\n', b'QUIT\r\n'])
    elif case == 'longdata':
        session(port, [b'EHLO client.test\r\n', b'MAIL FROM:<a@client.test>\r\n',
                       b'RCPT TO:<root@host.example.com>\r\n', b'DATA\r\n',
                       b'Subject: long\r\n\r\n' + b'b' * (MB10 // 2) + b'\r\n.\r\n',
                       b'QUIT\r\n'])
    elif case == 'barelf':
        session(port, [b'EHLO client.test\n', b'MAIL FROM:<a@client.test>\n',
                       b'RCPT TO:<root@host.example.com>\n', b'DATA\n',
                       b'Subject: bare\n\nline\n.\n', b'QUIT\n'])
    elif case == 'nul':
        session(port, [b'EHLO client.test\r\n', b'MAIL FROM:<a\0b@client.test>\r\n',
                       b'NOOP\0\r\n', b'MAIL FROM:<a@client.test>\r\n',
                       b'RCPT TO:<root@host.example.com>\r\n', b'DATA\r\n',
                       b'Subject: nul\r\n\r\nx\0y\r\n.\r\n', b'QUIT\r\n'])
    elif case == 'flood':
        s = connect(port)
        r = Reader(s)
        show(r.reply())
        s.sendall(b'EHLO client.test\r\n')
        show(r.reply())
        n = 20000
        # Send everything before reading anything (the server must not
        # grow without bound, nor stop serving others, meanwhile).
        s.setblocking(False)
        data, sent, replies = b'HELO flood.client.test\r\n' * n + b'QUIT\r\n', 0, 0
        deadline = time.time() + 100
        while time.time() < deadline:
            if sent < len(data):
                try:
                    sent += s.send(data[sent:sent + 65536])
                except BlockingIOError:
                    pass
            try:
                d = s.recv(65536)
                if not d:
                    break
                r.buf += d
            except BlockingIOError:
                if sent >= len(data):
                    time.sleep(0.01)
        for l in r.buf.split(b'\n'):
            if l.startswith(b'250 '):
                replies += 1
        last = r.buf.rstrip(b'\n').split(b'\n')[-1] + b'\n'
        print('HELO replies: %d' % replies)
        show([last])
    elif case == 'served':
        session(port, [b'EHLO client.test\r\n', b'MAIL FROM:<a@client.test>\r\n',
                       b'RCPT TO:<root@host.example.com>\r\n', b'DATA\r\n',
                       b'Subject: served\r\n\r\nx\r\n.\r\n', b'QUIT\r\n'])
    else:
        raise SystemExit('unknown case ' + case)


main()
