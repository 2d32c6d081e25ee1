/*
 * dict_texthash - texthash:FILE, a postmap source file read into memory at
 * open time, as Postfix's texthash: tables are. Read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "mapsource.h"
#include "memtable.h"

static void add_entry(void *ctx, const char *key, const char *value, int line)
{
    struct memtable *mt = ctx;
    unsigned flags = mt->dict.flags;

    if (memtable_put(mt, key, value, (flags & DICT_FLAG_DUP_REPLACE) != 0)
	&& (flags & (DICT_FLAG_DUP_IGNORE | DICT_FLAG_DUP_REPLACE)) == 0) {
	struct diag at = {
	    .severity = DIAG_WARNING, .path = mt->dict.name, .line = line,
	    .wording = DIAG_SAY_LINE,
	};
	diag_reportf(mt->dict.sink, &at, "duplicate entry: \"%s\"", key);
    }
}

static struct dict *texthash_open(const char *name, int mode, unsigned flags,
				  const struct diag_sink *sink, char **err);

const struct dict_type dict_type_texthash = {
    "texthash", DICT_CAP_FIXED | DICT_CAP_FILE, texthash_open, NULL,
};

static struct dict *texthash_open(const char *name, int mode, unsigned flags,
				  const struct diag_sink *sink, char **err)
{
    struct memtable *mt;
    FILE *fp;

    (void) mode;
    /*
     * A FIFO would block the open and a device (/dev/zero) the read for
     * ever: open without blocking and refuse all but files. A directory
     * opens and fails to read below, as in Postfix.
     */
    int fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
	*err = dict_format_error("open database %s: %s", name, strerror(errno));
	if (fd >= 0)
	    close(fd);
	return NULL;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
	*err = dict_format_error("open database %s: not a regular file", name);
	close(fd);
	return NULL;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 || (fp = fdopen(fd, "r")) == NULL) {
	*err = dict_format_error("open database %s: %s", name, strerror(errno));
	close(fd);
	return NULL;
    }
    mt = memtable_open(&dict_type_texthash, name, flags);
    mt->dict.sink = sink;
    if (mapsource_read_to(fp, name, MAPSOURCE_TEXTHASH
			  | ((flags & DICT_FLAG_UTF8) ? MAPSOURCE_UTF8 : 0), sink, add_entry,
			  mt) < 0) {
	/* A directory opens, then fails to read: Postfix stops, it does not answer "not found". */
	char *ignored = NULL;
	*err = dict_format_error("read %s: %s", name, strerror(errno));
	fclose(fp);
	(void) dict_close(&mt->dict, &ignored);
	free(ignored);
	return NULL;
    }
    fclose(fp);
    return &mt->dict;
}
