/*
 * hostile.h: what the rendering targets (fuzz_feed, fuzz_mail) share: a
 * centre's whole life whose every free text is the fuzzer's, and the
 * checks any iCalendar text ticd writes must pass.
 *
 * Static functions in a header, like fuzz.h: each target is one
 * translation unit linked against the same library.
 */
#ifndef FUZZ_HOSTILE_H
#define FUZZ_HOSTILE_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libical/ical.h>

#include "common/common.h"
#include "scheduler/scheduler.h"
#include "tests/fuzz/fuzz.h"

/* The free texts of the journal; none NULL, each valid UTF-8 (fuzz_field). */
struct hostile {
	const char	*centre;	/* "" becomes "c" */
	const char	*name;
	const char	*unit;
	const char	*note;
	const char	*round;
	const char	*reason;
	const char	*title;		/* "": the pack's own */
};

FUZZ_UNUSED static void
hostile_add(struct sched_journal *j, const struct sched_rules *rules,
    json_t *obj)
{
	struct sched_event	*ev;
	char			*why = NULL;

	ev = sched_event_from_json(obj, &why);
	json_decref(obj);
	if (ev != NULL && sched_journal_add(j, ev, rules,
	    sched_day(2026, 12, 31), &why) == 0)
		return;
	if (getenv("FUZZ_DUMP") != NULL)
		fprintf(stderr, "refused: %s\n", why);
	free(why);
	sched_event_free(ev);
}

/* The default rules, with title (when given) as the evaluation rule's
 * title and the pack's name: both reach feeds and mail.  The caller
 * frees them. */
FUZZ_UNUSED static struct sched_rules *
hostile_rules(const struct hostile *h)
{
	struct sched_rules	*rules = sched_rules_new();

	if (*h->title != '\0') {
		free(rules->text[SCHED_R_EVALUATION].title);
		rules->text[SCHED_R_EVALUATION].title = xstrdup(h->title);
		free(rules->pack);
		rules->pack = xstrdup(h->title);
	}
	return rules;
}

/* The centre id the journal used. */
FUZZ_UNUSED static const char *
hostile_centre(const struct hostile *h)
{
	return *h->centre ? h->centre : "c";
}

/*
 * A round, a centre registered, applied, recommended, in publicity,
 * recognized, in the 2026 evaluation round with its reports due
 * 2026-12-18, and a meeting retracted: open, overdue and provisional
 * obligations, each carrying the hostile texts.  Events a text makes
 * invalid are refused, as the daemon would.
 */
FUZZ_UNUSED static struct sched_journal *
hostile_journal(const struct hostile *h, const struct sched_rules *rules)
{
	struct sched_journal	*j = sched_journal_new();
	const char		*c = hostile_centre(h);

	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "type", "round_announced", "date", "2025-09-22", "id", "r1",
	    "round", h->round, "application_deadline", "2025-10-31",
	    "recommendation_deadline", "2025-11-14", "note", h->note));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	    "type", "registered", "date", "2025-09-01", "centre", c, "name",
	    h->name, "unit", h->unit, "note", h->note));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "applied", "date", "2025-10-20", "centre", c, "note", h->note));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s}", "type",
	    "recommended", "date", "2025-11-10", "centre", c));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "publicity_started", "date", "2025-12-22", "centre", c, "id",
	    "pub"));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "recognized", "date", "2026-01-05", "centre", c, "note", h->note));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:i, s:s}", "type",
	    "evaluation_round", "date", "2026-11-16", "id", "ev26", "year",
	    2026, "deadline", "2026-12-18"));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "expert_meeting_held", "date", "2026-06-18", "centre", c, "id",
	    "meet"));
	hostile_add(j, rules, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "retracted", "date", "2026-06-20", "event", "meet", "reason",
	    h->reason));
	return j;
}

/* Every line ends in CRLF with no other CR or LF, is at most 75 octets
 * and is UTF-8 on its own (a fold never splits a sequence). */
FUZZ_UNUSED static void
ical_check_lines(const char *s, size_t len)
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

/* Unfolds (after ical_check_lines), checks that each logical line is a
 * property, and counts the components called "component". */
FUZZ_UNUSED static size_t
ical_count_components(const char *s, size_t len, const char *component)
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

/* libical reads the text back without an X-LIC-ERROR anywhere. */
FUZZ_UNUSED static void
ical_check_parse(const char *s)
{
	icalcomponent	*c = icalparser_parse_string(s), *sub;
	icalproperty	*p;

	if (c == NULL)
		fuzz_fail("libical cannot read the calendar back");
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

#endif
