/*
 * test_feedrev.c: SEQUENCE and LAST-MODIFIED across revisions of a plan
 * (daemon/feedrev.c), on real journals planned by the scheduler: new
 * obligations start at 0, a change raises exactly the changed ones by
 * one and dates them, nothing else moves, one that leaves the plan and
 * comes back goes on rising, and rows read back from the store are
 * found again.
 */
#include "testutil.h"

#include "common/common.h"
#include "daemon/feed-int.h"

static const char *const base[] = {
	"{'type':'registered','date':'2025-03-03','centre':'a',"
	"'name':'甲中心','unit':'城区科技局'}",
	"{'type':'registered','date':'2025-03-03','centre':'b',"
	"'name':'乙中心','unit':'郊区科技局'}",
	"{'type':'recognized','date':'2025-06-02','centre':'a'}",
	"{'type':'recognized','date':'2025-06-02','centre':'b'}",
	"{'id':'c1','type':'committee_formed','date':'2025-07-01',"
	"'centre':'a','members':7,'host_members':2}",
};

struct fixture {
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	struct sched_journal	*j;
	int			 today;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	f->cal = tu_calendar();
	f->rules = tu_rules();
	f->today = D("2026-11-28");
	f->j = TU_JOURNAL(f->rules, f->today, base);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	sched_journal_free(f->j);
	sched_rules_free(f->rules);
	sched_calendar_free(f->cal);
	free(f);
	return 0;
}

static struct sched_plan *
plan_on(struct fixture *f, int day)
{
	return sched_plan(f->j, f->cal, f->rules, day, day + 400,
	    SCHED_PLAN_EXPLAIN);
}

static size_t
update(struct feedrev *fr, const struct sched_plan *p,
    const struct sched_rules *rules, time_t when)
{
	struct feedrev_change	*changes;
	size_t			 n = feedrev_update(fr, p, rules, when, &changes);

	free(changes);
	return n;
}

static const struct feedrev_row *
row_of(const struct feedrev *fr, const struct sched_plan *p,
    const char *centre, const char *rule, int year)
{
	const struct sched_obligation *o = TU_FIND(p, centre, rule, year);
	const struct feedrev_row *r = feedrev_find(fr, o->key);

	assert_non_null(r);
	return r;
}

static void
test_first_sight_and_no_change(void **state)
{
	struct fixture		*f = *state;
	struct sched_plan	*p = plan_on(f, f->today);
	struct feedrev		 fr;
	size_t			 i;

	feedrev_init(&fr);
	assert_true(p->count > 4);
	assert_int_equal(update(&fr, p, f->rules, 100), p->count);
	for (i = 0; i < p->count; i++) {
		const struct feedrev_row *r = feedrev_find(&fr,
		    p->obligations[i].key);

		assert_non_null(r);
		assert_int_equal(r->sequence, 0);
		assert_int_equal(r->modified, 100);
		assert_int_equal(strlen(r->fp), CAL_FINGERPRINT_LEN - 1);
	}
	/* The same plan again: nothing changed, nothing is redated. */
	assert_int_equal(update(&fr, p, f->rules, 200), 0);
	assert_int_equal(row_of(&fr, p, "a", "expert_term", 0)->modified, 100);
	sched_plan_free(p);
	feedrev_clear(&fr);
}

static void
test_a_change_raises_only_what_changed(void **state)
{
	struct fixture		*f = *state;
	struct sched_plan	*p1 = plan_on(f, f->today), *p2;
	struct feedrev		 fr;
	struct feedrev_change	*changes;
	size_t			 n;

	feedrev_init(&fr);
	update(&fr, p1, f->rules, 100);
	TU_ADD(f->j, f->rules, f->today, "{'type':'expert_meeting_held',"
	    "'date':'2026-11-20','centre':'a'}");
	p2 = plan_on(f, f->today);
	n = feedrev_update(&fr, p2, f->rules, 300, &changes);
	/* a's 2026 meeting is done now; b's, and everything else, is not. */
	assert_int_equal(n, 1);
	assert_non_null(changes[0].o);
	assert_string_equal(changes[0].o->centre, "a");
	assert_string_equal(changes[0].key,
	    TU_FIND(p2, "a", "expert_meeting", 2026)->key);
	free(changes);
	assert_int_equal(row_of(&fr, p2, "a", "expert_meeting", 2026)->sequence,
	    1);
	assert_int_equal(row_of(&fr, p2, "a", "expert_meeting", 2026)->modified,
	    300);
	assert_int_equal(row_of(&fr, p2, "b", "expert_meeting", 2026)->sequence,
	    0);
	assert_int_equal(row_of(&fr, p2, "b", "expert_meeting", 2026)->modified,
	    100);
	sched_plan_free(p1);
	sched_plan_free(p2);
	feedrev_clear(&fr);
}

static void
test_a_new_day_raises_what_turned_overdue(void **state)
{
	struct fixture		*f = *state;
	struct sched_plan	*p1 = plan_on(f, D("2026-12-31"));
	struct sched_plan	*p2 = plan_on(f, D("2027-01-01"));
	struct feedrev		 fr;

	feedrev_init(&fr);
	update(&fr, p1, f->rules, 100);
	assert_true(update(&fr, p2, f->rules, 200) >= 2);
	assert_int_equal(TU_FIND(p2, "a", "expert_meeting", 2026)->state,
	    SCHED_OVERDUE);
	assert_int_equal(row_of(&fr, p2, "a", "expert_meeting", 2026)->sequence,
	    1);
	assert_int_equal(row_of(&fr, p2, "b", "expert_meeting", 2026)->modified,
	    200);
	/* The committee's term did not change with the day. */
	assert_int_equal(row_of(&fr, p2, "a", "expert_term", 0)->sequence, 0);
	sched_plan_free(p1);
	sched_plan_free(p2);
	feedrev_clear(&fr);
}

static void
test_leaving_and_coming_back_keeps_rising(void **state)
{
	struct fixture		*f = *state;
	struct sched_plan	*with = plan_on(f, f->today), *without;
	struct feedrev		 fr;
	struct feedrev_change	*changes;
	const struct feedrev_row *r;
	char			*key;
	size_t			 n, i, gone = 0;

	feedrev_init(&fr);
	update(&fr, with, f->rules, 100);
	key = xstrdup(TU_FIND(with, "a", "expert_term", 0)->key);
	TU_ADD(f->j, f->rules, f->today, "{'type':'retracted',"
	    "'date':'2026-11-28','event':'c1','reason':'录入错误'}");
	without = plan_on(f, f->today);
	n = feedrev_update(&fr, without, f->rules, 300, &changes);
	for (i = 0; i < n; i++) {
		if (changes[i].o == NULL) {
			assert_string_equal(changes[i].key, key);
			gone++;
		}
	}
	free(changes);
	assert_int_equal(gone, 1);
	r = feedrev_find(&fr, key);
	assert_string_equal(r->fp, "");
	assert_int_equal(r->sequence, 0);
	assert_int_equal(r->modified, 300);
	/* Gone stays gone without another change. */
	assert_int_equal(update(&fr, without, f->rules, 350), 0);
	/* Back (the same plan as before): SEQUENCE rises past what a
	 * client may still hold. */
	update(&fr, with, f->rules, 400);
	r = feedrev_find(&fr, key);
	assert_int_equal(r->sequence, 1);
	assert_int_equal(r->modified, 400);
	free(key);
	sched_plan_free(with);
	sched_plan_free(without);
	feedrev_clear(&fr);
}

static void
test_rows_read_back_are_found(void **state)
{
	struct feedrev	 fr;
	const struct feedrev_row *r;

	(void)state;
	feedrev_init(&fr);
	/* In no order, as a store might give them. */
	feedrev_load(&fr, "z/evaluation/2026", "00000000000000aa", 3, 10);
	feedrev_load(&fr, "a/expert_term/2025-07-01", "00000000000000bb", 0,
	    20);
	feedrev_load(&fr, "m/x", "not a fingerprint: far too long", -4, 30);
	feedrev_sort(&fr);
	r = feedrev_find(&fr, "z/evaluation/2026");
	assert_non_null(r);
	assert_int_equal(r->sequence, 3);
	assert_int_equal(r->modified, 10);
	r = feedrev_find(&fr, "m/x");
	assert_non_null(r);
	assert_string_equal(r->fp, "");		/* not ours: as if gone */
	assert_int_equal(r->sequence, 0);	/* never below 0 */
	assert_null(feedrev_find(&fr, "nothing"));
	feedrev_clear(&fr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_sight_and_no_change,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_change_raises_only_what_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_new_day_raises_what_turned_overdue, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_leaving_and_coming_back_keeps_rising, setup, teardown),
		cmocka_unit_test(test_rows_read_back_are_found),
	};

	return cmocka_run_group_tests_name("feedrev", tests, NULL, NULL);
}
