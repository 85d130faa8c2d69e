/*
 * test_date.c: civil dates (scheduler/date.c): strict YYYY-MM-DD parsing
 * of real days only, formatting round-trips, weekdays, and the Civil
 * Code's year periods of DOMAIN.md rules 1 and 3.
 */
#include "tests/unit/testutil.h"

/* Our own calendar arithmetic, to check the library's against. */
static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

static bool
parses(const char *s)
{
	int	 day;

	return sched_date_parse(s, &day) == 0;
}

static void
assert_date(int day, const char *want)
{
	char	 got[SCHED_DATE_LEN];

	assert_string_equal(sched_date_format(day, got), want);
}

/* ---- parsing ---- */

static void
test_parse_accepts_real_days(void **state)
{
	int	 day;

	(void)state;
	assert_int_equal(sched_date_parse("1970-01-01", &day), 0);
	assert_int_equal(day, 0);
	assert_int_equal(sched_date_parse("1970-01-02", &day), 0);
	assert_int_equal(day, 1);
	assert_int_equal(sched_date_parse("1969-12-31", &day), 0);
	assert_int_equal(day, -1);
	assert_int_equal(sched_date_parse("2025-09-08", &day), 0);
	assert_int_equal(day, sched_day(2025, 9, 8));
	assert_true(parses("2025-12-31"));
	assert_true(parses("2025-01-31"));
}

static void
test_parse_knows_leap_years(void **state)
{
	(void)state;
	assert_true(parses("2024-02-29"));	/* divisible by 4 */
	assert_false(parses("2025-02-29"));
	assert_false(parses("2023-02-29"));
	assert_false(parses("2100-02-29"));	/* by 100, not by 400 */
	assert_true(parses("2100-02-28"));
	assert_true(parses("2000-02-29"));	/* by 400 */
	assert_false(parses("2024-02-30"));
	assert_false(parses("2000-02-30"));
}

static void
test_parse_knows_month_ends(void **state)
{
	int	 m;
	char	 s[32];

	(void)state;
	for (m = 1; m <= 12; m++) {
		snprintf(s, sizeof(s), "2025-%02d-%02d", m, month_days(2025, m));
		assert_true(parses(s));
		snprintf(s, sizeof(s), "2025-%02d-%02d", m,
		    month_days(2025, m) + 1);
		assert_false(parses(s));
	}
	assert_false(parses("2025-04-31"));
	assert_false(parses("2025-06-31"));
	assert_false(parses("2025-09-31"));
	assert_false(parses("2025-11-31"));
	assert_false(parses("2025-01-32"));
	assert_false(parses("2025-01-00"));
	assert_false(parses("2025-00-10"));
}

static void
test_parse_refuses_malformed_strings(void **state)
{
	static const char *bad[] = {
		"2025-1-01", "2025-01-1", "2025-13-01", "20250101", "2025/01/01",
		"2025-01-01x", "2025-01-01 ", " 2025-01-01", "2025-01-01T00:00",
		"", "2025", "2025-01", "25-01-01", "02025-01-01", "2025--1-01",
		"+025-01-01", "2025-0a-01", "2025-01-0a", "abcd-ef-gh",
		"2025_01_01", "2025-01-01\n",
	};
	size_t	 i;
	int	 day;

	(void)state;
	for (i = 0; i < TU_NITEMS(bad); i++) {
		if (sched_date_parse(bad[i], &day) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(sched_date_parse(NULL, &day), -1);
}

static void
test_parse_keeps_to_the_years_of_the_header(void **state)
{
	(void)state;
	assert_true(parses("1900-01-01"));
	assert_true(parses("2999-12-31"));
	assert_false(parses("1899-12-31"));
	assert_false(parses("3000-01-01"));
	assert_false(parses("0000-01-01"));
}

/* ---- formatting ---- */

static void
test_format_round_trips_every_day_1990_to_2100(void **state)
{
	char	 want[32], got[SCHED_DATE_LEN];
	int	 y, m, d, day, parsed, yy, mm, dd;
	int	 expect = sched_day(1990, 1, 1);

	(void)state;
	for (y = 1990; y <= 2100; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= month_days(y, m); d++, expect++) {
				snprintf(want, sizeof(want), "%04d-%02d-%02d",
				    y, m, d);
				day = sched_day(y, m, d);
				if (day != expect)
					fail_msg("%s is day %d, not %d", want,
					    day, expect);
				sched_date_format(day, got);
				if (strcmp(got, want) != 0)
					fail_msg("day %d formats as %s, not %s",
					    day, got, want);
				if (sched_date_parse(want, &parsed) != 0 ||
				    parsed != day)
					fail_msg("%s does not parse back", want);
				sched_ymd(day, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d)
					fail_msg("sched_ymd(%s) = %d-%d-%d", want,
					    yy, mm, dd);
				if (sched_year(day) != y)
					fail_msg("sched_year(%s)", want);
			}
		}
	}
	/* 1990..2100: 111 years, 27 of them leap (1992..2096). */
	assert_int_equal(expect - sched_day(1990, 1, 1), 111 * 365 + 27);
}

static void
test_format_returns_its_buffer(void **state)
{
	char	 buf[SCHED_DATE_LEN];

	(void)state;
	assert_ptr_equal(sched_date_format(0, buf), buf);
	assert_string_equal(buf, "1970-01-01");
}

static void
test_leap_years_and_month_lengths(void **state)
{
	(void)state;
	assert_true(sched_is_leap(2024));
	assert_false(sched_is_leap(2025));
	assert_false(sched_is_leap(2100));
	assert_true(sched_is_leap(2000));
	assert_false(sched_is_leap(1900));
	assert_int_equal(sched_days_in_month(2024, 2), 29);
	assert_int_equal(sched_days_in_month(2025, 2), 28);
	assert_int_equal(sched_days_in_month(2100, 2), 28);
	assert_int_equal(sched_days_in_month(2000, 2), 29);
	assert_int_equal(sched_days_in_month(2025, 4), 30);
	assert_int_equal(sched_days_in_month(2025, 12), 31);
}

/* ---- weekdays ---- */

static void
test_weekdays_of_known_days(void **state)
{
	(void)state;
	assert_int_equal(sched_weekday(D("1970-01-01")), 4);	/* Thu */
	assert_int_equal(sched_weekday(D("2000-01-01")), 6);	/* Sat */
	assert_int_equal(sched_weekday(D("2024-01-01")), 1);	/* Mon */
	assert_int_equal(sched_weekday(D("2024-02-29")), 4);	/* Thu */
	assert_int_equal(sched_weekday(D("2025-09-26")), 5);	/* Fri */
	assert_int_equal(sched_weekday(D("2025-09-28")), 7);	/* Sun */
	assert_int_equal(sched_weekday(D("2025-11-03")), 1);	/* Mon */
	assert_int_equal(sched_weekday(D("2027-01-01")), 5);	/* Fri */
	assert_int_equal(sched_weekday(D("1966-07-01")), 5);	/* Fri */
	assert_int_equal(sched_weekday(D("1969-12-28")), 7);	/* Sun */
	assert_string_equal(sched_weekday_cn(D("2025-09-26")), "周五");
	assert_string_equal(sched_weekday_cn(D("2025-09-28")), "周日");
	assert_string_equal(sched_weekday_cn(D("2025-11-03")), "周一");
}

static void
test_weekdays_cycle_through_the_range(void **state)
{
	int	 day, w = 1;	/* 1990-01-01 was a Monday */

	(void)state;
	for (day = D("1990-01-01"); day <= D("2100-12-31"); day++) {
		if (sched_weekday(day) != w)
			fail_msg("day %d: weekday %d, not %d", day,
			    sched_weekday(day), w);
		w = w % 7 + 1;
	}
}

/* ---- rule 1: a period of years counted from (and including) D ---- */

static void
test_years_from_ends_the_day_before_the_anniversary(void **state)
{
	(void)state;
	assert_date(sched_years_from(D("2025-11-03"), 5), "2030-11-02");
	assert_date(sched_years_from(D("2025-09-08"), 5), "2030-09-07");
	assert_date(sched_years_from(D("1966-07-01"), 61), "2027-06-30");
	assert_date(sched_years_from(D("2025-01-01"), 1), "2025-12-31");
	assert_date(sched_years_from(D("2025-03-01"), 1), "2026-02-28");
	assert_date(sched_years_from(D("2023-03-01"), 1), "2024-02-29");
}

static void
test_years_from_29_february(void **state)
{
	(void)state;
	/* The anniversary of 29 Feb in a common year is 1 Mar. */
	assert_date(sched_years_from(D("2024-02-29"), 5), "2029-02-28");
	assert_date(sched_years_from(D("2024-02-29"), 1), "2025-02-28");
	/* In a leap year it is 29 Feb itself. */
	assert_date(sched_years_from(D("2024-02-29"), 4), "2028-02-28");
	assert_date(sched_years_from(D("1964-02-29"), 61), "2025-02-28");
}

static void
test_years_from_1_march_ends_on_a_leap_day(void **state)
{
	(void)state;
	assert_date(sched_years_from(D("1967-03-01"), 61), "2028-02-29");
	assert_date(sched_years_from(D("1968-03-01"), 61), "2029-02-28");
}

/* ---- rule 3: years after an act end on its anniversary ---- */

static void
test_years_after_ends_on_the_anniversary(void **state)
{
	(void)state;
	assert_date(sched_years_after(D("2026-03-15"), 3), "2029-03-15");
	assert_date(sched_years_after(D("2025-12-31"), 3), "2028-12-31");
	assert_date(sched_years_after(D("2024-02-29"), 4), "2028-02-29");
}

static void
test_years_after_29_february_ends_on_the_month_end(void **state)
{
	(void)state;
	assert_date(sched_years_after(D("2028-02-29"), 3), "2031-02-28");
	assert_date(sched_years_after(D("2024-02-29"), 1), "2025-02-28");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts_real_days),
		cmocka_unit_test(test_parse_knows_leap_years),
		cmocka_unit_test(test_parse_knows_month_ends),
		cmocka_unit_test(test_parse_refuses_malformed_strings),
		cmocka_unit_test(test_parse_keeps_to_the_years_of_the_header),
		cmocka_unit_test(test_format_round_trips_every_day_1990_to_2100),
		cmocka_unit_test(test_format_returns_its_buffer),
		cmocka_unit_test(test_leap_years_and_month_lengths),
		cmocka_unit_test(test_weekdays_of_known_days),
		cmocka_unit_test(test_weekdays_cycle_through_the_range),
		cmocka_unit_test(test_years_from_ends_the_day_before_the_anniversary),
		cmocka_unit_test(test_years_from_29_february),
		cmocka_unit_test(test_years_from_1_march_ends_on_a_leap_day),
		cmocka_unit_test(test_years_after_ends_on_the_anniversary),
		cmocka_unit_test(test_years_after_29_february_ends_on_the_month_end),
	};

	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
