/*
 * test_rules.c: the rule pack (scheduler/rules.c): conf/rules.ini loads
 * over the defaults, a later pack overrides what it names, every bad line
 * is reported as "source:line: what" with the rules left unchanged, the
 * facts of DOMAIN.md's table, and the abandonment_bars_reapply switch.
 */
#include "tests/unit/testutil.h"

static int
load(struct sched_rules *rules, const char *text, char **error)
{
	*error = NULL;
	return sched_rules_load(rules, "test.ini", text, strlen(text), error);
}

/* Everything a caller sees of the rules, as one string to compare. */
static char *
snapshot(const struct sched_rules *rules)
{
	json_t	*all = json_object(), *rule;
	char	*s;
	int	 i;

	json_object_set_new(all, "pack", json_string(rules->pack));
	json_object_set_new(all, "abandon",
	    json_boolean(rules->abandonment_bars_reapply));
	json_object_set_new(all, "lapse",
	    json_boolean(rules->lapse_bars_reapply));
	for (i = 0; i < SCHED_R_COUNT; i++) {
		rule = json_pack("{s:s?, s:s?, s:s?, s:i}",
		    "title", rules->text[i].title,
		    "action", rules->text[i].action,
		    "closed_by", rules->text[i].closed_by,
		    "to", rules->text[i].to);
		json_object_set_new(all, sched_rule_name((enum sched_rule)i),
		    rule);
	}
	s = json_dumps(all, JSON_SORT_KEYS);
	json_decref(all);
	return s;
}

/* The text is refused with "where" in the error; the rules unchanged. */
static void
refused_at(const char *text, const char *where, const char *file, int line)
{
	struct sched_rules	*rules = tu_rules();
	char			*before = snapshot(rules), *after, *error;

	if (load(rules, text, &error) != -1) {
		print_error("accepted:\n%s\n", text);
		_fail(file, line);
	}
	if (error == NULL || strstr(error, where) == NULL) {
		print_error("the error lacks \"%s\": %s\n", where,
		    error ? error : "(none)");
		_fail(file, line);
	}
	after = snapshot(rules);
	if (strcmp(before, after) != 0) {
		print_error("the rules changed:\n  %s\n  %s\n", before, after);
		_fail(file, line);
	}
	free(before);
	free(after);
	free(error);
	sched_rules_free(rules);
}
#define REFUSED(text, where)	refused_at((text), (where), __FILE__, __LINE__)

/* ---- loading ---- */

static void
test_the_shipped_pack_loads(void **state)
{
	struct sched_rules	*rules = tu_rules();

	(void)state;
	assert_string_equal(rules->pack, "yangquan-2025");
	assert_false(rules->abandonment_bars_reapply);
	assert_false(rules->lapse_bars_reapply);
	assert_string_equal(rules->text[SCHED_R_EVALUATION].title,
	    "年度绩效评价资料提交截止");
	assert_non_null(rules->text[SCHED_R_EVALUATION].action);
	assert_non_null(rules->text[SCHED_R_EVALUATION].closed_by);
	sched_rules_free(rules);
}

static void
test_the_shipped_pack_gives_every_rule_its_words(void **state)
{
	struct sched_rules	*rules = tu_rules();
	int			 i;

	(void)state;
	for (i = 0; i < SCHED_R_COUNT; i++) {
		if (strcmp(rules->text[i].title,
		    sched_rule_name((enum sched_rule)i)) == 0 ||
		    rules->text[i].action == NULL ||
		    rules->text[i].closed_by == NULL)
			fail_msg("rules.ini leaves [%s] without its words",
			    sched_rule_name((enum sched_rule)i));
	}
	sched_rules_free(rules);
}

/* DOMAIN.md's "to" column. */
static void
test_the_audiences_are_those_of_the_table(void **state)
{
	static const struct {
		enum sched_rule	 rule;
		int		 to;
	} want[] = {
		{ SCHED_R_APPLICATION, SCHED_TO_UNIT },
		{ SCHED_R_RECOMMENDATION, SCHED_TO_UNIT },
		{ SCHED_R_PUBLICITY, SCHED_TO_BUREAU },
		{ SCHED_R_OBJECTION_REVIEW, SCHED_TO_BUREAU },
		{ SCHED_R_EXPERT_MEETING, SCHED_TO_CENTRE },
		{ SCHED_R_EXPERT_TERM, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
		{ SCHED_R_EXPERT_COMPOSITION, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
		{ SCHED_R_EVALUATION, SCHED_TO_CENTRE | SCHED_TO_UNIT },
		{ SCHED_R_RECTIFICATION,
		    SCHED_TO_CENTRE | SCHED_TO_UNIT | SCHED_TO_BUREAU },
		{ SCHED_R_REVOCATION, SCHED_TO_BUREAU },
		{ SCHED_R_ABANDONMENT, SCHED_TO_BUREAU },
		{ SCHED_R_REAPPLY_BAN, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
		{ SCHED_R_TRANSITION,
		    SCHED_TO_CENTRE | SCHED_TO_UNIT | SCHED_TO_BUREAU },
		{ SCHED_R_TRANSITION_LAPSE, SCHED_TO_BUREAU },
		{ SCHED_R_DIRECTOR_AGE, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
		{ SCHED_R_MEASURES_EXPIRY, SCHED_TO_BUREAU },
	};
	struct sched_rules	*shipped = tu_rules(), *defaults;
	size_t			 i;

	(void)state;
	defaults = sched_rules_new();
	assert_int_equal(TU_NITEMS(want), SCHED_R_COUNT);
	for (i = 0; i < TU_NITEMS(want); i++) {
		assert_int_equal(shipped->text[want[i].rule].to, want[i].to);
		assert_int_equal(defaults->text[want[i].rule].to, want[i].to);
	}
	sched_rules_free(shipped);
	sched_rules_free(defaults);
}

/* DOMAIN.md's "rule" and "article" columns, and which are periods
 * ("done: … a period that simply ran out") and yearly. */
static void
test_the_facts_of_the_table(void **state)
{
	static const struct {
		const char	*name;
		const char	*article;
		bool		 period;
		bool		 yearly;
	} want[SCHED_R_COUNT] = {
		{ "application", "7(1)(2)", true, false },
		{ "recommendation", "7(3)", true, false },
		{ "publicity", "7(5)", true, false },
		{ "objection_review", "7(6)", false, false },
		{ "expert_meeting", "10", false, true },
		{ "expert_term", "10", false, false },
		{ "expert_composition", "10", false, false },
		{ "evaluation", "14", false, true },
		{ "rectification", "14", false, false },
		{ "revocation", "14", false, false },
		{ "abandonment", "14", false, false },
		{ "reapply_ban", "16", true, false },
		{ "transition", "17", false, false },
		{ "transition_lapse", "17", false, false },
		{ "director_age", "9(3)", false, false },
		{ "measures_expiry", "18", true, false },
	};
	enum sched_rule	 r;
	size_t		 i;

	(void)state;
	for (i = 0; i < SCHED_R_COUNT; i++) {
		assert_int_equal(sched_rule_from_name(want[i].name, &r), 0);
		assert_string_equal(sched_rule_name(r), want[i].name);
		assert_string_equal(sched_rule_article(r), want[i].article);
		if (sched_rule_is_period(r) != want[i].period)
			fail_msg("%s: period", want[i].name);
		if (sched_rule_is_yearly(r) != want[i].yearly)
			fail_msg("%s: yearly", want[i].name);
	}
	assert_int_equal(sched_rule_from_name("no_such_rule", &r), -1);
}

static void
test_a_later_pack_overrides_a_title(void **state)
{
	struct sched_rules	*rules = tu_rules();
	char			*action, *error;

	(void)state;
	action = strdup(rules->text[SCHED_R_PUBLICITY].action);
	assert_int_equal(load(rules, "[publicity]\ntitle = 公示期满（新）\n",
	    &error), 0);
	assert_string_equal(rules->text[SCHED_R_PUBLICITY].title,
	    "公示期满（新）");
	/* What it does not name stays. */
	assert_string_equal(rules->text[SCHED_R_PUBLICITY].action, action);
	assert_string_equal(rules->text[SCHED_R_EVALUATION].title,
	    "年度绩效评价资料提交截止");
	assert_string_equal(rules->pack, "yangquan-2025");
	free(action);
	sched_rules_free(rules);
}

static void
test_a_pack_sets_audiences_and_switches(void **state)
{
	struct sched_rules	*rules = tu_rules();
	char			*error;

	(void)state;
	assert_int_equal(load(rules, "[pack]\nabandonment_bars_reapply = yes\n"
	    "lapse_bars_reapply = true\n[evaluation]\nto = centre unit, bureau\n",
	    &error), 0);
	assert_true(rules->abandonment_bars_reapply);
	assert_true(rules->lapse_bars_reapply);
	assert_int_equal(rules->text[SCHED_R_EVALUATION].to,
	    SCHED_TO_CENTRE | SCHED_TO_UNIT | SCHED_TO_BUREAU);
	assert_int_equal(load(rules, "[pack]\nabandonment_bars_reapply = no\n",
	    &error), 0);
	assert_false(rules->abandonment_bars_reapply);
	assert_true(rules->lapse_bars_reapply);
	sched_rules_free(rules);
}

/* ---- errors ---- */

static void
test_an_unknown_section_is_refused_with_its_line(void **state)
{
	(void)state;
	REFUSED("[publicity]\ntitle = 新标题\n[no_such_rule]\ntitle = x\n",
	    "test.ini:4:");
	REFUSED("[publicity]\ntitle = 新标题\n[no_such_rule]\ntitle = x\n",
	    "no_such_rule");
}

static void
test_an_unknown_key_is_refused_with_its_line(void **state)
{
	(void)state;
	REFUSED("[evaluation]\ntitle = 新标题\ncolour = red\n", "test.ini:3:");
	REFUSED("[evaluation]\ntitle = 新标题\ncolour = red\n", "colour");
	REFUSED("[pack]\nname = x\nban_years = 5\n", "test.ini:3:");
}

static void
test_a_bad_audience_is_refused_with_its_line(void **state)
{
	(void)state;
	REFUSED("# who\n[evaluation]\nto = centre, mayor\n", "test.ini:3:");
	REFUSED("# who\n[evaluation]\nto = centre, mayor\n", "mayor");
	REFUSED("[evaluation]\nto =\n", "test.ini:2:");
}

static void
test_a_bad_boolean_is_refused_with_its_line(void **state)
{
	(void)state;
	REFUSED("[pack]\nabandonment_bars_reapply = maybe\n", "test.ini:2:");
	REFUSED("[pack]\nlapse_bars_reapply = 2\n", "test.ini:2:");
}

static void
test_a_line_that_is_not_ini_is_refused_with_its_line(void **state)
{
	(void)state;
	REFUSED("[publicity]\ntitle = x\nthis is not a setting\n",
	    "test.ini:3:");
	REFUSED("[publicity\ntitle = x\n", "test.ini:1:");
}

/* Titles reach JSON, mail and feeds: bytes that are not UTF-8 (a pack
 * saved as GB 18030) are refused where they are, not dropped later. */
static void
test_a_line_that_is_not_utf8_is_refused_with_its_line(void **state)
{
	(void)state;
	/* "新标题" in GB 18030. */
	REFUSED("[publicity]\ntitle = \xd0\xc2\xb1\xea\xcc\xe2\n",
	    "test.ini:2:");
	REFUSED("[publicity]\ntitle = \xd0\xc2\xb1\xea\xcc\xe2\n",
	    "not UTF-8");
	/* An overlong "/", a lone continuation byte. */
	REFUSED("[publicity]\ntitle = \xc0\xaf\n", "test.ini:2:");
	REFUSED("[publicity]\ntitle = x\x80\n", "test.ini:2:");
	REFUSED("[publi\xff" "city]\ntitle = x\n", "test.ini:1:");
}

/* A control character (a backspace typed into a title) is refused where
 * it is: the feed made an empty CATEGORIES of it, which libical's parser
 * refuses.  A tab stays allowed. */
static void
test_a_control_character_is_refused_with_its_line(void **state)
{
	struct sched_rules	*rules = tu_rules();
	char			*error = NULL;

	(void)state;
	REFUSED("[evaluation]\ntitle = \b\n", "test.ini:2:");
	REFUSED("[evaluation]\ntitle = a\x1b[31mb\n", "control character");
	REFUSED("[evaluation]\nclosed_by = x\x7fy\n", "test.ini:2:");
	REFUSED("[evaluation]\ntitle = x\ry\n", "test.ini:2:");
	assert_int_equal(load(rules, "[evaluation]\ntitle = 年度\t评价\r\n",
	    &error), 0);
	assert_null(error);
	sched_rules_free(rules);
}

static void
test_every_bad_line_is_reported(void **state)
{
	(void)state;
	REFUSED("[evaluation]\ncolour = red\nto = mayor\n", "test.ini:2:");
	REFUSED("[evaluation]\ncolour = red\nto = mayor\n", "test.ini:3:");
}

/* ---- the switch ---- */

static const char *const abandoned_a[] = {
	"{'type':'registered','date':'2025-01-10','centre':'a','name':'N',"
	    "'unit':'U'}",
	"{'type':'recognized','date':'2025-10-20','centre':'a'}",
	"{'type':'abandoned','date':'2026-03-15','centre':'a'}",
};

static void
test_abandonment_bars_reapply_refuses_an_application(void **state)
{
	struct sched_rules	*rules = tu_rules();
	struct sched_journal	*j;
	char			*error;
	int			 today = D("2029-12-31");

	(void)state;
	assert_int_equal(load(rules, "[pack]\nabandonment_bars_reapply = yes\n",
	    &error), 0);
	j = TU_JOURNAL(rules, today, abandoned_a);
	TU_REFUSE(j, rules, today,
	    "{'type':'applied','date':'2027-01-01','centre':'a'}", "Art. 16");
	TU_REFUSE(j, rules, today,
	    "{'type':'applied','date':'2029-03-15','centre':'a'}",
	    "2029-03-16");
	TU_ADD(j, rules, today,
	    "{'type':'applied','date':'2029-03-16','centre':'a'}");
	sched_journal_free(j);
	sched_rules_free(rules);
}

static void
test_abandonment_does_not_bar_by_default(void **state)
{
	struct sched_rules	*rules = tu_rules();
	struct sched_journal	*j;
	int			 today = D("2029-12-31");

	(void)state;
	j = TU_JOURNAL(rules, today, abandoned_a);
	TU_ADD(j, rules, today,
	    "{'type':'applied','date':'2027-01-01','centre':'a'}");
	sched_journal_free(j);
	sched_rules_free(rules);
}

static void
test_lapse_bars_reapply_refuses_an_application(void **state)
{
	static const char *const events[] = {
		"{'type':'registered','date':'2025-01-10','centre':'b',"
		    "'name':'N','unit':'U','legacy':true}",
		"{'type':'lapsed','date':'2028-01-05','centre':'b'}",
	};
	struct sched_rules	*rules = tu_rules();
	struct sched_journal	*j;
	char			*error;
	int			 today = D("2031-12-31");

	(void)state;
	assert_int_equal(load(rules, "[pack]\nlapse_bars_reapply = yes\n",
	    &error), 0);
	j = TU_JOURNAL(rules, today, events);
	TU_REFUSE(j, rules, today,
	    "{'type':'applied','date':'2028-06-01','centre':'b'}", "2031-01-06");
	sched_journal_free(j);
	sched_rules_free(rules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_shipped_pack_loads),
		cmocka_unit_test(test_the_shipped_pack_gives_every_rule_its_words),
		cmocka_unit_test(test_the_audiences_are_those_of_the_table),
		cmocka_unit_test(test_the_facts_of_the_table),
		cmocka_unit_test(test_a_later_pack_overrides_a_title),
		cmocka_unit_test(test_a_pack_sets_audiences_and_switches),
		cmocka_unit_test(test_an_unknown_section_is_refused_with_its_line),
		cmocka_unit_test(test_an_unknown_key_is_refused_with_its_line),
		cmocka_unit_test(test_a_bad_audience_is_refused_with_its_line),
		cmocka_unit_test(test_a_bad_boolean_is_refused_with_its_line),
		cmocka_unit_test(test_a_line_that_is_not_ini_is_refused_with_its_line),
		cmocka_unit_test(test_a_line_that_is_not_utf8_is_refused_with_its_line),
		cmocka_unit_test(test_a_control_character_is_refused_with_its_line),
		cmocka_unit_test(test_every_bad_line_is_reported),
		cmocka_unit_test(test_abandonment_bars_reapply_refuses_an_application),
		cmocka_unit_test(test_abandonment_does_not_bar_by_default),
		cmocka_unit_test(test_lapse_bars_reapply_refuses_an_application),
	};

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
