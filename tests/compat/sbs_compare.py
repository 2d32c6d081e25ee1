#!/usr/bin/env python3
"""sbs_compare.py - compare the transcripts of Postfix and of the target,
case by case, and print the TAP of tests/compat/sbs.sh.

Usage: sbs_compare.py [--known FILE] [--target NAME] [--record DIR]
                      [--refused INSTANCE] [--no-target]
                      MANIFEST POSTFIX_DIR TARGET_DIR

For each case of MANIFEST (cases.tsv of sbs_cases.py), reads
POSTFIX_DIR/NAME.out (and NAME.err and sessions.log, as sbs_client.py
writes them) and TARGET_DIR/NAME.out (and .err: why the target gave no
transcript), masks queue ids ("queued as 3F3D3A7404F" -> "queued as XXXX")
in both, and prints
one TAP line per case.  A case that differs says where: the first reply line
that differs, the client line it answers, and both sides.

--known FILE: the listed known differences, "PATTERN<TAB>REASON" lines;
PATTERN is a case name, or TARGET:NAME for one target only (--target), and
may hold shell wildcards.  A listed case that differs is "ok ... # SKIP" with
its reason, and the list is printed at the end.  Only a difference is
excused: a target that gave no transcript, or a Postfix-side failure (no
reply, a refused XCLIENT), never is.

--refused INSTANCE: the target refuses to run that instance's configuration
by design (pfc build refuses what pfc check calls an error, where smtpd
answers 451 4.3.5 at run time): its cases that failed on the target side
for that reason are "ok ... # SKIP"; a case that ran is compared as usual.

--no-target: only Postfix's half ran (recording); the target's side is not
compared.  --record DIR: also write the masked Postfix transcripts
(NAME.postfix), the sessions (NAME.session) and the byte logs (NAME.log).

Exit status 1 when a case fails.  Python 3 standard library only.
"""

import argparse
import ast
import fnmatch
import os
import re
import shutil
import sys

QUEUE_ID = re.compile(rb'(queued as )[0-9A-Za-z]+')


def mask(data):
    return QUEUE_ID.sub(rb'\1XXXX', data)


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        return None


def text(b):
    return b.decode('utf-8', 'replace').strip()


def read_logs(path):
    """sessions.log of sbs_client.py: case name -> its log text"""
    logs = {}
    data = read(path)
    if data is None:
        return logs
    name = None
    for line in data.decode('utf-8', 'replace').splitlines(keepends=True):
        if line.startswith('== '):
            name = line[3:].strip()
            logs[name] = ''
        elif name is not None:
            logs[name] += line
    return logs


def commands_for(log, xclient):
    """for each reply line of the compared transcript, the client line sent before it"""
    out = []
    last = None
    started = not xclient
    for entry in log.splitlines():
        who, _, rep = entry.partition(': ')
        try:
            b = ast.literal_eval(rep)
        except (ValueError, SyntaxError):
            continue
        if who == 'C':
            # The first line sent is XCLIENT: its answer is the first compared.
            started = True
            last = b.rstrip(b'\r\n').split(b'\r\n')[-1]
        elif who == 'S' and started:
            out.append(last)
    return out


def known_reason(known, target, name):
    for pattern, reason in known:
        if ':' in pattern:
            t, _, p = pattern.partition(':')
            if t != target:
                continue
        else:
            p = pattern
        if fnmatch.fnmatchcase(name, p):
            return reason
    return None


def compare(name, xclient, pdir, tdir, no_target, log):
    """(status, detail lines): identical, differ, postfix-error, target-error"""
    p = read(os.path.join(pdir, name + '.out'))
    perr = read(os.path.join(pdir, name + '.err'))
    if perr is not None or p is None:
        return 'postfix-error', ['postfix side: %s' % text(perr or b'no transcript')]
    if no_target:
        return 'recorded', []
    t = read(os.path.join(tdir, name + '.out'))
    terr = read(os.path.join(tdir, name + '.err'))
    if t is None or (terr is not None and not t):
        return 'target-error', ['target: %s' % text(terr or b'no transcript')]
    if mask(p) == mask(t):
        return 'identical', []
    pl, tl = mask(p).splitlines(keepends=True), mask(t).splitlines(keepends=True)
    i = 0
    while i < len(pl) and i < len(tl) and pl[i] == tl[i]:
        i += 1
    cmds = commands_for(log, xclient)
    cmd = cmds[i] if i < len(cmds) else None
    detail = ['first difference at reply line %d%s:' % (
                  i + 1, ' (answering %r)' % cmd if cmd is not None else ''),
              '  postfix: %r' % (pl[i] if i < len(pl) else '<end>'),
              '  target:  %r' % (tl[i] if i < len(tl) else '<end>'),
              '  (postfix %d reply lines, target %d)' % (len(pl), len(tl))]
    if terr:
        detail.append('  target: %s' % text(terr).splitlines()[0][:300])
    return 'differ', detail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--known')
    ap.add_argument('--target', default='trace')
    ap.add_argument('--record')
    ap.add_argument('--no-target', action='store_true')
    ap.add_argument('--refused', action='append', default=[])
    ap.add_argument('manifest')
    ap.add_argument('pdir')
    ap.add_argument('tdir')
    a = ap.parse_args()

    known = []
    if a.known:
        with open(a.known, encoding='utf-8') as f:
            for line in f:
                line = line.rstrip('\n')
                if line and '\t' in line:
                    known.append(tuple(line.split('\t', 1)))
    base = os.path.dirname(os.path.abspath(a.manifest))
    with open(a.manifest, encoding='utf-8') as f:
        cases = [l.rstrip('\n').split('\t') for l in f if l.strip() and not l.startswith('#')]
    if a.record:
        os.makedirs(a.record, exist_ok=True)
    logs = read_logs(os.path.join(a.pdir, 'sessions.log'))

    print('1..%d' % len(cases))
    same = failed = pferr = 0
    listed = []
    seen = {}           # error text -> first case that showed it
    for n, c in enumerate(cases, 1):
        name, xclient, sess = c[0], c[5] == 'yes', c[7]
        if a.record:
            p = read(os.path.join(a.pdir, name + '.out'))
            if p is not None:
                with open(os.path.join(a.record, name + '.postfix'), 'wb') as f:
                    f.write(mask(p))
            shutil.copyfile(os.path.join(base, sess), os.path.join(a.record, name + '.session'))
            if name in logs:
                with open(os.path.join(a.record, name + '.log'), 'w', encoding='utf-8') as f:
                    f.write(logs[name])
        status, detail = compare(name, xclient, a.pdir, a.tdir, a.no_target,
                                 logs.get(name, ''))
        reason = None
        if status == 'differ':
            reason = known_reason(known, a.target, name)
        elif status == 'target-error' and c[1] in a.refused and 'build' in detail[0]:
            reason = 'the target refuses this configuration by design: ' + detail[0][:300]
        if status == 'identical':
            same += 1
            print('ok %d - %s' % (n, name))
        elif status == 'recorded':
            print('ok %d - %s # SKIP recorded, target not run' % (n, name))
        elif reason is not None:
            print('ok %d - %s # SKIP known difference: %s' % (n, name, reason))
            listed.append((name, reason))
        else:
            failed += 1
            if status == 'postfix-error':
                pferr += 1
            print('not ok %d - %s (%s)' % (n, name, status))
            if status == 'differ':
                for d in detail:
                    print('#   ' + d)
            elif detail[0] in seen:
                # A target that fails outright fails every case alike.
                print('#   the same as case %d' % seen[detail[0]])
            else:
                seen[detail[0]] = n
                print('#   ' + detail[0])
    # A listed case has no reply of one side to compare (Postfix crashed,
    # or the target refuses the configuration by design): it is left out
    # of the comparison, said with its reason, never counted as identical.
    print('# identical: %d/%d compared (%d sessions, %d not comparable)'
          % (same, len(cases) - len(listed), len(cases), len(listed)))
    if listed:
        print('# not comparable (%d):' % len(listed))
        for name, reason in listed:
            print('#   %s: %s' % (name, reason))
    if pferr:
        print('# %d case(s) failed on the Postfix side (harness errors)' % pferr)
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
