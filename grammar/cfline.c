/* cfline - drive the flex lexer and bison parser; build logical lines */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfline.h"
#include "cfline_parse.h"
#include "diag.h"
#include "strbuf.h"
#include "xalloc.h"

/* The generated lexer's interface, without including its header. */
typedef void *yyscan_t;
int cf_lex_init_extra(int *extra, yyscan_t *scanner);
void cf_set_in(FILE *in, yyscan_t scanner);
int cf_lex_destroy(yyscan_t scanner);

struct cf_parser {
    const char *path;
    const struct cf_reader_ops *ops;
    const struct diag_sink *sink;
    void *ctx;
    struct strbuf text;
    struct cf_segment *segs;
    size_t nsegs, segcap;
    int last_line;
};

static void add_piece(struct cf_parser *p, struct cf_token *tok, int line)
{
    GROW(p->segs, p->nsegs, p->segcap);
    p->segs[p->nsegs].offset = p->text.len;
    p->segs[p->nsegs].line = line;
    p->nsegs++;
    sb_addn(&p->text, tok->text, tok->len);
    p->last_line = line;
    free(tok->text);
    tok->text = NULL;
}

void cf_parser_begin(struct cf_parser *p, struct cf_token *tok, int line)
{
    sb_reset(&p->text);
    p->nsegs = 0;
    add_piece(p, tok, line);
}

void cf_parser_append(struct cf_parser *p, struct cf_token *tok, int line)
{
    add_piece(p, tok, line);
}

/* warn_leading_space - Postfix's warning about a line it drops */
static void warn_leading_space(const struct diag_sink *sink, const char *path,
			       const struct cf_logical_line *line)
{
    struct diag at = {
	.severity = DIAG_WARNING, .path = path, .line = line->first_line, .column = 1,
	.wording = DIAG_SAY_PATH,
    };

    diag_reportf(sink, &at, "logical line must not start with whitespace: \"%.30s%s\"",
		 line->text, line->len > 30 ? "..." : "");
}

void cf_parser_end(struct cf_parser *p, int leading_space)
{
    struct cf_logical_line line = {
	.text = sb_str(&p->text),
	.len = p->text.len,
	.first_line = p->segs[0].line,
	.last_line = p->last_line,
	.segs = p->segs,
	.nsegs = p->nsegs,
    };
    if (leading_space) {
	if (p->ops->on_leading_space)
	    p->ops->on_leading_space(p->ctx, &line);
	else
	    warn_leading_space(p->sink, p->path, &line);
    } else {
	p->ops->on_line(p->ctx, &line);
    }
}

int cf_read_to(FILE *fp, const char *path, const struct cf_reader_ops *ops,
	       const struct diag_sink *sink, void *ctx)
{
    struct cf_parser parser = { .path = path, .ops = ops, .sink = sink, .ctx = ctx };
    yyscan_t scanner;
    int lineno = 0;
    int status;

    /* A directory "reads" as a failure inside the scanner: refuse it here. */
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
	errno = EISDIR;
	return -1;
    }
    if (cf_lex_init_extra(&lineno, &scanner) != 0)
	return -1;
    cf_set_in(fp, scanner);
    status = cf_parse(scanner, &parser);
    cf_lex_destroy(scanner);
    sb_free(&parser.text);
    free(parser.segs);
    if (status != 0 || ferror(fp))
	return -1;
    return 0;
}

int cf_read_stream(FILE *fp, const char *path, const struct cf_reader_ops *ops,
		   void *ctx)
{
    return cf_read_to(fp, path, ops, NULL, ctx);
}

void cf_position(const struct cf_logical_line *line, size_t offset,
		 int *lineno, int *column)
{
    size_t i = 0;

    while (i + 1 < line->nsegs && line->segs[i + 1].offset <= offset)
	i++;
    *lineno = line->segs[i].line;
    *column = (int) (offset - line->segs[i].offset) + 1;
}

int cf_column(const struct cf_logical_line *line, size_t offset)
{
    int lineno, column;

    cf_position(line, offset, &lineno, &column);
    return lineno == line->first_line ? column : 0;
}

struct cf_logical_line *cf_line_copy(const struct cf_logical_line *line)
{
    struct cf_logical_line *copy = xmalloc(sizeof(*copy));
    struct cf_segment *segs = xmalloc((line->nsegs ? line->nsegs : 1) * sizeof(*segs));

    *copy = *line;
    copy->text = xstrndup(line->text, line->len);
    if (line->nsegs)
	memcpy(segs, line->segs, line->nsegs * sizeof(*segs));
    copy->segs = segs;
    return copy;
}

void cf_line_free(struct cf_logical_line *line)
{
    if (line != NULL) {
	free((char *) line->text);
	free((struct cf_segment *) line->segs);
	free(line);
    }
}
