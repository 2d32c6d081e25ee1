#!/usr/bin/env python3
"""local-compare.py - compare what Postfix's local(8) and pfc's local
delivery left behind (tests/e2e/local-postfix.sh collects both into
directories of the same shape): mbox files and /files as multisets of
messages, Maildir files, each command's arguments, environment and input,
owners and modes, and the log lines. Dates, queue ids, the times in MIME
boundaries and Message-Ids, delays and the --root prefix are masked.
Prints TAP, one result per item; exit 1 when any differs.

usage: local-compare.py --root ROOT --users A,B,C,D POSTFIX_DIR PFC_DIR
"""
import argparse
import difflib
import os
import re
import stat
import sys

FROM_LINE = re.compile(rb"^(From \S+  )\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", re.M)
DATE = re.compile(rb"\w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)")
QID = re.compile(rb"\b[0-9A-F]{10,16}\b")
BOUNDARY_TIME = re.compile(rb"QID\.\d+/")
MSGID_TIME = re.compile(rb"<\d{14}\.QID@")
DELAYS = re.compile(rb", (delay|delays|conn_use)=[^,]*")
CAPTURE_TIME = re.compile(r"cap\.([^.]*)\.\d+")


def mask(data, root):
    if root:
        data = data.replace(root.encode() + b"/", b"/")
    data = FROM_LINE.sub(rb"\1DATE", data)
    data = DATE.sub(b"DATE", data)
    data = QID.sub(b"QID", data)
    data = BOUNDARY_TIME.sub(b"QID.TIME/", data)
    data = MSGID_TIME.sub(b"<TIME.QID@", data)
    return data


def mbox_messages(data):
    """An mbox as a list of messages: each starts at a "From " line that
    follows an empty line (or the start)."""
    messages, current = [], []
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"From ") and (i == 0 or lines[i - 1] == b""):
            if current:
                messages.append(b"\n".join(current))
            current = []
        current.append(line)
    if current and current != [b""]:
        messages.append(b"\n".join(current))
    # Where a message ends in the file is the order's business; the empty
    # line after each is checked by the split above and by ends_blank().
    return [m.rstrip(b"\n") for m in messages]


def ends_blank(data):
    return b"ends with an empty line" if data.endswith(b"\n\n") else b"does not end with an empty line"


class Compare:
    def __init__(self, root):
        self.root = root
        self.n = 0
        self.failed = 0

    def result(self, name, a, b):
        self.n += 1
        if a == b:
            print("ok %d - %s" % (self.n, name))
            return
        self.failed += 1
        print("not ok %d - %s" % (self.n, name))
        a_lines = [x.decode("utf-8", "replace") for x in a] if isinstance(a, list) else \
            a.decode("utf-8", "replace").splitlines()
        b_lines = [x.decode("utf-8", "replace") for x in b] if isinstance(b, list) else \
            b.decode("utf-8", "replace").splitlines()
        for line in list(difflib.unified_diff(a_lines, b_lines, "postfix", "pfc",
                                              lineterm=""))[:80]:
            print("# " + line)

    def mbox(self, name, path_a, path_b):
        da, db = read(path_a), read(path_b)
        a = mbox_messages(mask(da, self.root))
        b = mbox_messages(mask(db, self.root))
        self.result(name, sorted(a), sorted(b))
        self.result(name + ": the end", ends_blank(da), ends_blank(db))


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b"(missing)"


def owner_mode(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return b"(missing)"
    return ("%o %d:%d" % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="")
    ap.add_argument("--users", required=True)
    ap.add_argument("postfix")
    ap.add_argument("pfc")
    args = ap.parse_args()
    users = args.users.split(",")
    c = Compare(args.root)
    pf, pc = args.postfix, args.pfc

    # The spool mailboxes: content, then owner, group and mode.
    for u in users:
        a, b = os.path.join(pf, "spool", u), os.path.join(pc, "spool", u)
        c.mbox("spool mailbox of %s" % u, a, b)
        c.result("spool mailbox of %s: mode and owner" % u, owner_mode(a), owner_mode(b))

    # Maildirs: the files of new/ as a multiset, the directories' modes.
    for rel in ["home/%s/Maildir" % u for u in users] + ["out/md"]:
        a, b = os.path.join(pf, rel), os.path.join(pc, rel)
        u = rel
        if not os.path.isdir(a) and not os.path.isdir(b):
            continue
        files = []
        for d in (a, b):
            new = os.path.join(d, "new")
            names = sorted(os.listdir(new)) if os.path.isdir(new) else []
            files.append(sorted(mask(read(os.path.join(new, x)), args.root) for x in names))
        c.result("Maildir of %s: messages" % u, files[0], files[1])
        shape = []
        for d in (a, b):
            lines = []
            for sub in ("", "new", "cur", "tmp"):
                lines.append(b"%s %s" % (sub.encode(), owner_mode(os.path.join(d, sub))))
            new = os.path.join(d, "new")
            for x in sorted(os.listdir(new)) if os.path.isdir(new) else []:
                # SECONDS.VdevIinoMusec.HOST, as local(8) names them
                ok = re.fullmatch(r"\d+\.V[0-9a-f]+I[0-9a-f]+M\d+\.%s" % re.escape(os.uname()[1]), x)
                lines.append(b"new/NAME %s %s" % (b"well-formed" if ok else x.encode(),
                                                 owner_mode(os.path.join(new, x))))
            shape.append(lines)
        c.result("Maildir of %s: names, modes and owners" % u, shape[0], shape[1])

    # /files of aliases and .forward.
    for rel in ["out/alias-file.mbox", "out/incl-file.mbox", "out/shell.txt"] + \
            ["home/%s/%s" % (u, f) for u in users for f in ("fwd-file.mbox", "Mailbox")]:
        a, b = os.path.join(pf, rel), os.path.join(pc, rel)
        if not os.path.exists(a) and not os.path.exists(b):
            continue
        c.mbox("file %s" % rel, a, b)
        c.result("file %s: mode and owner" % rel, owner_mode(a), owner_mode(b))

    # Commands: what each got (arguments, ids, cwd, umask, environment, stdin).
    def captures(d):
        out = {}
        o = os.path.join(d, "out")
        for x in sorted(os.listdir(o)) if os.path.isdir(o) else []:
            m = CAPTURE_TIME.match(x)
            if m:
                key = m.group(1) + os.path.splitext(x)[1]
                out.setdefault(key, []).append(mask(read(os.path.join(o, x)), args.root))
        return out
    ca, cb = captures(pf), captures(pc)
    for key in sorted(set(ca) | set(cb)):
        c.result("command %s" % key, sorted(ca.get(key, [])), sorted(cb.get(key, [])))

    # The log lines, delays and queue ids masked, as multisets.
    la = [mask(DELAYS.sub(b"", x), args.root) for x in read(os.path.join(pf, "log")).splitlines()]
    lb = [mask(DELAYS.sub(b"", x), args.root) for x in read(os.path.join(pc, "log")).splitlines()]
    c.result("log lines (%d)" % len(la), sorted(la), sorted(lb))

    print("1..%d" % c.n)
    print("# identical: %d/%d" % (c.n - c.failed, c.n))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
