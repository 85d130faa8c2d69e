/*
 * mailread.h: a header's text as a mail reader shows it, for the tests of
 * notify/mail.c (tests/unit/test_mail.c, tests/fuzz/fuzz_mail.c).
 *
 * Written apart from GMime, and as lenient as Python's email package (its
 * ecre): an RFC 2047 encoded-word is decoded wherever it stands, inside a
 * word or holding spaces, and the white space between two adjacent ones
 * is dropped.  So a "=?" that ticd let through as it was shows here as a
 * reader would show it.  GMime 3.2.13's own reading glues adjacent base64
 * words and loses what follows a padded one (GMime issue #133).
 */
#ifndef TICD_TESTS_MAILREAD_H
#define TICD_TESTS_MAILREAD_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* The header's value unfolded: each CR and LF taken out (RFC 5322 2.2.3:
 * the white space after them stays). */
static inline char *
mailread_unfold(const char *raw, size_t len)
{
	GString	*out = g_string_sized_new(len);
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (raw[i] != '\r' && raw[i] != '\n')
			g_string_append_c(out, raw[i]);
	}
	return g_string_free(out, FALSE);
}

static inline int
mailread_hex(char c)
{
	return g_ascii_xdigit_value(c);
}

/* The encoded-word at p ("=?cs?X?text?="): its end and its text in UTF-8
 * appended to out; NULL (nothing appended) when p does not start one. */
static inline const char *
mailread_word(const char *p, GString *out)
{
	const char	*cs = p + 2, *q, *text, *end;
	char		*charset, *bytes, *utf8;
	GString		*raw;
	gsize		 n;

	if (strncmp(p, "=?", 2) != 0 || (q = strchr(cs, '?')) == NULL ||
	    strchr("BbQq", q[1]) == NULL || q[1] == '\0' || q[2] != '?')
		return NULL;
	text = q + 3;
	if ((end = strstr(text, "?=")) == NULL)
		return NULL;
	raw = g_string_new(NULL);
	if (q[1] == 'B' || q[1] == 'b') {
		char	*b64 = g_strndup(text, (gsize)(end - text));

		bytes = (char *)g_base64_decode(b64, &n);
		g_string_append_len(raw, bytes, (gssize)n);
		g_free(bytes);
		g_free(b64);
	} else {
		for (; text < end; text++) {
			if (*text == '_')
				g_string_append_c(raw, ' ');
			else if (*text == '=' && end - text >= 3 &&
			    mailread_hex(text[1]) >= 0 &&
			    mailread_hex(text[2]) >= 0) {
				g_string_append_c(raw, (char)(mailread_hex(
				    text[1]) * 16 + mailread_hex(text[2])));
				text += 2;
			} else
				g_string_append_c(raw, *text);
		}
	}
	charset = g_strndup(cs, (gsize)(q - cs));
	utf8 = g_convert(raw->str, (gssize)raw->len, "UTF-8", charset, NULL,
	    NULL, NULL);
	g_string_append(out, utf8 != NULL ? utf8 : "\xef\xbf\xbd");
	g_free(utf8);
	g_free(charset);
	g_string_free(raw, TRUE);
	return end + 2;
}

/* The encoded-words of header text s: how many, and the longest's length
 * in *longest (RFC 2047 allows 75 characters); -1 when a "=?" in s starts
 * none, which a reader would show as it is. */
static inline int
mailread_words(const char *s, size_t *longest)
{
	GString		*scratch = g_string_new(NULL);
	const char	*p, *end;
	int		 words = 0;

	*longest = 0;
	for (p = s; (p = strstr(p, "=?")) != NULL; p = end) {
		if ((end = mailread_word(p, scratch)) == NULL) {
			words = -1;
			break;
		}
		if ((size_t)(end - p) > *longest)
			*longest = (size_t)(end - p);
		words++;
	}
	g_string_free(scratch, TRUE);
	return words;
}

/* The unfolded value as a reader shows it; g_free it. */
static inline char *
mailread_text(const char *value)
{
	GString		*out = g_string_new(NULL);
	const char	*p, *gap = value, *next;
	bool		 after_word = false;

	for (p = value; *p != '\0';) {
		GString	*word;

		if (strncmp(p, "=?", 2) != 0) {
			p++;
			continue;
		}
		word = g_string_new(NULL);
		if ((next = mailread_word(p, word)) == NULL) {
			g_string_free(word, TRUE);
			p++;
			continue;
		}
		/* The text before this word, unless only white space between
		 * two encoded-words. */
		if (!(after_word && strspn(gap, " \t") == (size_t)(p - gap)))
			g_string_append_len(out, gap, p - gap);
		g_string_append_len(out, word->str, (gssize)word->len);
		g_string_free(word, TRUE);
		after_word = true;
		p = gap = next;
	}
	g_string_append(out, gap);
	return g_string_free(out, FALSE);
}

#endif
