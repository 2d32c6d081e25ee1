#!/bin/sh
# make-image-seeds.sh - policy images for the image harness to start from.
#
#   make-image-seeds.sh PFC SRCDIR OUTDIR
#
# Builds, with the pfc binary PFC, OUTDIR/example-NAME.pfi from each
# configuration of SRCDIR/examples, and OUTDIR/every-kind.pfi from a small
# configuration written here that names a table of every kind the image
# knows (hash, texthash, inline, static, regexp with IF/ENDIF and $n, pcre,
# cidr, unionmap, pipemap, an external lmdb table), a restriction class and
# master.cf overrides. make fuzz runs it before the image fuzzer so the
# images always have the current format; the saved corpus
# (tests/fuzz/corpus/image) holds copies made the same way. Exit 0 when
# every image was built.
set -u

pfc=$1 srcdir=$2 out=$3
mkdir -p "$out" || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
status=0

# build NAME - build root $tmp/NAME (its etc/postfix) into OUTDIR/NAME.pfi
build() {
    root=$tmp/$1
    conf=$root/etc/postfix
    # the hash tables and the aliases that main.cf names, as pfc check wants
    for f in virtual sender_access access; do
	[ -f "$conf/$f" ] && ! "$pfc" map --root "$root" "hash:/etc/postfix/$f" &&
	    status=1
    done
    [ -f "$conf/aliases" ] && ! "$pfc" newaliases --root "$root" -C /etc/postfix && status=1
    "$pfc" build --root "$root" -c /etc/postfix -o "$out/$1.pfi" || status=1
}

for ex in "$srcdir"/examples/*/; do
    name=example-$(basename "$ex")
    mkdir -p "$tmp/$name/etc"
    cp -R "$ex" "$tmp/$name/etc/postfix"
    build "$name"
done

conf=$tmp/every-kind/etc/postfix
mkdir -p "$conf"
cp "$srcdir/examples/small-company/master.cf" "$conf/master.cf"
cat >>"$conf/master.cf" <<'END'
127.0.0.1:10025 inet n - n - - smtpd
  -o smtpd_client_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=strict
  -o content_filter=
END
cat >"$conf/main.cf" <<'END'
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
mydestination = $myhostname, localhost
alias_maps = hash:/etc/postfix/aliases
alias_database = hash:/etc/postfix/aliases
virtual_alias_maps = hash:/etc/postfix/virtual, regexp:/etc/postfix/virtual_regexp,
    inline:{ postmaster@example.net = root, {list@example.net = a, b} }
transport_maps = unionmap:{ texthash:/etc/postfix/transport, static:smtp:[relay.example.com] }
sender_canonical_maps = pipemap:{ inline:{ old@example.com = new@example.com }, regexp:/etc/postfix/virtual_regexp }
header_checks = pcre:/etc/postfix/header_checks
smtpd_restriction_classes = strict
strict = check_sender_access hash:/etc/postfix/access, reject_unknown_sender_domain, permit
smtpd_client_restrictions = check_client_access cidr:/etc/postfix/clients, permit_mynetworks,
    reject_rbl_client zen.example.org
smtpd_recipient_restrictions = permit_mynetworks, strict, reject_unauth_destination
smtpd_sender_login_maps = lmdb:/etc/postfix/logins
END
printf 'postmaster: root\nroot: alice, "bob smith"@example.com\n' >"$conf/aliases"
printf 'info@example.com alice\nsales@example.com bob, carol\n@example.org catchall\n' >"$conf/virtual"
printf 'spam@example.com REJECT\nexample.net OK\n' >"$conf/access"
printf 'example.com smtp:[mx.example.com]\n.example.com relay:\n' >"$conf/transport"
cat >"$conf/virtual_regexp" <<'END'
/^(.*)-owner@(.*)$/ $1@$2
if /@example\.com$/
!/^root@/ $$keep
endif
/^old(.*)/!/^oldest/ new$1
END
cat >"$conf/header_checks" <<'END'
/^Subject: (?:.*)viagra/i REJECT
if /^X-/
/^X-Mailer: (.*)$/ WARN mailer $1
endif
END
printf '192.168.0.0/16 OK\n[::1]/128 OK\n!10.0.0.0/8 REJECT\n' >"$conf/clients"
: >"$conf/logins"
build every-kind
exit $status
