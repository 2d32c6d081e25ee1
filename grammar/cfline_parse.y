/*
 * cfline_parse.y - assemble physical lines into logical lines (SPEC 1.1):
 *
 *   file := (CONT CONT*)? (START CONT*)*
 *
 * START is a physical line with text in column 1, CONT an indented one.
 * Indented text can only open a logical line at the start of the file;
 * Postfix warns about it and drops it.
 */
%define api.pure full
%define api.prefix {cf_}
%define parse.error verbose
%locations
%param {void *scanner}
%parse-param {struct cf_parser *parser}

%code requires {
#include <stddef.h>
struct cf_parser;
struct cf_token {
    char *text;
    size_t len;
};
#define CF_STYPE struct cf_token
}

%code provides {
int cf_lex(CF_STYPE *value, CF_LTYPE *loc, void *scanner);
void cf_parser_begin(struct cf_parser *parser, struct cf_token *tok, int line);
void cf_parser_append(struct cf_parser *parser, struct cf_token *tok, int line);
void cf_parser_end(struct cf_parser *parser, int leading_space);
}

%code {
static void cf_error(CF_LTYPE *loc, void *scanner, struct cf_parser *parser,
		     const char *msg)
{
    (void) loc; (void) scanner; (void) parser; (void) msg;
    /* Every token sequence is valid; nothing can reach here. */
}
}

%token START CONT
%destructor { free($$.text); } START CONT

%%

file
	: leading_text lines
	;

/* Indented text before the first line that starts in column 1. */
leading_text
	: %empty
	| CONT { cf_parser_begin(parser, &$1, @1.first_line); }
	  continuations { cf_parser_end(parser, 1); }
	;

lines
	: %empty
	| lines START { cf_parser_begin(parser, &$2, @2.first_line); }
	  continuations { cf_parser_end(parser, 0); }
	;

continuations
	: %empty
	| continuations CONT { cf_parser_append(parser, &$2, @2.first_line); }
	;

%%
