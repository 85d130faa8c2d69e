/*
 * test_property.c: sched_calendar_count against an independent counter,
 * for every start day of 2024-01-01..2026-12-31.
 *
 * The counter here shares nothing with the library but the TSV file: it
 * reads conf/cn-holidays.tsv itself, does its own calendar arithmetic
 * (month lengths, a weekday from the anchor Monday 2024-01-01), applies
 * DOMAIN.md rule 4 (Mon-Fri, minus holidays, plus make-up days) and rule
 * 5 (an unpublished year has only 1 Jan, 1-2 May and 1-3 Oct off), and
 * walks day by day.  The library's day numbers count from 1970-01-01;
 * ours do too, computed by summing year and month lengths.
 */
#include "tests/unit/testutil.h"

#define FIRST_YEAR	2023
#define LAST_YEAR	2028
#define NDAYS		((LAST_YEAR - FIRST_YEAR + 1) * 366)

/* ---- our own calendar ---- */

static bool
is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
length_of_month(int y, int m)
{
	static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap_year(y) ? 29 : len[m - 1];
}

/* Days since 1970-01-01, by summing lengths (years after 1970 only). */
static int
day_number(int y, int m, int d)
{
	int	 n = 0, i;

	for (i = 1970; i < y; i++)
		n += is_leap_year(i) ? 366 : 365;
	for (i = 1; i < m; i++)
		n += length_of_month(y, i);
	return n + d - 1;
}

struct oracle {
	int	 base;			/* day number of FIRST_YEAR-01-01 */
	int	 ndays;
	int	 year[NDAYS], month[NDAYS], mday[NDAYS];
	bool	 holiday[NDAYS];
	bool	 workday[NDAYS];
	bool	 published[LAST_YEAR - FIRST_YEAR + 1];
	int	 monday;		/* day number of Mon 2024-01-01 */
	int	 rows;
};

static struct oracle	 o;

static void
oracle_dates(void)
{
	int	 y, m, d, i = 0;

	memset(&o, 0, sizeof(o));
	o.base = day_number(FIRST_YEAR, 1, 1);
	o.monday = day_number(2024, 1, 1);
	for (y = FIRST_YEAR; y <= LAST_YEAR; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= length_of_month(y, m); d++, i++) {
				o.year[i] = y;
				o.month[i] = m;
				o.mday[i] = d;
			}
		}
	}
	o.ndays = i;
}

static int
index_of(int y, int m, int d)
{
	return day_number(y, m, d) - o.base;
}

/* Reads the holiday table with nothing of the library. */
static void
oracle_table(void)
{
	char	*text = TU_READ_DATA("cn-holidays.tsv", NULL), *line, *save;
	char	 kind[16];
	int	 y, m, d, i;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || strncmp(line, "date\t", 5) == 0)
			continue;
		if (sscanf(line, "%4d-%2d-%2d\t%15[^\t]", &y, &m, &d,
		    kind) != 4 || y < FIRST_YEAR || y > LAST_YEAR)
			fail_msg("cannot read the row \"%s\"", line);
		i = index_of(y, m, d);
		if (strcmp(kind, "holiday") == 0)
			o.holiday[i] = true;
		else if (strcmp(kind, "workday") == 0)
			o.workday[i] = true;
		else
			fail_msg("row \"%s\": kind %s", line, kind);
		/* A row of January-November publishes its year. */
		if (m <= 11)
			o.published[y - FIRST_YEAR] = true;
		o.rows++;
	}
	free(text);
}

static void
oracle_init(void)
{
	oracle_dates();
	oracle_table();
}

/* Monday is 0, Sunday 6. */
static int
weekday_of(int day)
{
	return ((day - o.monday) % 7 + 7) % 7;
}

static bool
statutory(int m, int d)
{
	return (m == 1 && d == 1) || (m == 5 && d <= 2) ||
	    (m == 10 && d <= 3);
}

static bool
oracle_working(int day)
{
	int	 i = day - o.base;

	if (i < 0 || i >= o.ndays)
		fail_msg("day %d is outside the oracle's years", day);
	if (o.holiday[i])
		return false;
	if (o.workday[i])
		return true;
	if (!o.published[o.year[i] - FIRST_YEAR] &&
	    statutory(o.month[i], o.mday[i]))
		return false;
	return weekday_of(day) < 5;
}

static int
oracle_working_in(int from, int to)
{
	int	 d, n = 0;

	for (d = from; d <= to; d++)
		n += oracle_working(d);
	return n;
}

#define NAME_LEN	48

static const char *
name(int day, char *buf)
{
	int	 i = day - o.base;

	if (i < 0 || i >= o.ndays)
		snprintf(buf, NAME_LEN, "#%d", day);
	else
		snprintf(buf, NAME_LEN, "%04d-%02d-%02d", o.year[i], o.month[i],
		    o.mday[i]);
	return buf;
}

/* ---- the oracle checks itself ---- */

static void
test_the_oracle_reads_the_whole_table(void **state)
{
	(void)state;
	oracle_init();
	/* HOLIDAYS.md: 28+8, 28+5, 33+6 rows. */
	assert_int_equal(o.rows, 108);
	assert_false(o.published[2023 - FIRST_YEAR]);
	assert_true(o.published[2024 - FIRST_YEAR]);
	assert_true(o.published[2026 - FIRST_YEAR]);
	assert_false(o.published[2027 - FIRST_YEAR]);
	assert_int_equal(day_number(1970, 1, 1), 0);
	assert_int_equal(day_number(2000, 3, 1), 11017);
}

static void
test_the_oracle_knows_the_worked_example(void **state)
{
	int	 start = day_number(2025, 9, 26);

	(void)state;
	oracle_init();
	assert_int_equal(weekday_of(start), 4);		/* Friday */
	assert_true(oracle_working(day_number(2025, 9, 28)));
	assert_false(oracle_working(day_number(2025, 10, 8)));
	assert_int_equal(oracle_working_in(start, day_number(2025, 10, 9)), 5);
	assert_false(oracle_working(day_number(2027, 1, 1)));
	assert_true(oracle_working(day_number(2027, 2, 8)));
}

/* ---- the property ---- */

/*
 * For every start day: the returned day is a working day, the period
 * from the first counted day through it holds exactly n working days,
 * and it is provisional exactly when it reaches December 2026.
 */
static void
check_every_start(int n, bool include_start)
{
	struct sched_calendar	*cal = tu_calendar();
	int			 s, due, first, got, bad = 0;
	int			 dec2026 = day_number(2026, 12, 1);
	bool			 prov, want_prov;
	char			 a[NAME_LEN], b[NAME_LEN];

	oracle_init();
	for (s = day_number(2024, 1, 1); s <= day_number(2026, 12, 31); s++) {
		due = sched_calendar_count(cal, s, n, include_start, &prov);
		first = include_start ? s : s + 1;
		if (due < first || due - first > 60) {
			got = -1;
		} else
			got = oracle_working_in(first, due);
		want_prov = due >= dec2026;
		if (got == n && oracle_working(due) && prov == want_prov)
			continue;
		if (bad++ < 10)
			print_error("start %s, %d working days %s: got %s "
			    "(%d working days by the oracle, %s, "
			    "provisional %s, expected %s)\n", name(s, a), n,
			    include_start ? "counting it" : "after it",
			    name(due, b), got,
			    due >= first && due - first <= 60 &&
			    oracle_working(due) ? "a working day" :
			    "NOT a working day", prov ? "true" : "false",
			    want_prov ? "true" : "false");
	}
	sched_calendar_free(cal);
	if (bad > 0)
		fail_msg("%d start days out of %d disagree", bad,
		    day_number(2026, 12, 31) - day_number(2024, 1, 1) + 1);
}

static void
test_publicity_5_working_days_counting_the_start_every_day(void **state)
{
	(void)state;
	check_every_start(5, true);
}

static void
test_objection_15_working_days_after_the_start_every_day(void **state)
{
	(void)state;
	check_every_start(15, false);
}

/* The boundary of the property, spelled out. */
static void
test_the_last_final_and_first_provisional_starts(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov;
	int			 s;

	(void)state;
	oracle_init();
	/* Tue 2026-11-24 + 5 ends Mon 30 Nov; Wed 25 Nov ends Tue 1 Dec. */
	s = day_number(2026, 11, 24);
	assert_int_equal(sched_calendar_count(cal, s, 5, true, &prov),
	    day_number(2026, 11, 30));
	assert_false(prov);
	assert_int_equal(sched_calendar_count(cal, s + 1, 5, true, &prov),
	    day_number(2026, 12, 1));
	assert_true(prov);
	sched_calendar_free(cal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_oracle_reads_the_whole_table),
		cmocka_unit_test(test_the_oracle_knows_the_worked_example),
		cmocka_unit_test(test_publicity_5_working_days_counting_the_start_every_day),
		cmocka_unit_test(test_objection_15_working_days_after_the_start_every_day),
		cmocka_unit_test(test_the_last_final_and_first_provisional_starts),
	};

	return cmocka_run_group_tests_name("property", tests, NULL, NULL);
}
