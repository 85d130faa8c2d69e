/*
 * test_journal.c: the journal's refusals (scheduler/journal.c), each from
 * DOMAIN.md's list "An event is refused, with the reason, and changes
 * nothing when", the ban of Art. 16, and retractions: refused when they
 * name an unknown or retracted event or would make a later event
 * invalid; undone by sched_journal_pop; retracting a retraction brings
 * its event back.  TU_REFUSE also checks that the count is unchanged.
 */
#include "tests/unit/testutil.h"

#define TODAY	"2026-06-30"

static const char *const registered_c1[] = {
	"{'type':'registered','date':'2025-01-10','centre':'c1','name':'中心一',"
	    "'unit':'城区科技局','id':'reg1'}",
};

/* c1 registered, recognized, then revoked under Art. 14 on 2026-03-15. */
static const char *const revoked_c1[] = {
	"{'type':'registered','date':'2025-01-10','centre':'c1','name':'中心一',"
	    "'unit':'城区科技局','id':'reg1'}",
	"{'type':'recognized','date':'2025-10-20','centre':'c1','id':'rec1'}",
	"{'type':'revoked','date':'2026-03-15','centre':'c1','article':14,"
	    "'id':'rv1'}",
};

struct fx {
	struct sched_rules	*rules;
	struct sched_journal	*j;
	int			 today;
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	f->rules = sched_rules_new();
	f->today = D(TODAY);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	sched_journal_free(f->j);
	sched_rules_free(f->rules);
	free(f);
	return 0;
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

/* ---- the centre ---- */

static void
test_an_event_of_an_unregistered_centre_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-02-01','centre':'c9'}", "\"c9\"");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'recognized','date':'2025-02-01','centre':'C1'}",
	    "\"C1\"");
}

static void
test_a_centre_registered_twice_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'registered','date':'2025-03-01','centre':'c1','name':'N',"
	    "'unit':'U'}", "\"c1\"");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'registered','date':'2025-03-01','centre':'c1','name':'N',"
	    "'unit':'U'}", "twice");
	/* Another centre is fine. */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'registered','date':'2025-03-01','centre':'c2','name':'N',"
	    "'unit':'U'}");
}

/* ---- the date ---- */

static void
test_an_event_dated_after_today_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-07-01','centre':'c1'}",
	    "2026-07-01");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'evaluation_round','date':'2026-07-01','year':2025,"
	    "'deadline':'2026-09-30'}", "2026-07-01");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'registered','date':'2027-01-01','centre':'c2',"
	    "'name':'N','unit':'U'}", "2027-01-01");
	/* Today itself is fine. */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-06-30','centre':'c1'}");
}

static void
test_an_event_dated_before_its_registration_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-01-09','centre':'c1'}",
	    "2025-01-09");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-01-09','centre':'c1'}",
	    "2025-01-10");
	/* The day of the registration is fine. */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-01-10','centre':'c1'}");
}

static void
test_events_are_accepted_in_any_order(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'recognized','date':'2025-10-20','centre':'c1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'publicity_started','date':'2025-09-26','centre':'c1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'recognized','date':'2025-10-21','centre':'c1'}");
	assert_int_equal(sched_journal_count(f->j), 5);
}

/* ---- never recognized ---- */

static void
test_evaluation_and_revocation_of_a_never_recognized_centre(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'not_recognized','date':'2025-10-20','centre':'c1'}");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'evaluation_submitted','date':'2026-03-01','centre':'c1',"
	    "'year':2025}", "never recognized");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'evaluation_result','date':'2026-05-10','centre':'c1',"
	    "'year':2025,'grade':'pass'}", "never recognized");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':14}", "never recognized");
}

static void
test_a_legacy_or_objection_recognized_centre_counts(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'old',"
		    "'name':'N','unit':'U','legacy':true}",
		"{'type':'registered','date':'2025-01-10','centre':'obj',"
		    "'name':'N','unit':'U'}",
		"{'type':'objection_resolved','date':'2025-10-20',"
		    "'centre':'obj','outcome':'recognized'}",
	};
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, events);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'evaluation_submitted','date':'2026-03-01',"
	    "'centre':'old','year':2025}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'evaluation_result','date':'2026-05-10','centre':'obj',"
	    "'year':2025,'grade':'pass'}");
	/* Once recognized, always "ever recognized": after a revocation
	 * a late result is still recorded. */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'revoked','date':'2026-05-20','centre':'obj',"
	    "'article':13}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'evaluation_result','date':'2026-05-25','centre':'obj',"
	    "'year':2024,'grade':'good'}");
}

static void
test_an_objection_resolved_against_does_not_recognize(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'objection_resolved','date':'2025-10-20',"
		    "'centre':'c1','outcome':'not_recognized'}",
	};
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, events);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'evaluation_submitted','date':'2026-03-01','centre':'c1',"
	    "'year':2025}", "never recognized");
}

/* ---- Art. 16: the ban ---- */

static void
test_an_application_during_the_ban_is_refused(void **state)
{
	struct fx	*f = *state;
	int		 today = D("2029-12-31");

	f->j = TU_JOURNAL(f->rules, today, revoked_c1);
	/* From the revocation day through 2029-03-15, its third
	 * anniversary (DOMAIN rules 2 and 3). */
	TU_REFUSE(f->j, f->rules, today,
	    "{'type':'applied','date':'2026-03-15','centre':'c1'}", "Art. 16");
	TU_REFUSE(f->j, f->rules, today,
	    "{'type':'applied','date':'2027-01-01','centre':'c1'}",
	    "2029-03-16");
	TU_REFUSE(f->j, f->rules, today,
	    "{'type':'applied','date':'2029-03-15','centre':'c1'}", "Art. 16");
	TU_REFUSE(f->j, f->rules, today,
	    "{'type':'applied','date':'2029-03-15','centre':'c1'}",
	    "2029-03-16");
	assert_int_equal(sched_ban_first_allowed(f->j, f->rules, "c1",
	    D("2027-01-01")), D("2029-03-16"));
	assert_int_equal(sched_ban_first_allowed(f->j, f->rules, "c1",
	    D("2029-03-15")), D("2029-03-16"));
}

static void
test_the_first_allowed_day_is_accepted(void **state)
{
	struct fx	*f = *state;
	int		 today = D("2029-12-31");

	f->j = TU_JOURNAL(f->rules, today, revoked_c1);
	assert_int_equal(sched_ban_first_allowed(f->j, f->rules, "c1",
	    D("2029-03-16")), SCHED_NO_DAY);
	TU_ADD(f->j, f->rules, today,
	    "{'type':'applied','date':'2029-03-16','centre':'c1'}");
}

static void
test_an_application_before_the_revocation_is_not_banned(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, revoked_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-03-14','centre':'c1'}");
}

/* A revocation entered late, dated before an application already
 * recorded: the application could not have been accepted, and kept it
 * would bring the centre's duties back inside the ban (the journal then
 * held what ticd refuses the other way round).  Refused, naming it;
 * once that application is retracted, the revocation goes in. */
static void
test_a_ban_recorded_over_an_application_is_refused(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2023-01-05','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2024-01-05','centre':'c1'}",
		"{'type':'applied','date':'2026-05-01','centre':'c1',"
		    "'id':'app1'}",
	};
	struct fx	*f = *state;
	int		 today = D("2026-06-01");

	f->j = TU_JOURNAL(f->rules, today, events);
	TU_REFUSE(f->j, f->rules, today,
	    "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':13}", "\"app1\"");
	TU_REFUSE(f->j, f->rules, today,
	    "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':13}", "2029-03-15");
	/* After the application: no ban over it. */
	TU_ADD(f->j, f->rules, today,
	    "{'type':'retracted','date':'2026-06-01','event':'app1',"
	    "'reason':'applied during the ban'}");
	TU_ADD(f->j, f->rules, today,
	    "{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':13}");
}

/* A director born after the event (2966 for 1966) is a typo: refused
 * when recorded, or the age limit of Art. 9 would never be reached,
 * without a word. */
static void
test_a_director_born_after_the_event_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, revoked_c1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'registered','date':'2024-03-01','centre':'c2',"
	    "'name':'N','unit':'U','director_birth':'2966-07-01'}",
	    "director_birth (2966-07-01) is after the event's date 2024-03-01");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'director_changed','date':'2026-03-01','centre':'c1',"
	    "'director_birth':'2026-03-02'}", "晚于事件日期");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'director_changed','date':'2026-03-01','centre':'c1',"
	    "'director_birth':'1966-07-01'}");
}

/* A store an older ticd wrote may hold what today's checks refuse (a
 * director born in 2966, a revocation recorded over an application):
 * it loads, and an unrelated retraction of the same centre is still
 * taken (it was refused for those events); one that makes a misfit of
 * its own is still refused. */
static void
test_older_misfits_do_not_block_a_retraction(void **state)
{
	static const char *const stored[] = {
		"{'type':'registered','date':'2024-01-02','centre':'c1',"
		    "'name':'N','unit':'U','director_birth':'2966-07-01'}",
		"{'type':'recognized','date':'2024-06-03','centre':'c1',"
		    "'id':'rec1'}",
		"{'type':'expert_meeting_held','date':'2025-05-06',"
		    "'centre':'c1','id':'m1'}",
		"{'type':'evaluation_submitted','date':'2025-12-01',"
		    "'centre':'c1','year':2025}",
		"{'type':'applied','date':'2026-05-02','centre':'c1',"
		    "'id':'a1'}",
		"{'type':'revoked','date':'2026-04-01','centre':'c1',"
		    "'article':13,'id':'r1'}",
	};
	struct fx	*f = *state;
	char		*error = NULL;
	size_t		 i;

	f->j = sched_journal_new();
	for (i = 0; i < TU_NITEMS(stored); i++)
		if (sched_journal_load(f->j, TU_EVENT(stored[i]), &error) != 0)
			fail_msg("%s", error);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-06-01','event':'m1',"
	    "'reason':'recorded by mistake'}");
	/* Without its recognition, the evaluation submitted would not
	 * stand: this retraction's own doing, refused as ever. */
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-06-01','event':'rec1',"
	    "'reason':'r'}", "never recognized");
}

static void
test_a_ban_from_29_february_ends_on_28_february(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'c1'}",
		"{'type':'revoked','date':'2028-02-29','centre':'c1',"
		    "'article':15}",
	};
	struct fx	*f = *state;
	int		 today = D("2031-12-31");

	f->j = TU_JOURNAL(f->rules, today, events);
	TU_REFUSE(f->j, f->rules, today,
	    "{'type':'applied','date':'2031-02-28','centre':'c1'}",
	    "2031-03-01");
	TU_ADD(f->j, f->rules, today,
	    "{'type':'applied','date':'2031-03-01','centre':'c1'}");
}

static void
test_revocations_under_art_13_and_15_ban_too(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'a',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'a'}",
		"{'type':'revoked','date':'2026-03-15','centre':'a',"
		    "'article':'13'}",
		"{'type':'registered','date':'2025-01-10','centre':'b',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'b'}",
		"{'type':'revoked','date':'2026-03-15','centre':'b',"
		    "'article':15}",
	};
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, events);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-06-01','centre':'a'}", "2029-03-16");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-06-01','centre':'b'}", "2029-03-16");
}

static void
test_abandonment_and_lapse_do_not_ban_by_default(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'a',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'a'}",
		"{'type':'abandoned','date':'2026-04-10','centre':'a'}",
		"{'type':'registered','date':'2025-01-10','centre':'b',"
		    "'name':'N','unit':'U','legacy':true}",
		"{'type':'lapsed','date':'2026-04-10','centre':'b'}",
	};
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, events);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-04-11','centre':'a'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-04-11','centre':'b'}");
}

/* ---- ids ---- */

static void
test_a_duplicate_id_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1','id':'reg1'}",
	    "\"reg1\"");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'evaluation_round','date':'2026-01-15','year':2025,"
	    "'deadline':'2026-03-31','id':'reg1'}", "\"reg1\"");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1','id':'a1'}");
	assert_int_equal(sched_journal_find_id(f->j, "a1"), 1);
	assert_int_equal(sched_journal_find_id(f->j, "reg1"), 0);
	assert_int_equal(sched_journal_find_id(f->j, "zz"), -1);
}

/* ---- retractions ---- */

static void
test_a_retraction_of_an_unknown_id_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'nothere',"
	    "'reason':'r'}", "\"nothere\"");
}

static void
test_a_retraction_of_a_retracted_event_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1','id':'a1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'a1',"
	    "'reason':'录入错误','id':'r1'}");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-06','event':'a1',"
	    "'reason':'again'}", "\"a1\"");
}

static void
test_a_retraction_dated_after_today_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1','id':'a1'}");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-07-01','event':'a1',"
	    "'reason':'r'}", "2026-07-01");
}

static void
test_retracting_a_recognition_with_a_result_since_is_refused(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'c1',"
		    "'id':'rec1'}",
		"{'type':'evaluation_result','date':'2026-05-10','centre':'c1',"
		    "'year':2025,'grade':'pass'}",
	};
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, events);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-06-01','event':'rec1',"
	    "'reason':'r'}", "evaluation_result");
	assert_false(sched_journal_event(f->j, 1)->retracted);
}

static void
test_retracting_a_recognition_with_nothing_since_is_accepted(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'c1',"
		    "'id':'rec1'}",
	};
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, events);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-06-01','event':'rec1',"
	    "'reason':'r'}");
	assert_true(sched_journal_event(f->j, 1)->retracted);
	/* As if never recognized. */
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'evaluation_submitted','date':'2026-03-01','centre':'c1',"
	    "'year':2025}", "never recognized");
}

static void
test_retracting_a_registration_with_other_events_is_refused(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1'}");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'reg1',"
	    "'reason':'r'}", "\"c1\"");
	assert_non_null(sched_journal_centre(f->j, "c1"));
}

static void
test_retracting_a_lone_registration_unregisters_the_centre(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'reg1',"
	    "'reason':'r'}");
	assert_null(sched_journal_centre(f->j, "c1"));
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1'}", "\"c1\"");
	/* As if never registered: it may be registered afresh. */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'registered','date':'2025-02-01','centre':'c1',"
	    "'name':'N','unit':'U'}");
	assert_non_null(sched_journal_centre(f->j, "c1"));
}

static void
test_pop_undoes_an_accepted_retraction(void **state)
{
	struct fx		*f = *state;
	struct sched_event	*ev;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1','id':'a1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'a1',"
	    "'reason':'r','id':'r1'}");
	assert_true(sched_journal_event(f->j, 1)->retracted);
	ev = sched_journal_pop(f->j);
	assert_non_null(ev);
	assert_int_equal(ev->type, SCHED_EV_RETRACTED);
	assert_string_equal(ev->target, "a1");
	sched_event_free(ev);
	assert_int_equal(sched_journal_count(f->j), 2);
	assert_false(sched_journal_event(f->j, 1)->retracted);
	assert_int_equal(sched_journal_find_id(f->j, "r1"), -1);
	/* The same retraction, id and all, is accepted again. */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'a1',"
	    "'reason':'r','id':'r1'}");
	assert_true(sched_journal_event(f->j, 1)->retracted);
}

static void
test_pop_undoes_an_ordinary_event(void **state)
{
	struct fx		*f = *state;
	struct sched_event	*ev;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'registered','date':'2025-03-01','centre':'c2',"
	    "'name':'N','unit':'U','id':'reg2'}");
	ev = sched_journal_pop(f->j);
	assert_non_null(ev);
	assert_string_equal(ev->centre, "c2");
	sched_event_free(ev);
	assert_int_equal(sched_journal_count(f->j), 1);
	assert_null(sched_journal_centre(f->j, "c2"));
	assert_int_equal(sched_journal_find_id(f->j, "reg2"), -1);
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c2'}", "\"c2\"");
}

static void
test_retracting_a_retraction_brings_its_event_back(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1','id':'a1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'a1',"
	    "'reason':'r','id':'r1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-06','event':'r1',"
	    "'reason':'r1 was wrong','id':'r2'}");
	assert_false(sched_journal_event(f->j, 1)->retracted);	/* a1 */
	assert_true(sched_journal_event(f->j, 2)->retracted);	/* r1 */
	assert_false(sched_journal_event(f->j, 3)->retracted);	/* r2 */
	/* a1 is effective again, so it can be retracted again... */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-07','event':'a1',"
	    "'reason':'after all','id':'r3'}");
	assert_true(sched_journal_event(f->j, 1)->retracted);
	/* ...and r1, retracted, cannot. */
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-08','event':'r1',"
	    "'reason':'r'}", "\"r1\"");
}

static void
test_retracting_one_of_two_recognitions_is_accepted(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'c1',"
		    "'name':'N','unit':'U'}",
		"{'type':'recognized','date':'2025-10-20','centre':'c1',"
		    "'id':'rec1'}",
		"{'type':'recognized','date':'2025-10-21','centre':'c1',"
		    "'id':'rec2'}",
		"{'type':'evaluation_result','date':'2026-05-10','centre':'c1',"
		    "'year':2025,'grade':'pass'}",
	};
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, events);
	/* The result still has a recognition before it. */
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-06-01','event':'rec1',"
	    "'reason':'recorded twice'}");
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-06-01','event':'rec2',"
	    "'reason':'r'}", "evaluation_result");
}

static void
test_pop_of_a_retracted_retraction_retracts_its_event_again(void **state)
{
	struct fx		*f = *state;
	struct sched_event	*ev;

	f->j = TU_JOURNAL(f->rules, f->today, registered_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2025-03-01','centre':'c1','id':'a1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-05','event':'a1',"
	    "'reason':'r','id':'r1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-01-06','event':'r1',"
	    "'reason':'r','id':'r2'}");
	assert_false(sched_journal_event(f->j, 1)->retracted);
	ev = sched_journal_pop(f->j);
	assert_string_equal(ev->id, "r2");
	sched_event_free(ev);
	assert_true(sched_journal_event(f->j, 1)->retracted);	/* a1 */
	assert_false(sched_journal_event(f->j, 2)->retracted);	/* r1 */
}

static void
test_retracting_a_revocation_lifts_the_ban(void **state)
{
	struct fx	*f = *state;

	f->j = TU_JOURNAL(f->rules, f->today, revoked_c1);
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-04-01','event':'rv1',"
	    "'reason':'r','id':'x1'}");
	TU_ADD(f->j, f->rules, f->today,
	    "{'type':'applied','date':'2026-05-01','centre':'c1'}");
	/* Bringing the revocation back would ban that application. */
	TU_REFUSE(f->j, f->rules, f->today,
	    "{'type':'retracted','date':'2026-06-01','event':'x1',"
	    "'reason':'r'}", "Art. 16");
}

/* ---- reading back a stored journal (sched_journal_load) ---- */

/* Adds an event as the daemon reads it back from its store. */
static int
load_text(struct sched_journal *j, const char *text, char **why)
{
	struct sched_event	*ev = TU_EVENT(text);

	if (sched_journal_load(j, ev, why) == -1) {
		sched_event_free(ev);
		return -1;
	}
	return 0;
}

static void
test_a_stored_journal_is_read_back_without_judging_it_again(void **state)
{
	struct fx	*f = *state;
	char		*why = NULL;

	f->j = sched_journal_new();
	sched_journal_reserve(f->j, 4);
	assert_int_equal(load_text(f->j, revoked_c1[0], &why), 0);
	assert_int_equal(load_text(f->j, revoked_c1[1], &why), 0);
	assert_int_equal(load_text(f->j, revoked_c1[2], &why), 0);
	/* Within the ban and after today: refused if recorded now, but it
	 * was recorded under other rules, so it is read back as stored. */
	assert_int_equal(load_text(f->j, "{'type':'applied','date':"
	    "'2027-01-04','centre':'c1','id':'ap1'}", &why), 0);
	assert_int_equal(sched_journal_count(f->j), 4);
	assert_int_equal(sched_journal_find_id(f->j, "ap1"), 3);
	assert_non_null(sched_journal_centre(f->j, "c1"));
	assert_null(why);
}

static void
test_a_stored_event_the_journal_cannot_hold_is_refused(void **state)
{
	struct fx	*f = *state;
	char		*why = NULL;

	f->j = TU_JOURNAL(f->rules, f->today, revoked_c1);
	/* The planner makes a centre from its first event. */
	assert_int_equal(load_text(f->j, "{'type':'recognized','date':"
	    "'2025-10-20','centre':'c2'}", &why), -1);
	assert_non_null(strstr(why, "centre \"c2\" is not registered"));
	free(why);
	assert_int_equal(load_text(f->j, "{'type':'retracted','date':"
	    "'2026-04-01','event':'nope','reason':'r'}", &why), -1);
	assert_non_null(strstr(why, "\"nope\" is unknown"));
	free(why);
	assert_int_equal(load_text(f->j, "{'type':'retracted','date':"
	    "'2026-04-01','event':'rv1','reason':'r','id':'x1'}", &why), 0);
	assert_true(sched_journal_event(f->j, 2)->retracted);
	assert_int_equal(load_text(f->j, "{'type':'retracted','date':"
	    "'2026-04-02','event':'rv1','reason':'r'}", &why), -1);
	assert_non_null(strstr(why, "already retracted"));
	free(why);
	assert_int_equal(sched_journal_count(f->j), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_an_event_of_an_unregistered_centre_is_refused),
		T(test_a_centre_registered_twice_is_refused),
		T(test_an_event_dated_after_today_is_refused),
		T(test_an_event_dated_before_its_registration_is_refused),
		T(test_events_are_accepted_in_any_order),
		T(test_evaluation_and_revocation_of_a_never_recognized_centre),
		T(test_a_legacy_or_objection_recognized_centre_counts),
		T(test_an_objection_resolved_against_does_not_recognize),
		T(test_an_application_during_the_ban_is_refused),
		T(test_the_first_allowed_day_is_accepted),
		T(test_an_application_before_the_revocation_is_not_banned),
		T(test_a_ban_recorded_over_an_application_is_refused),
		T(test_a_director_born_after_the_event_is_refused),
		T(test_older_misfits_do_not_block_a_retraction),
		T(test_a_ban_from_29_february_ends_on_28_february),
		T(test_revocations_under_art_13_and_15_ban_too),
		T(test_abandonment_and_lapse_do_not_ban_by_default),
		T(test_a_duplicate_id_is_refused),
		T(test_a_retraction_of_an_unknown_id_is_refused),
		T(test_a_retraction_of_a_retracted_event_is_refused),
		T(test_a_retraction_dated_after_today_is_refused),
		T(test_retracting_a_recognition_with_a_result_since_is_refused),
		T(test_retracting_a_recognition_with_nothing_since_is_accepted),
		T(test_retracting_a_registration_with_other_events_is_refused),
		T(test_retracting_a_lone_registration_unregisters_the_centre),
		T(test_pop_undoes_an_accepted_retraction),
		T(test_pop_undoes_an_ordinary_event),
		T(test_retracting_a_retraction_brings_its_event_back),
		T(test_retracting_one_of_two_recognitions_is_accepted),
		T(test_pop_of_a_retracted_retraction_retracts_its_event_again),
		T(test_retracting_a_revocation_lifts_the_ban),
		T(test_a_stored_journal_is_read_back_without_judging_it_again),
		T(test_a_stored_event_the_journal_cannot_hold_is_refused),
	};

	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
