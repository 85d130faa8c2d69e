/*
 * test_remind.c: the reminder planner (scheduler/remind.c) and where its
 * schedules come from: offsets in days and working days over China's
 * holidays and make-up days, moving onto working days (never past the
 * deadline), overdue cadence and limit, recipients, grouping and order,
 * what was missed and its folding, and the schedule's syntax in the rule
 * pack and in ticd.conf's [remind.RULE] sections.
 *
 * Most tests silence every rule, then give the one under test a schedule,
 * so that each expectation names every message it sees.
 */
#include "tests/unit/testutil.h"

#include "common/common.h"
#include "conf/conf.h"

/* ---- helpers ---- */

/* The shipped pack with every reminder switched off. */
static struct sched_rules *
quiet_rules(void)
{
	struct sched_rules	*rules = tu_rules();
	int			 r;

	for (r = 0; r < SCHED_R_COUNT; r++) {
		memset(&rules->remind[r], 0, sizeof(rules->remind[r]));
		rules->remind[r].to = SCHED_TO_CENTRE | SCHED_TO_UNIT |
		    SCHED_TO_BUREAU;
	}
	return rules;
}

static void
set_at(struct sched_rules *rules, const char *rule, const char *name,
    const char *value, const char *file, int line)
{
	char	*why;

	why = sched_remind_set(&rules->remind[tu_rule(rule, file, line)],
	    name, value);
	if (why != NULL) {
		print_error("%s %s = %s refused: %s\n", rule, name, value, why);
		_fail(file, line);
	}
}
#define SET(rules, rule, name, value) \
	set_at((rules), (rule), (name), (value), __FILE__, __LINE__)

/* "unit:U1", "centre:yq-1", "bureau". */
static char *
recipient(const struct sched_message *m)
{
	if (m->scope == NULL)
		return xasprintf("%s", sched_audience_name(m->to));
	return xasprintf("%s:%s", sched_audience_name(m->to), m->scope);
}

/*
 * The whole answer as one line per message: "DAY RECIPIENT[ late
 * PLANNED][ catch-up] = KEY/KIND/DAYS/WORKDAYS, ..." so that a test
 * states every message and a failure shows them all.
 */
static char *
dump(const struct sched_reminders *r)
{
	struct buf	 b;
	char		 d[SCHED_DATE_LEN], *who;
	size_t		 i, k;

	buf_init(&b);
	for (i = 0; i < r->count; i++) {
		const struct sched_message *m = &r->messages[i];

		who = recipient(m);
		buf_printf(&b, "%s %s", sched_date_format(m->day, d), who);
		free(who);
		if (m->planned != m->day)
			buf_printf(&b, " late %s",
			    sched_date_format(m->planned, d));
		if (m->catch_up)
			buf_adds(&b, " catch-up");
		buf_adds(&b, " =");
		for (k = 0; k < m->nitems; k++) {
			const struct sched_remind_item *it = &m->items[k];

			buf_printf(&b, "%s %s/%s/%d/%d", k ? "," : "",
			    it->ob->key, sched_remind_kind_name(it->kind),
			    it->days_left, it->workdays_left);
			if (it->planned != m->day)
				buf_printf(&b, "@%s",
				    sched_date_format(it->planned, d));
		}
		buf_adds(&b, "\n");
	}
	return buf_take(&b);
}

static void
expect_at(const struct sched_reminders *r, const char *want,
    const char *file, int line)
{
	char	*got = dump(r);

	if (strcmp(got, want) != 0) {
		print_error("expected:\n%sgot:\n%s", want, got);
		_fail(file, line);
	}
	free(got);
}
#define EXPECT(r, want)	expect_at((r), (want), __FILE__, __LINE__)

/* Reminders of [from, to] for a journal as of "as_of". */
struct world {
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	struct sched_journal	*journal;
	struct sched_plan	*plan;
};

static void
world_plan(struct world *w, const char *as_of)
{
	sched_plan_free(w->plan);
	w->plan = sched_plan(w->journal, w->cal, w->rules, D(as_of),
	    D(as_of) + 800, 0);
}

static void
world_free(struct world *w)
{
	sched_plan_free(w->plan);
	sched_journal_free(w->journal);
	sched_rules_free(w->rules);
	sched_calendar_free(w->cal);
}

static struct sched_reminders *
window(struct world *w, const char *from, const char *to)
{
	return sched_reminders(w->plan, w->rules, w->cal, D(from), D(to));
}

/* Two recognized centres of unit U1 and one of U2. */
static const char *const base_events[] = {
	"{'type':'registered','date':'2025-10-01','centre':'yq-1',"
	    "'name':'甲中心','unit':'U1'}",
	"{'type':'registered','date':'2025-10-01','centre':'yq-2',"
	    "'name':'乙中心','unit':'U1'}",
	"{'type':'registered','date':'2025-10-01','centre':'yq-3',"
	    "'name':'丙中心','unit':'U2'}",
	"{'type':'recognized','date':'2025-11-03','centre':'yq-1'}",
	"{'type':'recognized','date':'2025-11-03','centre':'yq-2'}",
};

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->cal = tu_calendar();
	w->rules = quiet_rules();
	w->journal = TU_JOURNAL(w->rules, D("2027-12-31"), base_events);
}

static void
add(struct world *w, const char *event)
{
	TU_ADD(w->journal, w->rules, D("2027-12-31"), event);
}

/* ---- offsets ---- */

/* Due Fri 2026-10-09: 30 days (Wed 09-09), 7 days (10-02, in the
 * National Day holiday, moves back to Wed 09-30), 1 working day (Thu
 * 10-08, the first working day after the holiday), and the day.  The
 * working days left count 09-20, a make-up Sunday, and skip 09-25, the
 * Mid-Autumn holiday. */
static void
test_offsets_in_days_move_to_the_previous_working_day(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind", "30d 7d 1wd");
	SET(w.rules, "evaluation", "remind_on_day", "yes");
	SET(w.rules, "evaluation", "remind_to", "centre");
	add(&w, "{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-10-09'}");
	world_plan(&w, "2026-09-01");
	r = window(&w, "2026-09-01", "2026-12-31");
	EXPECT(r,
	    "2026-09-09 centre:yq-1 = yq-1/evaluation/2026/before/30/17\n"
	    "2026-09-09 centre:yq-2 = yq-2/evaluation/2026/before/30/17\n"
	    "2026-09-30 centre:yq-1 = yq-1/evaluation/2026/before/9/2\n"
	    "2026-09-30 centre:yq-2 = yq-2/evaluation/2026/before/9/2\n"
	    "2026-10-08 centre:yq-1 = yq-1/evaluation/2026/before/1/1\n"
	    "2026-10-08 centre:yq-2 = yq-2/evaluation/2026/before/1/1\n"
	    "2026-10-09 centre:yq-1 = yq-1/evaluation/2026/due/0/0\n"
	    "2026-10-09 centre:yq-2 = yq-2/evaluation/2026/due/0/0\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* Working days count back over a make-up Saturday (2026-10-10) and the
 * National Day holiday: due Mon 10-12, 1wd is Sat 10-10, 3wd Thu 10-08,
 * 5wd Tue 09-29 (09-30, then the holiday, is skipped back over). */
static void
test_working_day_offsets_cross_holidays_and_make_up_days(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind", "1wd 3wd 5wd");
	SET(w.rules, "evaluation", "remind_to", "unit");
	add(&w, "{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-10-12'}");
	world_plan(&w, "2026-09-01");
	r = window(&w, "2026-09-01", "2026-12-31");
	EXPECT(r,
	    "2026-09-29 unit:U1 = yq-1/evaluation/2026/before/13/5,"
	    " yq-2/evaluation/2026/before/13/5\n"
	    "2026-10-08 unit:U1 = yq-1/evaluation/2026/before/4/3,"
	    " yq-2/evaluation/2026/before/4/3\n"
	    "2026-10-10 unit:U1 = yq-1/evaluation/2026/before/2/1,"
	    " yq-2/evaluation/2026/before/2/1\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* A due date on a holiday: the day's reminder goes on the last working
 * day before it, never after; "1d" lands there too and is merged. */
static void
test_never_past_the_deadline(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;
	size_t			 i, k;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind", "1d 2d");
	SET(w.rules, "evaluation", "remind_on_day", "yes");
	SET(w.rules, "evaluation", "remind_to", "centre");
	add(&w, "{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-10-03'}");
	world_plan(&w, "2026-09-01");
	r = window(&w, "2026-09-01", "2026-12-31");
	EXPECT(r,
	    "2026-09-30 centre:yq-1 = yq-1/evaluation/2026/due/3/0\n"
	    "2026-09-30 centre:yq-2 = yq-2/evaluation/2026/due/3/0\n");
	for (i = 0; i < r->count; i++)
		for (k = 0; k < r->messages[i].nitems; k++)
			assert_true(r->messages[i].day <=
			    r->messages[i].items[k].ob->due);
	sched_reminders_free(r);
	world_free(&w);
}

/* A reminder is never planned before its obligation began: a round
 * announced 10 days before its deadline has no "30 days before". */
static void
test_nothing_before_the_obligation_began(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind", "30d 7d");
	SET(w.rules, "evaluation", "remind_to", "centre");
	add(&w, "{'type':'evaluation_round','date':'2026-11-06','year':2026,"
	    "'deadline':'2026-11-16'}");
	world_plan(&w, "2026-11-06");
	r = window(&w, "2026-01-01", "2026-12-31");
	EXPECT(r,
	    "2026-11-09 centre:yq-1 = yq-1/evaluation/2026/before/7/5\n"
	    "2026-11-09 centre:yq-2 = yq-2/evaluation/2026/before/7/5\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* A duty due at once on a holiday (a committee of 4 formed on Sat
 * 2026-10-03) was not there on the working day before: its due-day
 * reminder goes on the next working day, Thu 10-08, instead. */
static void
test_due_at_once_on_a_holiday_is_told_after_it(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "expert_composition", "remind_on_day", "yes");
	SET(w.rules, "expert_composition", "remind_to", "centre");
	add(&w, "{'type':'committee_formed','date':'2026-10-03','centre':"
	    "'yq-1','members':4,'host_members':1}");
	world_plan(&w, "2026-10-03");
	r = window(&w, "2026-09-01", "2026-12-31");
	EXPECT(r, "2026-10-08 centre:yq-1 ="
	    " yq-1/expert_composition/2026-10-03/due/-5/-1\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* ---- overdue ---- */

/* Every 7 days after Thu 09-24, at most 3: 10-01 is a holiday and moves
 * to the next working day, Thu 10-08, where the second notice also is
 * (merged); then 10-15.  Nothing after the third. */
static void
test_overdue_cadence_moves_forward_and_stops(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "rectification", "overdue_every", "7");
	SET(w.rules, "rectification", "overdue_max", "3");
	SET(w.rules, "rectification", "remind_to", "bureau");
	add(&w, "{'type':'evaluation_result','date':'2026-08-03','centre':"
	    "'yq-2','year':2025,'grade':'fail','rectify_by':'2026-09-24'}");
	world_plan(&w, "2026-09-01");
	r = window(&w, "2026-09-01", "2027-06-30");
	EXPECT(r,
	    "2026-10-08 bureau = yq-2/rectification/2025/overdue/-14/-4\n"
	    "2026-10-15 bureau = yq-2/rectification/2025/overdue/-21/-10\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* A period runs out and is done: never an overdue notice, whatever its
 * schedule says. */
static void
test_a_period_is_never_overdue(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "application", "remind_on_day", "yes");
	SET(w.rules, "application", "overdue_every", "1");
	SET(w.rules, "application", "overdue_max", "10");
	add(&w, "{'type':'round_announced','date':'2026-09-01','round':'r1',"
	    "'application_deadline':'2026-09-30'}");
	world_plan(&w, "2026-09-01");
	r = window(&w, "2026-09-01", "2026-12-31");
	/* To units: every unit of the plan's centres, none to a centre. */
	EXPECT(r,
	    "2026-09-30 unit:U1 = @bureau/application/r1/due/0/0\n"
	    "2026-09-30 unit:U2 = @bureau/application/r1/due/0/0\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* ---- who hears ---- */

/* The audience is the schedule's intersected with the rule's "to":
 * evaluation goes to centre and unit, never to the bureau. */
static void
test_audience_is_within_the_rules_to(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind_on_day", "yes");
	add(&w, "{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-09-15'}");
	world_plan(&w, "2026-09-01");

	r = window(&w, "2026-09-15", "2026-09-15");
	EXPECT(r,
	    "2026-09-15 centre:yq-1 = yq-1/evaluation/2026/due/0/0\n"
	    "2026-09-15 centre:yq-2 = yq-2/evaluation/2026/due/0/0\n"
	    "2026-09-15 unit:U1 = yq-1/evaluation/2026/due/0/0,"
	    " yq-2/evaluation/2026/due/0/0\n");
	sched_reminders_free(r);

	SET(w.rules, "evaluation", "remind_to", "bureau");
	r = window(&w, "2026-09-15", "2026-09-15");
	EXPECT(r, "");
	sched_reminders_free(r);

	SET(w.rules, "evaluation", "remind_to", "unit bureau");
	r = window(&w, "2026-09-15", "2026-09-15");
	EXPECT(r, "2026-09-15 unit:U1 = yq-1/evaluation/2026/due/0/0,"
	    " yq-2/evaluation/2026/due/0/0\n");
	sched_reminders_free(r);

	SET(w.rules, "evaluation", "remind_to", "none");
	r = window(&w, "2026-09-15", "2026-09-15");
	EXPECT(r, "");
	sched_reminders_free(r);
	world_free(&w);
}

/* ---- grouping and order ---- */

/* One message per recipient and day, most urgent first: the overdue
 * rectification (due 09-01) before the two evaluations due that day,
 * those by key.  Messages by day, then centre, unit, bureau. */
static void
test_one_message_per_recipient_and_day_most_urgent_first(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind_on_day", "yes");
	SET(w.rules, "rectification", "overdue_every", "7");
	SET(w.rules, "rectification", "overdue_max", "2");
	add(&w, "{'type':'evaluation_result','date':'2026-08-03','centre':"
	    "'yq-2','year':2025,'grade':'fail','rectify_by':'2026-09-01'}");
	add(&w, "{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-09-15'}");
	world_plan(&w, "2026-09-10");
	r = window(&w, "2026-09-10", "2026-09-30");
	EXPECT(r,
	    "2026-09-15 centre:yq-1 = yq-1/evaluation/2026/due/0/0\n"
	    "2026-09-15 centre:yq-2 = yq-2/rectification/2025/overdue/-14/-10,"
	    " yq-2/evaluation/2026/due/0/0\n"
	    "2026-09-15 unit:U1 = yq-2/rectification/2025/overdue/-14/-10,"
	    " yq-1/evaluation/2026/due/0/0, yq-2/evaluation/2026/due/0/0\n"
	    "2026-09-15 bureau = yq-2/rectification/2025/overdue/-14/-10\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* ---- what is never reminded ---- */

/* Done (submitted) and void (revoked) obligations are never reminded. */
static void
test_closed_obligations_are_never_reminded(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind", "30d 7d 1wd");
	SET(w.rules, "evaluation", "remind_on_day", "yes");
	SET(w.rules, "evaluation", "overdue_every", "7");
	SET(w.rules, "evaluation", "overdue_max", "5");
	add(&w, "{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-10-09'}");
	add(&w, "{'type':'evaluation_submitted','date':'2026-09-02','centre':"
	    "'yq-1','year':2026}");
	add(&w, "{'type':'revoked','date':'2026-09-03','centre':'yq-2',"
	    "'article':13}");
	world_plan(&w, "2026-09-03");
	r = window(&w, "2026-09-01", "2027-12-31");
	EXPECT(r, "");
	sched_reminders_free(r);
	world_free(&w);
}

/* The shipped pack: a ban is never reminded; every other rule is. */
static void
test_shipped_schedules(void **state)
{
	struct sched_rules	*rules = tu_rules();
	char			*s;
	int			 r;

	(void)state;
	for (r = 0; r < SCHED_R_COUNT; r++) {
		const struct sched_remind_schedule *sc = &rules->remind[r];
		bool any = sc->nbefore > 0 || sc->on_day ||
		    (sc->overdue_every > 0 && sc->overdue_max > 0);

		if (r == SCHED_R_REAPPLY_BAN)
			assert_false(any || sc->to != 0);
		else
			assert_true(any && (sc->to & rules->text[r].to) != 0);
	}
	s = sched_remind_format(&rules->remind[SCHED_R_EVALUATION]);
	assert_string_equal(s, "30d 7d 3wd 1wd");
	free(s);
	assert_int_equal(rules->remind[SCHED_R_EVALUATION].overdue_every, 7);
	assert_int_equal(rules->remind[SCHED_R_EVALUATION].overdue_max, 2);
	/* The furthest offset is 180 days (transition, director_age). */
	assert_int_equal(sched_reminders_until(rules, 1000), 1180);
	sched_rules_free(rules);
}

/* ---- what was missed ---- */

/*
 * Down from 09-01 to Tue 09-15, fold_after 7.  The evaluation (due 09-15)
 * had 7d on 09-08 and 3wd on Thu 09-10: only the latest, 09-10, is sent,
 * late.  The rectification (due 09-02) had its overdue notice on 09-09:
 * late, in the same late message.  The expert meeting's 120d (09-02) is
 * older than 7 days: folded into a catch-up.  The evaluation's 30d
 * (08-16) is before "from": not missed.
 */
static void
test_missed_are_sent_late_and_old_ones_folded(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind", "30d 7d 3wd");
	SET(w.rules, "evaluation", "remind_to", "centre");
	SET(w.rules, "rectification", "overdue_every", "7");
	SET(w.rules, "rectification", "overdue_max", "3");
	SET(w.rules, "rectification", "remind_to", "centre");
	SET(w.rules, "expert_meeting", "remind", "120d");
	add(&w, "{'type':'evaluation_result','date':'2026-08-03','centre':"
	    "'yq-2','year':2025,'grade':'fail','rectify_by':'2026-09-02'}");
	add(&w, "{'type':'evaluation_round','date':'2026-08-03','year':2026,"
	    "'deadline':'2026-09-15'}");
	world_plan(&w, "2026-09-15");
	r = sched_reminders_missed(w.plan, w.rules, w.cal, D("2026-09-01"),
	    D("2026-09-15"), 7);
	EXPECT(r,
	    "2026-09-15 centre:yq-1 late 2026-09-02 catch-up ="
	    " yq-1/expert_meeting/2026/before/107/73@2026-09-02\n"
	    "2026-09-15 centre:yq-1 late 2026-09-10 ="
	    " yq-1/evaluation/2026/before/0/0@2026-09-10\n"
	    "2026-09-15 centre:yq-2 late 2026-09-02 catch-up ="
	    " yq-2/expert_meeting/2026/before/107/73@2026-09-02\n"
	    "2026-09-15 centre:yq-2 late 2026-09-09 ="
	    " yq-2/rectification/2025/overdue/-13/-9@2026-09-09,"
	    " yq-2/evaluation/2026/before/0/0@2026-09-10\n");
	sched_reminders_free(r);

	/* Nothing is missed when the daemon ran yesterday. */
	r = sched_reminders_missed(w.plan, w.rules, w.cal, D("2026-09-15"),
	    D("2026-09-15"), 7);
	EXPECT(r, "");
	sched_reminders_free(r);
	world_free(&w);
}

/* What today's own messages carry is not sent again as missed. */
static void
test_missed_leaves_what_today_sends(void **state)
{
	struct world		 w;
	struct sched_reminders	*r;

	(void)state;
	world_init(&w);
	SET(w.rules, "evaluation", "remind", "1wd");
	SET(w.rules, "evaluation", "remind_on_day", "yes");
	SET(w.rules, "evaluation", "remind_to", "centre");
	add(&w, "{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-09-15'}");
	world_plan(&w, "2026-09-15");
	r = sched_reminders_missed(w.plan, w.rules, w.cal, D("2026-09-10"),
	    D("2026-09-15"), 7);
	EXPECT(r, "");
	sched_reminders_free(r);
	/* Closed since: the missed reminder is dropped as well. */
	add(&w, "{'type':'evaluation_submitted','date':'2026-09-14',"
	    "'centre':'yq-1','year':2026}");
	world_plan(&w, "2026-09-16");
	r = sched_reminders_missed(w.plan, w.rules, w.cal, D("2026-09-10"),
	    D("2026-09-16"), 0);
	EXPECT(r,
	    "2026-09-16 centre:yq-2 late 2026-09-15 catch-up ="
	    " yq-2/evaluation/2026/due/-1/-1@2026-09-15\n");
	sched_reminders_free(r);
	world_free(&w);
}

/* ---- the schedule's syntax ---- */

static void
test_schedule_syntax(void **state)
{
	struct sched_remind_schedule	 s, before;
	char				*why, *f;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_null(sched_remind_set(&s, "remind", "1wd 30d, 7d 1d 30d"));
	f = sched_remind_format(&s);
	assert_string_equal(f, "30d 7d 1wd 1d");
	free(f);
	assert_null(sched_remind_set(&s, "overdue_every", "14"));
	assert_null(sched_remind_set(&s, "remind_to", "centre, bureau"));
	assert_int_equal(s.to, SCHED_TO_CENTRE | SCHED_TO_BUREAU);
	before = s;
	static const char *const bad[][2] = {
		{ "remind", "7" }, { "remind", "0d" }, { "remind", "-3d" },
		{ "remind", "3w" }, { "remind", "1831d" }, { "remind", "" },
		{ "remind", "1d 2d 3d 4d 5d 6d 7d 8d 9d" },
		{ "remind_on_day", "maybe" }, { "overdue_every", "366" },
		{ "overdue_every", "-1" }, { "overdue_max", "x" },
		{ "remind_to", "city" }, { "remind_to", "" },
		{ "remind_at", "09:00" },
	};
	for (size_t i = 0; i < TU_NITEMS(bad); i++) {
		why = sched_remind_set(&s, bad[i][0], bad[i][1]);
		if (why == NULL)
			fail_msg("accepted %s = %s", bad[i][0], bad[i][1]);
		assert_non_null(strstr(why, " / "));	/* 中文 / English */
		free(why);
		assert_memory_equal(&s, &before, sizeof(s));
	}
	assert_null(sched_remind_set(&s, "remind", "none"));
	assert_int_equal(s.nbefore, 0);
	f = sched_remind_format(&s);
	assert_string_equal(f, "none");
	free(f);
}

static void
test_rule_pack_schedule_errors_have_lines(void **state)
{
	struct sched_rules	*rules = tu_rules();
	const char		*text = "[evaluation]\nremind = 7d\n"
	    "overdue_max = lots\n[publicity]\nremind_to = city\n";
	char			*error = NULL;

	(void)state;
	assert_int_equal(sched_rules_load(rules, "p.ini", text, strlen(text),
	    &error), -1);
	assert_non_null(strstr(error, "p.ini:3: "));
	assert_non_null(strstr(error, "p.ini:5: "));
	assert_null(strstr(error, "p.ini:2: "));
	free(error);
	/* Unchanged by the refused pack. */
	assert_int_equal(rules->remind[SCHED_R_EVALUATION].nbefore, 4);
	sched_rules_free(rules);
}

/* ---- ticd.conf ---- */

static void
test_config_keys_and_overrides(void **state)
{
	struct conf		 c;
	struct sched_rules	*rules = tu_rules();
	const char		*text = "[remind]\nsend_time = 08:30\n"
	    "fold_after = 3\n[remind.evaluation]\nremind = 14d 2wd\n"
	    "overdue_max = 1\n[remind.reapply_ban]\nremind_on_day = yes\n";
	char			*error = NULL, *f;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(c.remind_send_time, 9 * 60);
	assert_int_equal(c.remind_fold_after, 7);
	conf_clear(&c);
	assert_int_equal(conf_parse(&c, "t.conf", text, strlen(text), &error),
	    0);
	assert_int_equal(c.remind_send_time, 8 * 60 + 30);
	assert_int_equal(c.remind_fold_after, 3);
	conf_apply_remind(&c, rules);
	f = sched_remind_format(&rules->remind[SCHED_R_EVALUATION]);
	assert_string_equal(f, "14d 2wd");
	free(f);
	assert_int_equal(rules->remind[SCHED_R_EVALUATION].overdue_max, 1);
	assert_int_equal(rules->remind[SCHED_R_EVALUATION].overdue_every, 7);
	assert_true(rules->remind[SCHED_R_REAPPLY_BAN].on_day);
	conf_clear(&c);
	sched_rules_free(rules);
}

static void
test_config_errors_have_lines(void **state)
{
	struct conf	 c;
	const char	*text = "[remind]\nsend_time = 9:00\n"
	    "fold_after = -1\n[remind.nosuch]\nremind = 7d\n"
	    "[remind.evaluation]\nremind = 7x\ncolour = red\n"
	    "[remind]\nsend_time = 24:00\nsend_time = 23:59\n";
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_parse(&c, "t.conf", text, strlen(text), &error),
	    -1);
	assert_non_null(strstr(error, "t.conf:2: "));
	assert_non_null(strstr(error, "t.conf:3: "));
	assert_non_null(strstr(error, "t.conf:5: "));
	assert_non_null(strstr(error, "t.conf:7: "));
	assert_non_null(strstr(error, "t.conf:8: "));
	assert_non_null(strstr(error, "t.conf:10: "));
	/* A setting given a third time is an error too, however right. */
	assert_non_null(strstr(error, "t.conf:11: [remind] 的 send_time 已在"
	    "第 2 行设置过"));
	free(error);
	/* The old settings stay. */
	assert_int_equal(c.remind_send_time, 9 * 60);
	assert_int_equal(c.nremind, 0);
	conf_clear(&c);
}

/* The shipped ticd.conf names the keys with their defaults. */
static void
test_shipped_conf_is_valid(void **state)
{
	struct conf	 c;
	char		*error = NULL, *text;
	size_t		 len;

	(void)state;
	text = TU_READ_DATA("ticd.conf", &len);
	memset(&c, 0, sizeof(c));
	if (conf_parse(&c, "ticd.conf", text, len, &error) != 0)
		fail_msg("%s", error);
	assert_non_null(strstr(text, "send_time = 09:00"));
	assert_non_null(strstr(text, "fold_after = 7"));
	assert_int_equal(c.remind_send_time, 9 * 60);
	free(text);
	conf_clear(&c);
}

/*
 * An item is late, for its words (已逾期, the overdue action), when its
 * obligation is overdue or its message goes after the due date: a
 * reminder sent late (补发) of an obligation still open in the plan.
 */
static void
test_an_item_is_late_when_overdue_or_past_due(void **state)
{
	struct sched_obligation	 o;
	struct sched_remind_item it;

	(void)state;
	memset(&o, 0, sizeof(o));
	memset(&it, 0, sizeof(it));
	it.ob = &o;
	o.state = SCHED_OPEN;
	it.days_left = 3;
	assert_false(sched_remind_item_late(&it));
	it.days_left = 0;
	assert_false(sched_remind_item_late(&it));
	it.days_left = -1;
	assert_true(sched_remind_item_late(&it));
	o.state = SCHED_OVERDUE;
	it.days_left = 0;
	assert_true(sched_remind_item_late(&it));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_offsets_in_days_move_to_the_previous_working_day),
		cmocka_unit_test(
		    test_working_day_offsets_cross_holidays_and_make_up_days),
		cmocka_unit_test(test_never_past_the_deadline),
		cmocka_unit_test(test_nothing_before_the_obligation_began),
		cmocka_unit_test(
		    test_due_at_once_on_a_holiday_is_told_after_it),
		cmocka_unit_test(test_overdue_cadence_moves_forward_and_stops),
		cmocka_unit_test(test_a_period_is_never_overdue),
		cmocka_unit_test(test_audience_is_within_the_rules_to),
		cmocka_unit_test(
		    test_one_message_per_recipient_and_day_most_urgent_first),
		cmocka_unit_test(test_closed_obligations_are_never_reminded),
		cmocka_unit_test(
		    test_an_item_is_late_when_overdue_or_past_due),
		cmocka_unit_test(test_shipped_schedules),
		cmocka_unit_test(test_missed_are_sent_late_and_old_ones_folded),
		cmocka_unit_test(test_missed_leaves_what_today_sends),
		cmocka_unit_test(test_schedule_syntax),
		cmocka_unit_test(test_rule_pack_schedule_errors_have_lines),
		cmocka_unit_test(test_config_keys_and_overrides),
		cmocka_unit_test(test_config_errors_have_lines),
		cmocka_unit_test(test_shipped_conf_is_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
