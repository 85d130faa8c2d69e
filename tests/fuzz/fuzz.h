/*
 * fuzz.h: what the libFuzzer targets share.
 *
 * Each target is one file, fuzz_NAME.c, linked against the library and
 * the daemon (less its main) built with clang, ASan, UBSan and the
 * fuzzer's coverage; its seeds and every input that once crashed it are
 * in tests/fuzz/NAME/ and replayed by each run (make fuzz-smoke, make
 * check).  A broken invariant is reported with fuzz_fail, which aborts,
 * so libFuzzer saves the input like any crash.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "scheduler/scheduler.h"

#define FUZZ_UNUSED	__attribute__((unused))

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	 LLVMFuzzerInitialize(int *, char ***);

/* Aborts with a message: libFuzzer keeps the input as a crash. */
FUZZ_UNUSED __attribute__((noreturn, format(printf, 1, 2))) static void
fuzz_fail(const char *fmt, ...)
{
	va_list	 ap;

	fputs("fuzz invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The input as a NUL-terminated copy (the libraries read C strings). */
FUZZ_UNUSED static char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
FUZZ_UNUSED static size_t
fuzz_utf8_len(const unsigned char *s, size_t n)
{
	unsigned int	 c;
	size_t		 len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Takes the next field of the input, up to a separator byte (or the end),
 * as a string jansson accepts (valid UTF-8, no NUL): other bytes become
 * '?', as no JSON text the daemon reads could carry them.  The caller
 * frees it.
 */
FUZZ_UNUSED static char *
fuzz_field(const uint8_t **p, const uint8_t *end, uint8_t sep)
{
	const uint8_t	*start = *p, *q = start;
	unsigned char	*s;
	size_t		 n, i, k;

	while (q < end && *q != sep)
		q++;
	n = (size_t)(q - start);
	*p = q < end ? q + 1 : end;
	s = (unsigned char *)fuzz_cstring(start, n);
	for (i = 0; i < n; i += k) {
		if (s[i] == '\0' || (k = fuzz_utf8_len(s + i, n - i)) == 0) {
			s[i] = '?';
			k = 1;
		}
	}
	return (char *)s;
}

/* A calendar of two holidays (2026-01-01, 2026-10-01): enough for the
 * working-day counts the targets exercise. */
FUZZ_UNUSED static struct sched_calendar *
fuzz_calendar(void)
{
	static const char table[] = "2026-01-01\tholiday\t元旦\n"
	    "2026-10-01\tholiday\t国庆节\n";
	struct sched_calendar	*cal = sched_calendar_new();
	char			*error = NULL;

	if (sched_calendar_load(cal, "t", table, strlen(table), &error) == -1)
		fuzz_fail("table: %s", error);
	return cal;
}

#endif
