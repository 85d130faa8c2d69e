/*
 * fuzz_feed.c: iCalendar feeds (calendar/) of journals whose every free
 * text is hostile: a centre's id, name and unit, notes, a round's name, a
 * retraction's reason, the feed's scope name and public_url, and a rule's
 * title from a rule pack.
 *
 * The input is fields separated by 0x1f, each made valid UTF-8 without
 * NUL (as any JSON the daemon reads is), then a byte of switches (VTODO,
 * alarms, scope).  The journal is a centre's life with those strings in
 * it; the plan is made with its derivations; the feed is rendered.
 *
 * Invariants: every line ends in CRLF with no other CR or LF; no line is
 * longer than 75 octets; a fold never splits a UTF-8 sequence; after
 * unfolding, every line is a property ("NAME:" or "NAME;"), so no text
 * became a property or a component of its own; there are as many
 * VEVENTs (VTODOs) as obligations the scope and retention keep; libical
 * reads the feed back without an X-LIC-ERROR.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "calendar/calendar.h"
#include "common/common.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/hostile.h"

#define SEP	0x1f

enum {
	F_CENTRE, F_NAME, F_UNIT, F_NOTE, F_ROUND, F_REASON, F_SCOPE_NAME,
	F_URL, F_TITLE, F_COUNT
};

static struct sched_calendar	*cal;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cal = fuzz_calendar();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t		*p = data, *end = data + size;
	char			*f[F_COUNT], *out;
	struct sched_rules	*rules;
	struct sched_journal	*j;
	struct hostile		 h;
	struct sched_plan	*plan;
	struct cal_feed_options	 opts;
	size_t			 i, len, want = 0, got;
	uint8_t			 sw;

	for (i = 0; i < F_COUNT; i++)
		f[i] = fuzz_field(&p, end, SEP);
	h = (struct hostile){ f[F_CENTRE], f[F_NAME], f[F_UNIT], f[F_NOTE],
	    f[F_ROUND], f[F_REASON], f[F_TITLE] };
	sw = p < end ? *p : 0;
	rules = hostile_rules(&h);
	j = hostile_journal(&h, rules);
	plan = sched_plan(j, cal, rules, sched_day(2026, 12, 31),
	    sched_day(2028, 12, 31), SCHED_PLAN_EXPLAIN);
	cal_feed_options_init(&opts, plan->as_of);
	opts.todo = (sw & 1) != 0;
	opts.alarms = (sw & 2) != 0;
	opts.scope = (enum cal_scope)((sw >> 2) % 3);
	opts.scope_id = opts.scope == CAL_SCOPE_UNIT ? f[F_UNIT] :
	    hostile_centre(&h);
	opts.scope_name = *f[F_SCOPE_NAME] ? f[F_SCOPE_NAME] : NULL;
	opts.public_url = f[F_URL];
	for (i = 0; i < plan->count; i++) {
		if (cal_scope_includes(&opts, rules, &plan->obligations[i]) &&
		    cal_feed_keeps(&plan->obligations[i], opts.as_of,
		    opts.retention_days))
			want++;
	}
	if ((out = cal_render_feed(plan, rules, &opts, NULL, NULL, &len)) ==
	    NULL)
		fuzz_fail("the feed was not rendered");
	if (getenv("FUZZ_DUMP") != NULL)	/* to look at one feed */
		fwrite(out, 1, len, stderr);
	if (strlen(out) != len)
		fuzz_fail("a NUL inside the feed");
	ical_check_lines(out, len);
	got = ical_count_components(out, len, opts.todo ? "VTODO" : "VEVENT");
	if (got != want)
		fuzz_fail("%zu components for %zu obligations", got, want);
	ical_check_parse(out);
	free(out);
	sched_plan_free(plan);
	sched_journal_free(j);
	sched_rules_free(rules);
	for (i = 0; i < F_COUNT; i++)
		free(f[i]);
	return 0;
}
