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

#define SEP	0x1f

enum {
	F_CENTRE, F_NAME, F_UNIT, F_NOTE, F_ROUND, F_REASON, F_SCOPE_NAME,
	F_URL, F_TITLE, F_COUNT
};

static struct sched_calendar	*cal;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char table[] = "2026-01-01\tholiday\t元旦\n"
	    "2026-10-01\tholiday\t国庆节\n";
	char	*error = NULL;

	(void)argc;
	(void)argv;
	cal = sched_calendar_new();
	if (sched_calendar_load(cal, "t", table, strlen(table), &error) == -1)
		fuzz_fail("table: %s", error);
	return 0;
}

static void
add(struct sched_journal *j, const struct sched_rules *rules, json_t *obj)
{
	struct sched_event	*ev;
	char			*why = NULL;

	ev = sched_event_from_json(obj, &why);
	json_decref(obj);
	if (ev == NULL) {
		if (getenv("FUZZ_FEED_DUMP") != NULL)
			fprintf(stderr, "refused: %s\n", why);
		free(why);
		return;
	}
	if (sched_journal_add(j, ev, rules, sched_day(2026, 12, 31),
	    &why) == -1) {
		if (getenv("FUZZ_FEED_DUMP") != NULL)
			fprintf(stderr, "refused: %s\n", why);
		free(why);
		sched_event_free(ev);
	}
}

static struct sched_journal *
journal(char **f, const struct sched_rules *rules)
{
	struct sched_journal	*j = sched_journal_new();
	const char		*c = *f[F_CENTRE] ? f[F_CENTRE] : "c";

	add(j, rules, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
	    "round_announced", "date", "2025-09-22", "id", "r1", "round",
	    f[F_ROUND], "application_deadline", "2025-10-31",
	    "recommendation_deadline", "2025-11-14", "note", f[F_NOTE]));
	add(j, rules, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type",
	    "registered", "date", "2025-09-01", "centre", c, "name", f[F_NAME],
	    "unit", f[F_UNIT], "note", f[F_NOTE]));
	add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type", "applied",
	    "date", "2025-10-20", "centre", c, "note", f[F_NOTE]));
	add(j, rules, json_pack("{s:s, s:s, s:s}", "type", "recommended",
	    "date", "2025-11-10", "centre", c));
	add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "publicity_started", "date", "2025-12-22", "centre", c, "id",
	    "pub"));
	add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type", "recognized",
	    "date", "2026-01-05", "centre", c, "note", f[F_NOTE]));
	add(j, rules, json_pack("{s:s, s:s, s:s, s:i, s:s}", "type",
	    "evaluation_round", "date", "2026-11-16", "id", "ev26", "year",
	    2026, "deadline", "2026-12-18"));
	add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "expert_meeting_held", "date", "2026-06-18", "centre", c, "id",
	    "meet"));
	add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type", "retracted",
	    "date", "2026-06-20", "event", "meet", "reason", f[F_REASON]));
	return j;
}

static void
check_lines(const char *s, size_t len)
{
	const char	*p = s, *end = s + len, *crlf;
	size_t		 n, i, k;

	while (p < end) {
		crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (crlf == NULL)
			fuzz_fail("a line without CRLF at the end");
		n = (size_t)(crlf - p);
		if (memchr(p, '\r', n) || memchr(p, '\n', n))
			fuzz_fail("a bare CR or LF in: %.*s", (int)n, p);
		if (n > 75)
			fuzz_fail("a line of %zu octets", n);
		for (i = 0; i < n; i += k) {
			if ((k = fuzz_utf8_len((const unsigned char *)p + i,
			    n - i)) == 0)
				fuzz_fail("a line that is not UTF-8 on its own "
				    "(a split sequence?): %.*s", (int)n, p);
		}
		p = crlf + 2;
	}
}

/* Unfolds and checks that each logical line is a property. */
static size_t
check_properties(const char *s, size_t len, const char *component)
{
	struct buf	 line;
	const char	*p = s, *end = s + len, *crlf;
	size_t		 count = 0, i;
	char		 begin[32];

	snprintf(begin, sizeof(begin), "BEGIN:%s", component);
	buf_init(&line);
	while (p < end) {
		crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
		buf_add(&line, p, (size_t)(crlf - p));
		p = crlf + 2;
		if (p < end && (*p == ' ' || *p == '\t')) {
			p++;	/* a fold: the next line goes on */
			continue;
		}
		for (i = 0; i < line.len && ((line.data[i] >= 'A' &&
		    line.data[i] <= 'Z') || (line.data[i] >= '0' &&
		    line.data[i] <= '9') || line.data[i] == '-'); i++)
			;
		if (i == 0 || i == line.len || (line.data[i] != ':' &&
		    line.data[i] != ';'))
			fuzz_fail("not a property: %.120s", line.data);
		if (strcmp(line.data, begin) == 0)
			count++;
		line.len = 0;
		line.data[0] = '\0';
	}
	buf_free(&line);
	return count;
}

static void
check_parse(const char *s)
{
	icalcomponent	*c = icalparser_parse_string(s), *sub;
	icalproperty	*p;

	if (c == NULL)
		fuzz_fail("libical cannot read the feed back");
	for (sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	    sub != NULL;
	    sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
		p = icalcomponent_get_first_property(sub,
		    ICAL_XLICERROR_PROPERTY);
		if (p != NULL)
			fuzz_fail("libical: %s", icalproperty_get_xlicerror(p));
	}
	if ((p = icalcomponent_get_first_property(c,
	    ICAL_XLICERROR_PROPERTY)) != NULL)
		fuzz_fail("libical: %s", icalproperty_get_xlicerror(p));
	icalcomponent_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t		*p = data, *end = data + size;
	char			*f[F_COUNT], *out;
	struct sched_rules	*rules = sched_rules_new();
	struct sched_journal	*j;
	struct sched_plan	*plan;
	struct cal_feed_options	 opts;
	size_t			 i, len, want = 0, got;
	uint8_t			 sw;

	for (i = 0; i < F_COUNT; i++)
		f[i] = fuzz_field(&p, end, SEP);
	sw = p < end ? *p : 0;
	if (*f[F_TITLE] != '\0') {
		free(rules->text[SCHED_R_EVALUATION].title);
		rules->text[SCHED_R_EVALUATION].title = xstrdup(f[F_TITLE]);
		free(rules->pack);
		rules->pack = xstrdup(f[F_TITLE]);
	}
	j = journal(f, rules);
	plan = sched_plan(j, cal, rules, sched_day(2026, 12, 31),
	    sched_day(2028, 12, 31), SCHED_PLAN_EXPLAIN);
	cal_feed_options_init(&opts, plan->as_of);
	opts.todo = (sw & 1) != 0;
	opts.alarms = (sw & 2) != 0;
	opts.scope = (enum cal_scope)((sw >> 2) % 3);
	opts.scope_id = opts.scope == CAL_SCOPE_UNIT ? f[F_UNIT] :
	    *f[F_CENTRE] ? f[F_CENTRE] : "c";
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
	if (getenv("FUZZ_FEED_DUMP") != NULL)	/* to look at one feed */
		fwrite(out, 1, len, stderr);
	if (strlen(out) != len)
		fuzz_fail("a NUL inside the feed");
	check_lines(out, len);
	got = check_properties(out, len, opts.todo ? "VTODO" : "VEVENT");
	if (got != want)
		fuzz_fail("%zu components for %zu obligations", got, want);
	check_parse(out);
	free(out);
	sched_plan_free(plan);
	sched_journal_free(j);
	sched_rules_free(rules);
	for (i = 0; i < F_COUNT; i++)
		free(f[i]);
	return 0;
}
