/*
 * test_plan.c: the planner (scheduler/plan.c) rule by rule, each through
 * its states (open through the due day, then overdue, or done for a
 * period; done when closed; void when the centre ends), with every
 * expected date worked out by hand from DOMAIN.md.  In every test the
 * plan's day is on or after the last event, as it is for the daemon.
 */
#include "tests/unit/testutil.h"
#include "common/common.h"

/* Journals are built as if recorded late enough for every event. */
#define JTODAY	"2040-12-31"
#define UNTIL	"2030-12-31"

struct fx {
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	struct sched_journal	*j;
	struct sched_plan	*plan;
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	f->cal = tu_calendar();
	f->rules = tu_rules();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	sched_plan_free(f->plan);
	sched_journal_free(f->j);
	sched_rules_free(f->rules);
	sched_calendar_free(f->cal);
	free(f);
	return 0;
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

/* A fresh journal of these events. */
#define JOURNAL(f, events) do { \
	sched_plan_free((f)->plan); \
	(f)->plan = NULL; \
	sched_journal_free((f)->j); \
	(f)->j = TU_JOURNAL((f)->rules, D(JTODAY), (events)); \
} while (0)

/* One more event in the journal. */
#define ADD(f, text)	TU_ADD((f)->j, (f)->rules, D(JTODAY), (text))

/* The plan as of a day, yearly duties up to "until". */
#define PLAN(f, as_of, until) do { \
	sched_plan_free((f)->plan); \
	(f)->plan = TU_PLAN((f)->j, (f)->cal, (f)->rules, (as_of), (until)); \
} while (0)

#define OB(f, centre, rule, year, due, state, prov) \
	TU_ASSERT_OB((f)->plan, (centre), (rule), (year), (due), (state), (prov))
#define OB_DUE(f, centre, rule, year, due, state) \
	TU_ASSERT_OB_DUE((f)->plan, (centre), (rule), (year), (due), (state), \
	    false)
#define COUNT(f, centre, rule)	TU_COUNT((f)->plan, (centre), (rule))

/* c1: registered, then recognized on Mon 2025-10-20. */
static const char *const recognized_c1[] = {
	"{'type':'registered','date':'2025-01-10','centre':'c1','name':'中心一',"
	    "'unit':'城区科技局'}",
	"{'type':'recognized','date':'2025-10-20','centre':'c1'}",
};

/* c1: registered, in publicity from Fri 2025-09-26 (due 2025-10-09). */
static const char *const publicity_c1[] = {
	"{'type':'registered','date':'2025-09-01','centre':'c1','name':'中心一',"
	    "'unit':'城区科技局','id':'reg1'}",
	"{'type':'publicity_started','date':'2025-09-26','centre':'c1',"
	    "'id':'pub1'}",
};

/* ---- measures_expiry, application, recommendation ---- */

static void
test_measures_expiry_is_always_listed(void **state)
{
	struct fx	*f = *state;

	f->j = sched_journal_new();
	PLAN(f, "2026-01-01", UNTIL);
	assert_int_equal(f->plan->count, 1);
	/* In force 2025-09-08 for 5 years (rule 1). */
	OB(f, NULL, "measures_expiry", 0, "2030-09-07", "open", false);
	PLAN(f, "2030-09-07", UNTIL);
	OB(f, NULL, "measures_expiry", 0, "2030-09-07", "open", false);
	PLAN(f, "2030-09-08", UNTIL);
	OB(f, NULL, "measures_expiry", 0, "2030-09-07", "done", false);
}

static const char *const round_2025[] = {
	"{'type':'round_announced','date':'2025-10-01','round':'2025-1',"
	    "'application_deadline':'2025-11-30',"
	    "'recommendation_deadline':'2025-12-15'}",
};

static void
test_application_and_recommendation_run_out(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_2025);
	PLAN(f, "2025-11-30", UNTIL);
	OB(f, NULL, "application", 0, "2025-11-30", "open", false);
	OB(f, NULL, "recommendation", 0, "2025-12-15", "open", false);
	PLAN(f, "2025-12-01", UNTIL);
	OB(f, NULL, "application", 0, "2025-11-30", "done", false);
	OB(f, NULL, "recommendation", 0, "2025-12-15", "open", false);
	PLAN(f, "2025-12-16", UNTIL);
	OB(f, NULL, "application", 0, "2025-11-30", "done", false);
	OB(f, NULL, "recommendation", 0, "2025-12-15", "done", false);
}

static void
test_a_round_without_recommendation_deadline(void **state)
{
	static const char *const events[] = {
		"{'type':'round_announced','date':'2025-10-01','round':'r',"
		    "'application_deadline':'2025-11-30'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2025-10-01", UNTIL);
	OB(f, NULL, "application", 0, "2025-11-30", "open", false);
	assert_int_equal(COUNT(f, NULL, "recommendation"), 0);
}

/* ---- publicity and objection_review ---- */

static void
test_publicity_is_open_through_its_due_day_then_done(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	PLAN(f, "2025-09-26", UNTIL);
	OB(f, "c1", "publicity", 0, "2025-10-09", "open", false);
	PLAN(f, "2025-10-09", UNTIL);
	OB(f, "c1", "publicity", 0, "2025-10-09", "open", false);
	PLAN(f, "2025-10-10", UNTIL);
	OB(f, "c1", "publicity", 0, "2025-10-09", "done", false);
}

static void
test_an_objection_closes_publicity_and_opens_its_review(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'c1'}");
	PLAN(f, "2025-09-30", UNTIL);
	OB(f, "c1", "publicity", 0, "2025-10-09", "done", false);
	/* 15 working days after Tue 30 Sep: 9, 10, 11, 13-17, 20-24,
	 * 27, 28 Oct. */
	OB(f, "c1", "objection_review", 0, "2025-10-28", "open", false);
	PLAN(f, "2025-10-28", UNTIL);
	OB(f, "c1", "objection_review", 0, "2025-10-28", "open", false);
	PLAN(f, "2025-10-29", UNTIL);
	OB(f, "c1", "objection_review", 0, "2025-10-28", "overdue", false);
}

static void
test_objection_resolved_closes_the_review(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'c1'}");
	ADD(f, "{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'recognized'}");
	PLAN(f, "2025-10-29", UNTIL);
	OB(f, "c1", "objection_review", 0, "2025-10-28", "done", false);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_RECOGNIZED);
}

static void
test_recognition_or_refusal_closes_the_review(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'c1'}");
	ADD(f, "{'type':'recognized','date':'2025-10-20','centre':'c1'}");
	PLAN(f, "2025-10-29", UNTIL);
	OB(f, "c1", "objection_review", 0, "2025-10-28", "done", false);

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'c1'}");
	ADD(f, "{'type':'not_recognized','date':'2025-10-20','centre':'c1'}");
	PLAN(f, "2025-10-29", UNTIL);
	/* What the ending event itself closes is done, not void. */
	OB(f, "c1", "objection_review", 0, "2025-10-28", "done", false);
	OB(f, "c1", "publicity", 0, "2025-10-09", "done", false);
}

static void
test_an_objection_resolved_against_ends_the_centre(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'c1'}");
	ADD(f, "{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'not_recognized'}");
	PLAN(f, "2025-10-29", UNTIL);
	OB(f, "c1", "objection_review", 0, "2025-10-28", "done", false);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_NOT_RECOGNIZED);
}

static void
test_working_day_counts_reaching_december_2026_are_provisional(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2026-11-01','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'publicity_started','date':'2026-12-01','centre':'c1'}",
		"{'type':'objection_received','date':'2026-12-10',"
		    "'centre':'c1'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2026-12-10", UNTIL);
	/* Tue 1 Dec .. Mon 7 Dec; closed by the objection. */
	OB(f, "c1", "publicity", 0, "2026-12-07", "done", true);
	/* Thu 10 Dec: 11, 14-18, 21-25, 28-31 Dec.  Due in 2026, but
	 * 2027's notice may still change December 2026 (rule 5). */
	OB(f, "c1", "objection_review", 0, "2026-12-31", "open", true);
}

static void
test_a_provisional_date_moves_and_keeps_its_key(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2026-12-01','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'publicity_started','date':'2026-12-28','centre':'c1'}",
	};
	struct fx			*f = *state;
	const struct sched_obligation	*o;
	char				*key;

	JOURNAL(f, events);
	PLAN(f, "2026-12-28", UNTIL);
	/* Mon 28 .. Thu 31 Dec, (1 Jan statutory, weekend) Mon 4 Jan. */
	OB(f, "c1", "publicity", 0, "2027-01-04", "open", true);
	o = TU_FIND(f->plan, "c1", "publicity", 0);
	key = strdup(o->key);
	/* 2027's schedule arrives, with 4 Jan a day off. */
	TU_CALENDAR_ADD(f->cal, "cn-holidays-2027.tsv",
	    "date\tkind\tname\n"
	    "2027-01-01\tholiday\t元旦\n"
	    "2027-01-04\tholiday\t元旦\n"
	    "2027-02-08\tholiday\t春节\n");
	PLAN(f, "2026-12-28", UNTIL);
	OB(f, "c1", "publicity", 0, "2027-01-05", "open", false);
	o = TU_FIND(f->plan, "c1", "publicity", 0);
	assert_string_equal(o->key, key);
	free(key);
}

static void
test_fixed_dates_are_never_provisional(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'old',"
		    "'name':'N','unit':'U','legacy':true,"
		    "'director_birth':'1966-07-01'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	ADD(f, "{'type':'evaluation_round','date':'2026-06-01','year':2025,"
	    "'deadline':'2026-12-15'}");
	ADD(f, "{'type':'round_announced','date':'2026-06-01','round':'r',"
	    "'application_deadline':'2027-01-04'}");
	PLAN(f, "2026-06-30", UNTIL);
	OB(f, "old", "evaluation", 2025, "2026-12-15", "open", false);
	OB(f, NULL, "application", 0, "2027-01-04", "open", false);
	OB(f, "old", "director_age", 0, "2027-06-30", "open", false);
	OB(f, "old", "transition", 0, "2027-12-31", "open", false);
	OB(f, "old", "transition_lapse", 0, "2028-01-01", "open", false);
	OB(f, "old", "expert_meeting", 2027, "2027-12-31", "open", false);
}

/* ---- expert_meeting ---- */

static void
test_expert_meetings_start_the_year_after_recognition(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	PLAN(f, "2026-06-30", "2028-12-31");
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 3);
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "open", false);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "open", false);
	OB(f, "c1", "expert_meeting", 2028, "2028-12-31", "open", false);
}

static void
test_expert_meetings_start_no_earlier_than_2026(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2024-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2024-05-01','centre':'c1'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2026-06-30", "2026-12-31");
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 1);
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "open", false);
}

static void
test_a_centre_recognized_in_2026_meets_from_2027(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2026-03-01','centre':'c1'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2026-06-30", "2027-12-31");
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 1);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "open", false);
}

static void
test_expert_meetings_stop_at_the_horizon(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'registered','date':'2025-01-10','centre':'c2',"
	    "'name':'N','unit':'U','director_birth':'1980-05-05'}");
	PLAN(f, "2026-06-30", "2027-12-30");
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 1);
	PLAN(f, "2026-06-30", "2027-12-31");
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 2);
	/* Every other obligation is listed whatever its due date. */
	PLAN(f, "2026-06-30", "2026-06-30");
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 0);
	OB(f, "c2", "director_age", 0, "2041-05-04", "open", false);
	OB(f, NULL, "measures_expiry", 0, "2030-09-07", "open", false);
}

static void
test_no_meetings_without_recognition(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	PLAN(f, "2026-06-30", UNTIL);
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 0);
}

static void
test_an_expert_meeting_is_overdue_after_its_year(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	PLAN(f, "2026-12-31", "2027-12-31");
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "open", false);
	PLAN(f, "2027-01-01", "2027-12-31");
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "overdue", false);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "open", false);
}

static void
test_a_meeting_held_in_its_year_closes_only_that_year(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'expert_meeting_held','date':'2026-06-01',"
	    "'centre':'c1'}");
	PLAN(f, "2027-01-05", "2027-12-31");
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "done", false);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "open", false);

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'expert_meeting_held','date':'2027-01-03',"
	    "'centre':'c1'}");
	PLAN(f, "2027-01-05", "2027-12-31");
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "overdue", false);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "done", false);
}

static void
test_the_meeting_of_the_year_recognition_ends(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'expert_meeting_held','date':'2027-03-01',"
	    "'centre':'c1'}");
	ADD(f, "{'type':'revoked','date':'2027-06-01','centre':'c1',"
	    "'article':15}");
	PLAN(f, "2027-06-30", UNTIL);
	/* 2026 was missed and still pending: void.  2027, held: done.
	 * Nothing after. */
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "void", false);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "done", false);
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 2);

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'revoked','date':'2027-06-01','centre':'c1',"
	    "'article':15}");
	PLAN(f, "2027-06-30", UNTIL);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "void", false);
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 2);
}

static void
test_a_legacy_centre_meets_from_2026_until_it_lapses(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'old',"
		    "'name':'N','unit':'U','legacy':true}",
		"{'type':'expert_meeting_held','date':'2026-05-01',"
		    "'centre':'old'}",
		"{'type':'lapsed','date':'2028-01-05','centre':'old'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2028-01-05", UNTIL);
	OB(f, "old", "expert_meeting", 2026, "2026-12-31", "done", false);
	OB(f, "old", "expert_meeting", 2027, "2027-12-31", "void", false);
	OB(f, "old", "expert_meeting", 2028, "2028-12-31", "void", false);
	assert_int_equal(COUNT(f, "old", "expert_meeting"), 3);
}

static void
test_meetings_resume_the_year_after_a_new_recognition(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':14}");
	ADD(f, "{'type':'applied','date':'2029-04-01','centre':'c1'}");
	ADD(f, "{'type':'recognized','date':'2029-06-01','centre':'c1'}");
	PLAN(f, "2029-06-30", "2030-12-31");
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "void", false);
	OB(f, "c1", "expert_meeting", 2030, "2030-12-31", "open", false);
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 2);
}

/* ---- expert_term and expert_composition ---- */

static void
test_expert_term_runs_five_years_from_the_committee(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':7,'host_members':3}");
	PLAN(f, "2026-01-01", UNTIL);
	OB(f, "c1", "expert_term", 0, "2030-11-02", "open", false);
	assert_int_equal(COUNT(f, "c1", "expert_composition"), 0);
	PLAN(f, "2030-11-02", UNTIL);
	OB(f, "c1", "expert_term", 0, "2030-11-02", "open", false);
	PLAN(f, "2030-11-03", UNTIL);
	OB(f, "c1", "expert_term", 0, "2030-11-02", "overdue", false);
}

static void
test_a_later_committee_closes_the_term(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':7,'host_members':3}");
	ADD(f, "{'type':'committee_formed','date':'2027-01-10','centre':'c1',"
	    "'members':7,'host_members':3}");
	PLAN(f, "2031-01-01", UNTIL);
	assert_int_equal(COUNT(f, "c1", "expert_term"), 2);
	OB_DUE(f, "c1", "expert_term", 0, "2030-11-02", "done");
	OB_DUE(f, "c1", "expert_term", 0, "2032-01-09", "open");
}

static void
test_a_small_committee_opens_a_composition_breach_at_once(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':4,'host_members':1}");
	PLAN(f, "2025-11-03", UNTIL);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "open", false);
	PLAN(f, "2025-11-04", UNTIL);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "overdue", false);
}

static void
test_a_host_heavy_committee_opens_one_breach_at_a_time(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	/* 4 of 6 from the host unit: over half. */
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':6,'host_members':4}");
	ADD(f, "{'type':'committee_formed','date':'2026-01-10','centre':'c1',"
	    "'members':4,'host_members':0}");
	PLAN(f, "2026-02-01", UNTIL);
	assert_int_equal(COUNT(f, "c1", "expert_composition"), 1);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "overdue", false);
	/* A compliant committee closes it. */
	ADD(f, "{'type':'committee_formed','date':'2026-03-01','centre':'c1',"
	    "'members':7,'host_members':3}");
	PLAN(f, "2026-03-01", UNTIL);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "done", false);
	/* A new breach after that is a new obligation. */
	ADD(f, "{'type':'committee_formed','date':'2026-05-01','centre':'c1',"
	    "'members':5,'host_members':3}");
	PLAN(f, "2026-05-01", UNTIL);
	assert_int_equal(COUNT(f, "c1", "expert_composition"), 2);
	OB_DUE(f, "c1", "expert_composition", 0, "2025-11-03", "done");
	OB_DUE(f, "c1", "expert_composition", 0, "2026-05-01", "open");
}

static void
test_exactly_half_from_the_host_unit_and_five_members_comply(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':6,'host_members':3}");
	ADD(f, "{'type':'committee_formed','date':'2025-12-03','centre':'c1',"
	    "'members':5,'host_members':2}");
	PLAN(f, "2026-01-01", UNTIL);
	assert_int_equal(COUNT(f, "c1", "expert_composition"), 0);
}

/* ---- evaluation and abandonment ---- */

/*
 * Centres recognized at various times around the 2025 evaluation round
 * of Thu 2026-01-15 (deadline Tue 2026-03-31).  The round is recorded
 * before the other events of its day, and still applies after them.
 */
static const char *const round_day[] = {
	"{'type':'registered','date':'2025-01-10','centre':'a','name':'N',"
	    "'unit':'U'}",
	"{'type':'recognized','date':'2025-10-20','centre':'a'}",
	"{'type':'registered','date':'2025-01-10','centre':'same','name':'N',"
	    "'unit':'U'}",
	"{'type':'registered','date':'2025-01-10','centre':'next','name':'N',"
	    "'unit':'U'}",
	"{'type':'registered','date':'2025-01-10','centre':'gone','name':'N',"
	    "'unit':'U'}",
	"{'type':'recognized','date':'2025-10-20','centre':'gone'}",
	"{'type':'registered','date':'2025-01-10','centre':'old','name':'N',"
	    "'unit':'U','legacy':true}",
	"{'type':'evaluation_round','date':'2026-01-15','year':2025,"
	    "'deadline':'2026-03-31'}",
	"{'type':'recognized','date':'2026-01-15','centre':'same'}",
	"{'type':'revoked','date':'2026-01-15','centre':'gone','article':13}",
	"{'type':'recognized','date':'2026-01-16','centre':'next'}",
};

static void
test_evaluation_for_centres_recognized_at_the_end_of_the_round_day(
    void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_day);
	PLAN(f, "2026-03-31", "2026-12-31");
	OB(f, "a", "evaluation", 2025, "2026-03-31", "open", false);
	OB(f, "same", "evaluation", 2025, "2026-03-31", "open", false);
	OB(f, "old", "evaluation", 2025, "2026-03-31", "open", false);
	assert_int_equal(COUNT(f, "next", "evaluation"), 0);
	assert_int_equal(COUNT(f, "gone", "evaluation"), 0);
}

static void
test_a_missed_evaluation_opens_an_abandonment_the_next_day(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_day);
	PLAN(f, "2026-03-31", "2026-12-31");
	assert_int_equal(COUNT(f, "a", "abandonment"), 0);
	PLAN(f, "2026-04-01", "2026-12-31");
	OB(f, "a", "evaluation", 2025, "2026-03-31", "overdue", false);
	OB(f, "a", "abandonment", 0, "2026-04-01", "open", false);
	PLAN(f, "2026-04-02", "2026-12-31");
	OB(f, "a", "abandonment", 0, "2026-04-01", "overdue", false);
}

static void
test_a_submission_by_the_deadline_closes_the_evaluation(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_day);
	ADD(f, "{'type':'evaluation_submitted','date':'2026-03-31',"
	    "'centre':'a','year':2025}");
	ADD(f, "{'type':'evaluation_submitted','date':'2026-03-20',"
	    "'centre':'same','year':2024}");
	PLAN(f, "2026-04-10", "2026-12-31");
	OB(f, "a", "evaluation", 2025, "2026-03-31", "done", false);
	assert_int_equal(COUNT(f, "a", "abandonment"), 0);
	/* Another year's submission does not count. */
	OB(f, "same", "evaluation", 2025, "2026-03-31", "overdue", false);
	OB(f, "same", "abandonment", 0, "2026-04-01", "overdue", false);
}

static void
test_a_submission_before_the_round_counts(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'a',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'a'}",
		"{'type':'evaluation_submitted','date':'2026-01-10',"
		    "'centre':'a','year':2025}",
		"{'type':'evaluation_round','date':'2026-01-15','year':2025,"
		    "'deadline':'2026-03-31'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2026-04-10", "2026-12-31");
	OB(f, "a", "evaluation", 2025, "2026-03-31", "done", false);
	assert_int_equal(COUNT(f, "a", "abandonment"), 0);
}

static void
test_a_late_submission_closes_the_abandonment(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_day);
	ADD(f, "{'type':'evaluation_submitted','date':'2026-04-10',"
	    "'centre':'a','year':2025}");
	PLAN(f, "2026-04-10", "2026-12-31");
	OB(f, "a", "evaluation", 2025, "2026-03-31", "done", false);
	OB(f, "a", "abandonment", 0, "2026-04-01", "done", false);
}

static void
test_abandoned_closes_the_abandonment_and_voids_the_rest(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_day);
	ADD(f, "{'type':'abandoned','date':'2026-04-15','centre':'a'}");
	PLAN(f, "2026-04-15", "2026-12-31");
	OB(f, "a", "abandonment", 0, "2026-04-01", "done", false);
	OB(f, "a", "evaluation", 2025, "2026-03-31", "void", false);
	OB(f, "a", "expert_meeting", 2026, "2026-12-31", "void", false);
	/* No ban by default (a rule setting). */
	assert_int_equal(COUNT(f, "a", "reapply_ban"), 0);
}

static void
test_revoked_closes_the_abandonment(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_day);
	ADD(f, "{'type':'revoked','date':'2026-04-15','centre':'a',"
	    "'article':14}");
	PLAN(f, "2026-04-15", "2026-12-31");
	OB(f, "a", "abandonment", 0, "2026-04-01", "done", false);
	OB(f, "a", "evaluation", 2025, "2026-03-31", "void", false);
	OB(f, "a", "reapply_ban", 0, "2029-04-15", "open", false);
}

static void
test_no_abandonment_for_a_centre_revoked_before_the_deadline(
    void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, round_day);
	ADD(f, "{'type':'revoked','date':'2026-02-01','centre':'a',"
	    "'article':15}");
	PLAN(f, "2026-06-01", "2026-12-31");
	OB(f, "a", "evaluation", 2025, "2026-03-31", "void", false);
	assert_int_equal(COUNT(f, "a", "abandonment"), 0);
}

/* ---- rectification and revocation ---- */

static const char *const failed_a[] = {
	"{'type':'registered','date':'2024-01-10','centre':'a','name':'N',"
	    "'unit':'U'}",
	"{'type':'recognized','date':'2024-05-01','centre':'a'}",
	"{'type':'evaluation_result','date':'2026-05-10','centre':'a',"
	    "'year':2025,'grade':'fail','rectify_by':'2026-08-31'}",
};

static void
test_a_fail_opens_a_rectification_until_the_bureaus_date(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, failed_a);
	PLAN(f, "2026-08-31", "2026-12-31");
	OB(f, "a", "rectification", 0, "2026-08-31", "open", false);
	PLAN(f, "2026-09-01", "2026-12-31");
	OB(f, "a", "rectification", 0, "2026-08-31", "overdue", false);
	assert_int_equal(COUNT(f, "a", "revocation"), 0);
}

static void
test_rectification_completed_closes_it(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, failed_a);
	ADD(f, "{'type':'rectification_completed','date':'2026-08-01',"
	    "'centre':'a'}");
	PLAN(f, "2026-09-01", "2026-12-31");
	OB(f, "a", "rectification", 0, "2026-08-31", "done", false);
}

static void
test_rectification_completed_closes_every_open_one(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, failed_a);
	ADD(f, "{'type':'evaluation_result','date':'2026-05-12','centre':'a',"
	    "'year':2023,'grade':'fail','rectify_by':'2026-09-30'}");
	ADD(f, "{'type':'rectification_completed','date':'2026-08-01',"
	    "'centre':'a'}");
	PLAN(f, "2026-10-01", "2026-12-31");
	assert_int_equal(COUNT(f, "a", "rectification"), 2);
	OB_DUE(f, "a", "rectification", 0, "2026-08-31", "done");
	OB_DUE(f, "a", "rectification", 0, "2026-09-30", "done");
	/* 2023 and 2025 are not consecutive. */
	assert_int_equal(COUNT(f, "a", "revocation"), 0);
}

static void
test_two_consecutive_fails_call_for_revocation(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, failed_a);
	ADD(f, "{'type':'evaluation_result','date':'2027-05-10','centre':'a',"
	    "'year':2026,'grade':'fail','rectify_by':'2027-08-31'}");
	PLAN(f, "2027-05-10", "2027-12-31");
	OB(f, "a", "revocation", 0, "2027-05-10", "open", false);
	PLAN(f, "2027-05-11", "2027-12-31");
	OB(f, "a", "revocation", 0, "2027-05-10", "overdue", false);
}

static void
test_revoked_closes_the_revocation_and_voids_what_is_pending(
    void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, failed_a);
	ADD(f, "{'type':'rectification_completed','date':'2026-08-20',"
	    "'centre':'a'}");
	ADD(f, "{'type':'evaluation_result','date':'2027-05-10','centre':'a',"
	    "'year':2026,'grade':'fail','rectify_by':'2027-08-31'}");
	ADD(f, "{'type':'revoked','date':'2027-06-01','centre':'a',"
	    "'article':14}");
	PLAN(f, "2027-06-01", "2027-12-31");
	OB(f, "a", "revocation", 0, "2027-05-10", "done", false);
	OB_DUE(f, "a", "rectification", 0, "2026-08-31", "done");
	OB_DUE(f, "a", "rectification", 0, "2027-08-31", "void");
	OB(f, "a", "reapply_ban", 0, "2030-06-01", "open", false);
	OB(f, "a", "expert_meeting", 2027, "2027-12-31", "void", false);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_REVOKED);
	assert_int_equal(f->plan->centres[0].ban_until, D("2030-06-01"));
}

/* A result given again for the same year (the bureau extending the
 * rectification, a pass between two fails) replaces what the old one
 * opened under the same key: feeds and reminders follow it as one
 * obligation whose date moved.  The key of the replaced one was once
 * still "taken", and the new one became ".../2025#2". */
static void
test_a_result_given_again_keeps_the_keys(void **state)
{
	struct fx			*f = *state;
	const struct sched_obligation	*o;

	JOURNAL(f, failed_a);
	ADD(f, "{'type':'evaluation_result','date':'2026-06-10','centre':'a',"
	    "'year':2025,'grade':'fail','rectify_by':'2026-09-30'}");
	PLAN(f, "2026-07-01", "2026-12-31");
	assert_int_equal(COUNT(f, "a", "rectification"), 1);
	o = TU_FIND_DUE(f->plan, "a", "rectification", 0, "2026-09-30");
	assert_string_equal(o->key, "a/rectification/2025");

	/* Two fails revoke; a pass for one of them takes the revocation
	 * away, and a fail again brings it back, under its first key. */
	ADD(f, "{'type':'evaluation_result','date':'2026-07-01','centre':'a',"
	    "'year':2024,'grade':'fail','rectify_by':'2026-10-30'}");
	ADD(f, "{'type':'evaluation_result','date':'2026-07-02','centre':'a',"
	    "'year':2024,'grade':'pass'}");
	ADD(f, "{'type':'evaluation_result','date':'2026-07-03','centre':'a',"
	    "'year':2024,'grade':'fail','rectify_by':'2026-11-30'}");
	PLAN(f, "2026-07-03", "2026-12-31");
	assert_int_equal(COUNT(f, "a", "revocation"), 1);
	o = TU_FIND(f->plan, "a", "revocation", 0);
	assert_string_equal(o->key, "a/revocation/2025");
	o = TU_FIND_DUE(f->plan, "a", "rectification", 0, "2026-11-30");
	assert_string_equal(o->key, "a/rectification/2024");
}

/* The year a title reads, from keys as rules.md section 4 writes them. */
static void
test_key_year_reads_the_evaluation_year(void **state)
{
	(void)state;
	assert_int_equal(sched_key_year("a/rectification/2025"), 2025);
	assert_int_equal(sched_key_year("a/rectification/2025#2"), 2025);
	assert_int_equal(sched_key_year("a%2Fb/revocation/2024"), 2024);
	assert_int_equal(sched_key_year("yq-9/abandonment/2026"), 2026);
	/* Yearly rules carry their year themselves; others have none. */
	assert_int_equal(sched_key_year("a/expert_meeting/2026"), 0);
	assert_int_equal(sched_key_year("@bureau/application/2026-2"), 0);
	assert_int_equal(sched_key_year("a/rectification/20255"), 0);
	assert_int_equal(sched_key_year("a/rectification/"), 0);
	assert_int_equal(sched_key_year("a/rectification"), 0);
	assert_int_equal(sched_key_year("nonsense"), 0);
	assert_int_equal(sched_key_year(NULL), 0);
}

static void
test_the_second_fail_recorded_late_dates_the_revocation(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, failed_a);
	ADD(f, "{'type':'evaluation_result','date':'2026-05-20','centre':'a',"
	    "'year':2024,'grade':'fail','rectify_by':'2026-09-30'}");
	PLAN(f, "2026-05-20", "2026-12-31");
	OB(f, "a", "revocation", 0, "2026-05-20", "open", false);
}

static void
test_fails_with_a_pass_between_do_not_revoke(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, failed_a);
	ADD(f, "{'type':'evaluation_result','date':'2026-05-11','centre':'a',"
	    "'year':2024,'grade':'pass'}");
	ADD(f, "{'type':'evaluation_result','date':'2026-05-12','centre':'a',"
	    "'year':2023,'grade':'fail','rectify_by':'2026-09-30'}");
	PLAN(f, "2026-06-01", "2026-12-31");
	assert_int_equal(COUNT(f, "a", "revocation"), 0);
}

static void
test_the_latest_result_of_a_year_counts(void **state)
{
	struct fx	*f = *state;

	/* 2024 failed, then was re-graded pass: 2025's fail is alone. */
	JOURNAL(f, failed_a);
	ADD(f, "{'type':'evaluation_result','date':'2026-05-11','centre':'a',"
	    "'year':2024,'grade':'fail','rectify_by':'2026-09-30'}");
	ADD(f, "{'type':'evaluation_result','date':'2026-06-01','centre':'a',"
	    "'year':2024,'grade':'pass'}");
	PLAN(f, "2026-06-01", "2026-12-31");
	assert_int_equal(COUNT(f, "a", "revocation"), 0);
}

/* ---- reapply_ban ---- */

static void
test_reapply_ban_runs_three_years_after_the_revocation(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':14}");
	PLAN(f, "2026-03-15", UNTIL);
	OB(f, "c1", "reapply_ban", 0, "2029-03-15", "open", false);
	PLAN(f, "2029-03-15", UNTIL);
	OB(f, "c1", "reapply_ban", 0, "2029-03-15", "open", false);
	PLAN(f, "2029-03-16", UNTIL);
	OB(f, "c1", "reapply_ban", 0, "2029-03-15", "done", false);
	assert_int_equal(sched_ban_first_allowed(f->j, f->rules, "c1",
	    D("2026-03-15")), D("2029-03-16"));
}

static void
test_the_rule_settings_make_abandonment_and_lapse_ban(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'a',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'a'}",
		"{'type':'abandoned','date':'2026-04-15','centre':'a'}",
		"{'type':'registered','date':'2025-01-10','centre':'old',"
		    "'name':'N','unit':'U','legacy':true}",
		"{'type':'lapsed','date':'2028-01-05','centre':'old'}",
	};
	static const char pack[] = "[pack]\nabandonment_bars_reapply = yes\n"
	    "lapse_bars_reapply = yes\n";
	struct fx	*f = *state;
	char		*error = NULL;

	JOURNAL(f, events);
	PLAN(f, "2028-01-05", UNTIL);
	assert_int_equal(COUNT(f, "a", "reapply_ban"), 0);
	assert_int_equal(COUNT(f, "old", "reapply_ban"), 0);
	assert_int_equal(sched_rules_load(f->rules, "pack.ini", pack,
	    strlen(pack), &error), 0);
	PLAN(f, "2028-01-05", UNTIL);
	OB(f, "a", "reapply_ban", 0, "2029-04-15", "open", false);
	OB(f, "old", "reapply_ban", 0, "2031-01-05", "open", false);
}

/* ---- transition ---- */

static const char *const legacy_old[] = {
	"{'type':'registered','date':'2025-01-10','centre':'old','name':'N',"
	    "'unit':'U','legacy':true}",
};

static void
test_a_legacy_centre_has_both_transition_duties(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, legacy_old);
	PLAN(f, "2027-12-31", "2027-12-31");
	OB(f, "old", "transition", 0, "2027-12-31", "open", false);
	OB(f, "old", "transition_lapse", 0, "2028-01-01", "open", false);
	PLAN(f, "2028-01-01", "2027-12-31");
	OB(f, "old", "transition", 0, "2027-12-31", "overdue", false);
	OB(f, "old", "transition_lapse", 0, "2028-01-01", "open", false);
	PLAN(f, "2028-01-02", "2027-12-31");
	OB(f, "old", "transition", 0, "2027-12-31", "overdue", false);
	OB(f, "old", "transition_lapse", 0, "2028-01-01", "overdue", false);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_LEGACY);
}

static void
test_transition_met_makes_both_done(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, legacy_old);
	ADD(f, "{'type':'transition_met','date':'2027-06-01','centre':'old'}");
	PLAN(f, "2028-01-02", "2027-12-31");
	OB(f, "old", "transition", 0, "2027-12-31", "done", false);
	OB(f, "old", "transition_lapse", 0, "2028-01-01", "done", false);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_RECOGNIZED);
}

static void
test_lapsed_closes_the_lapse_and_voids_the_transition(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, legacy_old);
	ADD(f, "{'type':'lapsed','date':'2028-01-05','centre':'old'}");
	PLAN(f, "2028-01-05", "2027-12-31");
	OB(f, "old", "transition_lapse", 0, "2028-01-01", "done", false);
	OB(f, "old", "transition", 0, "2027-12-31", "void", false);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_LAPSED);
}

static void
test_a_new_centre_has_no_transition(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	PLAN(f, "2026-01-01", UNTIL);
	assert_int_equal(COUNT(f, "c1", "transition"), 0);
	assert_int_equal(COUNT(f, "c1", "transition_lapse"), 0);
}

/* ---- director_age ---- */

static void
test_director_age_is_the_day_before_the_61st_birthday(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U','director_birth':'1966-07-01'}",
		"{'type':'registered','date':'2025-01-10','centre':'c2',"
		    "'name':'N','unit':'U','director_birth':'1967-03-01'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2027-06-30", UNTIL);
	OB(f, "c1", "director_age", 0, "2027-06-30", "open", false);
	OB(f, "c2", "director_age", 0, "2028-02-29", "open", false);
	PLAN(f, "2027-07-01", UNTIL);
	OB(f, "c1", "director_age", 0, "2027-06-30", "overdue", false);
}

static void
test_director_changed_closes_and_starts_the_next(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U','director_birth':'1966-07-01'}",
		"{'type':'director_changed','date':'2027-03-01','centre':'c1',"
		    "'director_birth':'1970-02-15'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2027-07-01", UNTIL);
	assert_int_equal(COUNT(f, "c1", "director_age"), 2);
	OB_DUE(f, "c1", "director_age", 0, "2027-06-30", "done");
	OB_DUE(f, "c1", "director_age", 0, "2031-02-14", "open");
}

/* ---- when a centre ends ---- */

static void
test_a_period_running_when_the_centre_ends_is_void(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'not_recognized','date':'2025-10-05','centre':'c1'}");
	PLAN(f, "2025-10-20", UNTIL);
	OB(f, "c1", "publicity", 0, "2025-10-09", "void", false);
}

static void
test_a_period_run_out_before_the_centre_ends_is_done(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'not_recognized','date':'2025-10-15','centre':'c1'}");
	PLAN(f, "2025-10-20", UNTIL);
	OB(f, "c1", "publicity", 0, "2025-10-09", "done", false);
}

static const char *const ended_c1[] = {
	"{'type':'registered','date':'2025-01-10','centre':'c1','name':'N',"
	    "'unit':'U','director_birth':'1975-01-01'}",
	"{'type':'recognized','date':'2025-10-20','centre':'c1'}",
	"{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':4,'host_members':1}",
	"{'type':'revoked','date':'2026-03-15','centre':'c1','article':14}",
};

static void
test_centre_duties_are_void_while_it_is_ended(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, ended_c1);
	PLAN(f, "2026-06-01", UNTIL);
	OB(f, "c1", "expert_term", 0, "2030-11-02", "void", false);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "void", false);
	OB(f, "c1", "director_age", 0, "2035-12-31", "void", false);
	/* The ban is never void. */
	OB(f, "c1", "reapply_ban", 0, "2029-03-15", "open", false);
}

static void
test_an_application_brings_the_centre_duties_back(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, ended_c1);
	ADD(f, "{'type':'applied','date':'2029-04-01','centre':'c1'}");
	PLAN(f, "2029-04-02", UNTIL);
	OB(f, "c1", "expert_term", 0, "2030-11-02", "open", false);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "overdue", false);
	OB(f, "c1", "director_age", 0, "2035-12-31", "open", false);
	OB(f, "c1", "reapply_ban", 0, "2029-03-15", "done", false);
}

static void
test_a_recognition_brings_the_centre_duties_back(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U','director_birth':'1975-01-01'}",
		"{'type':'applied','date':'2025-03-01','centre':'c1'}",
		"{'type':'not_recognized','date':'2025-10-20','centre':'c1'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2025-11-01", UNTIL);
	OB(f, "c1", "director_age", 0, "2035-12-31", "void", false);
	ADD(f, "{'type':'recognized','date':'2025-12-01','centre':'c1'}");
	PLAN(f, "2025-12-01", UNTIL);
	OB(f, "c1", "director_age", 0, "2035-12-31", "open", false);
}

static void
test_publicity_started_on_a_holiday_counts_from_the_next_working_day(
    void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-09-01','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'publicity_started','date':'2025-10-01','centre':'c1'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2025-10-01", UNTIL);
	/* Thu 9, Fri 10, Sat 11 (make-up), Mon 13, Tue 14 Oct. */
	OB(f, "c1", "publicity", 0, "2025-10-14", "open", false);
}

/* Art. 203 moves no calendar date: a holiday or weekend due stays. */
static void
test_calendar_dates_are_not_moved_off_days_off(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'evaluation_result','date':'2026-05-10','centre':'c1',"
	    "'year':2024,'grade':'fail','rectify_by':'2026-05-31'}");
	ADD(f, "{'type':'round_announced','date':'2026-09-01','round':'r',"
	    "'application_deadline':'2026-10-03'}");
	ADD(f, "{'type':'evaluation_round','date':'2026-09-01','year':2025,"
	    "'deadline':'2026-10-01'}");
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':7,'host_members':3}");
	PLAN(f, "2026-10-02", UNTIL);
	OB(f, "c1", "rectification", 0, "2026-05-31", "overdue", false);
	OB(f, NULL, "application", 0, "2026-10-03", "open", false);
	OB(f, "c1", "evaluation", 2025, "2026-10-01", "overdue", false);
	OB(f, "c1", "abandonment", 0, "2026-10-02", "open", false);
	OB(f, "c1", "expert_term", 0, "2030-11-02", "open", false);
}

/* DOMAIN.md's lifecycle, one event at a time. */
static void
assert_centre(struct fx *f, const char *as_of, const char *name,
    const char *since)
{
	PLAN(f, as_of, UNTIL);
	assert_int_equal(f->plan->ncentres, 1);
	assert_string_equal(f->plan->centres[0].id, "c1");
	assert_string_equal(sched_centre_state_name(f->plan->centres[0].state),
	    name);
	assert_int_equal(f->plan->centres[0].since, D(since));
}

static void
test_centre_states_follow_the_lifecycle(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	assert_centre(f, "2025-01-10", "registered", "2025-01-10");
	assert_int_equal(f->plan->centres[0].registered, D("2025-01-10"));
	assert_int_equal(f->plan->centres[0].ban_until, SCHED_NO_DAY);
	ADD(f, "{'type':'applied','date':'2025-03-01','centre':'c1'}");
	assert_centre(f, "2025-03-01", "applicant", "2025-03-01");
	ADD(f, "{'type':'recommended','date':'2025-04-01','centre':'c1'}");
	assert_centre(f, "2025-04-01", "recommended", "2025-04-01");
	ADD(f, "{'type':'publicity_started','date':'2025-09-26','centre':'c1'}");
	assert_centre(f, "2025-09-26", "in_publicity", "2025-09-26");
	ADD(f, "{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'c1'}");
	PLAN(f, "2025-09-30", UNTIL);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_OBJECTION);
	ADD(f, "{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'recognized'}");
	assert_centre(f, "2025-10-20", "recognized", "2025-10-20");
	ADD(f, "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':14}");
	assert_centre(f, "2026-03-15", "revoked", "2026-03-15");
	assert_int_equal(f->plan->centres[0].ban_until, D("2029-03-15"));
}

static void
test_events_of_one_day_apply_in_recorded_order(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':4,'host_members':1}");
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':7,'host_members':3}");
	PLAN(f, "2025-11-03", UNTIL);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "done", false);

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':7,'host_members':3}");
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'c1',"
	    "'members':4,'host_members':1}");
	PLAN(f, "2025-11-03", UNTIL);
	OB(f, "c1", "expert_composition", 0, "2025-11-03", "open", false);
}

static void
test_events_apply_in_date_order_not_recorded_order(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'committee_formed','date':'2026-01-10','centre':'c1',"
	    "'members':4,'host_members':1}");
	ADD(f, "{'type':'committee_formed','date':'2025-12-01','centre':'c1',"
	    "'members':7,'host_members':3}");
	PLAN(f, "2026-01-10", UNTIL);
	OB(f, "c1", "expert_composition", 0, "2026-01-10", "open", false);
	OB_DUE(f, "c1", "expert_term", 0, "2030-11-30", "done");
	OB_DUE(f, "c1", "expert_term", 0, "2031-01-09", "open");
}

/* ---- retractions ---- */

static void
test_a_retracted_revocation_is_as_if_never_recorded(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, recognized_c1);
	ADD(f, "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':14,'id':'rv1'}");
	ADD(f, "{'type':'retracted','date':'2026-04-01','event':'rv1',"
	    "'reason':'录入错误','id':'x1'}");
	PLAN(f, "2026-06-30", "2027-12-31");
	assert_int_equal(COUNT(f, "c1", "reapply_ban"), 0);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_RECOGNIZED);
	assert_int_equal(f->plan->centres[0].ban_until, SCHED_NO_DAY);
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "open", false);
	OB(f, "c1", "expert_meeting", 2027, "2027-12-31", "open", false);
	/* Retracting the retraction brings the revocation back. */
	ADD(f, "{'type':'retracted','date':'2026-05-01','event':'x1',"
	    "'reason':'撤回有误'}");
	PLAN(f, "2026-06-30", "2027-12-31");
	OB(f, "c1", "reapply_ban", 0, "2029-03-15", "open", false);
	OB(f, "c1", "expert_meeting", 2026, "2026-12-31", "void", false);
	assert_int_equal(COUNT(f, "c1", "expert_meeting"), 1);
	assert_int_equal(f->plan->centres[0].state, SCHED_C_REVOKED);
}

static void
test_a_retracted_publicity_opens_nothing(void **state)
{
	struct fx	*f = *state;

	JOURNAL(f, publicity_c1);
	ADD(f, "{'type':'retracted','date':'2025-09-29','event':'pub1',"
	    "'reason':'r'}");
	PLAN(f, "2025-09-29", UNTIL);
	assert_int_equal(COUNT(f, "c1", "publicity"), 0);
}

static void
test_a_retracted_registration_removes_the_centre(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U','director_birth':'1966-07-01',"
		    "'id':'reg1'}",
		"{'type':'retracted','date':'2025-01-11','event':'reg1',"
		    "'reason':'r'}",
	};
	struct fx	*f = *state;

	JOURNAL(f, events);
	PLAN(f, "2025-02-01", UNTIL);
	assert_int_equal(f->plan->ncentres, 0);
	assert_int_equal(COUNT(f, "c1", "director_age"), 0);
}

/* ---- the plan as a whole ---- */

static void
test_output_is_sorted_by_due_bureau_centre_rule_year(void **state)
{
	static const char *const events[] = {
		"{'type':'round_announced','date':'2026-01-05','round':'r',"
		    "'application_deadline':'2026-03-31'}",
		"{'type':'registered','date':'2025-01-10','centre':'b',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'b'}",
		"{'type':'registered','date':'2025-01-10','centre':'a',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'a'}",
		"{'type':'evaluation_round','date':'2026-01-15','year':2025,"
		    "'deadline':'2026-03-31'}",
		"{'type':'evaluation_round','date':'2026-01-10','year':2024,"
		    "'deadline':'2026-03-31'}",
		"{'type':'evaluation_result','date':'2026-01-20','centre':'a',"
		    "'year':2024,'grade':'fail','rectify_by':'2026-03-31'}",
	};
	static const struct {
		const char	*centre;
		const char	*rule;
		int		 year;
		const char	*due;
	} want[] = {
		{ NULL, "application", 0, "2026-03-31" },
		{ "a", "evaluation", 2024, "2026-03-31" },
		{ "a", "evaluation", 2025, "2026-03-31" },
		{ "a", "rectification", 0, "2026-03-31" },
		{ "b", "evaluation", 2024, "2026-03-31" },
		{ "b", "evaluation", 2025, "2026-03-31" },
		{ "a", "expert_meeting", 2026, "2026-12-31" },
		{ "b", "expert_meeting", 2026, "2026-12-31" },
		{ NULL, "measures_expiry", 0, "2030-09-07" },
	};
	struct fx	*f = *state;
	char		 due[SCHED_DATE_LEN];
	size_t		 i;

	JOURNAL(f, events);
	PLAN(f, "2026-03-01", "2026-12-31");
	if (f->plan->count != TU_NITEMS(want)) {
		tu_print_plan(f->plan);
		fail_msg("%zu obligations, not %zu", f->plan->count,
		    TU_NITEMS(want));
	}
	for (i = 0; i < TU_NITEMS(want); i++) {
		const struct sched_obligation *o = &f->plan->obligations[i];

		if (!tu_same_centre(o->centre, want[i].centre) ||
		    strcmp(sched_rule_name(o->rule), want[i].rule) != 0 ||
		    o->year != want[i].year ||
		    strcmp(sched_date_format(o->due, due), want[i].due) != 0) {
			tu_print_plan(f->plan);
			fail_msg("position %zu: expected %s %s %d %s", i,
			    want[i].centre ? want[i].centre : "(bureau)",
			    want[i].rule, want[i].year, want[i].due);
		}
	}
}

/* A plan with a bit of everything, for the properties below. */
static void
busy_journal(struct fx *f)
{
	JOURNAL(f, round_day);
	ADD(f, "{'type':'round_announced','date':'2025-10-01','round':'2025-1',"
	    "'application_deadline':'2025-11-30',"
	    "'recommendation_deadline':'2025-12-15'}");
	ADD(f, "{'type':'registered','date':'2025-09-01','centre':'p',"
	    "'name':'N','unit':'U','director_birth':'1966-07-01'}");
	ADD(f, "{'type':'publicity_started','date':'2025-09-26','centre':'p'}");
	ADD(f, "{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'p'}");
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'a',"
	    "'members':4,'host_members':1}");
	ADD(f, "{'type':'committee_formed','date':'2025-11-03','centre':'a',"
	    "'members':4,'host_members':1}");
	ADD(f, "{'type':'evaluation_result','date':'2026-05-10','centre':'a',"
	    "'year':2025,'grade':'fail','rectify_by':'2026-08-31'}");
}

static void
test_keys_are_unique_and_stable_as_states_change(void **state)
{
	struct fx		*f = *state;
	struct sched_plan	*early;
	size_t			 i, k;

	busy_journal(f);
	early = TU_PLAN(f->j, f->cal, f->rules, "2026-06-01", "2028-12-31");
	PLAN(f, "2029-01-01", "2028-12-31");
	assert_int_equal(early->count, f->plan->count);
	for (i = 0; i < f->plan->count; i++) {
		for (k = i + 1; k < f->plan->count; k++) {
			if (strcmp(f->plan->obligations[i].key,
			    f->plan->obligations[k].key) == 0)
				fail_msg("key %s twice",
				    f->plan->obligations[i].key);
		}
		/* The same obligation, found by key, in the earlier plan. */
		for (k = 0; k < early->count; k++) {
			if (strcmp(early->obligations[k].key,
			    f->plan->obligations[i].key) == 0)
				break;
		}
		if (k == early->count)
			fail_msg("key %s is not in the earlier plan",
			    f->plan->obligations[i].key);
		assert_int_equal(early->obligations[k].rule,
		    f->plan->obligations[i].rule);
		assert_int_equal(early->obligations[k].due,
		    f->plan->obligations[i].due);
	}
	sched_plan_free(early);
}

/* Every key tells its rule back (the page a feed entry links to is found
 * by it); what is not a key is refused. */
static void
test_a_key_tells_its_rule(void **state)
{
	struct fx		*f = *state;
	enum sched_rule		 r;
	size_t			 i;
	bool			 bureau = false;

	busy_journal(f);
	ADD(f, "{'type':'registered','date':'2025-09-01','centre':'q/1#2',"
	    "'name':'N','unit':'U'}");
	PLAN(f, "2029-01-01", "2028-12-31");
	for (i = 0; i < f->plan->count; i++) {
		const struct sched_obligation *o = &f->plan->obligations[i];

		if (sched_key_rule(o->key, &r) != 0)
			fail_msg("key %s refused", o->key);
		assert_int_equal(r, o->rule);
		bureau = bureau || o->centre == NULL;
	}
	assert_true(bureau);
	assert_int_equal(sched_key_rule("", &r), -1);
	assert_int_equal(sched_key_rule("q", &r), -1);
	assert_int_equal(sched_key_rule("/evaluation", &r), -1);
	assert_int_equal(sched_key_rule("q/no_such_rule", &r), -1);
	assert_int_equal(sched_key_rule("zz/evaluation#3", &r), 0);
	assert_int_equal(r, SCHED_R_EVALUATION);
}

static void
test_every_plan_is_in_order(void **state)
{
	struct fx	*f = *state;
	size_t		 i;

	busy_journal(f);
	PLAN(f, "2026-06-01", "2028-12-31");
	for (i = 1; i < f->plan->count; i++) {
		const struct sched_obligation *x = &f->plan->obligations[i - 1];
		const struct sched_obligation *y = &f->plan->obligations[i];
		int c;

		if (x->due != y->due) {
			if (x->due > y->due)
				break;
			continue;
		}
		if ((x->centre == NULL) != (y->centre == NULL)) {
			if (y->centre == NULL)
				break;
			continue;
		}
		if (x->centre != NULL && (c = strcmp(x->centre,
		    y->centre)) != 0) {
			if (c > 0)
				break;
			continue;
		}
		if ((c = strcmp(sched_rule_name(x->rule),
		    sched_rule_name(y->rule))) != 0) {
			if (c > 0)
				break;
			continue;
		}
		if (x->year > y->year)
			break;
	}
	if (i < f->plan->count) {
		tu_print_plan(f->plan);
		fail_msg("obligations %zu and %zu are out of order", i - 1, i);
	}
}

static void
test_an_obligation_as_json(void **state)
{
	struct fx			*f = *state;
	const struct sched_obligation	*o;
	json_t				*v;

	JOURNAL(f, round_day);
	ADD(f, "{'type':'round_announced','date':'2025-10-01','round':'r',"
	    "'application_deadline':'2025-11-30'}");
	PLAN(f, "2026-03-31", "2026-12-31");
	o = TU_FIND(f->plan, "a", "evaluation", 2025);
	v = sched_obligation_to_json(o, f->rules);
	assert_string_equal(json_string_value(json_object_get(v, "key")),
	    o->key);
	assert_string_equal(json_string_value(json_object_get(v, "centre")),
	    "a");
	assert_string_equal(json_string_value(json_object_get(v, "rule")),
	    "evaluation");
	assert_string_equal(json_string_value(json_object_get(v, "article")),
	    "14");
	assert_string_equal(json_string_value(json_object_get(v, "due")),
	    "2026-03-31");
	assert_string_equal(json_string_value(json_object_get(v, "state")),
	    "open");
	assert_true(json_is_false(json_object_get(v, "provisional")));
	assert_int_equal(json_integer_value(json_object_get(v, "year")), 2025);
	json_decref(v);
	o = TU_FIND(f->plan, NULL, "application", 0);
	v = sched_obligation_to_json(o, f->rules);
	assert_true(json_is_null(json_object_get(v, "centre")));
	assert_null(json_object_get(v, "year"));
	assert_string_equal(json_string_value(json_object_get(v, "article")),
	    "7(1)(2)");
	assert_string_equal(json_string_value(json_object_get(v, "state")),
	    "done");
	json_decref(v);
}

/* Text that jansson escapes or refuses, in every place a string goes. */
#define AWKWARD_CENTRE	"'c/\u00e9 \\u0022q\\u0022'"
static const char *const awkward[] = {
	"{'type':'registered','date':'2025-01-10','centre':" AWKWARD_CENTRE ","
	    "'name':'名\\ttab','unit':'单位 \\u0022quoted\\u0022 \\\\ "
	    "\\n\\u0001\\u001f\\u007f'}",
	"{'type':'recognized','date':'2025-10-20','centre':" AWKWARD_CENTRE "}",
	"{'type':'round_announced','date':'2025-10-01',"
	    "'round':'r/1 \\u0022x\\u0022',"
	    "'application_deadline':'2025-11-30'}",
	"{'type':'evaluation_round','date':'2026-02-23','year':2025,"
	    "'deadline':'2026-03-27'}",
	"{'type':'evaluation_result','date':'2026-06-01','centre':"
	    AWKWARD_CENTRE ",'year':2025,'grade':'fail',"
	    "'rectify_by':'2026-09-30'}",
};

/* A title with escapes; and one that is not UTF-8 (json_string refuses
 * it: the member is left out), set in the rules directly since the pack's
 * loader refuses such a line. */
static const char awkward_rules[] =
	"[publicity]\ntitle = say \"hi\" \\ back\\slash\n";

static void
test_the_text_dump_is_what_jansson_writes(void **state)
{
	struct fx	*f = *state;
	struct sched_plan *plan;
	struct buf	 b;
	char		*want, *error = NULL;
	size_t		 i, omitted = 0, escaped = 0;
	json_t		*v;
	enum sched_rule	 evaluation;

	assert_int_equal(sched_rules_load(f->rules, "awkward.ini",
	    awkward_rules, strlen(awkward_rules), &error), 0);
	assert_int_equal(sched_rule_from_name("evaluation", &evaluation), 0);
	free(f->rules->text[evaluation].title);
	f->rules->text[evaluation].title = strdup("bad \xff byte");
	JOURNAL(f, awkward);
	plan = sched_plan(f->j, f->cal, f->rules, D("2026-11-28"),
	    D("2027-12-31"), SCHED_PLAN_EXPLAIN);
	assert_true(plan->count > 5);
	buf_init(&b);
	for (i = 0; i < plan->count; i++) {
		v = sched_obligation_to_json(&plan->obligations[i], f->rules);
		want = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		b.len = 0;
		sched_obligation_dump(&plan->obligations[i], f->rules, &b);
		assert_string_equal(b.data, want);
		omitted += strstr(want, "\"title\"") == NULL;
		escaped += strstr(want, "\\u0001\\u001F") != NULL;
		free(want);
		json_decref(v);
	}
	/* The journal did reach both cases. */
	assert_true(omitted > 0);
	assert_true(escaped > 0);
	buf_free(&b);
	sched_plan_free(plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_measures_expiry_is_always_listed),
		T(test_application_and_recommendation_run_out),
		T(test_a_round_without_recommendation_deadline),
		T(test_publicity_is_open_through_its_due_day_then_done),
		T(test_an_objection_closes_publicity_and_opens_its_review),
		T(test_objection_resolved_closes_the_review),
		T(test_recognition_or_refusal_closes_the_review),
		T(test_an_objection_resolved_against_ends_the_centre),
		T(test_working_day_counts_reaching_december_2026_are_provisional),
		T(test_a_provisional_date_moves_and_keeps_its_key),
		T(test_fixed_dates_are_never_provisional),
		T(test_expert_meetings_start_the_year_after_recognition),
		T(test_expert_meetings_start_no_earlier_than_2026),
		T(test_a_centre_recognized_in_2026_meets_from_2027),
		T(test_expert_meetings_stop_at_the_horizon),
		T(test_no_meetings_without_recognition),
		T(test_an_expert_meeting_is_overdue_after_its_year),
		T(test_a_meeting_held_in_its_year_closes_only_that_year),
		T(test_the_meeting_of_the_year_recognition_ends),
		T(test_a_legacy_centre_meets_from_2026_until_it_lapses),
		T(test_meetings_resume_the_year_after_a_new_recognition),
		T(test_expert_term_runs_five_years_from_the_committee),
		T(test_a_later_committee_closes_the_term),
		T(test_a_small_committee_opens_a_composition_breach_at_once),
		T(test_a_host_heavy_committee_opens_one_breach_at_a_time),
		T(test_exactly_half_from_the_host_unit_and_five_members_comply),
		T(test_evaluation_for_centres_recognized_at_the_end_of_the_round_day),
		T(test_a_missed_evaluation_opens_an_abandonment_the_next_day),
		T(test_a_submission_by_the_deadline_closes_the_evaluation),
		T(test_a_submission_before_the_round_counts),
		T(test_a_late_submission_closes_the_abandonment),
		T(test_abandoned_closes_the_abandonment_and_voids_the_rest),
		T(test_revoked_closes_the_abandonment),
		T(test_no_abandonment_for_a_centre_revoked_before_the_deadline),
		T(test_a_fail_opens_a_rectification_until_the_bureaus_date),
		T(test_rectification_completed_closes_it),
		T(test_rectification_completed_closes_every_open_one),
		T(test_two_consecutive_fails_call_for_revocation),
		T(test_revoked_closes_the_revocation_and_voids_what_is_pending),
		T(test_a_result_given_again_keeps_the_keys),
		T(test_key_year_reads_the_evaluation_year),
		T(test_the_second_fail_recorded_late_dates_the_revocation),
		T(test_fails_with_a_pass_between_do_not_revoke),
		T(test_the_latest_result_of_a_year_counts),
		T(test_reapply_ban_runs_three_years_after_the_revocation),
		T(test_the_rule_settings_make_abandonment_and_lapse_ban),
		T(test_a_legacy_centre_has_both_transition_duties),
		T(test_transition_met_makes_both_done),
		T(test_lapsed_closes_the_lapse_and_voids_the_transition),
		T(test_a_new_centre_has_no_transition),
		T(test_director_age_is_the_day_before_the_61st_birthday),
		T(test_director_changed_closes_and_starts_the_next),
		T(test_a_period_running_when_the_centre_ends_is_void),
		T(test_a_period_run_out_before_the_centre_ends_is_done),
		T(test_centre_duties_are_void_while_it_is_ended),
		T(test_an_application_brings_the_centre_duties_back),
		T(test_a_recognition_brings_the_centre_duties_back),
		T(test_publicity_started_on_a_holiday_counts_from_the_next_working_day),
		T(test_calendar_dates_are_not_moved_off_days_off),
		T(test_centre_states_follow_the_lifecycle),
		T(test_events_of_one_day_apply_in_recorded_order),
		T(test_events_apply_in_date_order_not_recorded_order),
		T(test_a_retracted_revocation_is_as_if_never_recorded),
		T(test_a_retracted_publicity_opens_nothing),
		T(test_a_retracted_registration_removes_the_centre),
		T(test_output_is_sorted_by_due_bureau_centre_rule_year),
		T(test_keys_are_unique_and_stable_as_states_change),
		T(test_a_key_tells_its_rule),
		T(test_every_plan_is_in_order),
		T(test_an_obligation_as_json),
		T(test_the_text_dump_is_what_jansson_writes),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
