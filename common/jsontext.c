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

/* The length of the UTF-8 sequence starting a non-empty s[0..len), or 0
 * if it is not one jansson takes: no overlong form, no UTF-16
 * surrogate, nothing past U+10FFFF. */
static size_t
utf8_sequence(const unsigned char *s, size_t len)
{
	unsigned int	 cp, min;
	size_t		 need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 1;
		cp = s[0] & 0x1F;
		min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 2;
		cp = s[0] & 0x0F;
		min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 3;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;	/* a continuation, C0, C1, F5-FF */
	if (len <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need + 1;
}

size_t
buf_add_text(struct buf *b, const char *s, size_t len, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n, out = 0;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_sequence(p + i, len - i)) == 0) {
			if (out + 3 > max)
				break;
			buf_adds(b, "\xEF\xBF\xBD");	/* U+FFFD */
			out += 3;
			n = 1;
		} else if (out + n > max)
			break;		/* never half a character */
		else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			buf_add(b, " ", 1);
			out++;
		} else {
			buf_add(b, s + i, n);
			out += n;
		}
	}
	return i;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_sequence(p + i, len - i)) == 0)
			return false;
	}
	return true;
}

/* How json_dumps writes a character below 0x20, '"' or '\'. */
static const char *
escape(unsigned char c, char u[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		snprintf(u, 8, "\\u%04X", c);
		return u;
	}
}

/*
 * Appends s as a JSON string the way json_dumps writes one without
 * JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH: '"' and '\' escaped, \b \f \n
 * \r \t by name, other control characters as \u00XX (upper-case hex),
 * everything else (UTF-8 included) as it is.  One pass: runs of bytes
 * that need nothing are copied whole, and the UTF-8 is checked on the way
 * (what was appended is taken back if it is not UTF-8).
 */
int
buf_add_json_string(struct buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 mark = b->len, len = strlen(s), i = 0, from, n;
	char			 u[8];

	buf_add(b, "\"", 1);
	while (i < len) {
		for (from = i; i < len && p[i] >= 0x20 && p[i] != '"' &&
		    p[i] != '\\'; i += n) {
			if ((n = utf8_sequence(p + i, len - i)) == 0) {
				b->len = mark;
				b->data[mark] = '\0';
				return -1;
			}
		}
		buf_add(b, s + from, i - from);
		if (i < len)
			buf_adds(b, escape(p[i++], u));
	}
	buf_add(b, "\"", 1);
	return 0;
}
