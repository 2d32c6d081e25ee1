/*
 * local_alias - where an alias, a .forward file or a :include: file
 * sends a recipient (local(8)'s alias.c, dotforward.c, include.c,
 * token.c): the list is parsed as RFC 822 addresses and each element
 * is a /file, a ~/file, a |command, a :include:file or an address,
 * delivered or forwarded in turn. Who may use commands and files is
 * allow_mail_to_commands and allow_mail_to_files by where the element
 * came from; whose rights they use is the alias database owner's
 * (default_privs for root's), the .forward owner's (the recipient), or
 * an :include: file owner's when a root-owned alias names it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr822.h"
#include "diag.h"
#include "expand.h"
#include "local_int.h"
#include "maps.h"
#include "resolve.h"
#include "textutil.h"
#include "xalloc.h"

#define YES	1
#define NO	0

/* ------------------------------------------------------------ tokens */

/* deliver_token_home - ~/file: a file in the home of whoever's rights apply */
static int deliver_token_home(struct run *run, struct attr at, struct usr usr, const char *addr)
{
    if (addr[1] != '/') {
	diag_warn("bad home directory syntax for: %s", addr);
	return r_simple(run, &at, "5.3.5", "mail system configuration error");
    }
    if (usr.home == NULL) {
	diag_warn("unknown home directory for: %s", addr);
	return r_simple(run, &at, "5.3.5", "mail system configuration error");
    }
    if (strcmp(usr.home, "/") == 0)
	return deliver_file(run, at, usr, addr + 1);
    return deliver_file(run, at, usr, keep(run, xconcat(usr.home, addr + 1, (char *) NULL)));
}

/* deliver_token - one element of a list, in internal form */
static int deliver_token(struct run *run, struct attr at, struct usr usr, const char *addr)
{
    static const char include[] = ":include:";

    if (*addr == '/')
	return deliver_file(run, at, usr, addr);
    if (*addr == '~')
	return deliver_token_home(run, at, usr, addr);
    if (*addr == '|') {
	if ((run->a->cmd_mask & at.exp_type) == 0)
	    return r_simple(run, &at, "5.7.1", "mail to command is restricted");
	return deliver_command(run, at, usr, addr + 1);
    }
    if (strncasecmp(addr, include, sizeof(include) - 1) == 0)
	return deliver_include(run, at, usr, addr + sizeof(include) - 1);
    return deliver_resolve_token(run, at, usr, addr);
}

int deliver_token_string(struct run *run, struct attr at, struct usr usr, const char *string,
			 int *count)
{
    struct a822 tokens;
    int status = 0;
    char **addrs = NULL;
    size_t n = 0;

    /* Parse first: the delivery below parses other strings. */
    a822_init(&tokens);
    for (int32_t t = a822_parse(&tokens, string); t != A822_NONE; t = tokens.tok[t].next) {
	if (tokens.tok[t].type != A822_ADDR)
	    continue;
	struct strbuf buf = STRBUF_INIT;
	a822_internalize(&tokens, &buf, tokens.tok[t].head);
	addrs = xrealloc(addrs, (n + 1) * sizeof(*addrs));
	addrs[n++] = sb_detach(&buf);
    }
    a822_free(&tokens);
    for (size_t i = 0; i < n; i++) {
	if (count)
	    (*count)++;
	status |= deliver_token(run, at, usr, keep(run, addrs[i]));
    }
    free(addrs);
    return status;
}

/*
 * deliver_token_stream - a .forward or :include: file: each line (cut
 * at line_length_limit bytes) that does not start with '#' is a list
 */
static int deliver_token_stream(struct run *run, struct attr at, struct usr usr,
				const struct strbuf *content, int *count)
{
    size_t limit = (size_t) run->a->line_limit;
    const char *p = content->s ? content->s : "", *end = p + content->len;
    int status = 0;

    while (p < end) {
	const char *nl = memchr(p, '\n', (size_t) (end - p));
	size_t len = nl ? (size_t) (nl + 1 - p) : (size_t) (end - p);
	if (len > limit)
	    len = limit;
	if (*p != '#') {
	    char *line = xstrndup(p, len);
	    status = deliver_token_string(run, at, usr, line, count);
	    free(line);
	    if (status != 0)
		break;
	}
	p += len;
    }
    return status;
}

/* ------------------------------------------------------------ :include: */

int deliver_include(struct run *run, struct attr at, struct usr usr, const char *path)
{
    struct local_agent *a = run->a;
    struct local_file file = { 0 };
    struct local_why why = { 0 };
    int status;

    at.level++;
    if (been_here(run, "include %ld %s", (long) usr.uid, path))
	return 0;
    at.exp_from = at.local;

    if (*path != '/') {
	diag_warn(":include:%s uses a relative path", path);
	return r_simple(run, &at, "5.3.5", "mail system configuration error");
    }
    if (local_read_as(a, usr.uid, usr.gid, &path, 1, 0, &file, &why) < 0) {
	status = r_defer(run, &at, &why);
	goto done;
    }
    if (file.index < 0) {
	diag_warn("unable to lookup :include: file %s: %s", path, strerror(file.err));
	status = r_simple(run, &at, "5.3.5", "mail system configuration error");
	goto done;
    }
    if (!S_ISREG(file.mode)) {
	diag_warn(":include: file %s is not a regular file", path);
	status = r_simple(run, &at, "5.3.5", "mail system configuration error");
	goto done;
    }
    if (file.mode & S_IWOTH) {
	diag_warn(":include: file %s is world writable", path);
	status = r_simple(run, &at, "5.3.5", "mail system configuration error");
	goto done;
    }
    at.exp_type = EXP_TYPE_INCL;

    /*
     * A root-owned alias names a file someone else owns: that owner's
     * rights, so that the file's owner cannot act as default_privs.
     */
    if (usr.uid == 0) {
	struct local_pw pw;
	if (local_getpwuid(file.uid, &pw) <= 0) {
	    diag_warn("cannot find username for uid %ld", (long) file.uid);
	    diag_warn("%s: cannot find :include: file owner username", path);
	    status = r_simple(run, &at, "4.3.5", "mail system configuration error");
	    goto done;
	}
	if (pw.uid != 0) {
	    usr_from_pw(run, &pw, &usr);
	    /* ... and the owner's rights read it too. */
	    if (local_read_as(a, usr.uid, usr.gid, &path, 1, 0, &file, &why) < 0) {
		status = r_defer(run, &at, &why);
		goto done;
	    }
	} else {
	    local_pw_free(&pw);
	}
    }
    /* Without an owner yet, the recipients are forwarded, not delivered here. */
    if (at.owner == NULL)
	at.owner = at.rcpt.address;

    if (!file.opened) {
	diag_warn("cannot open include file %s: %s", path,
		  file.outside ? "it leads outside the root directory" : strerror(file.err));
	status = r_simple(run, &at, "5.3.5", "mail system configuration error");
	goto done;
    }
    if ((a->ext_prop_mask & EXT_PROP_INCLUDE) == 0)
	at.unmatched = NULL;
    status = deliver_token_stream(run, at, usr, &file.content, NULL);

  done:
    sb_free(&file.content);
    why_free(&why);
    return status;
}

/* ------------------------------------------------------------ .forward */

int deliver_dotforward(struct run *run, struct attr at, struct usr usr, int *statusp)
{
    struct local_agent *a = run->a;
    struct local_file file = { 0 };
    struct local_why why = { 0 };
    int found, forward_found = NO, status = 0;

    at.level++;
    if (*a->forward_path == 0)
	return NO;
    /*
     * A user that does not exist: the mailbox delivery will say so. One
     * that does: the recipient's rights, and the file must be theirs.
     */
    if ((found = lookup_user(run, &at, at.user, &usr, statusp)) <= 0)
	return found < 0 ? YES : NO;
    if (!a->frozen_delivered)
	at.delivered = at.rcpt.address;
    at.exp_type = EXP_TYPE_FWD;
    /* Include files do not set the sender; other users are forwarded to. */
    at.owner = at.user;

    /* The candidates of forward_path whose names expand. */
    char *copy = xstrdup(a->forward_path), *bp = copy, *lhs;
    const char **paths = NULL;
    int *matched = NULL;
    size_t npaths = 0;
    while ((lhs = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	struct strbuf path = STRBUF_INIT;
	int expand_status = local_expand(&path, lhs, &at, &usr, a, a->fwd_exp_filter);
	if ((expand_status & (EXPAND_ERROR | EXPAND_UNDEF)) == 0) {
	    paths = xrealloc(paths, (npaths + 1) * sizeof(*paths));
	    matched = xrealloc(matched, (npaths + 1) * sizeof(*matched));
	    matched[npaths] = (expand_status & LOCAL_EXP_EXTENSION_MATCHED) != 0;
	    paths[npaths++] = keep(run, sb_detach(&path));
	} else {
	    sb_free(&path);
	}
    }
    free(copy);

    /*
     * Most users have no .forward: when root cannot see one either, the
     * child that would look with the user's rights is not worth its
     * fork. (Where root sees one, the child decides, with the user's
     * rights, as local(8) does.)
     */
    int any = 0;
    for (size_t i = 0; i < npaths && !any; i++) {
	char *real = local_real_path(paths[i]);
	struct stat st;
	any = geteuid() != 0 || lstat(real, &st) == 0 || errno != ENOENT;
	free(real);
    }
    file.index = -1;
    if (any
	&& local_read_as(a, usr.uid, usr.gid, paths, npaths, READ_LSTAT | READ_OWNER, &file,
			 &why) < 0) {
	*statusp = r_defer(run, &at, &why);
	forward_found = YES;
	goto done;
    }
    if (npaths == 0 || file.index < 0)
	goto done;

    const char *path = paths[file.index];
    if (matched[file.index] || (a->ext_prop_mask & EXT_PROP_FORWARD) == 0)
	at.unmatched = NULL;
    if (been_here(run, "forward %s", path) == 0) {
	at.exp_from = at.local;
	if (!S_ISREG(file.mode)) {
	    diag_warn("file %s is not a regular file", path);
	} else if (file.uid != 0 && file.uid != usr.uid) {
	    diag_warn("file %s has bad owner uid %ld", path, (long) file.uid);
	} else if (file.mode & 002) {
	    diag_warn("file %s is world writable", path);
	} else if (!file.opened) {
	    diag_warn("cannot open file %s: %s", path,
		      file.outside ? "it leads outside the root directory" : strerror(file.err));
	} else {
	    int count = 0;
	    int saved_notify = at.rcpt.dsn_notify;
	    at.rcpt.dsn_notify = saved_notify == LOCAL_NOTIFY_SUCCESS ? LOCAL_NOTIFY_NEVER
		: saved_notify & ~LOCAL_NOTIFY_SUCCESS;
	    status = deliver_token_stream(run, at, usr, &file.content, &count);
	    if (count > 0) {
		forward_found = YES;
		been_here(run, "forward-done %s", path);
		if (status == 0 && (saved_notify & LOCAL_NOTIFY_SUCCESS)) {
		    at.rcpt.dsn_notify = saved_notify;
		    r_expanded(run, &at, 0);
		}
	    }
	}
    } else if (been_here_check(run, "forward-done %s", path)) {
	forward_found = YES;
    }
    *statusp = status;

  done:
    free(paths);
    free(matched);
    sb_free(&file.content);
    why_free(&why);
    return forward_found;
}

/* ------------------------------------------------------------ aliases */

enum owner_status { OWNER_TRUSTED, OWNER_UNTRUSTED, OWNER_UNKNOWN };

/*
 * table_owner - who owns an alias table, as Postfix's dict layer says
 * (dict->owner): the owner of the file the table is opened from (NAME.db
 * for hash and btree, else NAME), trusted when root; an in-line table is
 * root's. A composite table is trusted when all its members are, and
 * untrusted when they agree on one other owner.
 */
static enum owner_status table_owner(const struct image *img, uint32_t table, uid_t *uid,
				     int depth)
{
    const struct img_table *t = &img->tables[table];
    const char *spec = image_str(img, t->spec);
    const char *colon = strchr(spec, ':');
    struct stat st;

    switch (t->kind) {
    case IMG_TABLE_STATIC:
    case IMG_TABLE_FAIL:
	return OWNER_TRUSTED;
    case IMG_TABLE_UNION:
    case IMG_TABLE_PIPE:{
	    enum owner_status all = OWNER_TRUSTED;
	    if (depth > 10)
		return OWNER_UNKNOWN;
	    for (uint32_t i = 0; i < t->b; i++) {
		uid_t member_uid = 0;
		enum owner_status s = table_owner(img, img->refs[t->a + i], &member_uid,
						  depth + 1);
		if (s == OWNER_UNKNOWN)
		    return OWNER_UNKNOWN;
		if (s == OWNER_UNTRUSTED) {
		    if (all == OWNER_UNTRUSTED && *uid != member_uid)
			return OWNER_UNKNOWN;
		    all = OWNER_UNTRUSTED;
		    *uid = member_uid;
		}
	    }
	    return all;
	}
    default:
	break;
    }
    if (colon == NULL || strncmp(spec, "inline:", 7) == 0)
	return OWNER_TRUSTED;
    const char *name = colon + 1;
    char *file = image_table_indexed(img, table) ? xconcat(name, ".db", (char *) NULL)
	: xstrdup(name);
    char *real = local_real_path(file);
    int rc = stat(real, &st);
    free(real);
    free(file);
    /* Compiled from its source alone: the source's owner. */
    if (rc < 0) {
	real = local_real_path(name);
	rc = stat(real, &st);
	free(real);
    }
    if (rc < 0)
	return OWNER_UNKNOWN;
    *uid = st.st_uid;
    return st.st_uid == 0 ? OWNER_TRUSTED : OWNER_UNTRUSTED;
}

int deliver_alias(struct run *run, struct attr at, struct usr usr, const char *name,
		  int *statusp)
{
    struct local_agent *a = run->a;

    at.level++;
    /* An alias that lists itself: the user gets it instead. */
    if (at.exp_from != NULL && strcasecmp(at.exp_from, name) == 0)
	return NO;
    if (at.level > 100) {
	diag_warn("alias database loop for %s", name);
	*statusp = r_simple(run, &at, "5.4.6", "alias database loop for %s", name);
	return YES;
    }
    at.exp_from = name;

    for (uint32_t i = 0; i < a->nalias_maps; i++) {
	uint32_t table = a->alias_maps[i];
	const char *value = NULL;
	int found = maps_find_tables(&a->session, &table, 1, name, 0, &value);
	if (found == MAPS_FAIL) {
	    diag_warn("%s: lookup of '%s' failed", image_str(a->img, a->img->tables[table].spec),
		      name);
	    *statusp = r_simple(run, &at, "4.3.0", "alias database unavailable");
	    return YES;
	}
	if (found != MAPS_FOUND)
	    continue;
	const char *alias_result = keep(run, xstrdup(value));
	at.exp_type = EXP_TYPE_ALIAS;

	/* Whose rights: the table owner's, or none (default_privs) for root's. */
	uid_t owner_uid = 0;
	switch (table_owner(a->img, table, &owner_uid, 0)) {
	case OWNER_TRUSTED:
	    memset(&usr, 0, sizeof(usr));
	    break;
	case OWNER_UNKNOWN:
	    diag_warn("deliver_alias: no owner UID for alias database %s",
		      image_str(a->img, a->img->tables[table].spec));
	    *statusp = r_simple(run, &at, "4.3.0", "mail system configuration error");
	    return YES;
	case OWNER_UNTRUSTED:{
		struct local_pw pw;
		if (local_getpwuid(owner_uid, &pw) <= 0) {
		    diag_warn("cannot find alias database owner for %s",
			      image_str(a->img, a->img->tables[table].spec));
		    *statusp = r_simple(run, &at, "4.3.0", "cannot find alias database owner");
		    return YES;
		}
		usr_from_pw(run, &pw, &usr);
		break;
	    }
	}

	/* Who hears of problems: an owner- alias becomes the sender. */
	const char *canon_owner = NULL;
	int owner_found = MAPS_NOTFOUND;
	if (a->ownreq_special) {
	    char *owner = xconcat("owner-", name, (char *) NULL);
	    const char *owner_rhs = NULL;
	    owner_found = maps_find(&a->session, "alias_maps", owner, &owner_rhs);
	    if (owner_found == MAPS_FOUND) {
		struct strbuf canon = STRBUF_INIT;
		resolve_rewrite(&a->session, a->exp_own_alias ? owner_rhs : owner, &canon);
		canon_owner = keep(run, sb_detach(&canon));
		at.sender = at.owner = canon_owner;
	    }
	    free(owner);
	}
	if (canon_owner == NULL && a->reset_owner)
	    at.owner = NULL;
	if (!a->frozen_delivered)
	    at.delivered = at.rcpt.address;

	if (owner_found == MAPS_FAIL) {
	    *statusp = r_simple(run, &at, "4.3.0", "alias database unavailable");
	    return YES;
	}
	/*
	 * DSN: a list (owner-) starts afresh; an alias passes ORCPT on.
	 * NOTIFY=SUCCESS is reported here, not by each member.
	 */
	int dsn_notify = at.rcpt.dsn_notify;
	const char *dsn_orcpt = at.rcpt.dsn_orcpt;
	at.rcpt.dsn_notify = dsn_notify == LOCAL_NOTIFY_SUCCESS ? LOCAL_NOTIFY_NEVER
	    : dsn_notify & ~LOCAL_NOTIFY_SUCCESS;
	if (canon_owner != NULL) {
	    at.rcpt.dsn_orcpt = "";
	    at.rcpt.orig_addr = "";
	}
	int count = 0;
	*statusp = deliver_token_string(run, at, usr, alias_result, &count);
	if (count < 1) {
	    diag_warn("no recipient in alias lookup result for %s", name);
	    *statusp = r_simple(run, &at, "4.3.0", "alias database unavailable");
	} else if (dsn_notify & LOCAL_NOTIFY_SUCCESS) {
	    at.rcpt.dsn_notify = dsn_notify;
	    if (canon_owner != NULL)
		at.rcpt.dsn_orcpt = dsn_orcpt;
	    r_expanded(run, &at, canon_owner != NULL);
	}
	return YES;
    }
    /* No alias: a local user, perhaps. */
    return NO;
}
