/*
 * fuzz_event.c: events as the API and ticctl receive them: JSON text
 * through jansson, sched_event_from_json (form) and sched_journal_add
 * (validation against the journal), then the planner over the result.
 *
 * The input is JSON Lines: each line one event, added in order to a
 * journal that starts with a few registered and recognized centres, on
 * a fixed "today".  Invariants: an accepted event survives
 * sched_event_to_json and back unchanged; a refused add leaves the
 * journal's count as it was; the plan of any accepted journal is
 * ordered by due date and every obligation's centre is registered.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/scheduler.h"
#include "tests/fuzz/fuzz.h"

static const char *base_events[] = {
	"{\"type\":\"registered\",\"date\":\"2025-09-01\",\"centre\":\"c1\","
	"\"name\":\"一号中心\",\"unit\":\"u1\"}",
	"{\"type\":\"registered\",\"date\":\"2025-09-02\",\"centre\":\"c2\","
	"\"name\":\"二号中心\",\"unit\":\"u2\",\"legacy\":true}",
	"{\"type\":\"round_announced\",\"date\":\"2025-09-10\",\"round\":\"2025\","
	"\"application_deadline\":\"2025-10-31\","
	"\"recommendation_deadline\":\"2025-11-30\"}",
	"{\"type\":\"applied\",\"date\":\"2025-10-10\",\"centre\":\"c1\","
	"\"id\":\"a1\"}",
};

static struct sched_calendar	*cal;
static struct sched_rules	*rules;
static int			 today;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cal = fuzz_calendar();
	rules = sched_rules_new();
	today = sched_day(2026, 12, 31);
	return 0;
}

static struct sched_event *
parse(const char *text, size_t len, char **why)
{
	json_t			*obj;
	struct sched_event	*ev;

	*why = NULL;
	if ((obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		return NULL;
	ev = sched_event_from_json(obj, why);
	json_decref(obj);
	if (ev == NULL && (*why == NULL || **why == '\0'))
		fuzz_fail("a refused event without a reason");
	return ev;
}

/* to_json, then from_json, then to_json again: the same text. */
static void
round_trip(const struct sched_event *ev)
{
	json_t			*a = sched_event_to_json(ev), *b;
	struct sched_event	*again;
	char			*why = NULL, *sa, *sb;

	again = sched_event_from_json(a, &why);
	if (again == NULL)
		fuzz_fail("an accepted event does not read back: %s", why);
	b = sched_event_to_json(again);
	sa = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	sb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	if (sa == NULL || sb == NULL || strcmp(sa, sb) != 0)
		fuzz_fail("round trip changed %s into %s", sa, sb);
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	sched_event_free(again);
}

static void
check_plan(const struct sched_journal *j)
{
	struct sched_plan	*plan;
	size_t			 i;

	plan = sched_plan(j, cal, rules, today, today + 400,
	    SCHED_PLAN_EXPLAIN);
	for (i = 0; i < plan->count; i++) {
		const struct sched_obligation *o = &plan->obligations[i];

		if (i > 0 && o->due < plan->obligations[i - 1].due)
			fuzz_fail("the plan is not in due order");
		if (o->centre != NULL && sched_journal_centre(j,
		    o->centre) == NULL)
			fuzz_fail("an obligation of unregistered %s",
			    o->centre);
		if (o->key == NULL || o->explain == NULL)
			fuzz_fail("an obligation without key or explain");
		json_decref(sched_obligation_to_json(o, rules));
	}
	sched_plan_free(plan);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sched_journal	*j = sched_journal_new();
	struct sched_event	*ev;
	const char		*p = (const char *)data, *end = p + size, *nl;
	char			*why;
	size_t			 i, before;

	for (i = 0; i < sizeof(base_events) / sizeof(base_events[0]); i++) {
		ev = parse(base_events[i], strlen(base_events[i]), &why);
		if (ev == NULL || sched_journal_add(j, ev, rules, today,
		    &why) == -1)
			fuzz_fail("base event %zu refused: %s", i, why);
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		ev = parse(p, (size_t)(nl - p), &why);
		p = nl + 1;
		if (ev == NULL) {
			free(why);
			continue;
		}
		round_trip(ev);
		before = sched_journal_count(j);
		if (sched_journal_add(j, ev, rules, today, &why) == -1) {
			if (sched_journal_count(j) != before)
				fuzz_fail("a refused event changed the journal");
			if (why == NULL || *why == '\0')
				fuzz_fail("a refusal without a reason");
			free(why);
			sched_event_free(ev);
		} else if (sched_journal_count(j) != before + 1)
			fuzz_fail("an accepted event is not in the journal");
	}
	check_plan(j);
	/* As a failed commit does: take the last one back out. */
	if (sched_journal_count(j) > 4)
		sched_event_free(sched_journal_pop(j));
	check_plan(j);
	sched_journal_free(j);
	return 0;
}
