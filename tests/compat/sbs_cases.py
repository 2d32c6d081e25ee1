#!/usr/bin/env python3
"""sbs_cases.py - the configurations and SMTP sessions of tests/compat/sbs.sh.

Writes, under OUTDIR (absolute):

  instances.tsv        name TAB directory, one Postfix instance a line
  INSTANCE/etc/        main.cf, master.cf and every table (sources)
  INSTANCE/maps.list   "postmap hash:FILE" / "postalias hash:FILE" lines:
                       the tables Postfix needs built (pfc reads the sources)
  cases.tsv            name, instance, service, client address, client
                       name, xclient yes|no, mode serial|pipeline, session
                       (pipeline: the first line is answered alone, the
                       rest go in one write)
  sessions/NAME        one session as `pfc trace` reads it

One instance serves many configurations at once: each configuration is an
smtpd service on its own 127.0.0.1 port with -o overrides in master.cf, so
`pfc trace --service 127.0.0.1:PORT` and Postfix see the same thing.  Only
what must differ in main.cf (the compatibility level, read by every daemon,
trivial-rewrite too) gets another instance (b), and the configurations that
`pfc check` calls errors get their own (c), so that they cannot keep the
others from building.  Every transport is discard:, the only listeners are
on 127.0.0.1, and the host names are fixed (mail.sbs.test), so nothing
leaves the machine and nothing depends on it.

The sessions cover the smtpd restriction lists of every stage, every
access(5) result, the lookup key orders, the address classes and the
protocol replies of SPEC-runtime.md section 1; what needs DNS, a policy
server, SASL or TLS is left out (see sbs.sh).

Usage: sbs_cases.py OUTDIR [--port-base N] [--no-ipv6]
Python 3 standard library only.
"""

import argparse
import os
import random
import socket
import sys

# ---------------------------------------------------------------- clients
# (address, verified name); "unknown" = the client has no name.
IN = ('127.0.0.1', 'localhost')          # mynetworks, inet_interfaces, XCLIENT host
LOOP9 = ('127.0.0.9', 'unknown')         # loopback, outside mynetworks_style=host
OUT = ('198.51.100.10', 'out.client.test')

HELO = 'EHLO helo.client.test'
# With smtpd_delay_reject = no the client restrictions also judge the
# harness's own connection, before XCLIENT; lists that would refuse it
# start with this.
HARNESS_OK = 'check_client_access,inline:{127.0.0.1=OK}'
SENDER = 's@sender.test'
LOCALRCPT = 'alice@local.test'


def body(tag):
    return ['DATA', 'Subject: sbs %s' % tag, '', 'body of %s' % tag, '.']


def tx(rcpts=(LOCALRCPT,), sender=SENDER, helo=HELO, data=True, tag='x', after=()):
    """a transaction: [HELO] MAIL RCPT... [DATA message .] AFTER... QUIT"""
    lines = []
    if helo:
        lines.append(helo)
    if sender is not None:
        lines.append('MAIL FROM:<%s>' % sender)
    for r in rcpts:
        lines.append('RCPT TO:<%s>' % r)
    if data:
        lines += body(tag)
    lines += list(after)
    lines.append('QUIT')
    return lines


# ---------------------------------------------------------------- model
class Case:
    def __init__(self, name, service, client, lines, pipeline=False):
        self.name, self.service, self.client = name, service, client
        self.lines, self.pipeline = lines, pipeline


class Service:
    def __init__(self, inst, key, overrides):
        self.inst, self.key, self.overrides = inst, key, overrides
        self.port = None
        self.cases = []

    @property
    def name(self):
        return '127.0.0.1:%d' % self.port

    def case(self, suffix, client, lines, pipeline=False):
        name = '%s-%s' % (self.key, suffix) if suffix else self.key
        self.cases.append(Case(name, self, client, lines, pipeline))
        return self


class Instance:
    def __init__(self, name, main, tables, maps):
        self.name, self.main, self.tables, self.maps = name, main, tables, maps
        self.services = []
        self.dir = None

    def service(self, key, *overrides):
        """overrides: 'name=value' strings (values may hold spaces)"""
        s = Service(self, key, [o.split('=', 1) for o in overrides])
        self.services.append(s)
        return s


# ---------------------------------------------------------------- tables
# {D} is the instance directory; {E} its etc/.

# access(5) results, keyed by domain so one table serves every stage
# (client and HELO names, sender and recipient domains, ETRN domains).
RESULTS = [
    ('ok', 'OK'),
    ('oklower', 'ok'),
    ('digits', '12345'),
    ('reject', 'REJECT'),
    ('rejtext', 'REJECT custom reject text'),
    ('rejspace', 'REJECT   lots   of   space'),
    ('rejlower', 'reject lower case action'),
    ('defer', 'DEFER'),
    ('defertext', 'DEFER come back later'),
    ('r450', '450 temporary text'),
    ('r450e', '450 4.7.9 temporary with enhanced code'),
    ('r550', '550 permanent text'),
    ('r550e', '550 5.7.9 permanent with enhanced code'),
    ('r554dsn', '554 5.1.1 user gone'),
    ('r550mix', '550 4.7.1 mismatched class'),
    ('r421', '421 go away now'),
    ('r521', '521 not here'),
    ('r250', '250 fine'),
    ('dunno', 'DUNNO'),
    ('dip', 'DEFER_IF_PERMIT dip text'),
    ('dipbare', 'DEFER_IF_PERMIT'),
    ('dir', 'DEFER_IF_REJECT dir text'),
    ('dirbare', 'DEFER_IF_REJECT'),
    ('warn', 'WARN warn text'),
    ('hold', 'HOLD hold text'),
    ('holdbare', 'HOLD'),
    ('discard', 'DISCARD discard text'),
    ('filter', 'FILTER discard:filtered'),
    ('filterbad', 'FILTER nocolon'),
    ('redirect', 'REDIRECT redirected@elsewhere.test'),
    ('redirectbad', 'REDIRECT'),
    ('prepend', 'PREPEND X-Sbs-Prepend: yes'),
    ('bcc', 'BCC bcc@elsewhere.test'),
    ('info', 'INFO info text'),
    ('restr', 'reject_unauth_destination'),
    ('restrlist', 'permit_mynetworks, reject'),
    ('permit', 'permit'),
    ('dipword', 'defer_if_permit'),
    ('class', 'cls_reject'),
    ('classok', 'cls_permit'),
    ('classnest', 'cls_nested'),
    ('table', 'check_client_access texthash:{E}/results'),
    ('unknown', 'NO_SUCH_ACTION'),
]

RESULT_SUBSET = ('ok', 'reject', 'rejtext', 'defer', 'r450e', 'r554dsn', 'r421',
                 'dunno', 'dip', 'dir', 'discard', 'hold', 'class', 'table', 'unknown')

# The lookup key orders (SPEC.md 8.3): each value names the key that hit.
KEYS = """\
# client names and addresses
host.sub.ck.test        REJECT key=host.sub.ck.test
ck.test                 REJECT key=ck.test
name.ck2.test           DUNNO
ck3.test                REJECT key=ck3.test
10.1.2.3                REJECT key=10.1.2.3
10.1.3                  REJECT key=10.1.3
10.2                    REJECT key=10.2
11                      REJECT key=11
10.4                    REJECT key=10.4
unknown                 REJECT key=unknown
2001:db8:1:2:           REJECT key=2001:db8:1:2:
2001:db8:3              REJECT key=2001:db8:3
2001:db8:5::7           REJECT key=2001:db8:5::7
# HELO names
h.hk.test               REJECT key=h.hk.test
hk2.test                REJECT key=hk2.test
[10.1.2.4]              REJECT key=[10.1.2.4]
2.5]                    REJECT key=2.5]
10.9.8.7                REJECT key=10.9.8.7
# addresses
full+ext@k1.test        REJECT key=full+ext@k1.test
u@k2.test               REJECT key=u@k2.test
k3.test                 REJECT key=k3.test
u+ext@                  REJECT key=u+ext@
lp@                     REJECT key=lp@
k6.test                 REJECT key=k6.test
u@k6.test               REJECT key=u@k6.test
postmaster@k7.test      REJECT key=postmaster@k7.test
k8.test                 DUNNO
x@                      REJECT key=x@
.k10.test               REJECT key=.k10.test
k10.test                REJECT key=k10.test
<>                      REJECT key=<>
nullkey                 REJECT key=nullkey
u@[10.1.2.5]            REJECT key=u@[10.1.2.5]
[10.1.2.6]              REJECT key=[10.1.2.6]
lit@                    REJECT key=lit@
"""

CIDR = """\
10.1.0.0/16             REJECT cidr=10.1.0.0/16
10.9.9.9                REJECT cidr=10.9.9.9
2001:db8:1::/48         REJECT cidr=2001:db8:1::/48
"""

REGEXP = """\
/^re\\.test$/            REJECT re exact name
/^10\\.7\\./             REJECT re address prefix
/^u@re\\.test$/          REJECT re exact address
/^k3\\.test$/            REJECT re exact domain
/@$/                    REJECT re localpart key
/^(.*)@re2\\.test$/      REJECT re2 user=$1
"""

PCRE = """\
/^re\\.test$/            REJECT pcre exact name
/^10\\.7\\./             REJECT pcre address prefix
/^u@re\\.test$/          REJECT pcre exact address
/^(?<user>[^@]+)@re2\\.test$/ REJECT pcre re2 user=${1}
/^k3\\.test$/            REJECT pcre exact domain
"""


def common_tables():
    results = ''.join('r-%s.test %s\n' % (k, v) for k, v in RESULTS)
    return {
        'results': results,
        'keys': KEYS,
        'keys.hash': KEYS,          # postmap'd: same entries, another type
        'keys.cidr': CIDR,
        'keys.regexp': REGEXP,
        'keys.pcre': PCRE,
        'nested': 'n-rej.test REJECT nested reject\nn-ok.test OK\n',
        'local_users': 'alice x\nbob x\ncarol@local.test x\n',
        'aliases': 'postmaster: alice\nroot: alice\naliasuser: bob\n',
        'virtual': ('va@valias.test alice@local.test\n'
                    'aliasonly@local.test alice@local.test\n'
                    'va@vmbox.test alice@local.test\n'),
        'vmailbox': 'vm@vmbox.test vmbox.test/vm/\n',
        'relay_recipients': 'rr@relay.test x\n@relay2.test x\n',
        'rcanonical': 'canon@local.test alice@local.test\n',
        'transport': ('err.test error:5.1.2 custom error text\n'
                      'err2.test error:no status here\n'
                      'retry.test retry:4.4.1 try again later\n'),
        'mynet.cidr': '10.30.0.0/16 whatever\n',
        'mynet.list': '# a mynetworks file\n10.31.0.0/16\n\n10.32.1.1\n',
        # "!/file" starts each of its elements negated, its own "!" toggles
        'mynet.neg': '10.31.9.9\n!10.32.0.0/16\n',
        # a /file and a table in a file; "#" later on a line ends the line
        'mynet.nest': '# nested\n{E}/mynet.list, cidr:{E}/mynet.cidr # 10.20.0.0/16\n',
        'helo_pcre': '/^bad-helo\\./ REJECT pcre helo\n',
    }


MAIN_COMMON = """\
queue_directory = {D}/queue
data_directory = {D}/data
myhostname = mail.sbs.test
mydomain = sbs.test
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = {PROTOCOLS}
maillog_file = {D}/maillog
maillog_file_prefixes = {D}
smtpd_banner = $myhostname ESMTP $mail_name
biff = no
default_transport = discard:
relay_transport = discard:
local_transport = discard:
virtual_transport = discard:
alias_maps = hash:{E}/aliases
alias_database = hash:{E}/aliases
local_recipient_maps = texthash:{E}/local_users $alias_maps
transport_maps = texthash:{E}/transport
smtpd_authorized_xclient_hosts = 127.0.0.1
# The replies do not change; the sessions run faster.
smtpd_error_sleep_time = 0s
"""

MAIN_A = MAIN_COMMON + """\
compatibility_level = 3.7
mydestination = $myhostname, localhost.$mydomain, localhost, local.test
mynetworks_style = host
virtual_alias_domains = valias.test
virtual_alias_maps = texthash:{E}/virtual
virtual_mailbox_domains = vmbox.test
virtual_mailbox_maps = hash:{E}/vmailbox
relay_domains = relay.test, relay2.test
relay_recipient_maps = texthash:{E}/relay_recipients
recipient_canonical_maps = texthash:{E}/rcanonical
recipient_delimiter = +
# (A class defined empty is fatal for smtpd: "restriction class `x' needs a
# definition".)
smtpd_restriction_classes = cls_reject, cls_permit, cls_nested, cls_dip,
    cls_dir, cls_inline, cls_warn
cls_reject = reject
cls_permit = permit
cls_nested = check_recipient_access texthash:{E}/nested, cls_reject
cls_dip = defer_if_permit
cls_dir = defer_if_reject
cls_inline = check_client_access
    inline:{ { 10.8.0.1 = REJECT inline reject }, 10.8.0.2=OK },
    reject_unauth_destination
cls_warn = warn_if_reject reject
"""

# Instance c: instance a's configuration, for the services that `pfc check`
# calls errors, and two more classes: one that names itself (smtpd crashes
# when it reaches it; pfc build refuses it) and one that names no
# restriction.
MAIN_C = MAIN_A.replace('cls_dir, cls_inline,', 'cls_dir, cls_loop, cls_inline, cls_bad,') + """\
cls_loop = cls_loop
cls_bad = reject_nothing_here
"""

MAIN_B = MAIN_COMMON + """\
# No compatibility_level: level 0, the defaults of Postfix 2.x.  Its empty
# smtpd_relay_restrictions and the empty smtpd_recipient_restrictions of
# 3.7 would make smtpd refuse to start ("specify at least one working
# instance of ..."): relay control as configurations of that time had it.
mydestination = $myhostname, localhost.$mydomain, localhost
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
"""

MASTER_COMMON = """\
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def fill(text, inst):
    return (text.replace('{D}', inst.dir).replace('{E}', inst.dir + '/etc')
            .replace('{PROTOCOLS}', PROTOCOLS))


# ---------------------------------------------------------------- cases
def results_cases(a):
    """every access(5) result at every stage"""
    def client_s(k):
        return ('198.51.100.50', 'r-%s.test' % k), tx(tag=k)

    def helo_s(k):
        return OUT, tx(helo='EHLO r-%s.test' % k, tag=k)

    def sender_s(k):
        return OUT, tx(sender='s@r-%s.test' % k, tag=k)

    def rcpt_s(k):
        return IN, tx(rcpts=('x@r-%s.test' % k,), tag=k)

    def relay_s(k):
        return OUT, tx(rcpts=('x@r-%s.test' % k,), tag=k)

    def etrn_s(k):
        return OUT, [HELO, 'ETRN r-%s.test' % k, 'QUIT']

    def cases(s, stage, maker):
        for k, _ in RESULTS:
            # The reverse client name runs the client's machinery.
            if stage != 'revclient' or k in RESULT_SUBSET:
                client, lines = maker(k)
                s.case(k, client, lines)

    # (stage, its restriction list, the check, the session of one result)
    stages = [
        ('client', 'smtpd_client_restrictions', 'check_client_access', client_s),
        ('revclient', 'smtpd_client_restrictions',
         'check_reverse_client_hostname_access', client_s),
        ('helo', 'smtpd_helo_restrictions', 'check_helo_access', helo_s),
        ('sender', 'smtpd_sender_restrictions', 'check_sender_access', sender_s),
        ('rcpt', 'smtpd_recipient_restrictions', 'check_recipient_access', rcpt_s),
        ('relay', 'smtpd_relay_restrictions', 'check_recipient_access', relay_s),
        ('data', 'smtpd_data_restrictions', 'check_sender_access', sender_s),
        ('eod', 'smtpd_end_of_data_restrictions', 'check_sender_access', sender_s),
        ('etrn', 'smtpd_etrn_restrictions', 'check_etrn_access', etrn_s),
    ]
    table = 'texthash:{E}/results'
    for stage, param, check, maker in stages:
        # Each list ends in reject (what falls through is refused), and
        # some also end there (the implicit permit, DEFER_IF_PERMIT's case).
        tails = [('rej', ',reject')]
        if stage in ('client', 'sender', 'rcpt', 'data'):
            tails.append(('end', ''))
        for tkey, tail in tails:
            cases(a.service('res-%s-%s' % (stage, tkey),
                            '%s=%s,%s%s' % (param, check, table, tail)), stage, maker)
    # smtpd_delay_reject = no: client, HELO and sender results at their
    # stage.  The client list runs at connect for the harness (127.0.0.1)
    # too, before XCLIENT: it must let it in.
    for stage, param, check, maker in stages[:4]:
        first = HARNESS_OK + ',' if param == 'smtpd_client_restrictions' else ''
        cases(a.service('res-%s-now' % stage, 'smtpd_delay_reject=no',
                        '%s=%s%s,%s,reject' % (param, first, check, table)), stage, maker)


def keys_cases(a, ipv6):
    """check_*_access lookup key orders, for each kind of table"""
    for typ, t in (('texthash', 'keys'), ('hash', 'keys.hash')):
        tb = '%s:{E}/%s' % (typ, t)
        s = a.service('keys-client-%s' % typ,
                      'smtpd_client_restrictions=check_client_access,%s' % tb)
        for suffix, client in [
                ('fullname', ('10.50.0.1', 'host.sub.ck.test')),
                ('parent', ('10.50.0.2', 'a.b.ck.test')),
                ('upper', ('10.50.0.3', 'HOST.SUB.CK.TEST')),
                ('name-before-addr', ('10.1.2.3', 'x.ck3.test')),
                ('dunno-stops-addr', ('10.4.0.1', 'name.ck2.test')),
                ('addr-full', ('10.1.2.3', 'other.test')),
                ('addr-3', ('10.1.3.9', 'other.test')),
                ('addr-2', ('10.2.9.9', 'other.test')),
                ('addr-1', ('11.0.0.1', 'other.test')),
                ('unknown-name', ('10.60.0.1', 'unknown')),
                ('nomatch', ('10.61.0.1', 'nomatch.test'))]:
            s.case(suffix, client, tx(tag=suffix))
        if ipv6:
            for suffix, client in [
                    ('v6-colon', ('2001:db8:1:2::5', 'other.test')),
                    ('v6-prefix', ('2001:db8:3:4::1', 'other.test')),
                    ('v6-full', ('2001:db8:5::7', 'other.test'))]:
                s.case(suffix, client, tx(tag=suffix))
        s = a.service('keys-helo-%s' % typ,
                      'smtpd_helo_restrictions=check_helo_access,%s' % tb)
        for suffix, helo in [('full', 'h.hk.test'), ('parent', 'a.b.hk2.test'),
                             ('upper', 'H.HK.TEST'), ('literal', '[10.1.2.4]'),
                             ('literal-parent', '[10.1.2.5]'),
                             ('bare-ip', '10.9.8.7'), ('nomatch', 'zz.test'),
                             ('trailing-dot', 'h.hk.test.')]:
            s.case(suffix, OUT, tx(helo='EHLO ' + helo, tag=suffix))
        s.case('no-helo', OUT, tx(helo=None, tag='nohelo'))
        for stage, param, check in (
                ('sender', 'smtpd_sender_restrictions', 'check_sender_access'),
                ('rcpt', 'smtpd_recipient_restrictions', 'check_recipient_access')):
            s = a.service('keys-%s-%s' % (stage, typ),
                          '%s=%s,%s' % (param, check, tb))
            for suffix, addr in [
                    ('full', 'full+ext@k1.test'), ('noext', 'u+ext@k2.test'),
                    ('parent', 'u+ext@h.k3.test'), ('localpart-ext', 'u+ext@k4.test'),
                    ('localpart', 'lp+ext@k4.test'), ('user-before-domain', 'u@k6.test'),
                    ('domain', 'x@k6.test'), ('casefold', 'Postmaster@K7.TEST'),
                    ('dunno-stops', 'x@k8.test'), ('localpart-x', 'x@k9.test'),
                    ('subdomain', 'x@a.k10.test'), ('domain-exact', 'x@k10.test'),
                    ('literal', 'u@[10.1.2.5]'), ('literal-domain', 'v@[10.1.2.6]'),
                    ('literal-lp', 'lit@[10.1.2.7]'), ('unqualified', 'lp+ext'),
                    ('two-delims', 'u+ext+more@k2.test'), ('nomatch', 'nobody@nomatch.test')]:
                if stage == 'sender':
                    s.case(suffix, OUT, tx(sender=addr, tag=suffix))
                else:
                    s.case(suffix, IN, tx(rcpts=(addr,), tag=suffix))
            if stage == 'sender':
                s.case('null', OUT, tx(sender='', tag='null'))
    tb = 'texthash:{E}/keys'
    s = a.service('keys-delim-dash', 'recipient_delimiter=-',
                  'smtpd_recipient_restrictions=check_recipient_access,%s' % tb)
    s.case('dash', IN, tx(rcpts=('u-ext@k2.test',), tag='dash'))
    s.case('plus', IN, tx(rcpts=('u+ext@k2.test',), tag='plus'))
    s = a.service('keys-delim-many', 'recipient_delimiter=+-',
                  'smtpd_recipient_restrictions=check_recipient_access,%s' % tb)
    s.case('dash', IN, tx(rcpts=('u-ext@k2.test',), tag='dash'))
    s.case('plus', IN, tx(rcpts=('u+ext@k2.test',), tag='plus'))
    s = a.service('keys-pdms-empty', 'parent_domain_matches_subdomains=',
                  'smtpd_recipient_restrictions=check_recipient_access,%s' % tb)
    s.case('subdomain', IN, tx(rcpts=('x@a.k10.test',), tag='sub'))
    s.case('domain', IN, tx(rcpts=('x@k10.test',), tag='dom'))
    s.case('parent', IN, tx(rcpts=('u@h.k3.test',), tag='parent'))
    s = a.service('keys-nullkey', 'smtpd_null_access_lookup_key=nullkey',
                  'smtpd_sender_restrictions=check_sender_access,%s' % tb)
    s.case('null', OUT, tx(sender='', tag='null'))
    # Pattern tables see the whole string only.
    for typ, t in (('cidr', 'keys.cidr'), ('regexp', 'keys.regexp'), ('pcre', 'keys.pcre')):
        tb = '%s:{E}/%s' % (typ, t)
        s = a.service('keys-%s' % typ,
                      'smtpd_client_restrictions=check_client_access,%s' % tb,
                      'smtpd_sender_restrictions=check_sender_access,%s' % tb)
        s.case('client-cidr', ('10.1.200.1', 'x.other.test'), tx(tag='c1'))
        s.case('client-cidr-host', ('10.9.9.9', 'unknown'), tx(tag='c2'))
        s.case('client-name', ('198.51.100.60', 're.test'), tx(tag='c3'))
        s.case('client-parent', ('198.51.100.61', 'a.re.test'), tx(tag='c4'))
        s.case('client-addr', ('10.7.0.1', 'a.re.test'), tx(tag='c5'))
        s.case('sender-full', OUT, tx(sender='u@re.test', tag='s1'))
        s.case('sender-domain', OUT, tx(sender='x@k3.test', tag='s2'))
        s.case('sender-subst', OUT, tx(sender='who@re2.test', tag='s3'))
        s.case('sender-nomatch', OUT, tx(sender='u@other.test', tag='s4'))
        if ipv6:
            s.case('client-v6', ('2001:db8:1:9::1', 'unknown'), tx(tag='c6'))
    s = a.service('keys-inline',
                  'smtpd_client_restrictions=cls_inline')
    s.case('hit', ('10.8.0.1', 'unknown'), tx(tag='i1'))
    s.case('ok', ('10.8.0.2', 'unknown'), tx(tag='i2'))
    s.case('miss', ('10.8.0.3', 'unknown'), tx(tag='i3'))
    s.case('in', IN, tx(tag='i4'))
    s = a.service('keys-etrn',
                  'smtpd_etrn_restrictions=check_etrn_access,texthash:{E}/keys')
    for suffix, dom in [('full', 'k6.test'), ('parent', 'a.k10.test'),
                        ('exact', 'k10.test'), ('at', '@k6.test'), ('miss', 'none.test'),
                        ('relay', 'relay.test')]:
        s.case(suffix, OUT, [HELO, 'ETRN ' + dom, 'QUIT'])


def mynetworks_cases(a):
    def checks(s):
        for suffix, client in [('in', IN), ('loop9', LOOP9), ('out', OUT),
                               ('net-a', ('10.20.1.1', 'unknown')),
                               ('net-neg', ('10.20.30.40', 'unknown')),
                               ('net-b', ('198.51.100.77', 'unknown')),
                               ('net-c', ('10.30.5.5', 'unknown')),
                               ('net-d', ('10.31.9.9', 'unknown')),
                               ('net-e', ('10.32.1.1', 'unknown')),
                               ('v6', ('2001:db8:aa::1', 'unknown'))]:
            if suffix == 'v6' and not IPV6:
                continue
            s.case(suffix, client, tx(tag=suffix))
    l = 'smtpd_client_restrictions=permit_mynetworks,reject'
    checks(a.service('mynet-default', l))
    checks(a.service('mynet-subnet', l, 'mynetworks_style=subnet'))
    checks(a.service('mynet-class', l, 'mynetworks_style=class'))
    checks(a.service('mynet-list', l, 'mynetworks=!10.20.30.40,10.20.0.0/16,'
                     '198.51.100.0/24,[2001:db8:aa::]/48'))
    checks(a.service('mynet-table', l, 'mynetworks=cidr:{E}/mynet.cidr'))
    checks(a.service('mynet-file', l, 'mynetworks={E}/mynet.list'))
    checks(a.service('mynet-file-neg', l, 'mynetworks=!{E}/mynet.neg, 10.0.0.0/8'))
    checks(a.service('mynet-file-nest', l, 'mynetworks={E}/mynet.nest'))
    checks(a.service('mynet-empty', l, 'mynetworks='))
    s = a.service('inet-interfaces',
                  'smtpd_client_restrictions=permit_inet_interfaces,reject')
    s.case('in', IN, tx(tag='in'))
    s.case('loop9', LOOP9, tx(tag='l9'))
    s.case('out', OUT, tx(tag='out'))


# Recipients of every address class (SPEC.md 13.3).
CLASS_RCPTS = [
    ('local-known', 'alice@local.test'),
    ('local-myhostname', 'bob@mail.sbs.test'),
    ('local-localhost', 'alice@localhost'),
    ('local-bare', 'alice'),
    ('local-full-key', 'carol@local.test'),
    ('local-full-key-other', 'carol@localhost'),
    ('local-ext', 'alice+ext@local.test'),
    ('local-alias', 'aliasuser@local.test'),
    ('local-valias-entry', 'aliasonly@local.test'),
    ('local-canonical', 'canon@local.test'),
    ('local-unknown', 'nosuch@local.test'),
    ('local-unknown-bare', 'nosuch'),
    ('local-postmaster', 'postmaster@local.test'),
    ('local-mailer-daemon', 'MAILER-DAEMON@local.test'),
    ('local-double-bounce', 'double-bounce@local.test'),
    ('local-upper', 'ALICE@LOCAL.TEST'),
    ('local-literal', 'alice@[127.0.0.1]'),
    ('valias-known', 'va@valias.test'),
    ('valias-unknown', 'nosuch@valias.test'),
    ('vmbox-known', 'vm@vmbox.test'),
    ('vmbox-valias', 'va@vmbox.test'),
    ('vmbox-unknown', 'nosuch@vmbox.test'),
    ('relay-known', 'rr@relay.test'),
    ('relay-unknown', 'nosuch@relay.test'),
    ('relay-catchall', 'any@relay2.test'),
    ('relay-sub', 'rr@sub.relay.test'),
    ('default', 'someone@outside.test'),
    ('transport-error', 'x@err.test'),
    ('transport-error-nodsn', 'x@err2.test'),
    ('transport-retry', 'x@retry.test'),
    ('percent', 'user%outside.test@local.test'),
    ('source-route', '@local.test:user@outside.test'),
    ('bang', 'outside.test!user@local.test'),
    ('quoted-at', '"user@outside.test"@local.test'),
    ('trailing-dot', 'alice@local.test.'),
    ('literal-other', 'x@[10.1.1.1]'),
]


# One of each kind, for the restrictions that repeat what others cover.
CLASS_SUBSET = ('local-known', 'local-unknown', 'local-literal', 'valias-known',
                'valias-unknown', 'vmbox-unknown', 'relay-known', 'relay-unknown',
                'relay-sub', 'default', 'transport-error', 'percent',
                'source-route', 'literal-other')


def class_cases(a):
    """address classes: relay control and recipient validation"""
    def each(s, client, sender_side=False, subset=False):
        for suffix, addr in CLASS_RCPTS:
            if subset and suffix not in CLASS_SUBSET:
                continue
            if sender_side:
                s.case(suffix, client, tx(sender=addr, tag=suffix))
            else:
                s.case(suffix, client, tx(rcpts=(addr,), tag=suffix))

    # The 3.7 default relay restrictions and smtpd_reject_unlisted_recipient.
    each(a.service('class-default'), OUT)
    each(a.service('class-trusted'), IN)
    each(a.service('rua', 'smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination'),
         OUT)
    each(a.service('pad', 'smtpd_relay_restrictions=permit_auth_destination,reject'), OUT,
         subset=True)
    each(a.service('dud', 'smtpd_relay_restrictions=defer_unauth_destination'), OUT,
         subset=True)
    each(a.service('crd', 'smtpd_relay_restrictions=check_relay_domains'), OUT, subset=True)
    s = a.service('rua-code', 'relay_domains_reject_code=550',
                  'smtpd_relay_restrictions=reject_unauth_destination')
    s.case('outside', OUT, tx(rcpts=('x@outside.test',), tag='o'))
    s = a.service('rua-in-recipient', 'smtpd_relay_restrictions=',
                  'smtpd_recipient_restrictions=permit_mynetworks,reject_unauth_destination')
    s.case('out', OUT, tx(rcpts=('x@outside.test',), tag='o'))
    s.case('in', IN, tx(rcpts=('x@outside.test',), tag='i'))
    s.case('local', OUT, tx(rcpts=('alice@local.test',), tag='l'))
    s = a.service('rua-at-sender', 'smtpd_sender_restrictions=reject_unauth_destination')
    s.case('out', OUT, tx(rcpts=('alice@local.test',), tag='o'))
    # Recipient validation, explicit and implicit.
    each(a.service('unlisted-rcpt', 'smtpd_reject_unlisted_recipient=no',
                   'smtpd_recipient_restrictions=reject_unlisted_recipient'), IN)
    each(a.service('unlisted-off', 'smtpd_reject_unlisted_recipient=no'), IN, subset=True)
    each(a.service('unlisted-sender', 'smtpd_sender_restrictions=reject_unlisted_sender'),
         OUT, sender_side=True)
    each(a.service('unlisted-sender-implicit', 'smtpd_reject_unlisted_sender=yes'),
         OUT, sender_side=True, subset=True)
    s = a.service('unlisted-codes', 'show_user_unknown_table_name=no',
                  'unknown_local_recipient_reject_code=450',
                  'unknown_virtual_alias_reject_code=551',
                  'unknown_virtual_mailbox_reject_code=552',
                  'unknown_relay_recipient_reject_code=553')
    for suffix, addr in [('local', 'nosuch@local.test'), ('valias', 'nosuch@valias.test'),
                         ('vmbox', 'nosuch@vmbox.test'), ('relay', 'nosuch@relay.test')]:
        s.case(suffix, IN, tx(rcpts=(addr,), tag=suffix))
    s = a.service('unlisted-nomaps', 'local_recipient_maps=', 'relay_recipient_maps=',
                  'virtual_mailbox_maps=')
    for suffix, addr in [('local', 'nosuch@local.test'), ('vmbox', 'nosuch@vmbox.test'),
                         ('relay', 'nosuch@relay.test')]:
        s.case(suffix, IN, tx(rcpts=(addr,), tag=suffix))
    # Several recipients, some refused: DATA goes on for the others.
    s = a.service('class-mixed')
    s.case('some-good', OUT, tx(rcpts=('alice@local.test', 'x@outside.test',
                                       'nosuch@local.test', 'vm@vmbox.test'), tag='m'))
    s.case('none-good', OUT, tx(rcpts=('x@outside.test', 'nosuch@local.test'), tag='n'))


def restriction_cases(a, c):
    """the other restrictions, one service each; those `pfc check` calls
    errors (smtpd answers 451 4.3.5 at run time) go to instance c, so that
    they do not keep the rest from building"""
    def svc(key, *ov):
        return a.service(key, *ov)

    def bad(key, *ov):
        return c.service(key, *ov)

    # reject_non_fqdn_* and reject_invalid_helo_hostname
    s = svc('nonfqdn-helo', 'smtpd_helo_restrictions=reject_non_fqdn_helo_hostname')
    s2 = svc('nonfqdn-hostname', 'smtpd_helo_restrictions=reject_non_fqdn_hostname')
    s3 = svc('invalid-helo', 'smtpd_helo_restrictions=reject_invalid_helo_hostname')
    s4 = svc('invalid-hostname', 'smtpd_helo_restrictions=reject_invalid_hostname')
    s5 = svc('naked-ip', 'smtpd_helo_restrictions=permit_naked_ip_address,reject')
    for suffix, helo in [('fqdn', 'a.b.test'), ('short', 'host'), ('trailing-dot', 'host.'),
                         ('literal', '[10.1.2.3]'), ('bad-literal', '[300.1.2.3]'),
                         ('bare-ip', '10.1.2.3'), ('underscore', 'bad_host.test'),
                         ('double-dot', 'a..b.test'), ('dash', '-x.test'),
                         ('long-label', 'a' * 64 + '.test'), ('two-words', 'a.test b.test'),
                         ('digits-tld', 'host.123')]:
        for x in (s, s2, s3, s4, s5):
            x.case(suffix, OUT, tx(helo='EHLO ' + helo, tag=suffix))
    for x in (s, s3):
        x.case('no-helo', OUT, tx(helo=None, tag='nohelo'))
        x.case('helo-cmd', OUT, tx(helo='HELO host', tag='helo'))
    s = svc('nonfqdn-sender', 'smtpd_sender_restrictions=reject_non_fqdn_sender')
    for suffix, addr in [('fqdn', 'u@a.test'), ('short', 'u@host'), ('bare', 'u'),
                         ('null', ''), ('literal', 'u@[10.1.2.3]'), ('trailing-dot', 'u@a.test.')]:
        s.case(suffix, OUT, tx(sender=addr, tag=suffix))
    s = svc('nonfqdn-rcpt', 'smtpd_recipient_restrictions=reject_non_fqdn_recipient')
    for suffix, addr in [('fqdn', 'alice@local.test'), ('short', 'alice@host'),
                         ('bare', 'alice'), ('literal', 'alice@[127.0.0.1]')]:
        s.case(suffix, IN, tx(rcpts=(addr,), tag=suffix))
    # smtpd_helo_required
    s = svc('helo-required', 'smtpd_helo_required=yes')
    s.case('missing', OUT, tx(helo=None, tag='m'))
    s.case('given', OUT, tx(tag='g'))
    s.case('vrfy-etrn', OUT, ['VRFY alice', 'ETRN relay.test', 'NOOP', 'HELO x.test',
                              'VRFY alice', 'QUIT'])
    # warn_if_reject
    s = svc('warn-if-reject', 'smtpd_relay_restrictions=warn_if_reject,'
            'reject_unauth_destination,permit_mynetworks,defer_unauth_destination',
            'smtpd_recipient_restrictions=warn_if_reject,check_recipient_access,'
            'texthash:{E}/results,warn_if_reject,defer_if_permit,cls_warn,'
            'reject_unlisted_recipient')
    for k in ('reject', 'r550', 'defer', 'dip', 'dir', 'ok', 'class', 'unknown'):
        s.case(k, IN, tx(rcpts=('x@r-%s.test' % k,), tag=k))
    s.case('out-relay', OUT, tx(rcpts=('x@outside.test',), tag='o'))
    s.case('unlisted', IN, tx(rcpts=('nosuch@local.test',), tag='u'))
    s = svc('warn-if-reject-last', 'smtpd_recipient_restrictions=reject_unlisted_recipient,'
            'warn_if_reject')
    s.case('x', IN, tx(rcpts=('alice@local.test', 'nosuch@local.test'), tag='x'))
    # restriction classes
    s = svc('classes', 'smtpd_recipient_restrictions=cls_nested')
    s.case('nested-reject', IN, tx(rcpts=('x@n-rej.test',), tag='a'))
    s.case('nested-ok', IN, tx(rcpts=('x@n-ok.test',), tag='b'))
    s.case('nested-fallthrough', IN, tx(rcpts=('x@n-other.test',), tag='c'))
    # In the relay or recipient list, has_required() recurses at smtpd start.
    s = bad('class-loop', 'smtpd_client_restrictions=cls_loop')
    s.case('x', IN, tx(tag='x'))
    s = bad('class-undefined', 'smtpd_recipient_restrictions=cls_nosuch')
    s.case('x', IN, tx(tag='x'))
    # Classes of main.cf are gone where a service sets its own list.
    s = bad('class-override', 'smtpd_restriction_classes=cls_o', 'cls_o=cls_dip',
            'smtpd_recipient_restrictions=cls_o')
    s.case('x', IN, tx(tag='x'))
    s = svc('class-override-ok', 'smtpd_restriction_classes=cls_o', 'cls_o=defer_if_permit',
            'smtpd_recipient_restrictions=cls_o')
    s.case('x', IN, tx(tag='x'))
    s = bad('class-bad-word', 'smtpd_helo_restrictions=cls_bad')
    s.case('x', OUT, tx(tag='x'))
    s = svc('class-client-stage', 'smtpd_client_restrictions=cls_inline')
    s.case('hit', ('10.8.0.1', 'unknown'), tx(tag='h'))
    s.case('relay-check', ('10.8.0.2', 'unknown'), tx(rcpts=('x@outside.test',), tag='r'))
    # DEFER_IF_PERMIT / DEFER_IF_REJECT as restrictions
    for key, lst in [('dip-permit', 'defer_if_permit,permit'),
                     ('dip-reject', 'defer_if_permit,reject'),
                     ('dip-end', 'defer_if_permit'),
                     ('dir-reject', 'defer_if_reject,reject'),
                     ('dir-permit', 'defer_if_reject,permit'),
                     ('dir-dip-reject', 'defer_if_reject,defer_if_permit,reject'),
                     ('dip-class', 'cls_dip,cls_permit'),
                     ('dir-class', 'cls_dir,cls_reject')]:
        s = svc(key, 'smtpd_recipient_restrictions=' + lst)
        s.case('x', IN, tx(rcpts=('alice@local.test', 'bob@local.test'), tag='x'))
    # DEFER_IF_PERMIT across stages
    s = svc('dip-client-stage', 'smtpd_client_restrictions=defer_if_permit')
    s.case('local', OUT, tx(tag='l'))
    s.case('relay', OUT, tx(rcpts=('x@outside.test',), tag='r'))
    s.case('unknown-user', OUT, tx(rcpts=('nosuch@local.test',), tag='u'))
    s = svc('dip-client-now', 'smtpd_delay_reject=no',
            'smtpd_client_restrictions=defer_if_permit')
    s.case('local', OUT, tx(tag='l'))
    s.case('relay', OUT, tx(rcpts=('x@outside.test',), tag='r'))
    s = svc('dip-sender-stage', 'smtpd_sender_restrictions=defer_if_permit',
            'smtpd_recipient_restrictions=check_recipient_access,texthash:{E}/results')
    s.case('ok', IN, tx(rcpts=('x@r-ok.test',), tag='ok'))
    s.case('reject', IN, tx(rcpts=('x@r-reject.test',), tag='rej'))
    s.case('local', OUT, tx(tag='l'))
    s = svc('dir-helo-stage', 'smtpd_helo_restrictions=defer_if_reject',
            'smtpd_relay_restrictions=reject_unauth_destination')
    s.case('local', OUT, tx(tag='l'))
    s.case('relay', OUT, tx(rcpts=('x@outside.test',), tag='r'))
    # smtpd_delay_reject
    for key, dr in (('delay-yes', 'yes'), ('delay-no', 'no')):
        s = svc(key, 'smtpd_delay_reject=' + dr,
                'smtpd_client_restrictions=check_client_access,inline:{10.40.0.1=REJECT}',
                'smtpd_helo_restrictions=check_helo_access,inline:{bad.helo.test=REJECT}',
                'smtpd_sender_restrictions=check_sender_access,inline:{bad@sender.test=REJECT}')
        badc = ('10.40.0.1', 'unknown')
        s.case('client', badc, tx(tag='c', after=['RSET', 'NOOP', 'VRFY alice', 'ETRN relay.test']))
        s.case('helo', OUT, tx(helo='EHLO bad.helo.test', tag='h', after=['HELO good.test']))
        s.case('sender', OUT, tx(sender='bad@sender.test', tag='s'))
        s.case('vrfy', badc, ['EHLO x.test', 'VRFY alice', 'VRFY nosuch', 'QUIT'])
        s.case('good', OUT, tx(tag='g'))
        s.case('helo-then-vrfy', OUT, ['EHLO bad.helo.test', 'VRFY alice', 'QUIT'])
        s.case('sender-two-rcpts', OUT,
               tx(sender='bad@sender.test', rcpts=('alice@local.test', 'bob@local.test'),
                  tag='s2'))
    # relay / recipient order
    rr = 'smtpd_relay_restrictions=reject_unauth_destination'
    rc = 'smtpd_recipient_restrictions=reject_non_fqdn_recipient'
    for key, ov in (('order-default', ()),
                    ('order-recipient-first', ('smtpd_relay_before_recipient_restrictions=no',)),
                    ('order-relay-first', ('smtpd_relay_before_recipient_restrictions=yes',)),
                    ('order-compat35', ('compatibility_level=3.5',))):
        s = svc(key, rr, rc, *ov)
        s.case('nonfqdn-remote', OUT, tx(rcpts=('user@host',), tag='a'))
        s.case('remote', OUT, tx(rcpts=('user@outside.test',), tag='b'))
        s.case('nonfqdn-bare', OUT, tx(rcpts=('alice',), tag='c'))
    s = svc('order-permit-does-not-skip', 'smtpd_relay_restrictions=permit',
            'smtpd_recipient_restrictions=reject')
    s.case('x', OUT, tx(tag='x'))
    s = svc('order-recipient-permit', 'smtpd_relay_restrictions=reject_unauth_destination',
            'smtpd_recipient_restrictions=permit',
            'smtpd_relay_before_recipient_restrictions=no')
    s.case('x', OUT, tx(rcpts=('x@outside.test',), tag='x'))
    # reject_multi_recipient_bounce
    s = svc('multi-bounce-rcpt', 'smtpd_recipient_restrictions=reject_multi_recipient_bounce')
    s.case('null-two', IN, tx(sender='', rcpts=('alice@local.test', 'bob@local.test'), tag='a'))
    s.case('null-one', IN, tx(sender='', tag='b'))
    s.case('sender-two', IN, tx(rcpts=('alice@local.test', 'bob@local.test'), tag='c'))
    s = svc('multi-bounce-data', 'smtpd_data_restrictions=reject_multi_recipient_bounce')
    s.case('null-two', IN, tx(sender='', rcpts=('alice@local.test', 'bob@local.test'), tag='a'))
    s.case('null-one', IN, tx(sender='', tag='b'))
    s = svc('multi-bounce-sender', 'smtpd_sender_restrictions=reject_multi_recipient_bounce')
    s.case('null-two', IN, tx(sender='', rcpts=('alice@local.test', 'bob@local.test'), tag='a'))
    # reject_unauth_pipelining
    for key, ov in (('pipe-rcpt', 'smtpd_recipient_restrictions=reject_unauth_pipelining'),
                    ('pipe-data', 'smtpd_data_restrictions=reject_unauth_pipelining'),
                    ('pipe-client', 'smtpd_client_restrictions=reject_unauth_pipelining')):
        s = svc(key, ov)
        s.case('serial-ehlo', IN, tx(tag='a'))
        s.case('serial-helo', IN, tx(helo='HELO x.test', tag='b'))
        s.case('pipelined-ehlo', IN, tx(tag='c'), pipeline=True)
        s.case('pipelined-helo', IN, tx(helo='HELO x.test', tag='d'), pipeline=True)
    # the generic restrictions
    for key, lst, where in [('permit', 'permit,reject', svc),
                            ('reject', 'reject', svc),
                            ('defer', 'defer', svc),
                            ('reject-code', None, svc),
                            ('unknown-word', 'no_such_restriction', bad),
                            ('misspelt', 'reject_unauth_destinaton', bad),
                            ('missing-table', 'check_recipient_access', bad),
                            ('bad-table-arg', 'check_recipient_access,reject', bad),
                            ('bare-table', 'texthash:{E}/results', svc),
                            ('sleep', 'sleep,0,reject', svc),
                            ('sleep-no-number', 'sleep', bad),
                            ('plaintext', 'reject_plaintext_session', svc),
                            ('sasl-noop', 'permit_sasl_authenticated,reject', svc),
                            ('policy-missing-arg', 'check_policy_service', bad)]:
        if lst is None:
            s = where('gen-' + key, 'smtpd_recipient_restrictions=reject,defer',
                      'reject_code=551', 'defer_code=451')
        else:
            s = where('gen-' + key, 'smtpd_recipient_restrictions=' + lst)
        s.case('x', IN, tx(rcpts=('x@r-reject.test',), tag='x'))
    s = svc('gen-bare-table-client', 'smtpd_client_restrictions=texthash:{E}/results')
    s.case('x', ('198.51.100.51', 'r-reject.test'), tx(tag='x'))
    s = bad('gen-bare-table-data', 'smtpd_data_restrictions=texthash:{E}/results')
    s.case('x', IN, tx(tag='x'))
    s = svc('gen-access-codes', 'access_map_reject_code=550', 'access_map_defer_code=451',
            'smtpd_recipient_restrictions=check_recipient_access,texthash:{E}/results')
    for k in ('reject', 'rejtext', 'defer', 'dip', 'r550e'):
        s.case(k, IN, tx(rcpts=('x@r-%s.test' % k,), tag=k))
    # data and end-of-data
    s = svc('data-reject', 'smtpd_data_restrictions=reject')
    s.case('x', IN, tx(tag='x', after=['MAIL FROM:<a@b.test>', 'RSET']))
    s = svc('eod-reject', 'smtpd_end_of_data_restrictions=reject')
    s.case('then-quit', IN, tx(tag='q'))
    s.case('then-rset', IN, tx(tag='r', after=['RSET'] + tx(tag='r2')[1:-1]))
    s.case('then-mail', IN, tx(tag='m', after=['MAIL FROM:<a@b.test>', 'RCPT TO:<bob@local.test>']))
    s.case('then-data', IN, tx(tag='d', after=['RCPT TO:<nosuch@local.test>', 'DATA']))
    s = svc('eod-dip', 'smtpd_end_of_data_restrictions=defer_if_permit')
    s.case('x', IN, tx(tag='x'))
    s = svc('data-multi', 'smtpd_data_restrictions=check_recipient_access,texthash:{E}/results',
            'smtpd_end_of_data_restrictions=check_client_access,texthash:{E}/results')
    s.case('last-rcpt', IN, tx(rcpts=('x@r-ok.test', 'x@r-reject.test'), tag='x'))
    s.case('client-eod', ('198.51.100.52', 'r-rejtext.test'), tx(tag='y'))
    # DISCARD: the rest of the session
    s = svc('discard', 'smtpd_recipient_restrictions=check_recipient_access,'
            'texthash:{E}/results,reject_unlisted_recipient',
            'smtpd_data_restrictions=reject')
    s.case('then-rcpts', IN, tx(rcpts=('x@r-discard.test', 'x@r-reject.test',
                                       'nosuch@local.test'), tag='d'))
    s.case('next-tx', IN, tx(rcpts=('x@r-discard.test',), tag='d',
                             after=tx(rcpts=('x@r-reject.test',), tag='e')[1:-1]))
    s = svc('discard-client', 'smtpd_client_restrictions=check_client_access,'
            'texthash:{E}/results', 'smtpd_recipient_restrictions=reject')
    s.case('x', ('198.51.100.53', 'r-discard.test'), tx(tag='x'))
    s = svc('discard-client-now', 'smtpd_delay_reject=no',
            'smtpd_client_restrictions=check_client_access,texthash:{E}/results',
            'smtpd_recipient_restrictions=reject')
    s.case('x', ('198.51.100.53', 'r-discard.test'), tx(tag='x'))
    # A 421 from a table at each stage ends the session.
    s = svc('r421-data', 'smtpd_data_restrictions=check_sender_access,texthash:{E}/results')
    s.case('x', OUT, tx(sender='s@r-r421.test', tag='x'))


def protocol_cases(a):
    """the protocol replies of SPEC-runtime.md section 1"""
    s = a.service('proto')
    c = lambda suffix, lines, client=IN: s.case(suffix, client, lines)
    c('greeting-quit', ['QUIT'])
    c('ehlo-untrusted', ['EHLO x.test', 'QUIT'], OUT)
    c('helo', ['HELO x.test', 'QUIT'])
    c('ehlo-syntax', ['EHLO', 'HELO', 'EHLO a b', 'HELO a b', 'QUIT'])
    c('second-ehlo-resets', ['EHLO a.test', 'MAIL FROM:<a@b.test>', 'EHLO b.test',
                             'RCPT TO:<alice@local.test>', 'QUIT'])
    c('no-helo', tx(helo=None, tag='nohelo'))
    c('mail-forms', ['EHLO x.test', 'MAIL FROM:alice@local.test', 'RSET',
                     'MAIL FROM: <alice@local.test>', 'RSET', 'mail from:<alice@local.test>',
                     'RSET', 'MAIL FROM:<>', 'RSET',
                     'MAIL FROM:<a@b.test> BODY=7BIT SMTPUTF8 RET=HDRS ENVID=abc123',
                     'RSET', 'MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME', 'QUIT'])
    c('mail-errors', ['EHLO x.test', 'MAIL alice', 'MAIL FROM:<a b@c>',
                      'MAIL FROM:<alice@local.test', 'MAIL FROM:<a@b.test> SIZE=abc',
                      'MAIL FROM:<a@b.test> BODY=FOO', 'MAIL FROM:<a@b.test> BODY=BINARYMIME',
                      'MAIL FROM:<a@b.test> FOO=bar', 'MAIL FROM:<a@b.test> RET=XX',
                      'MAIL FROM:<a@b.test> RET=FULL RET=HDRS', 'MAIL FROM:',
                      'MAIL TO:<a@b.test>', 'QUIT'])
    c('mail-nested', ['EHLO x.test', 'MAIL FROM:<a@b.test>', 'MAIL FROM:<c@d.test>', 'QUIT'])
    c('size-quirk', ['EHLO x.test', 'MAIL FROM:<a@b.test> SIZE=99999999',
                     'MAIL FROM:<a@b.test>', 'MAIL FROM:<a@b.test> SIZE=100', 'RSET',
                     'MAIL FROM:<a@b.test> SIZE=99999999', 'RSET', 'MAIL FROM:<a@b.test>',
                     'QUIT'])
    c('rcpt-forms', ['EHLO x.test', 'MAIL FROM:<a@b.test>', 'RCPT TO:alice@local.test',
                     'rcpt to: <bob@local.test>', 'RCPT TO:<alice>',
                     'RCPT TO:<bob@local.test> NOTIFY=SUCCESS,FAILURE '
                     'ORCPT=rfc822;bob@local.test', 'QUIT'])
    c('rcpt-errors', ['EHLO x.test', 'RCPT TO:<alice@local.test>', 'MAIL FROM:<a@b.test>',
                      'RCPT bob', 'RCPT TO:<>', 'RCPT TO:<a b@c>',
                      'RCPT TO:<alice@local.test> NOTIFY=BOGUS',
                      'RCPT TO:<alice@local.test> NOTIFY=NEVER,SUCCESS',
                      'RCPT TO:<alice@local.test> XYZ=1', 'RCPT FROM:<a@b.test>', 'QUIT'])
    c('rcpt-after-bad-mail', ['EHLO x.test', 'MAIL FROM:<a b@c>',
                              'RCPT TO:<alice@local.test>', 'QUIT'])
    c('data-sequence', ['EHLO x.test', 'DATA', 'MAIL FROM:<a@b.test>', 'DATA',
                        'RCPT TO:<nosuch@local.test>', 'DATA', 'QUIT'])
    c('data-refused-then-text', ['EHLO x.test', 'MAIL FROM:<a@b.test>', 'DATA',
                                 'Subject: not a command', '', 'body', '.', 'QUIT'])
    c('data-refused-then-word', ['EHLO x.test', 'MAIL FROM:<a@b.test>', 'DATA',
                                 'hello there', 'QUIT'])
    c('data-dots', tx(data=False, tag='dots')[:-1] + [
        'DATA', 'Subject: dots', '', '..leading dot', '...two', '. space', '.', 'QUIT'])
    c('data-long-line', tx(data=False, tag='long')[:-1] + [
        'DATA', 'Subject: long', '', 'x' * 3000, '.', 'QUIT'])
    c('data-empty', tx(data=False, tag='e')[:-1] + ['DATA', '.', 'QUIT'])
    c('data-from-line', tx(data=False, tag='f')[:-1] + ['DATA', 'From me Mon Jan 1', 'x', '.',
                                                          'QUIT'])
    c('data-two-messages', tx(tag='one', after=tx(tag='two')[1:-1]))
    c('data-arg', tx(data=False, tag='da')[:-1] + ['DATA x', 'QUIT'])
    c('rset-noop', ['EHLO x.test', 'MAIL FROM:<a@b.test>', 'RSET', 'RCPT TO:<alice@local.test>',
                    'RSET extra', 'NOOP', 'NOOP extra args', 'QUIT'])
    c('vrfy', ['EHLO x.test', 'VRFY alice', 'VRFY <alice@local.test>', 'VRFY nosuch',
               'VRFY nosuch@local.test', 'VRFY someone@outside.test', 'VRFY',
               'VRFY nosuch@valias.test', 'VRFY x@err.test', 'VRFY alice SMTPUTF8', 'QUIT'])
    c('vrfy-untrusted', ['EHLO x.test', 'VRFY alice', 'VRFY someone@outside.test',
                         'VRFY nosuch@vmbox.test', 'QUIT'], OUT)
    c('vrfy-in-transaction', tx(data=False, tag='v')[:-1] + ['VRFY bob', 'DATA',
                                                              'Subject: v', '', 'b', '.', 'QUIT'])
    c('etrn', ['EHLO x.test', 'ETRN', 'ETRN outside.test', 'ETRN @outside.test',
               'ETRN relay.test', 'ETRN #relay.test', 'ETRN sub.relay.test', 'QUIT'])
    c('etrn-before-helo', ['ETRN outside.test', 'QUIT'])
    c('etrn-in-transaction', ['EHLO x.test', 'MAIL FROM:<a@b.test>', 'ETRN relay.test', 'QUIT'])
    c('misc-commands', ['EHLO x.test', 'EXPN alice', 'HELP', 'TURN', 'STARTTLS',
                        'AUTH PLAIN AGFsaWNlAHNlY3JldA==', 'XFORWARD ADDR=10.1.1.1',
                        'FOOBAR', 'foobar x', 'body', 'Mail2 x', '', 'QUIT extra'])
    c('xclient-again', ['EHLO x.test', 'XCLIENT ADDR=10.5.5.5 NAME=again.test', 'EHLO y.test',
                        'XCLIENT ADDR=10.5.5.6', 'QUIT'])
    c('xclient-errors', ['XCLIENT', 'XCLIENT FOO=bar', 'XCLIENT ADDR=', 'XCLIENT ADDR=999.1.1.1',
                         'XCLIENT NAME=bad_name!', 'MAIL FROM:<a@b.test>',
                         'XCLIENT ADDR=10.1.1.1', 'QUIT'])
    for suffix, line in [('get', 'GET / HTTP/1.0'), ('post', 'POST /x HTTP/1.1'),
                         ('connect', 'CONNECT a:25 HTTP/1.0'), ('header', 'Subject: hello'),
                         ('header-lower', 'x-foo: bar'), ('dot', '.'), ('digit', '1abc'),
                         ('punct', '.x')]:
        c('break-rules-' + suffix, ['EHLO x.test', line, 'NOOP', 'QUIT'])
    c('long-command', ['EHLO x.test', 'NOOP ' + 'x' * 5000,
                       'MAIL FROM:<' + 'a' * 3000 + '@local.test>', 'QUIT'])
    c('bad-utf8', ['EHLO x.test', b'MAIL FROM:<\xff\xfe@b.test>', b'NOOP \xe9',
                   b'MAIL FROM:<j\xc3\xb6rg@b.test> SMTPUTF8', 'QUIT'])
    c('quit-extra', ['QUIT now'])
    c('no-quit', ['EHLO x.test', 'NOOP'])
    c('lowercase-commands', ['ehlo x.test', 'mail from:<a@b.test>', 'rcpt to:<alice@local.test>',
                             'data', 'Subject: lc', '', 'b', '.', 'quit'])
    s.case('pipelined-burst', IN, tx(tag='pb'), pipeline=True)

    # Limits, each in its own service.
    s = a.service('limits', 'message_size_limit=2000', 'smtpd_recipient_limit=3')
    s.case('ehlo', IN, ['EHLO x.test', 'QUIT'])
    s.case('size-param', IN, ['EHLO x.test', 'MAIL FROM:<a@b.test> SIZE=2001', 'RSET',
                              'MAIL FROM:<a@b.test> SIZE=2000', 'QUIT'])
    big = ['y' * 70] * 40
    s.case('data-too-big', IN, tx(data=False, tag='big')[:-1] + ['DATA', 'Subject: big', ''] +
           big + ['.', 'NOOP', 'QUIT'])
    s.case('data-just-fits', IN, tx(data=False, tag='fit')[:-1] + ['DATA', 'Subject: fit', ''] +
           ['z' * 70] * 20 + ['.', 'QUIT'])
    s.case('rcpt-limit', IN, tx(rcpts=('alice@local.test',) * 5, tag='rl'))
    s = a.service('size-unlimited', 'message_size_limit=0',
                  'smtpd_discard_ehlo_keywords=chunking,dsn,silent-discard')
    s.case('ehlo', IN, ['EHLO x.test', 'MAIL FROM:<a@b.test> SIZE=99999999999',
                        'RCPT TO:<alice@local.test> NOTIFY=SUCCESS', 'BDAT 10 LAST', 'NOOP'])
    s = a.service('ehlo-discard-all', 'smtpd_discard_ehlo_keywords=pipelining,size,vrfy,etrn,'
                  'enhancedstatuscodes,8bitmime,dsn,smtputf8,chunking,xclient')
    s.case('x', IN, ['EHLO x.test', 'MAIL FROM:<a@b.test>', 'RCPT TO:<nosuch@local.test>',
                     'QUIT'])
    s = a.service('ehlo-extras', 'smtpd_authorized_verp_clients=127.0.0.1',
                  'smtpd_authorized_xforward_hosts=127.0.0.1', 'smtputf8_enable=no')
    s.case('in', IN, ['EHLO x.test', 'MAIL FROM:<a@b.test> SMTPUTF8', 'MAIL FROM:<a@b.test> XVERP',
                      'RSET', 'XFORWARD ADDR=10.1.1.1 NAME=fwd.test', 'QUIT'])
    s.case('out', OUT, ['EHLO x.test', 'XFORWARD ADDR=10.1.1.1', 'QUIT'])
    s = a.service('vrfy-disabled', 'disable_vrfy_command=yes')
    s.case('x', IN, ['EHLO x.test', 'VRFY alice', 'VRFY', 'QUIT'])
    s = a.service('errors', 'smtpd_hard_error_limit=5', 'smtpd_soft_error_limit=2')
    s.case('hard-limit', IN, ['EHLO x.test'] + ['FOO%d' % i for i in range(6)] + ['NOOP', 'QUIT'])
    s.case('rejects-count', IN, tx(rcpts=['nosuch%d@local.test' % i for i in range(6)],
                                   tag='rc'))
    s = a.service('junk', 'smtpd_junk_command_limit=3')
    s.case('noops', IN, ['EHLO x.test', 'NOOP', 'NOOP', 'RSET', 'VRFY alice', 'NOOP', 'QUIT'])
    s = a.service('forbidden', 'smtpd_forbidden_commands=CONNECT,GET,POST,FOOBAR',
                  'smtpd_noop_commands=XNOOP')
    s.case('x', IN, ['EHLO x.test', 'XNOOP a b', 'FOOBAR', 'NOOP', 'QUIT'])
    s.case('header', IN, ['EHLO x.test', 'Subject: x', 'QUIT'])
    s = a.service('strict', 'strict_rfc821_envelopes=yes')
    s.case('x', IN, ['EHLO x.test', 'MAIL FROM:alice@local.test', 'MAIL FROM:<a@b.test> x',
                     'MAIL FROM:<a@b.test>', 'RCPT TO:bob@local.test', 'RCPT TO:<"a b"@local.test>',
                     'QUIT'])
    s = a.service('banner', 'smtpd_banner=$myhostname ESMTP custom banner text')
    s.case('x', IN, ['EHLO x.test', 'QUIT'])
    s = a.service('codes', 'unknown_local_recipient_reject_code=450',
                  'smtpd_reject_footer=see https://sbs.test/help')
    s.case('x', IN, tx(rcpts=('nosuch@local.test',), tag='x', after=['VRFY nosuch']))


def compat0_cases(b):
    """instance B: compatibility_level 0 (the Postfix 2.x defaults)"""
    s = b.service('c0-default')
    s.case('ehlo', IN, ['EHLO x.test', 'MAIL FROM:<a@b.test> SMTPUTF8', 'QUIT'])
    for suffix, client in (('in', IN), ('loop9', LOOP9), ('out', OUT)):
        s.case('relay-' + suffix, client, tx(rcpts=('x@outside.test',), tag=suffix))
    for suffix, addr in [('local', 'alice@localhost'), ('local-unknown', 'nosuch@localhost'),
                         ('short-host', 'alice@mail'), ('short-other', 'alice@other'),
                         ('bare', 'alice'), ('bare-unknown', 'nosuch'),
                         ('relay-test', 'rr@relay.test')]:
        s.case(suffix, OUT, tx(rcpts=(addr,), tag=suffix))
    s = b.service('c0-order', 'smtpd_relay_restrictions=reject_unauth_destination',
                  'smtpd_recipient_restrictions=reject_non_fqdn_recipient')
    s.case('nonfqdn-remote', OUT, tx(rcpts=('user@host',), tag='a'))
    s.case('remote', OUT, tx(rcpts=('user@outside.test',), tag='b'))
    s = b.service('c0-order-37', 'smtpd_relay_restrictions=reject_unauth_destination',
                  'smtpd_recipient_restrictions=reject_non_fqdn_recipient',
                  'compatibility_level=3.7')
    s.case('nonfqdn-remote', OUT, tx(rcpts=('user@host',), tag='a'))
    s = b.service('c0-unlisted', 'smtpd_recipient_restrictions=permit_mynetworks,'
                  'reject_unauth_destination,reject_unlisted_recipient')
    s.case('unknown', IN, tx(rcpts=('nosuch@mail.sbs.test',), tag='u'))


# ---------------------------------------------------------------- output
PROTOCOLS = 'ipv4'
IPV6 = False


def free_port_base(n):
    """a base port with n free ports after it on 127.0.0.1"""
    for _ in range(200):
        base = random.randrange(20000, 60000 - n)
        socks = []
        try:
            for p in range(base, base + n):
                so = socket.socket()
                socks.append(so)
                so.bind(('127.0.0.1', p))
            return base
        except OSError:
            continue
        finally:
            for so in socks:
                so.close()
    raise SystemExit('sbs_cases.py: no %d free ports in a row on 127.0.0.1' % n)


def master_line(s):
    out = '%s inet n - n - 4 smtpd\n' % s.name
    for name, value in s.overrides:
        if ' ' in value or value == '':
            # master.cf's grouping syntax keeps a value with spaces whole.
            out += '  -o { %s = %s }\n' % (name, value)
        else:
            out += '  -o %s=%s\n' % (name, value)
    return out


def write(path, data, mode=0o644):
    with open(path, 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, mode)


def main():
    global PROTOCOLS, IPV6
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('--port-base', type=int, default=0)
    ap.add_argument('--no-ipv6', action='store_true')
    a = ap.parse_args()
    out = os.path.abspath(a.outdir)

    IPV6 = not a.no_ipv6
    if IPV6:
        try:
            socket.socket(socket.AF_INET6).close()
        except OSError:
            IPV6 = False
    PROTOCOLS = 'all' if IPV6 else 'ipv4'

    tables = common_tables()
    ia = Instance('a', MAIN_A, tables,
                  [('postmap', 'hash', 'keys.hash'), ('postmap', 'hash', 'vmailbox'),
                   ('postalias', 'hash', 'aliases')])
    ic = Instance('c', MAIN_C, tables, ia.maps)
    ib = Instance('b', MAIN_B, {k: tables[k] for k in ('local_users', 'aliases', 'transport',
                                                       'results')},
                  [('postalias', 'hash', 'aliases')])
    results_cases(ia)
    keys_cases(ia, IPV6)
    mynetworks_cases(ia)
    class_cases(ia)
    restriction_cases(ia, ic)
    protocol_cases(ia)
    compat0_cases(ib)
    instances = [ia, ib, ic]

    nports = sum(len(i.services) for i in instances)
    port = a.port_base or free_port_base(nports)
    for i in instances:
        for s in i.services:
            s.port = port
            port += 1

    os.makedirs(os.path.join(out, 'sessions'), exist_ok=True)
    os.chmod(out, 0o755)
    names = set()
    with open(os.path.join(out, 'instances.tsv'), 'w') as inst_f, \
            open(os.path.join(out, 'cases.tsv'), 'w') as cases_f:
        for i in instances:
            i.dir = os.path.join(out, i.name)
            etc = os.path.join(i.dir, 'etc')
            os.makedirs(etc, exist_ok=True)
            os.chmod(i.dir, 0o755)
            os.chmod(etc, 0o755)
            inst_f.write('%s\t%s\n' % (i.name, i.dir))
            write(os.path.join(etc, 'main.cf'), fill(i.main, i))
            master = MASTER_COMMON + ''.join(master_line(s) for s in i.services)
            write(os.path.join(etc, 'master.cf'), fill(master, i))
            for t, text in i.tables.items():
                write(os.path.join(etc, t), fill(text, i))
            with open(os.path.join(i.dir, 'maps.list'), 'w') as f:
                for cmd, typ, t in i.maps:
                    f.write('%s %s:%s\n' % (cmd, typ, os.path.join(etc, t)))
            for s in i.services:
                for c in s.cases:
                    if c.name in names:
                        raise SystemExit('sbs_cases.py: duplicate case %s' % c.name)
                    names.add(c.name)
                    data = b''.join((l if isinstance(l, bytes) else fill(l, i).encode())
                                    + b'\n' for l in c.lines)
                    write(os.path.join(out, 'sessions', c.name), data)
                    cases_f.write('\t'.join([
                        c.name, i.name, s.name, c.client[0], c.client[1], 'yes',
                        'pipeline' if c.pipeline else 'serial',
                        'sessions/' + c.name]) + '\n')
    print('%d instances, %d services, %d cases' % (
        len(instances), nports, len(names)), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
