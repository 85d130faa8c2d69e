/*
 * jsontext.c: the text of JSON strings, checked and written by hand.
 *
 * Printing a large plan, and reading a large journal, through jansson
 * builds a tree of allocations for every line only to throw it away.
 * The planner's writer and the journal's quick reader work on the text
 * instead, and must agree with jansson byte for byte: these two
 * functions are that agreement, each following jansson 2.14's rules
 * (utf.c for what counts as UTF-8, dump.c for the escapes).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	unsigned int		 cp, min;
	size_t			 need;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xC2 && *p <= 0xDF) {
			need = 1;
			cp = *p & 0x1F;
			min = 0x80;
		} else if (*p >= 0xE0 && *p <= 0xEF) {
			need = 2;
			cp = *p & 0x0F;
			min = 0x800;
		} else if (*p >= 0xF0 && *p <= 0xF4) {
			need = 3;
			cp = *p & 0x07;
			min = 0x10000;
		} else
			return false;	/* a continuation, C0, C1, F5-FF */
		if ((size_t)(end - ++p) < need)
			return false;
		for (; need > 0; need--, p++) {
			if ((*p & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3F);
		}
		/* Overlong forms, UTF-16 surrogates, past Unicode's end. */
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
	}
	return true;
}

/*
 * Appends s as a JSON string the way json_dumps writes one without
 * JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH: '"' and '\' escaped, \b \f \n
 * \r \t by name, other control characters as \u00XX (upper-case hex),
 * everything else (UTF-8 included) as it is.
 */
int
buf_add_json_string(struct buf *b, const char *s)
{
	size_t		 len = strlen(s), i, from = 0;
	const char	*esc;
	char		 u[8];

	if (!utf8_valid(s, len))
		return -1;
	buf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			snprintf(u, sizeof(u), "\\u%04X", c);
			esc = u;
			break;
		}
		buf_add(b, s + from, i - from);
		buf_adds(b, esc);
		from = i + 1;
	}
	buf_add(b, s + from, len - from);
	buf_add(b, "\"", 1);
	return 0;
}
