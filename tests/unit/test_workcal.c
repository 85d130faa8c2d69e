/*
 * test_workcal.c: the working-day calendar (scheduler/workcal.c) against
 * DOMAIN.md rules 1, 2, 4 and 5 and conf/cn-holidays.tsv: every listed
 * day of 2024-2026, the plain Monday-Friday rule elsewhere, the guess for
 * an unpublished year (its fixed statutory days off, nothing else), the
 * provisional flag, the worked example, loading a second table, and
 * malformed tables.
 */
#include "tests/unit/testutil.h"

/* ---- the shipped table, read here row by row ---- */

struct tsv_row {
	int	 day;
	bool	 holiday;	/* else a make-up working day */
	char	 name[64];
};

struct tsv {
	struct tsv_row	 rows[512];
	size_t		 n;
};

/* Reads conf/cn-holidays.tsv without the library's loader. */
static void
read_tsv(struct tsv *t)
{
	char	*text = TU_READ_DATA("cn-holidays.tsv", NULL), *line, *save;
	char	 date[16], kind[16], name[64];

	t->n = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || strncmp(line, "date\t", 5) == 0)
			continue;
		if (sscanf(line, "%15[^\t]\t%15[^\t]\t%63[^\t\r]", date, kind,
		    name) != 3)
			fail_msg("cannot read the row \"%s\"", line);
		assert_true(t->n < TU_NITEMS(t->rows));
		t->rows[t->n].day = D(date);
		if (strcmp(kind, "holiday") == 0)
			t->rows[t->n].holiday = true;
		else if (strcmp(kind, "workday") == 0)
			t->rows[t->n].holiday = false;
		else
			fail_msg("row \"%s\": kind %s", line, kind);
		snprintf(t->rows[t->n].name, sizeof(t->rows[t->n].name), "%s",
		    name);
		t->n++;
	}
	free(text);
}

static const struct tsv_row *
tsv_find(const struct tsv *t, int day)
{
	size_t	 i;

	for (i = 0; i < t->n; i++) {
		if (t->rows[i].day == day)
			return &t->rows[i];
	}
	return NULL;
}

static int
count(const struct sched_calendar *cal, const char *start, int n,
    bool include_start, bool *provisional)
{
	return sched_calendar_count(cal, D(start), n, include_start,
	    provisional);
}

static void
assert_date(int day, const char *want)
{
	char	 got[SCHED_DATE_LEN];

	assert_string_equal(sched_date_format(day, got), want);
}

static bool
working(const struct sched_calendar *cal, const char *day)
{
	return sched_calendar_is_working(cal, D(day));
}

static enum sched_daykind
kind(const struct sched_calendar *cal, const char *day)
{
	struct sched_dayinfo	 info;

	sched_calendar_dayinfo(cal, D(day), &info);
	return info.kind;
}

/* ---- the published years ---- */

static void
test_every_listed_holiday_is_off_and_every_makeup_day_worked(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	struct sched_dayinfo	 info;
	struct tsv		 t;
	char			 d[SCHED_DATE_LEN];
	size_t			 i;
	int			 off[3] = { 0 }, on[3] = { 0 }, y;

	(void)state;
	read_tsv(&t);
	for (i = 0; i < t.n; i++) {
		const struct tsv_row *r = &t.rows[i];

		sched_date_format(r->day, d);
		y = sched_year(r->day);
		assert_in_range(y, 2024, 2026);
		sched_calendar_dayinfo(cal, r->day, &info);
		if (info.working != sched_calendar_is_working(cal, r->day))
			fail_msg("%s: dayinfo and is_working disagree", d);
		if (r->holiday) {
			off[y - 2024]++;
			if (info.working || info.kind != SCHED_DAY_HOLIDAY)
				fail_msg("%s is listed as a holiday", d);
		} else {
			on[y - 2024]++;
			if (sched_weekday(r->day) < 6)
				fail_msg("test data: %s is no weekend", d);
			if (!info.working || info.kind != SCHED_DAY_MAKEUP)
				fail_msg("%s is listed as a make-up day", d);
		}
		if (info.name == NULL || strcmp(info.name, r->name) != 0)
			fail_msg("%s: name %s, not %s", d,
			    info.name ? info.name : "(none)", r->name);
	}
	/* conf/HOLIDAYS.md's counts of the three notices. */
	assert_int_equal(off[0], 28);
	assert_int_equal(on[0], 8);
	assert_int_equal(off[1], 28);
	assert_int_equal(on[1], 5);
	assert_int_equal(off[2], 33);
	assert_int_equal(on[2], 6);
	sched_calendar_free(cal);
}

static void
test_unlisted_days_of_2024_to_2026_are_monday_to_friday(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	struct sched_dayinfo	 info;
	struct tsv		 t;
	char			 d[SCHED_DATE_LEN];
	int			 day;
	bool			 weekday;

	(void)state;
	read_tsv(&t);
	for (day = D("2024-01-01"); day <= D("2026-12-31"); day++) {
		if (tsv_find(&t, day) != NULL)
			continue;
		weekday = sched_weekday(day) <= 5;
		sched_calendar_dayinfo(cal, day, &info);
		if (info.working != weekday || info.kind != (weekday ?
		    SCHED_DAY_WORK : SCHED_DAY_WEEKEND) || info.name != NULL)
			fail_msg("%s is not an ordinary %s",
			    sched_date_format(day, d),
			    weekday ? "weekday" : "weekend day");
	}
	sched_calendar_free(cal);
}

static void
test_ordinary_weekdays_and_weekends(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	assert_true(working(cal, "2025-03-12"));	/* Wed */
	assert_int_equal(kind(cal, "2025-03-12"), SCHED_DAY_WORK);
	assert_false(working(cal, "2025-03-15"));	/* Sat */
	assert_int_equal(kind(cal, "2025-03-15"), SCHED_DAY_WEEKEND);
	assert_false(working(cal, "2025-03-16"));	/* Sun */
	/* 除夕 2024 was a working day: not listed, a Friday. */
	assert_true(working(cal, "2024-02-09"));
	/* A weekend joined to a holiday span is not listed: still off. */
	assert_false(working(cal, "2024-06-08"));
	sched_calendar_free(cal);
}

static void
test_2024_to_2026_are_published_2023_and_2027_not(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	int			 first, last;

	(void)state;
	assert_true(sched_calendar_published(cal, 2024));
	assert_true(sched_calendar_published(cal, 2025));
	assert_true(sched_calendar_published(cal, 2026));
	assert_false(sched_calendar_published(cal, 2023));
	assert_false(sched_calendar_published(cal, 2027));
	sched_calendar_span(cal, &first, &last);
	assert_int_equal(first, 2024);
	assert_int_equal(last, 2026);
	sched_calendar_free(cal);
}

static void
test_an_empty_calendar_publishes_nothing(void **state)
{
	struct sched_calendar	*cal = sched_calendar_new();
	int			 first, last;

	(void)state;
	sched_calendar_span(cal, &first, &last);
	assert_int_equal(first, 0);
	assert_int_equal(last, 0);
	assert_false(sched_calendar_published(cal, 2025));
	/* Rule 5: never Mon-Fri only, even with no data at all. */
	assert_false(working(cal, "2025-10-01"));
	assert_true(working(cal, "2025-10-09"));
	sched_calendar_free(cal);
}

/* ---- rule 5: an unpublished year ---- */

static void
test_2027_counts_its_fixed_statutory_days_off(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	assert_int_equal(sched_weekday(D("2027-01-01")), 5);
	assert_false(working(cal, "2027-01-01"));	/* Fri, 元旦 */
	assert_int_equal(kind(cal, "2027-01-01"), SCHED_DAY_STATUTORY);
	assert_false(working(cal, "2027-05-01"));	/* Sat */
	assert_false(working(cal, "2027-05-02"));	/* Sun */
	assert_int_equal(sched_weekday(D("2027-05-03")), 1);
	assert_true(working(cal, "2027-05-03"));	/* Mon: 1-2 May only */
	assert_false(working(cal, "2027-10-01"));	/* Fri */
	assert_int_equal(kind(cal, "2027-10-01"), SCHED_DAY_STATUTORY);
	assert_false(working(cal, "2027-10-02"));	/* Sat */
	assert_false(working(cal, "2027-10-03"));	/* Sun */
	assert_true(working(cal, "2027-10-04"));	/* Mon: 1-3 Oct only */
	assert_true(working(cal, "2027-01-04"));	/* Mon */
	sched_calendar_free(cal);
}

static void
test_2027_guesses_no_lunar_holidays_and_no_makeup_days(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	/* 春节 2027 is 6 Feb; the Monday after is an ordinary one. */
	assert_int_equal(sched_weekday(D("2027-02-08")), 1);
	assert_true(working(cal, "2027-02-08"));
	assert_int_equal(kind(cal, "2027-02-08"), SCHED_DAY_WORK);
	assert_true(working(cal, "2027-02-09"));
	/* 清明 2027 is Mon 5 Apr. */
	assert_true(working(cal, "2027-04-05"));
	/* No Saturday is guessed to be worked. */
	assert_int_equal(sched_weekday(D("2027-02-20")), 6);
	assert_false(working(cal, "2027-02-20"));
	assert_int_equal(kind(cal, "2027-02-20"), SCHED_DAY_WEEKEND);
	assert_false(working(cal, "2027-09-26"));	/* Sun */
	sched_calendar_free(cal);
}

static void
test_2023_is_unpublished_too(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	assert_false(working(cal, "2023-10-02"));	/* Mon, statutory */
	assert_false(working(cal, "2023-10-03"));	/* Tue, statutory */
	assert_true(working(cal, "2023-10-04"));	/* Wed: nothing guessed */
	assert_true(working(cal, "2023-01-02"));	/* Mon */
	sched_calendar_free(cal);
}

static void
test_provisional_year_of_a_day(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	assert_int_equal(sched_calendar_provisional_year(cal, D("2025-06-10")),
	    0);
	/* 2026 is published, so December 2025 is final. */
	assert_int_equal(sched_calendar_provisional_year(cal, D("2025-12-31")),
	    0);
	assert_int_equal(sched_calendar_provisional_year(cal, D("2026-11-30")),
	    0);
	/* 2027 is not: its notice may still change December 2026. */
	assert_int_equal(sched_calendar_provisional_year(cal, D("2026-12-01")),
	    2027);
	assert_int_equal(sched_calendar_provisional_year(cal, D("2027-03-01")),
	    2027);
	assert_int_equal(sched_calendar_provisional_year(cal, D("2023-05-01")),
	    2023);
	sched_calendar_free(cal);
}

/* ---- counting: provisional ---- */

static void
test_a_count_inside_2025_is_not_provisional(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov = true;

	(void)state;
	assert_date(count(cal, "2025-06-10", 5, true, &prov), "2025-06-16");
	assert_false(prov);
	prov = true;
	assert_date(count(cal, "2025-12-22", 15, false, &prov), "2026-01-13");
	assert_false(prov);
	sched_calendar_free(cal);
}

static void
test_a_count_touching_december_2026_is_provisional(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov = true;

	(void)state;
	/* Tue 24 Nov .. Mon 30 Nov: five working days, all in November. */
	assert_date(count(cal, "2026-11-24", 5, true, &prov), "2026-11-30");
	assert_false(prov);
	/* Wed 25 Nov: the fifth is Tue 1 Dec, which 2027's notice may
	 * still change. */
	assert_date(count(cal, "2026-11-25", 5, true, &prov), "2026-12-01");
	assert_true(prov);
	prov = false;
	assert_date(count(cal, "2026-12-07", 5, true, &prov), "2026-12-11");
	assert_true(prov);
	sched_calendar_free(cal);
}

static void
test_a_count_into_2027_is_provisional(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov = false;

	(void)state;
	/* Mon 28 Dec, 29, 30, 31, (1 Jan statutory, weekend) Mon 4 Jan. */
	assert_date(count(cal, "2026-12-28", 5, true, &prov), "2027-01-04");
	assert_true(prov);
	prov = false;
	assert_date(count(cal, "2027-03-01", 5, true, &prov), "2027-03-05");
	assert_true(prov);
	prov = false;
	/* Fri 30 Apr, (1-2 May, a weekend) Mon 3 .. Thu 6 May. */
	assert_date(count(cal, "2027-04-30", 5, true, &prov), "2027-05-06");
	assert_true(prov);
	prov = false;
	/* Thu 30 Sep, (1-3 Oct) Mon 4 .. Thu 7 Oct. */
	assert_date(count(cal, "2027-09-30", 5, true, &prov), "2027-10-07");
	assert_true(prov);
	sched_calendar_free(cal);
}

/* ---- counting: rules 1, 2 and 4 ---- */

static void
test_publicity_worked_example_2025_09_26(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov = true;

	(void)state;
	/* Fri 26, Sun 28 (make-up), Mon 29, Tue 30 Sep, Thu 9 Oct. */
	assert_date(count(cal, "2025-09-26", 5, true, &prov), "2025-10-09");
	assert_false(prov);
	sched_calendar_free(cal);
}

static void
test_public_notice_example_2024_05_16(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov = true;

	(void)state;
	/* "公示时间5个工作日（自2024年5月16日至5月22日）". */
	assert_date(count(cal, "2024-05-16", 5, true, &prov), "2024-05-22");
	assert_false(prov);
	sched_calendar_free(cal);
}

static void
test_a_count_of_one_including_a_working_start_is_the_start(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov;

	(void)state;
	assert_date(count(cal, "2025-03-03", 1, true, &prov), "2025-03-03");
	assert_date(count(cal, "2025-03-03", 1, false, &prov), "2025-03-04");
	assert_date(count(cal, "2025-03-03", 5, true, &prov), "2025-03-07");
	assert_date(count(cal, "2025-03-03", 5, false, &prov), "2025-03-10");
	sched_calendar_free(cal);
}

static void
test_15_working_days_after_a_day_exclude_it(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov = true;

	(void)state;
	/* Mon 3 Mar 2025: 4-7, 10-14, 17-21 Mar, then Mon 24. */
	assert_date(count(cal, "2025-03-03", 15, false, &prov), "2025-03-24");
	assert_false(prov);
	/* Fri 26 Sep 2025: 28, 29, 30 Sep; 9, 10, 11 (make-up), 13-17,
	 * 20, 21, 22, 23 Oct. */
	assert_date(count(cal, "2025-09-26", 15, false, &prov), "2025-10-23");
	/* Tue 30 Sep 2025: 9, 10, 11, 13-17, 20-24, 27, 28 Oct. */
	assert_date(count(cal, "2025-09-30", 15, false, &prov), "2025-10-28");
	sched_calendar_free(cal);
}

static void
test_a_count_starting_on_a_non_working_day(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov;

	(void)state;
	/* Sat 8 Mar 2025: counting starts Mon 10 Mar. */
	assert_date(count(cal, "2025-03-08", 5, true, &prov), "2025-03-14");
	/* A holiday, 1 Oct 2025: Thu 9, Fri 10, Sat 11 (make-up), Mon 13,
	 * Tue 14 Oct. */
	assert_date(count(cal, "2025-10-01", 5, true, &prov), "2025-10-14");
	/* The same with the start excluded gives the same first day. */
	assert_date(count(cal, "2025-10-01", 5, false, &prov), "2025-10-14");
	/* Fri 13 Feb 2026, Sat 14 (make-up), (15-23 off) Tue 24 .. 26. */
	assert_date(count(cal, "2026-02-13", 5, true, &prov), "2026-02-26");
	/* A make-up Sunday counts as a working day from its start. */
	assert_date(count(cal, "2025-09-28", 1, true, &prov), "2025-09-28");
	sched_calendar_free(cal);
}

static void
test_working_days_between_two_days(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	/* 26 Sep excluded, 28, 29, 30 Sep and 9 Oct included. */
	assert_int_equal(sched_calendar_working_between(cal, D("2025-09-26"),
	    D("2025-10-09")), 4);
	assert_int_equal(sched_calendar_working_between(cal, D("2025-10-01"),
	    D("2025-10-08")), 0);
	assert_int_equal(sched_calendar_working_between(cal, D("2025-03-03"),
	    D("2025-03-03")), 0);
	sched_calendar_free(cal);
}

/* ---- loading more tables ---- */

static const char table_2027[] =
    "date\tkind\tname\n"
    "2027-01-01\tholiday\t元旦\n"
    "2027-02-08\tholiday\t春节\n"
    "2027-02-09\tholiday\t春节\n"
    "2027-02-20\tworkday\t春节\n";

static void
test_a_2027_table_publishes_2027(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	int			 first, last;

	(void)state;
	TU_CALENDAR_ADD(cal, "cn-holidays-2027.tsv", table_2027);
	assert_true(sched_calendar_published(cal, 2027));
	sched_calendar_span(cal, &first, &last);
	assert_int_equal(first, 2024);
	assert_int_equal(last, 2027);
	assert_false(working(cal, "2027-02-08"));
	assert_int_equal(kind(cal, "2027-02-08"), SCHED_DAY_HOLIDAY);
	assert_true(working(cal, "2027-02-20"));	/* Sat, make-up */
	assert_int_equal(kind(cal, "2027-02-20"), SCHED_DAY_MAKEUP);
	assert_false(working(cal, "2027-01-01"));
	/* A published year is taken as listed: what it does not list
	 * follows Monday-Friday, statutory days or not. */
	assert_true(working(cal, "2027-10-01"));	/* Fri, not listed */
	assert_int_equal(kind(cal, "2027-10-01"), SCHED_DAY_WORK);
	assert_false(working(cal, "2027-05-01"));	/* Sat */
	assert_int_equal(kind(cal, "2027-05-01"), SCHED_DAY_WEEKEND);
	/* The older years are as they were. */
	assert_false(working(cal, "2026-10-01"));
	assert_true(working(cal, "2026-10-10"));
	sched_calendar_free(cal);
}

static void
test_a_2027_table_makes_december_2026_final(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	bool			 prov = true;

	(void)state;
	TU_CALENDAR_ADD(cal, "cn-holidays-2027.tsv", table_2027);
	assert_int_equal(sched_calendar_provisional_year(cal, D("2026-12-15")),
	    0);
	assert_int_equal(sched_calendar_provisional_year(cal, D("2027-06-15")),
	    0);
	assert_int_equal(sched_calendar_provisional_year(cal, D("2027-12-15")),
	    2028);
	assert_date(count(cal, "2026-12-28", 5, true, &prov), "2027-01-04");
	assert_false(prov);
	assert_date(count(cal, "2027-02-05", 5, true, &prov), "2027-02-15");
	assert_false(prov);
	sched_calendar_free(cal);
}

static void
test_a_december_row_of_the_next_notice_replaces_that_date(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	TU_CALENDAR_ADD(cal, "cn-holidays-2027.tsv",
	    "2026-12-31\tholiday\t元旦\n2027-01-01\tholiday\t元旦\n");
	assert_false(working(cal, "2026-12-31"));	/* was a Thursday */
	assert_int_equal(kind(cal, "2026-12-31"), SCHED_DAY_HOLIDAY);
	/* The rest of 2026 stays. */
	assert_true(sched_calendar_published(cal, 2026));
	assert_false(working(cal, "2026-10-01"));
	assert_true(working(cal, "2026-10-10"));
	assert_false(working(cal, "2026-02-16"));
	assert_true(sched_calendar_published(cal, 2027));
	sched_calendar_free(cal);
}

static void
test_a_table_of_only_a_december_row_keeps_its_year(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	assert_int_equal(sched_weekday(D("2026-12-26")), 6);
	TU_CALENDAR_ADD(cal, "fix.tsv", "2026-12-26\tworkday\t元旦\n");
	assert_true(working(cal, "2026-12-26"));
	assert_false(working(cal, "2026-10-01"));
	assert_true(working(cal, "2026-02-14"));
	assert_false(sched_calendar_published(cal, 2027));
	sched_calendar_free(cal);
}

static void
test_a_corrected_2026_table_replaces_2026(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	TU_CALENDAR_ADD(cal, "cn-holidays-2026-fixed.tsv",
	    "date\tkind\tname\n"
	    "2026-01-01\tholiday\t元旦\n"
	    "2026-06-22\tholiday\t端午节\n");
	assert_false(working(cal, "2026-06-22"));	/* Mon, now off */
	assert_true(working(cal, "2026-06-19"));	/* Fri, no longer */
	assert_true(working(cal, "2026-10-01"));	/* Thu, not listed */
	assert_false(working(cal, "2026-02-14"));	/* Sat, no make-up */
	assert_false(working(cal, "2026-01-01"));
	assert_true(working(cal, "2026-01-02"));	/* Fri, not listed */
	/* Other years are untouched. */
	assert_false(working(cal, "2025-10-01"));
	assert_false(working(cal, "2024-10-01"));
	assert_true(working(cal, "2025-09-28"));
	sched_calendar_free(cal);
}

static void
test_a_table_without_rows_changes_nothing(void **state)
{
	struct sched_calendar	*cal = tu_calendar();

	(void)state;
	TU_CALENDAR_ADD(cal, "cn-holidays-2027.tsv",
	    "date\tkind\tname\n# 2027: not yet published\n");
	assert_true(sched_calendar_published(cal, 2026));
	assert_false(sched_calendar_published(cal, 2027));
	assert_false(working(cal, "2026-10-01"));
	assert_true(working(cal, "2026-10-10"));
	sched_calendar_free(cal);
}

/* ---- malformed tables ---- */

/* Everything a caller can see of a calendar, 2022-2029. */
struct snapshot {
	unsigned char	 day[8 * 366];
	bool		 published[8];
};

static void
snap(const struct sched_calendar *cal, struct snapshot *s)
{
	struct sched_dayinfo	 info;
	int			 day, i;

	memset(s, 0, sizeof(*s));
	for (day = D("2022-01-01"), i = 0; day <= D("2029-12-31"); day++,
	    i++) {
		sched_calendar_dayinfo(cal, day, &info);
		s->day[i] = (unsigned char)(info.kind * 2 + info.working);
	}
	for (i = 0; i < 8; i++)
		s->published[i] = sched_calendar_published(cal, 2022 + i);
}

/* The table is refused with "where" in the error; nothing changes. */
static void
assert_refused(const char *text, const char *where)
{
	struct sched_calendar	*cal = tu_calendar();
	struct snapshot		 before, after;
	char			*error = NULL;

	snap(cal, &before);
	assert_int_equal(sched_calendar_load(cal, "extra.tsv", text,
	    strlen(text), &error), -1);
	assert_non_null(error);
	if (strstr(error, where) == NULL)
		fail_msg("error lacks \"%s\": %s", where, error);
	snap(cal, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	free(error);
	sched_calendar_free(cal);
}

static void
test_a_bad_date_is_refused_with_its_line(void **state)
{
	(void)state;
	assert_refused("date\tkind\tname\n"
	    "2027-02-08\tholiday\t春节\n"
	    "2027-02-30\tholiday\t春节\n", "extra.tsv:3:");
	assert_refused("2027-2-08\tholiday\t春节\n", "extra.tsv:1:");
}

static void
test_a_bad_kind_is_refused_with_its_line(void **state)
{
	(void)state;
	assert_refused("date\tkind\tname\n"
	    "2027-02-08\tvacation\t春节\n", "extra.tsv:2:");
}

static void
test_a_missing_column_is_refused_with_its_line(void **state)
{
	(void)state;
	assert_refused("2027-02-08\tholiday\t春节\n"
	    "2027-02-09\tholiday\n", "extra.tsv:2:");
	assert_refused("2027-02-08\n", "extra.tsv:1:");
}

static void
test_a_workday_on_a_weekday_is_refused(void **state)
{
	(void)state;
	/* 2027-02-08 is a Monday: a make-up day must be a weekend. */
	assert_refused("date\tkind\tname\n"
	    "2027-02-08\tworkday\t春节\n", "extra.tsv:2:");
}

static void
test_a_date_listed_twice_is_refused(void **state)
{
	(void)state;
	assert_refused("date\tkind\tname\n"
	    "2027-02-08\tholiday\t春节\n"
	    "2027-02-09\tholiday\t春节\n"
	    "2027-02-08\tholiday\t春节\n", "extra.tsv:4:");
}

static void
test_a_name_that_is_not_utf8_is_refused_with_its_line(void **state)
{
	(void)state;
	/* "春节" in GB 18030: a table saved from a spreadsheet as ANSI. */
	assert_refused("date\tkind\tname\n"
	    "2027-02-08\tholiday\t\xb4\xba\xbd\xda\n", "extra.tsv:2:");
	assert_refused("2027-02-08\tholiday\t\xb4\xba\xbd\xda\n",
	    "not UTF-8");
}

static void
test_a_refused_correction_keeps_2026(void **state)
{
	(void)state;
	assert_refused("2026-06-22\tholiday\t端午节\n"
	    "2026-06-23\tcarnival\tx\n", "extra.tsv:2:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_listed_holiday_is_off_and_every_makeup_day_worked),
		cmocka_unit_test(test_unlisted_days_of_2024_to_2026_are_monday_to_friday),
		cmocka_unit_test(test_ordinary_weekdays_and_weekends),
		cmocka_unit_test(test_2024_to_2026_are_published_2023_and_2027_not),
		cmocka_unit_test(test_an_empty_calendar_publishes_nothing),
		cmocka_unit_test(test_2027_counts_its_fixed_statutory_days_off),
		cmocka_unit_test(test_2027_guesses_no_lunar_holidays_and_no_makeup_days),
		cmocka_unit_test(test_2023_is_unpublished_too),
		cmocka_unit_test(test_provisional_year_of_a_day),
		cmocka_unit_test(test_a_count_inside_2025_is_not_provisional),
		cmocka_unit_test(test_a_count_touching_december_2026_is_provisional),
		cmocka_unit_test(test_a_count_into_2027_is_provisional),
		cmocka_unit_test(test_publicity_worked_example_2025_09_26),
		cmocka_unit_test(test_public_notice_example_2024_05_16),
		cmocka_unit_test(test_a_count_of_one_including_a_working_start_is_the_start),
		cmocka_unit_test(test_15_working_days_after_a_day_exclude_it),
		cmocka_unit_test(test_a_count_starting_on_a_non_working_day),
		cmocka_unit_test(test_working_days_between_two_days),
		cmocka_unit_test(test_a_2027_table_publishes_2027),
		cmocka_unit_test(test_a_2027_table_makes_december_2026_final),
		cmocka_unit_test(test_a_december_row_of_the_next_notice_replaces_that_date),
		cmocka_unit_test(test_a_table_of_only_a_december_row_keeps_its_year),
		cmocka_unit_test(test_a_corrected_2026_table_replaces_2026),
		cmocka_unit_test(test_a_table_without_rows_changes_nothing),
		cmocka_unit_test(test_a_bad_date_is_refused_with_its_line),
		cmocka_unit_test(test_a_bad_kind_is_refused_with_its_line),
		cmocka_unit_test(test_a_missing_column_is_refused_with_its_line),
		cmocka_unit_test(test_a_workday_on_a_weekday_is_refused),
		cmocka_unit_test(test_a_date_listed_twice_is_refused),
		cmocka_unit_test(test_a_name_that_is_not_utf8_is_refused_with_its_line),
		cmocka_unit_test(test_a_refused_correction_keeps_2026),
	};

	return cmocka_run_group_tests_name("workcal", tests, NULL, NULL);
}
