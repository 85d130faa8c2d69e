/*
 * fuzz_holidays.c: a holiday table through sched_calendar_load, over the
 * shipped table, then every question the planner asks of a calendar.
 *
 * The input is loaded twice: over an empty calendar and over one that
 * already holds a table (the "--holidays" and reload paths both merge).
 * Invariants: a refusal leaves the calendar as it was and its message
 * starts with the source; a day is working or not consistently with its
 * kind; counting N working days lands on a working day.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/scheduler.h"
#include "tests/fuzz/fuzz.h"

#define SOURCE	"fuzz.tsv"

static const char base_table[] =
    "2026-01-01\tholiday\t元旦\n"
    "2026-01-04\tworkday\t元旦\n"
    "2026-02-15\tholiday\t春节\n"
    "2026-02-16\tholiday\t春节\n"
    "2026-02-28\tworkday\t春节\n"
    "2026-10-01\tholiday\t国庆节\n";

static void
probe(const struct sched_calendar *cal)
{
	static const int	 years[] = { 2025, 2026, 2027, 2030 };
	struct sched_dayinfo	 di;
	bool			 prov;
	size_t			 i;
	int			 day, end, first, last;

	sched_calendar_span(cal, &first, &last);
	for (i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		(void)sched_calendar_published(cal, years[i]);
		day = sched_day(years[i], 1, 1);
		end = sched_day(years[i], 12, 31);
		for (; day <= end; day += 13) {
			sched_calendar_dayinfo(cal, day, &di);
			if (di.working != sched_calendar_is_working(cal, day))
				fuzz_fail("dayinfo and is_working disagree");
			if ((di.kind == SCHED_DAY_HOLIDAY && di.working) ||
			    (di.kind == SCHED_DAY_MAKEUP && !di.working))
				fuzz_fail("kind %d but working %d", di.kind,
				    di.working);
			(void)sched_calendar_provisional_year(cal, day);
		}
		day = sched_day(years[i], 2, 10);
		end = sched_calendar_count(cal, day, 15, true, &prov);
		if (!sched_calendar_is_working(cal, end))
			fuzz_fail("counted onto a day off");
		if (sched_calendar_working_between(cal, day, end) > 15)
			fuzz_fail("more working days between than counted");
	}
}

static void
load_into(struct sched_calendar *cal, const uint8_t *data, size_t size)
{
	char	*error = NULL;

	if (sched_calendar_load(cal, SOURCE, (const char *)data, size,
	    &error) == -1) {
		if (error == NULL || strncmp(error, SOURCE, strlen(SOURCE)))
			fuzz_fail("a refusal without its source: %.80s",
			    error ? error : "(null)");
		free(error);
	}
	probe(cal);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sched_calendar	*cal;
	char			*error = NULL;

	cal = sched_calendar_new();
	load_into(cal, data, size);
	sched_calendar_free(cal);

	cal = sched_calendar_new();
	if (sched_calendar_load(cal, "base", base_table, strlen(base_table),
	    &error) == -1)
		fuzz_fail("the base table is refused: %s", error);
	load_into(cal, data, size);
	sched_calendar_free(cal);
	return 0;
}
