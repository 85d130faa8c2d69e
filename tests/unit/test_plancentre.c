/*
 * test_plancentre.c: sched_plan_centre is the whole plan seen through
 * one centre.
 *
 * The daemon answers ?centre= from sched_plan_centre until something asks
 * for the whole plan, so the two must never differ: for every centre of
 * a journal (and one it does not know), the centre's plan must hold
 * exactly the whole plan's obligations of that centre, field by field,
 * in the same order, and the same centre entry; and so must a journal
 * of that centre's events alone (with the bureau-wide ones), which is
 * what the daemon reads while it loads.  The journals are the
 * golden ones, the demo, and a few hundred random ones built here with
 * every event type, amended rounds, repeated evaluation years and
 * retractions (of retractions too), each planned as of several days.
 */
#include <dirent.h>

#include "tests/unit/testutil.h"
#include "conf/conf.h"

#define RANDOM_JOURNALS	300

/* ---- comparing ---- */

static void
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
same_obligation(const struct sched_obligation *a,
    const struct sched_obligation *b)
{
	same_text(a->key, b->key);
	same_text(a->centre, b->centre);
	same_text(a->centre_name, b->centre_name);
	same_text(a->unit, b->unit);
	assert_int_equal(a->rule, b->rule);
	assert_int_equal(a->due, b->due);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->provisional, b->provisional);
	assert_int_equal(a->year, b->year);
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->closed_on, b->closed_on);
	same_text(a->explain, b->explain);
}

static void
same_centre(const struct sched_centre *a, const struct sched_centre *b)
{
	same_text(a->id, b->id);
	same_text(a->name, b->name);
	same_text(a->unit, b->unit);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->since, b->since);
	assert_int_equal(a->registered, b->registered);
	assert_int_equal(a->legacy, b->legacy);
	assert_int_equal(a->ban_until, b->ban_until);
}

/* One centre's plan against the whole plan filtered to that centre. */
static void
check_centre(const struct sched_journal *j, const struct sched_calendar *cal,
    const struct sched_rules *rules, const struct sched_plan *whole,
    const char *id, int flags)
{
	struct sched_plan	*one;
	size_t			 i, k = 0, c;

	one = sched_plan_centre(j, cal, rules, id, whole->as_of, whole->until,
	    flags);
	assert_int_equal(one->as_of, whole->as_of);
	assert_int_equal(one->until, whole->until);
	for (i = 0; i < whole->count; i++) {
		if (whole->obligations[i].centre == NULL ||
		    strcmp(whole->obligations[i].centre, id) != 0)
			continue;
		assert_true(k < one->count);
		same_obligation(&one->obligations[k++], &whole->obligations[i]);
	}
	assert_int_equal(k, one->count);
	for (c = 0; c < whole->ncentres; c++) {
		if (strcmp(whole->centres[c].id, id) == 0)
			break;
	}
	if (c == whole->ncentres)
		assert_int_equal(one->ncentres, 0);
	else {
		assert_int_equal(one->ncentres, 1);
		same_centre(&one->centres[0], &whole->centres[c]);
	}
	sched_plan_free(one);
}

/*
 * The journal the daemon reads from its store for one centre while the
 * whole journal is still loading (daemon/load.c): that centre's events
 * and the bureau-wide ones, in recording order, read back with
 * sched_journal_load, without the retractions of events it does not
 * hold.
 */
static struct sched_journal *
centre_journal(const struct sched_journal *j, const char *id)
{
	struct sched_journal	*mine = sched_journal_new();
	const struct sched_event *e;
	struct sched_event	*copy;
	json_t			*o;
	char			*error = NULL;
	size_t			 i;

	for (i = 0; i < sched_journal_count(j); i++) {
		e = sched_journal_event(j, i);
		if (e->centre != NULL && strcmp(e->centre, id) != 0)
			continue;
		if (e->type == SCHED_EV_RETRACTED &&
		    sched_journal_find_id(mine, e->target) < 0)
			continue;
		o = sched_event_to_json(e);
		copy = sched_event_from_json(o, &error);
		json_decref(o);
		assert_non_null(copy);
		assert_int_equal(sched_journal_load(mine, copy, &error), 0);
	}
	return mine;
}

/* Every centre of the journal, as of a day, with or without explain,
 * from the whole journal and from the centre's own; returns how many
 * obligations of centres were compared. */
static size_t
check_journal(const struct sched_journal *j, const struct sched_calendar *cal,
    const struct sched_rules *rules, int as_of, int flags)
{
	struct sched_plan	*whole;
	size_t			 c, n = 0, i;

	whole = sched_plan(j, cal, rules, as_of, as_of + 400, flags);
	for (c = 0; c < whole->ncentres; c++) {
		struct sched_journal *mine = centre_journal(j,
		    whole->centres[c].id);

		check_centre(j, cal, rules, whole, whole->centres[c].id, flags);
		check_centre(mine, cal, rules, whole, whole->centres[c].id,
		    flags);
		sched_journal_free(mine);
	}
	check_centre(j, cal, rules, whole, "no-such-centre", flags);
	for (i = 0; i < whole->count; i++)
		n += whole->obligations[i].centre != NULL;
	sched_plan_free(whole);
	return n;
}

static size_t
check_days(const struct sched_journal *j, const struct sched_calendar *cal,
    const struct sched_rules *rules)
{
	static const char *days[] = { "2024-03-15", "2025-10-09",
	    "2026-11-28", "2028-01-02" };
	size_t	 i, n = 0;

	for (i = 0; i < TU_NITEMS(days); i++)
		n += check_journal(j, cal, rules, D(days[i]), i == 2 ?
		    SCHED_PLAN_EXPLAIN : 0);
	return n;
}

/* ---- the journals on disk ---- */

/* A journal file as far as it is accepted (some golden ones end with a
 * refused line on purpose). */
static struct sched_journal *
read_journal(const char *path, const struct sched_rules *rules)
{
	struct sched_journal	*j = sched_journal_new();
	FILE			*f = fopen(path, "r");
	char			*error = NULL;

	assert_non_null(f);
	(void)conf_read_journal(f, path, j, rules, sched_day(SCHED_YEAR_MAX,
	    12, 31), &error);
	free(error);
	fclose(f);
	return j;
}

static size_t
check_folder(const char *dir, const struct sched_calendar *cal,
    const struct sched_rules *rules, size_t *files)
{
	DIR			*d = opendir(dir);
	struct dirent		*de;
	struct sched_journal	*j;
	char			 path[1024];
	size_t			 n = 0, len;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		j = read_journal(path, rules);
		n += check_days(j, cal, rules);
		sched_journal_free(j);
		(*files)++;
	}
	closedir(d);
	return n;
}

static void
test_golden_and_demo_journals(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	struct sched_rules	*rules = tu_rules();
	struct sched_journal	*j;
	size_t			 files = 0, n;

	(void)state;
	n = check_folder("tests/golden/indep", cal, rules, &files);
	n += check_folder("tests/golden/explain", cal, rules, &files);
	n += check_folder("tests/golden/remind", cal, rules, &files);
	j = read_journal("conf/demo/journal.jsonl", rules);
	n += check_days(j, cal, rules);
	sched_journal_free(j);
	/* The folders were there and had obligations to compare. */
	assert_true(files >= 10);
	assert_true(n >= 1000);
	sched_calendar_free(cal);
	sched_rules_free(rules);
}

/* ---- random journals ---- */

struct rng {
	unsigned long long	 s;
};

static unsigned
rnd(struct rng *r, unsigned n)
{
	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(r->s >> 33) % n;
}

static const char *
rnd_date(struct rng *r, char *buf)
{
	return sched_date_format(D("2021-01-04") + (int)rnd(r, 8 * 365), buf);
}

/* One event of a random type (with its type's fields) as JSON. */
static json_t *
rnd_event(struct rng *r, int ncentres, size_t nth)
{
	static const char *grades[] = { "excellent", "good", "pass", "fail" };
	enum sched_event_type	 type = (enum sched_event_type)rnd(r,
				    SCHED_EV_COUNT);
	json_t			*o = json_object();
	char			 d[SCHED_DATE_LEN], id[32];
	int			 members;

	snprintf(id, sizeof(id), "e%zu", nth);
	json_object_set_new(o, "type",
	    json_string(sched_event_type_name(type)));
	json_object_set_new(o, "date", json_string(rnd_date(r, d)));
	json_object_set_new(o, "id", json_string(id));
	if (!sched_event_is_bureau_wide(type)) {
		snprintf(id, sizeof(id), "c/%u", rnd(r, (unsigned)ncentres));
		json_object_set_new(o, "centre", json_string(id));
	}
	switch (type) {
	case SCHED_EV_REGISTERED:
		json_object_set_new(o, "name", json_string("中心"));
		json_object_set_new(o, "unit", json_string(rnd(r, 2) ?
		    "城区科技局" : "盂县科技局"));
		if (rnd(r, 3) == 0)
			json_object_set_new(o, "legacy", json_true());
		if (rnd(r, 2) == 0)
			json_object_set_new(o, "director_birth",
			    json_string(sched_date_format(D("1965-01-01") +
			    (int)rnd(r, 2000), d)));
		break;
	case SCHED_EV_ROUND_ANNOUNCED:
		snprintf(id, sizeof(id), "r%u", rnd(r, 3));	/* amended */
		json_object_set_new(o, "round", json_string(id));
		json_object_set_new(o, "application_deadline",
		    json_string(rnd_date(r, d)));
		if (rnd(r, 2))
			json_object_set_new(o, "recommendation_deadline",
			    json_string(rnd_date(r, d)));
		break;
	case SCHED_EV_OBJECTION_RESOLVED:
		json_object_set_new(o, "outcome", json_string(rnd(r, 2) ?
		    "recognized" : "not_recognized"));
		break;
	case SCHED_EV_COMMITTEE_FORMED:
		members = (int)rnd(r, 10);
		json_object_set_new(o, "members", json_integer(members));
		json_object_set_new(o, "host_members",
		    json_integer(rnd(r, (unsigned)members + 1)));
		break;
	case SCHED_EV_EVALUATION_ROUND:
		json_object_set_new(o, "deadline", json_string(rnd_date(r, d)));
		/* FALLTHROUGH */
	case SCHED_EV_EVALUATION_SUBMITTED:
		json_object_set_new(o, "year", json_integer(2021 + rnd(r, 7)));
		break;
	case SCHED_EV_EVALUATION_RESULT:
		json_object_set_new(o, "year", json_integer(2021 + rnd(r, 7)));
		json_object_set_new(o, "grade", json_string(grades[rnd(r, 4)]));
		if (strcmp(json_string_value(json_object_get(o, "grade")),
		    "fail") == 0)
			json_object_set_new(o, "rectify_by",
			    json_string(rnd_date(r, d)));
		break;
	case SCHED_EV_REVOKED:
		json_object_set_new(o, "article", json_integer(13 + rnd(r, 3)));
		break;
	case SCHED_EV_DIRECTOR_CHANGED:
		json_object_set_new(o, "director_birth",
		    json_string(sched_date_format(D("1962-01-01") +
		    (int)rnd(r, 4000), d)));
		break;
	case SCHED_EV_RETRACTED:
		snprintf(id, sizeof(id), "e%u", nth > 0 ?
		    rnd(r, (unsigned)nth) : 0);
		json_object_set_new(o, "event", json_string(id));
		json_object_set_new(o, "reason", json_string("录入错误"));
		break;
	default:
		break;
	}
	return o;
}

/* Registrations first, then events of every type; what the journal
 * refuses is left out, so the journal stays valid. */
static struct sched_journal *
rnd_journal(struct rng *r, const struct sched_rules *rules)
{
	struct sched_journal	*j = sched_journal_new();
	struct sched_event	*ev;
	json_t			*o;
	int			 ncentres = 1 + (int)rnd(r, 8);
	size_t			 i, n = 40 + rnd(r, 160);
	char			*error = NULL;

	for (i = 0; i < n; i++) {
		o = rnd_event(r, ncentres, i);
		if (i < (size_t)ncentres * 2)
			json_object_set_new(o, "type",
			    json_string("registered"));
		ev = sched_event_from_json(o, &error);
		json_decref(o);
		if (ev == NULL) {
			free(error);	/* a registration built from another
					 * type's fields, say */
			continue;
		}
		if (sched_journal_add(j, ev, rules, sched_day(SCHED_YEAR_MAX,
		    12, 31), &error) == -1) {
			free(error);
			sched_event_free(ev);
		}
	}
	return j;
}

static void
test_random_journals(void **state)
{
	struct sched_calendar	*cal = tu_calendar();
	struct sched_rules	*rules = tu_rules();
	struct sched_journal	*j;
	struct rng		 r = { 20261128 };
	size_t			 k, n = 0, retracted = 0, i;

	(void)state;
	for (k = 0; k < RANDOM_JOURNALS; k++) {
		/* The optional bans change what the planner opens. */
		rules->abandonment_bars_reapply = k % 2 == 1;
		rules->lapse_bars_reapply = k % 4 == 3;
		j = rnd_journal(&r, rules);
		for (i = 0; i < sched_journal_count(j); i++)
			retracted += sched_journal_event(j, i)->retracted;
		n += check_days(j, cal, rules);
		sched_journal_free(j);
	}
	/* The journals did reach what makes this worth testing. */
	assert_true(n >= 10000);
	assert_true(retracted >= 50);
	sched_calendar_free(cal);
	sched_rules_free(rules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_and_demo_journals),
		cmocka_unit_test(test_random_journals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
