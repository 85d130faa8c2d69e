/*
 * testutil.h: what the scheduler's unit tests share.
 *
 * Each test is one .c file compiled alone against build/libticd.a, so
 * every helper here is static (and marked unused, since no test uses all
 * of them).  The names start with tu_ (and the one macro D) so that none
 * can clash with the library's sched_ and conf_ names.
 *
 * Helpers that can fail take the caller's file and line (through the
 * upper-case macros) so that cmocka points at the test, not at this file.
 *
 * Events are written as JSON with single quotes, which tu_json turns
 * into double quotes: "{'type':'applied','date':'2025-10-01',...}" reads
 * better in C than a wall of \".  (No test text needs a real ' .)
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "scheduler/scheduler.h"

#define TU_UNUSED	__attribute__((unused))
#define TU_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- files ---- */

/* A data file's path: $TICD_DATADIR (the Makefile points it at conf/),
 * else conf/ under the current directory. */
TU_UNUSED static const char *
tu_data_path(const char *name)
{
	static char	 path[4096];
	const char	*dir = getenv("TICD_DATADIR");

	if (dir == NULL || *dir == '\0')
		dir = "conf";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* The whole of a file, NUL-terminated; the caller frees it. */
TU_UNUSED static char *
tu_read_file(const char *path, size_t *lenp, const char *file, int line)
{
	FILE	*f = fopen(path, "rb");
	char	*text = NULL;
	size_t	 len = 0, cap = 0, n;

	if (f == NULL) {
		print_error("cannot open %s (is TICD_DATADIR set?)\n", path);
		_fail(file, line);
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			text = realloc(text, cap + 1);
			assert_non_null(text);
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	text[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return text;
}
#define TU_READ_DATA(name, lenp) \
	tu_read_file(tu_data_path(name), (lenp), __FILE__, __LINE__)

/* ---- dates ---- */

/* The day of "YYYY-MM-DD"; a test that writes a day that is not real
 * fails at once rather than testing something else. */
TU_UNUSED static int
tu_day(const char *s, const char *file, int line)
{
	int	 day;

	if (sched_date_parse(s, &day) != 0) {
		print_error("test bug: \"%s\" is not a date\n", s);
		_fail(file, line);
	}
	return day;
}
#define D(s)	tu_day((s), __FILE__, __LINE__)

/* ---- the calendar and the rules ---- */

/* A calendar with conf/cn-holidays.tsv loaded (2024-2026 published). */
TU_UNUSED static struct sched_calendar *
tu_calendar_at(const char *file, int line)
{
	struct sched_calendar	*cal = sched_calendar_new();
	char			*text, *error = NULL;
	size_t			 len;

	text = tu_read_file(tu_data_path("cn-holidays.tsv"), &len, file, line);
	if (sched_calendar_load(cal, "cn-holidays.tsv", text, len,
	    &error) != 0) {
		print_error("cn-holidays.tsv refused: %s\n", error);
		_fail(file, line);
	}
	free(text);
	return cal;
}
#define tu_calendar()	tu_calendar_at(__FILE__, __LINE__)

/* Loads a table given as text over a calendar; must be accepted. */
TU_UNUSED static void
tu_calendar_add_at(struct sched_calendar *cal, const char *source,
    const char *text, const char *file, int line)
{
	char	*error = NULL;

	if (sched_calendar_load(cal, source, text, strlen(text),
	    &error) != 0) {
		print_error("%s refused: %s\n", source, error);
		_fail(file, line);
	}
}
#define TU_CALENDAR_ADD(cal, source, text) \
	tu_calendar_add_at((cal), (source), (text), __FILE__, __LINE__)

/* The rule pack as shipped (conf/rules.ini over the defaults). */
TU_UNUSED static struct sched_rules *
tu_rules_at(const char *file, int line)
{
	struct sched_rules	*rules = sched_rules_new();
	char			*text, *error = NULL;
	size_t			 len;

	text = tu_read_file(tu_data_path("rules.ini"), &len, file, line);
	if (sched_rules_load(rules, "rules.ini", text, len, &error) != 0) {
		print_error("rules.ini refused: %s\n", error);
		_fail(file, line);
	}
	free(text);
	return rules;
}
#define tu_rules()	tu_rules_at(__FILE__, __LINE__)

/* ---- events and journals ---- */

/* Single quotes become double quotes; the caller frees the result. */
TU_UNUSED static char *
tu_json(const char *text)
{
	char	*s = strdup(text), *p;

	assert_non_null(s);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return s;
}

/* Decodes a JSON text (single quotes allowed); a test bug if invalid. */
TU_UNUSED static json_t *
tu_json_load(const char *text, const char *file, int line)
{
	char		*s = tu_json(text);
	json_error_t	 jerr;
	json_t		*v = json_loads(s, JSON_DECODE_ANY, &jerr);

	if (v == NULL) {
		print_error("test bug: bad JSON %s: %s\n", s, jerr.text);
		_fail(file, line);
	}
	free(s);
	return v;
}
#define TU_JSON(text)	tu_json_load((text), __FILE__, __LINE__)

/* An event from JSON text; it must pass sched_event_from_json. */
TU_UNUSED static struct sched_event *
tu_event_at(const char *text, const char *file, int line)
{
	json_t			*v = tu_json_load(text, file, line);
	char			*error = NULL;
	struct sched_event	*ev = sched_event_from_json(v, &error);

	if (ev == NULL) {
		print_error("event refused: %s\n  %s\n", text, error);
		_fail(file, line);
	}
	json_decref(v);
	return ev;
}
#define TU_EVENT(text)	tu_event_at((text), __FILE__, __LINE__)

/* The journal accepts the event, recorded on day "today". */
TU_UNUSED static void
tu_add_at(struct sched_journal *j, const struct sched_rules *rules,
    int today, const char *text, const char *file, int line)
{
	struct sched_event	*ev = tu_event_at(text, file, line);
	char			*error = NULL;
	size_t			 before = sched_journal_count(j);

	if (sched_journal_add(j, ev, rules, today, &error) != 0) {
		print_error("journal refused: %s\n  %s\n", text, error);
		_fail(file, line);
	}
	if (sched_journal_count(j) != before + 1) {
		print_error("accepted but the count went %zu -> %zu\n",
		    before, sched_journal_count(j));
		_fail(file, line);
	}
}
#define TU_ADD(j, rules, today, text) \
	tu_add_at((j), (rules), (today), (text), __FILE__, __LINE__)

/*
 * The journal refuses the event, the reason contains "want" (if not
 * NULL), and the journal's count is unchanged.  A refusal of the event's
 * own form (sched_event_from_json) is not what this checks: the event
 * must be well formed.
 */
TU_UNUSED static void
tu_refuse_at(struct sched_journal *j, const struct sched_rules *rules,
    int today, const char *text, const char *want, const char *file,
    int line)
{
	struct sched_event	*ev = tu_event_at(text, file, line);
	char			*error = NULL;
	size_t			 before = sched_journal_count(j);

	if (sched_journal_add(j, ev, rules, today, &error) == 0) {
		print_error("journal accepted what it should refuse:\n  %s\n",
		    text);
		_fail(file, line);
	}
	if (error == NULL) {
		print_error("refused without a reason: %s\n", text);
		_fail(file, line);
	}
	if (want != NULL && strstr(error, want) == NULL) {
		print_error("the reason lacks \"%s\":\n  %s\n  reason: %s\n",
		    want, text, error);
		_fail(file, line);
	}
	if (sched_journal_count(j) != before) {
		print_error("refused but the count went %zu -> %zu\n", before,
		    sched_journal_count(j));
		_fail(file, line);
	}
	free(error);
	sched_event_free(ev);
}
#define TU_REFUSE(j, rules, today, text, want) \
	tu_refuse_at((j), (rules), (today), (text), (want), __FILE__, __LINE__)

/* A journal of these events, in this order, each accepted on "today". */
TU_UNUSED static struct sched_journal *
tu_journal_at(const struct sched_rules *rules, int today,
    const char *const *events, size_t n, const char *file, int line)
{
	struct sched_journal	*j = sched_journal_new();
	size_t			 i;

	for (i = 0; i < n; i++)
		tu_add_at(j, rules, today, events[i], file, line);
	return j;
}
#define TU_JOURNAL(rules, today, events) \
	tu_journal_at((rules), (today), (events), TU_NITEMS(events), \
	    __FILE__, __LINE__)

/* ---- plans ---- */

TU_UNUSED static enum sched_rule
tu_rule(const char *name, const char *file, int line)
{
	enum sched_rule	 r = SCHED_R_COUNT;

	if (sched_rule_from_name(name, &r) != 0) {
		print_error("test bug: no rule \"%s\"\n", name);
		_fail(file, line);
	}
	return r;
}

TU_UNUSED static bool
tu_same_centre(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Prints the plan, for a failing assertion's context. */
TU_UNUSED static void
tu_print_plan(const struct sched_plan *plan)
{
	char	 due[SCHED_DATE_LEN];
	size_t	 i;

	print_error("  the plan (%zu obligations):\n", plan->count);
	for (i = 0; i < plan->count; i++) {
		const struct sched_obligation *o = &plan->obligations[i];

		print_error("    %s %-18s %-8s %4d %-7s%s %s\n",
		    sched_date_format(o->due, due), sched_rule_name(o->rule),
		    o->centre ? o->centre : "(bureau)",
		    o->year, sched_state_name(o->state),
		    o->provisional ? " provisional" : "", o->key);
	}
}

/* How many obligations of a rule a centre (NULL: bureau-wide) has. */
TU_UNUSED static size_t
tu_count_at(const struct sched_plan *plan, const char *centre,
    const char *rule, const char *file, int line)
{
	enum sched_rule	 r = tu_rule(rule, file, line);
	size_t		 i, n = 0;

	for (i = 0; i < plan->count; i++) {
		if (plan->obligations[i].rule == r &&
		    tu_same_centre(plan->obligations[i].centre, centre))
			n++;
	}
	return n;
}
#define TU_COUNT(plan, centre, rule) \
	tu_count_at((plan), (centre), (rule), __FILE__, __LINE__)

/*
 * The one obligation of a centre (NULL: bureau-wide) and rule, with this
 * year (0 for rules without one) and, when due is not NULL, this due
 * date.  Fails unless exactly one matches.
 */
TU_UNUSED static const struct sched_obligation *
tu_find_at(const struct sched_plan *plan, const char *centre,
    const char *rule, int year, const char *due, const char *file, int line)
{
	enum sched_rule			 r = tu_rule(rule, file, line);
	const struct sched_obligation	*found = NULL;
	int				 due_day = due ? tu_day(due, file,
					    line) : 0;
	size_t				 i, n = 0;

	for (i = 0; i < plan->count; i++) {
		const struct sched_obligation *o = &plan->obligations[i];

		if (o->rule != r || !tu_same_centre(o->centre, centre) ||
		    o->year != year || (due != NULL && o->due != due_day))
			continue;
		found = o;
		n++;
	}
	if (n != 1) {
		print_error("expected one %s of %s (year %d%s%s), found %zu\n",
		    rule, centre ? centre : "the bureau", year,
		    due ? ", due " : "", due ? due : "", n);
		tu_print_plan(plan);
		_fail(file, line);
	}
	return found;
}
#define TU_FIND(plan, centre, rule, year) \
	tu_find_at((plan), (centre), (rule), (year), NULL, __FILE__, __LINE__)
#define TU_FIND_DUE(plan, centre, rule, year, due) \
	tu_find_at((plan), (centre), (rule), (year), (due), __FILE__, __LINE__)

TU_UNUSED static void
tu_check_ob(const struct sched_plan *plan,
    const struct sched_obligation *o, const char *due, const char *state,
    bool provisional, const char *file, int line)
{
	char	 got[SCHED_DATE_LEN];

	sched_date_format(o->due, got);
	if (strcmp(got, due) != 0 ||
	    strcmp(sched_state_name(o->state), state) != 0 ||
	    o->provisional != provisional) {
		print_error("%s: expected due %s, %s%s; got due %s, %s%s\n",
		    o->key, due, state,
		    provisional ? ", provisional" : "", got,
		    sched_state_name(o->state),
		    o->provisional ? ", provisional" : "");
		tu_print_plan(plan);
		_fail(file, line);
	}
}

/* The one obligation of (centre, rule, year) is due then, in that state
 * (open, overdue, done, void) and provisional or not. */
#define TU_ASSERT_OB(plan, centre, rule, year, due, state, prov) \
	tu_check_ob((plan), tu_find_at((plan), (centre), (rule), (year), \
	    NULL, __FILE__, __LINE__), (due), (state), (prov), __FILE__, \
	    __LINE__)

/* The same, choosing among several of a rule by the due date. */
#define TU_ASSERT_OB_DUE(plan, centre, rule, year, due, state, prov) \
	tu_check_ob((plan), tu_find_at((plan), (centre), (rule), (year), \
	    (due), __FILE__, __LINE__), (due), (state), (prov), __FILE__, \
	    __LINE__)

/* A plan as of a day, yearly duties up to "until". */
TU_UNUSED static struct sched_plan *
tu_plan_at(const struct sched_journal *j, const struct sched_calendar *cal,
    const struct sched_rules *rules, const char *as_of, const char *until,
    const char *file, int line)
{
	return sched_plan(j, cal, rules, tu_day(as_of, file, line),
	    tu_day(until, file, line), 0);
}
#define TU_PLAN(j, cal, rules, as_of, until) \
	tu_plan_at((j), (cal), (rules), (as_of), (until), __FILE__, __LINE__)

#endif
