/*
 * test_cond.c: the feeds' conditional requests (daemon/cond.c): HTTP-dates
 * written and read in all three forms, entity-tag lists, and when a GET
 * is answered 304.  Anything malformed must mean "no condition": a full
 * reply, never a wrong 304.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/feed-int.h"

/* RFC 9110's example: Sun, 06 Nov 1994 08:49:37 GMT. */
#define EXAMPLE		((time_t)784111777)
/* 2026-11-28T00:00:00Z, as "now" for two-digit years. */
#define NOW		((time_t)1795824000)

static void
test_dates_are_written_as_imf_fixdate(void **state)
{
	char	 out[COND_DATE_LEN];

	(void)state;
	cond_date_format(EXAMPLE, out);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	cond_date_format(0, out);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	cond_date_format(-5, out);		/* clamped, still a date */
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	cond_date_format((time_t)253402300799LL + 100, out);
	assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
}

static void
test_all_three_forms_are_read(void **state)
{
	time_t	 t = 0;

	(void)state;
	assert_int_equal(cond_date_parse("Sun, 06 Nov 1994 08:49:37 GMT",
	    NOW, &t), 0);
	assert_int_equal(t, EXAMPLE);
	t = 0;
	assert_int_equal(cond_date_parse("Sunday, 06-Nov-94 08:49:37 GMT",
	    NOW, &t), 0);
	assert_int_equal(t, EXAMPLE);
	t = 0;
	assert_int_equal(cond_date_parse("Sun Nov  6 08:49:37 1994", NOW,
	    &t), 0);
	assert_int_equal(t, EXAMPLE);
	/* A two-digit year up to 50 years ahead stays in this century. */
	assert_int_equal(cond_date_parse("Friday, 01-Jan-60 00:00:00 GMT",
	    NOW, &t), 0);
	assert_int_equal(t, (time_t)2840140800LL);	/* 2060-01-01 */
	/* A leap second reads as the last second of its minute. */
	assert_int_equal(cond_date_parse("Wed, 31 Dec 2008 23:59:60 GMT",
	    NOW, &t), 0);
	assert_int_equal(t, (time_t)1230767999);
}

static void
test_round_trip(void **state)
{
	char	 out[COND_DATE_LEN];
	time_t	 t, back;
	int	 i;

	(void)state;
	srand(7);
	for (i = 0; i < 20000; i++) {
		t = (time_t)((unsigned long long)rand() * 977u %
		    4102444800ULL);
		cond_date_format(t, out);
		assert_int_equal(cond_date_parse(out, NOW, &back), 0);
		assert_int_equal(back, t);
	}
}

static void
test_malformed_dates_are_refused(void **state)
{
	static const char *bad[] = {
		"",
		"yesterday",
		"Sun, 06 Nov 1994 08:49:37 UTC",	/* not GMT */
		"Sun, 06 Nov 1994 08:49:37 GMT ",	/* trailing */
		" Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 31 Feb 1994 08:49:37 GMT",	/* no such day */
		"Sun, 29 Feb 2100 08:49:37 GMT",	/* not a leap year */
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 06 Nov 19944 08:49:37 GMT",
		"Sun, 06 Nov 1969 08:49:37 GMT",	/* before 1970 */
		"Sun, 06 nov 1994 08:49:37 GMT",	/* case matters */
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun, 0x Nov 1994 08:49:37 GMT",
		"Sun,06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sun Nov 6 08:49:37 1994",
		"1795824000",
	};
	time_t	 t = 42;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cond_date_parse(bad[i], NOW, &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(t, 42);
	}
}

static void
test_entity_tag_lists(void **state)
{
	const char	*tag = "\"0123abcd\"";

	(void)state;
	assert_true(cond_etag_listed("\"0123abcd\"", tag));
	assert_true(cond_etag_listed("W/\"0123abcd\"", tag));
	assert_true(cond_etag_listed("\"x\", \"0123abcd\"", tag));
	assert_true(cond_etag_listed("\"x\",\"0123abcd\" ,\"y\"", tag));
	assert_true(cond_etag_listed("*", tag));
	assert_true(cond_etag_listed(" * ", tag));
	assert_false(cond_etag_listed("\"0123abc\"", tag));
	assert_false(cond_etag_listed("\"0123abcde\"", tag));
	assert_false(cond_etag_listed("0123abcd", tag));	/* unquoted */
	assert_false(cond_etag_listed("\"0123abcd", tag));	/* unclosed */
	assert_false(cond_etag_listed("\"x\"\"0123abcd\"", tag));
	assert_false(cond_etag_listed("*, \"x\"", tag));
	assert_false(cond_etag_listed("", tag));
	assert_false(cond_etag_listed("w/\"0123abcd\"", tag));
}

static void
test_when_304(void **state)
{
	const char	*tag = "\"t\"";
	const char	*lm = "Sun, 06 Nov 1994 08:49:37 GMT";
	const char	*later = "Sun, 06 Nov 1994 08:49:38 GMT";
	const char	*earlier = "Sun, 06 Nov 1994 08:49:36 GMT";

	(void)state;
	assert_false(cond_not_modified(NULL, NULL, tag, EXAMPLE, NOW));
	assert_true(cond_not_modified("\"t\"", NULL, tag, EXAMPLE, NOW));
	assert_false(cond_not_modified("\"u\"", NULL, tag, EXAMPLE, NOW));
	assert_true(cond_not_modified(NULL, lm, tag, EXAMPLE, NOW));
	assert_true(cond_not_modified(NULL, later, tag, EXAMPLE, NOW));
	assert_false(cond_not_modified(NULL, earlier, tag, EXAMPLE, NOW));
	assert_false(cond_not_modified(NULL, "garbage", tag, EXAMPLE, NOW));
	/* A date after ours (a client's clock running fast) hides nothing:
	 * a change made within the skew is sent. */
	assert_false(cond_not_modified(NULL, "Tue, 01 Jan 2030 00:00:00 GMT",
	    tag, EXAMPLE, NOW));
	assert_true(cond_not_modified(NULL, later, tag, EXAMPLE, EXAMPLE + 1));
	assert_false(cond_not_modified(NULL, later, tag, EXAMPLE, EXAMPLE));
	/* If-None-Match decides alone: a new ETag is a full reply even when
	 * the date would say "not modified", and the other way round. */
	assert_false(cond_not_modified("\"u\"", later, tag, EXAMPLE, NOW));
	assert_true(cond_not_modified("\"t\"", earlier, tag, EXAMPLE, NOW));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates_are_written_as_imf_fixdate),
		cmocka_unit_test(test_all_three_forms_are_read),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed_dates_are_refused),
		cmocka_unit_test(test_entity_tag_lists),
		cmocka_unit_test(test_when_304),
	};

	return cmocka_run_group_tests_name("cond", tests, NULL, NULL);
}
