/*
 * fuzz_cfline - the logical-line reader every Postfix file goes through
 * (grammar/cfline.h): joined lines, comments, positions of each piece.
 */
#include <stdio.h>
#include <string.h>

#include "cfline.h"
#include "fuzz.h"

const char fuzz_name[] = "cfline";

/* check_line - every offset of the line maps back to a physical place */
static void check_line(const struct cf_logical_line *line)
{
    int lineno, column;

    fuzz_use(line->text);
    for (size_t i = 0; i < line->nsegs; i++) {
	if (line->segs[i].offset > line->len || line->segs[i].line < line->first_line
	    || line->segs[i].line > line->last_line)
	    __builtin_trap();
	cf_position(line, line->segs[i].offset, &lineno, &column);
    }
    cf_position(line, 0, &lineno, &column);
    cf_position(line, line->len, &lineno, &column);
    cf_position(line, line->len / 2, &lineno, &column);
    struct cf_logical_line *copy = cf_line_copy(line);
    /* len counts the bytes after a NUL too: the copy has them all. */
    if (copy->len != line->len || copy->nsegs != line->nsegs
	|| memcmp(copy->text, line->text, line->len + 1) != 0)
	__builtin_trap();
    cf_line_free(copy);
}

static void on_line(void *ctx, const struct cf_logical_line *line)
{
    (void) ctx;
    check_line(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct cf_reader_ops with_hook = { on_line, on_line };
    static const struct cf_reader_ops postfix_warning = { on_line, NULL };

    fuzz_init();
    for (int pass = 0; pass < 2; pass++) {
	FILE *fp = fuzz_stream(data, size);
	cf_read_stream(fp, "main.cf", pass ? &postfix_warning : &with_hook, NULL);
	fclose(fp);
    }
    return 0;
}
