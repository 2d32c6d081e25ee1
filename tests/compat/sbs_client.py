#!/usr/bin/env python3
"""sbs_client.py - send an SMTP session, as `pfc trace` reads it, to a server
and record the server's replies byte for byte.

A session file holds the client's lines, one per line (LF or CRLF ends):
commands, and after a DATA the message lines and the final ".".  The client
sends each line with CRLF and reads the whole (multi-line) reply before it
sends the next command.  After a 354 reply it sends the message lines up to
and including the lone "." line in one write, then reads one reply.  A
command refused instead of answered 354 leaves the message lines to be read
as commands, as a real client that does not listen would send them.

When the case names a client (--xclient ADDR,NAME), the session starts with
XCLIENT ADDR=... NAME=... (NAME "unknown" is sent as [UNAVAILABLE], with
REVERSE_NAME too, so the server has no name for the client); the server
answers it with a new greeting, and the transcript starts there.  Without
--xclient the transcript starts with the first greeting.

--pipeline sends the first line of the session (EHLO or HELO) and reads its
reply, then sends every other line in one write and reads replies until the
server closes the connection: for sessions that test command pipelining.

The transcript is the concatenation of every reply line received, CRLF
included; a connection closed by the server ends it.  A reply that does not
arrive within --timeout seconds, a refused connection or a refused XCLIENT
is a harness error: it is written to standard error (or to the .err file in
batch mode) and the exit status is 1.

Batch mode (--batch MANIFEST --out DIR [--jobs N]) runs every case of a
manifest written by sbs_cases.py (tab-separated: name, instance, service,
client address, client name, xclient yes|no, mode serial|pipeline, session
path relative to the manifest's directory), several at a time, and writes
DIR/NAME.out (the transcript) and DIR/NAME.err (only on a harness error),
and DIR/sessions.log: for each case a line "== NAME", then what was sent
and received, one "C: " or "S: " and a Python bytes repr a line.
--port-map lets the same manifest run against another server:
"--port-map 127.0.0.1:2525=127.0.0.1:3525" sends that service's sessions
elsewhere.  With --command TEMPLATE, batch mode does not talk SMTP: it runs
TEMPLATE for each case ({image}, {service}, {client} = ADDR,NAME,
{instance} and {case} filled in, the image of each instance from --images) with the
session on standard input, and the command's standard output is the
transcript (`pfc trace`); a non-zero exit status goes to NAME.err.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import os
import shlex
import socket
import subprocess
import sys
import threading


class HarnessError(Exception):
    """The session could not be run as the case says (not a server reply)."""


class NoGreeting(HarnessError):
    """The server did not greet: nothing of that service will work."""


class Conn:
    """One SMTP connection that reads whole replies and keeps a record."""

    def __init__(self, host, port, timeout):
        self.timeout = timeout
        self.buf = b''
        self.closed = False
        self.record = []        # reply lines, bytes, in order
        self.log = []           # ('C'|'S', bytes) for the .log file
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as e:
            raise HarnessError('cannot connect to %s:%d: %s' % (host, port, e))
        self.sock.settimeout(timeout)

    def send(self, data):
        self.log.append(('C', data))
        try:
            self.sock.sendall(data)
        except OSError:
            # The server may have closed after its last reply; what it said
            # is already recorded.
            self.closed = True

    def _fill(self):
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise HarnessError('no reply within %g s (partial: %r)'
                               % (self.timeout, self.buf[:200]))
        except ConnectionResetError:
            d = b''
        if not d:
            self.closed = True
            return False
        self.buf += d
        return True

    def reply(self):
        """read_reply - one complete reply, or [] when the server closed"""
        lines = []
        while True:
            while b'\n' not in self.buf:
                if self.closed or not self._fill():
                    if self.buf:
                        # An unterminated last line: keep its bytes.
                        lines.append(self.buf)
                        self.log.append(('S', self.buf))
                        self.buf = b''
                    return lines
            line, self.buf = self.buf.split(b'\n', 1)
            line += b'\n'
            lines.append(line)
            self.log.append(('S', line))
            if len(line) < 4 or line[3:4] != b'-':
                return lines

    def rest(self):
        """read until the server closes (pipelined sessions)"""
        out = []
        while True:
            r = self.reply()
            if not r:
                return out
            out.extend(r)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


XCLIENT_ERRORS = (b'501 5.5.4 ', b'503 5.5.1 Error: MAIL transaction',
                  b'503 5.7.0 Error: access denied',
                  b'550 5.7.0 Error: insufficient authorization')


def xclient_line(addr, name):
    """the XCLIENT command that makes the server see client ADDR with NAME"""
    if ':' in addr and not addr.upper().startswith('IPV6:'):
        addr = 'IPV6:' + addr
    if name == 'unknown':
        return 'XCLIENT ADDR=%s NAME=[UNAVAILABLE] REVERSE_NAME=[UNAVAILABLE]' % addr
    return 'XCLIENT ADDR=%s NAME=%s' % (addr, name)


def read_session(path):
    with open(path, 'rb') as f:
        data = f.read()
    lines = data.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    return [l[:-1] if l.endswith(b'\r') else l for l in lines]


def run_session(host, port, lines, client=None, pipeline=False, timeout=10.0):
    """run one session; return (transcript bytes, log lines)"""
    c = Conn(host, port, timeout)
    try:
        try:
            greeting = c.reply()
        except HarnessError as e:
            raise NoGreeting('no greeting: %s' % e)
        if not greeting:
            raise NoGreeting('the server closed without a greeting')
        if client is not None:
            if not greeting[-1].startswith(b'220'):
                # smtpd_delay_reject = no refused the harness itself.
                raise HarnessError('the harness client was refused before XCLIENT: %r'
                                   % b''.join(greeting))
            c.send(xclient_line(*client).encode() + b'\r\n')
            r = c.reply()
            # Its answer is a new greeting, or what the client restrictions
            # say at connect time (smtpd_delay_reject = no); these are
            # XCLIENT's own refusals.
            if not r or r[-1].startswith(XCLIENT_ERRORS):
                raise HarnessError('XCLIENT refused: %r' % b''.join(r))
            # The replies compared start with the greeting after XCLIENT.
            c.record = list(r)
        else:
            c.record = list(greeting)
        if pipeline:
            # EHLO (or HELO) and its answer first: only then may a client
            # that saw PIPELINING send the rest without waiting.
            c.send(lines[0] + b'\r\n')
            c.record.extend(c.reply())
            c.send(b''.join(l + b'\r\n' for l in lines[1:]))
            c.record.extend(c.rest())
            return b''.join(c.record), c.log
        i = 0
        while i < len(lines) and not c.closed:
            c.send(lines[i] + b'\r\n')
            i += 1
            r = c.reply()
            c.record.extend(r)
            if not r:
                break
            if r[-1].startswith(b'354'):
                # The message: every line up to and including the lone ".".
                j = i
                while j < len(lines) and lines[j] != b'.':
                    j += 1
                if j == len(lines):
                    # The session was written to end here (a server
                    # that crashes after DATA): so does the client.
                    break
                c.send(b''.join(l + b'\r\n' for l in lines[i:j + 1]))
                i = j + 1
                r = c.reply()
                c.record.extend(r)
                if not r:
                    break
        return b''.join(c.record), c.log
    finally:
        c.close()


def format_log(log):
    return ''.join('%s: %r\n' % (who, data) for who, data in log)


def parse_manifest(path):
    cases = []
    base = os.path.dirname(os.path.abspath(path))
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            fields = line.split('\t')
            if len(fields) != 8:
                raise SystemExit('%s:%d: expected 8 tab-separated fields' % (path, n))
            name, inst, service, addr, cname, xcl, mode, sess = fields
            cases.append(dict(name=name, instance=inst, service=service,
                              addr=addr, cname=cname, xclient=(xcl == 'yes'),
                              pipeline=(mode == 'pipeline'),
                              session=os.path.join(base, sess)))
    return cases


# Services that did not greet once: their other sessions fail at once
# instead of waiting for the timeout each (an smtpd that dies at start).
dead_services = {}
dead_lock = threading.Lock()


def run_case(case, outdir, portmap, timeout):
    service = portmap.get(case['service'], case['service'])
    host, port = service.rsplit(':', 1)
    client = (case['addr'], case['cname']) if case['xclient'] else None
    err = None
    with dead_lock:
        dead = dead_services.get(service)
    if dead is not None:
        out, log, err = b'', [], 'not run: %s did not greet before (%s)' % (service, dead)
    else:
        try:
            out, log = run_session(host, int(port), read_session(case['session']),
                                   client, case['pipeline'], timeout)
        except NoGreeting as e:
            out, log, err = b'', [], str(e)
            with dead_lock:
                dead_services[service] = str(e)
        except HarnessError as e:
            out, log, err = b'', [], str(e)
    base = os.path.join(outdir, case['name'])
    with open(base + '.out', 'wb') as f:
        f.write(out)
    if err is not None:
        with open(base + '.err', 'w', encoding='utf-8') as f:
            f.write(err + '\n')
    return case['name'], err, format_log(log)


def split_replies(data):
    """the replies in a transcript, each a list of its lines (CRLF kept)"""
    replies, current = [], []
    for line in data.splitlines(keepends=True):
        current.append(line)
        if len(line) < 4 or line[3:4] != b'-':
            replies.append(current)
            current = []
    if current:
        replies.append(current)
    return replies


def run_command_case(case, outdir, template, images, timeout):
    """answer one case with a command that reads the session on stdin

    As with an SMTP target, the command's client is the harness
    (127.0.0.1, localhost) and the session starts with the XCLIENT that
    makes the case's client: what depends on the connecting peer
    (permit_inet_interfaces, XFORWARD, smtpd_delay_reject = no) sees what
    Postfix sees.  The transcript kept starts with XCLIENT's answer.
    """
    base = os.path.join(outdir, case['name'])
    image, error = images.get(case['instance'], (None, 'no image for instance %s'
                                                  % case['instance']))
    err = None
    out = b''
    if error:
        err = error
    else:
        client = '127.0.0.1,localhost' if case['xclient'] else \
            '%s,%s' % (case['addr'], case['cname'])
        argv = [a.replace('{image}', image).replace('{service}', case['service'])
                .replace('{client}', client).replace('{instance}', case['instance'])
                .replace('{case}', case['name'])
                for a in shlex.split(template)]
        # {pipeline}: --pipeline for a case whose client pipelines after EHLO, else nothing
        argv = [a for a in (('--pipeline' if case['pipeline'] else None) if a == '{pipeline}'
                            else a for a in argv) if a is not None]
        try:
            with open(case['session'], 'rb') as f:
                session = f.read()
            if case['xclient']:
                eol = b'\r\n' if b'\r\n' in session else b'\n'
                session = xclient_line(case['addr'], case['cname']).encode() + eol + session
            p = subprocess.run(argv, input=session, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout)
            out = p.stdout
            # pfc trace exits 1 when the session ends without QUIT (a
            # case that tests that): its replies are the transcript all
            # the same.
            unfinished = p.returncode == 1 and b'the session ends ' in p.stderr
            if p.returncode != 0 and not unfinished:
                first = b' '.join(p.stderr.strip().splitlines()[:2])
                err = '%s exited %d: %s' % (os.path.basename(argv[0]), p.returncode,
                                            first.decode('utf-8', 'replace')[:400])
            elif case['xclient']:
                replies = split_replies(out)
                if len(replies) < 2 or not replies[0][-1].startswith(b'220 '):
                    err = 'the harness client was refused before XCLIENT: %r' % out[:200]
                elif replies[1][-1].startswith(XCLIENT_ERRORS):
                    err = 'XCLIENT refused: %r' % b''.join(replies[1])
                else:
                    # XCLIENT's answer is the new greeting (or the client
                    # restrictions' refusal at connect): kept, as smtp does.
                    out = b''.join(b''.join(r) for r in replies[1:])
        except subprocess.TimeoutExpired:
            err = '%s: no answer within %g s' % (argv[0], timeout)
        except OSError as e:
            err = '%s: %s' % (argv[0], e)
    with open(base + '.out', 'wb') as f:
        f.write(out)
    if err is not None:
        with open(base + '.err', 'w', encoding='utf-8') as f:
            f.write(err + '\n')
    return case['name'], err, ''


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--xclient', metavar='ADDR,NAME')
    ap.add_argument('--pipeline', action='store_true')
    ap.add_argument('--timeout', type=float, default=10.0)
    ap.add_argument('--batch', metavar='MANIFEST')
    ap.add_argument('--out', metavar='DIR')
    ap.add_argument('--jobs', type=int, default=4)
    ap.add_argument('--port-map', action='append', default=[],
                    metavar='SERVICE=HOST:PORT')
    ap.add_argument('--command', metavar='TEMPLATE',
                    help='batch: run TEMPLATE ({image} {service} {client} '
                    '{instance} {case} filled in) with each session on stdin '
                    'instead of talking SMTP')
    ap.add_argument('--images', metavar='FILE',
                    help='batch --command: instance TAB image [TAB why there is none]')
    ap.add_argument('target', nargs='?', metavar='HOST:PORT')
    ap.add_argument('session', nargs='?')
    a = ap.parse_args()

    if a.batch:
        if not a.out:
            ap.error('--batch needs --out DIR')
        portmap = dict(m.split('=', 1) for m in a.port_map)
        cases = parse_manifest(a.batch)
        os.makedirs(a.out, exist_ok=True)
        bad = 0
        # Sessions of one service in a row reuse its idle smtpd processes.
        images = {}
        if a.images:
            with open(a.images, encoding='utf-8') as f:
                for line in f:
                    fields = line.rstrip('\n').split('\t')
                    images[fields[0]] = (fields[1], fields[2] if len(fields) > 2 else '')
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
            if a.command:
                futs = [ex.submit(run_command_case, c, a.out, a.command, images,
                                  2 * a.timeout) for c in cases]
            else:
                futs = [ex.submit(run_case, c, a.out, portmap, a.timeout) for c in cases]
            logs = []
            for fu in futs:
                name, err, log = fu.result()
                if log:
                    logs.append('== %s\n%s' % (name, log))
                if err is not None:
                    bad += 1
                    print('sbs_client: %s: %s' % (name, err), file=sys.stderr)
        if logs:
            with open(os.path.join(a.out, 'sessions.log'), 'w', encoding='utf-8') as f:
                f.write(''.join(logs))
        return 1 if bad else 0

    if not a.target or not a.session:
        ap.error('need HOST:PORT and SESSION (or --batch)')
    host, port = a.target.rsplit(':', 1)
    client = tuple(a.xclient.split(',', 1)) if a.xclient else None
    if client is not None and len(client) != 2:
        ap.error('--xclient takes ADDR,NAME')
    try:
        out, _ = run_session(host, int(port), read_session(a.session), client,
                             a.pipeline, a.timeout)
    except HarnessError as e:
        print('sbs_client: %s' % e, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
