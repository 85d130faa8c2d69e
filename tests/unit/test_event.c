/*
 * test_event.c: the journal's vocabulary (scheduler/event.c): every event
 * type of DOMAIN.md's table accepted with its fields, every refusal of
 * form with the field named as spelled in the JSON, the round trip
 * through sched_event_to_json, and the quick reader of JSON text
 * (sched_event_from_text) reading every text as jansson does.
 */
#include "tests/unit/testutil.h"

/* Parses an event that must be refused; returns the reason. */
static char *
refusal_at(const char *text, const char *file, int line)
{
	json_t			*v = tu_json_load(text, file, line);
	char			*error = NULL;
	struct sched_event	*ev = sched_event_from_json(v, &error);

	json_decref(v);
	if (ev != NULL) {
		print_error("accepted what it should refuse: %s\n", text);
		sched_event_free(ev);
		_fail(file, line);
	}
	if (error == NULL) {
		print_error("refused without a reason: %s\n", text);
		_fail(file, line);
	}
	return error;
}

/* Refused, and the reason names "want" (a field as spelled, quoted). */
static void
refused_at(const char *text, const char *want, const char *file, int line)
{
	char	*error = refusal_at(text, file, line);

	if (strstr(error, want) == NULL) {
		print_error("the reason lacks %s:\n  %s\n  reason: %s\n", want,
		    text, error);
		_fail(file, line);
	}
	free(error);
}
#define REFUSED(text, want)	refused_at((text), (want), __FILE__, __LINE__)

static void
assert_date(int day, const char *want)
{
	char	 got[SCHED_DATE_LEN];

	assert_string_equal(sched_date_format(day, got), want);
}

/* An event with only date and centre: type, date, centre, no extras. */
static void
assert_plain(const char *type, enum sched_event_type t)
{
	char			 text[256];
	struct sched_event	*ev;

	snprintf(text, sizeof(text), "{'type':'%s','date':'2025-10-20',"
	    "'centre':'c1'}", type);
	ev = TU_EVENT(text);
	assert_int_equal(ev->type, t);
	assert_date(ev->date, "2025-10-20");
	assert_string_equal(ev->centre, "c1");
	assert_null(ev->id);
	assert_null(ev->note);
	assert_false(sched_event_is_bureau_wide(t));
	assert_string_equal(sched_event_type_name(t), type);
	sched_event_free(ev);
	/* ...and none of them has a field of another type. */
	snprintf(text, sizeof(text), "{'type':'%s','date':'2025-10-20',"
	    "'centre':'c1','year':2025}", type);
	REFUSED(text, "\"year\"");
}

/* ---- accepted: every type with its fields ---- */

static void
test_registered_with_every_field(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'阳泉市新材料技术创新中心','unit':'城区科技局',"
	    "'legacy':true,'director_birth':'1966-07-01','id':'e1',"
	    "'note':'阳科发〔2025〕1号'}");
	assert_int_equal(ev->type, SCHED_EV_REGISTERED);
	assert_date(ev->date, "2025-01-10");
	assert_string_equal(ev->centre, "c1");
	assert_string_equal(ev->name, "阳泉市新材料技术创新中心");
	assert_string_equal(ev->unit, "城区科技局");
	assert_true(ev->legacy);
	assert_date(ev->director_birth, "1966-07-01");
	assert_string_equal(ev->id, "e1");
	assert_string_equal(ev->note, "阳科发〔2025〕1号");
	sched_event_free(ev);
}

static void
test_registered_with_only_the_required_fields(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'N','unit':'U'}");
	assert_false(ev->legacy);
	assert_int_equal(ev->director_birth, SCHED_NO_DAY);
	sched_event_free(ev);
	ev = TU_EVENT("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'N','unit':'U','legacy':false}");
	assert_false(ev->legacy);
	sched_event_free(ev);
}

static void
test_round_announced_is_bureau_wide(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'round_announced','date':'2025-10-01',"
	    "'round':'2025年第一批','application_deadline':'2025-11-30',"
	    "'recommendation_deadline':'2025-12-15'}");
	assert_int_equal(ev->type, SCHED_EV_ROUND_ANNOUNCED);
	assert_null(ev->centre);
	assert_string_equal(ev->round, "2025年第一批");
	assert_date(ev->application_deadline, "2025-11-30");
	assert_date(ev->recommendation_deadline, "2025-12-15");
	assert_true(sched_event_is_bureau_wide(SCHED_EV_ROUND_ANNOUNCED));
	sched_event_free(ev);
	ev = TU_EVENT("{'type':'round_announced','date':'2025-10-01',"
	    "'round':'r','application_deadline':'2025-11-30'}");
	assert_int_equal(ev->recommendation_deadline, SCHED_NO_DAY);
	sched_event_free(ev);
}

static void
test_the_types_without_extra_fields(void **state)
{
	(void)state;
	assert_plain("applied", SCHED_EV_APPLIED);
	assert_plain("recommended", SCHED_EV_RECOMMENDED);
	assert_plain("publicity_started", SCHED_EV_PUBLICITY_STARTED);
	assert_plain("objection_received", SCHED_EV_OBJECTION_RECEIVED);
	assert_plain("recognized", SCHED_EV_RECOGNIZED);
	assert_plain("not_recognized", SCHED_EV_NOT_RECOGNIZED);
	assert_plain("expert_meeting_held", SCHED_EV_EXPERT_MEETING_HELD);
	assert_plain("rectification_completed",
	    SCHED_EV_RECTIFICATION_COMPLETED);
	assert_plain("abandoned", SCHED_EV_ABANDONED);
	assert_plain("lapsed", SCHED_EV_LAPSED);
	assert_plain("transition_met", SCHED_EV_TRANSITION_MET);
}

static void
test_objection_resolved_with_either_outcome(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'recognized'}");
	assert_int_equal(ev->type, SCHED_EV_OBJECTION_RESOLVED);
	assert_true(ev->outcome_recognized);
	sched_event_free(ev);
	ev = TU_EVENT("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'not_recognized'}");
	assert_false(ev->outcome_recognized);
	sched_event_free(ev);
	/* Another spelling is named, the Latin words set apart by a space. */
	REFUSED("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'recognised'}",
	    "字段 \"outcome\" 应为 recognized 或 not_recognized");
}

static void
test_committee_formed_with_its_counts(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':7,'host_members':3}");
	assert_int_equal(ev->type, SCHED_EV_COMMITTEE_FORMED);
	assert_int_equal(ev->members, 7);
	assert_int_equal(ev->host_members, 3);
	sched_event_free(ev);
	/* Equal counts and zeros are allowed: the planner judges them. */
	sched_event_free(TU_EVENT("{'type':'committee_formed','date':"
	    "'2025-11-03','centre':'c1','members':3,'host_members':3}"));
	sched_event_free(TU_EVENT("{'type':'committee_formed','date':"
	    "'2025-11-03','centre':'c1','members':0,'host_members':0}"));
}

static void
test_evaluation_round_is_bureau_wide(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'evaluation_round','date':'2026-01-15',"
	    "'year':2025,'deadline':'2026-03-31'}");
	assert_int_equal(ev->type, SCHED_EV_EVALUATION_ROUND);
	assert_null(ev->centre);
	assert_int_equal(ev->year, 2025);
	assert_date(ev->deadline, "2026-03-31");
	assert_true(sched_event_is_bureau_wide(SCHED_EV_EVALUATION_ROUND));
	sched_event_free(ev);
}

static void
test_evaluation_submitted_with_its_year(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'evaluation_submitted','date':'2026-03-01',"
	    "'centre':'c1','year':2025}");
	assert_int_equal(ev->type, SCHED_EV_EVALUATION_SUBMITTED);
	assert_int_equal(ev->year, 2025);
	sched_event_free(ev);
}

static void
test_evaluation_result_with_every_grade(void **state)
{
	static const struct {
		const char		*name;
		enum sched_grade	 grade;
	} grades[] = {
		{ "excellent", SCHED_GRADE_EXCELLENT },
		{ "good", SCHED_GRADE_GOOD },
		{ "pass", SCHED_GRADE_PASS },
	};
	struct sched_event	*ev;
	char			 text[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < TU_NITEMS(grades); i++) {
		snprintf(text, sizeof(text), "{'type':'evaluation_result',"
		    "'date':'2026-05-10','centre':'c1','year':2025,"
		    "'grade':'%s'}", grades[i].name);
		ev = TU_EVENT(text);
		assert_int_equal(ev->grade, grades[i].grade);
		assert_int_equal(ev->rectify_by, SCHED_NO_DAY);
		sched_event_free(ev);
	}
	ev = TU_EVENT("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'fail',"
	    "'rectify_by':'2026-08-31'}");
	assert_int_equal(ev->type, SCHED_EV_EVALUATION_RESULT);
	assert_int_equal(ev->year, 2025);
	assert_int_equal(ev->grade, SCHED_GRADE_FAIL);
	assert_date(ev->rectify_by, "2026-08-31");
	sched_event_free(ev);
}

static void
test_revoked_with_each_article_as_number_or_string(void **state)
{
	static const char *articles[] = { "13", "14", "15", "'13'", "'14'",
	    "'15'" };
	struct sched_event	*ev;
	char			 text[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < TU_NITEMS(articles); i++) {
		snprintf(text, sizeof(text), "{'type':'revoked','date':"
		    "'2026-03-15','centre':'c1','article':%s}", articles[i]);
		ev = TU_EVENT(text);
		assert_int_equal(ev->type, SCHED_EV_REVOKED);
		assert_int_equal(ev->article, 13 + (int)(i % 3));
		sched_event_free(ev);
	}
}

static void
test_director_changed_with_the_birth_date(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'director_changed','date':'2027-03-01',"
	    "'centre':'c1','director_birth':'1970-02-15'}");
	assert_int_equal(ev->type, SCHED_EV_DIRECTOR_CHANGED);
	assert_date(ev->director_birth, "1970-02-15");
	sched_event_free(ev);
}

static void
test_retracted_is_bureau_wide(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'retracted','date':'2026-01-05','event':'e1',"
	    "'reason':'录入错误'}");
	assert_int_equal(ev->type, SCHED_EV_RETRACTED);
	assert_null(ev->centre);
	assert_string_equal(ev->target, "e1");
	assert_string_equal(ev->reason, "录入错误");
	assert_true(sched_event_is_bureau_wide(SCHED_EV_RETRACTED));
	sched_event_free(ev);
}

static void
test_id_and_note_on_any_event(void **state)
{
	struct sched_event	*ev;

	(void)state;
	ev = TU_EVENT("{'type':'evaluation_round','date':'2026-01-15',"
	    "'year':2025,'deadline':'2026-03-31','id':'round-2025',"
	    "'note':'阳科发〔2026〕3号'}");
	assert_string_equal(ev->id, "round-2025");
	assert_string_equal(ev->note, "阳科发〔2026〕3号");
	sched_event_free(ev);
}

static void
test_only_bureau_wide_types_are_bureau_wide(void **state)
{
	int	 t;

	(void)state;
	for (t = 0; t < SCHED_EV_COUNT; t++)
		assert_int_equal(sched_event_is_bureau_wide(
		    (enum sched_event_type)t), t == SCHED_EV_ROUND_ANNOUNCED ||
		    t == SCHED_EV_EVALUATION_ROUND || t == SCHED_EV_RETRACTED);
}

/* ---- refused: the type ---- */

static void
test_an_unknown_type_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'frobnicated','date':'2025-10-20','centre':'c1'}",
	    "\"frobnicated\"");
	REFUSED("{'type':'Applied','date':'2025-10-20','centre':'c1'}",
	    "\"Applied\"");
}

static void
test_a_missing_type_is_refused(void **state)
{
	(void)state;
	REFUSED("{'date':'2025-10-20','centre':'c1'}", "\"type\"");
}

static void
test_a_type_that_is_not_a_string_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':3,'date':'2025-10-20','centre':'c1'}", "\"type\"");
	REFUSED("{'type':null,'date':'2025-10-20','centre':'c1'}", "\"type\"");
}

static void
test_a_non_object_is_refused(void **state)
{
	(void)state;
	free(refusal_at("['applied','2025-10-20']", __FILE__, __LINE__));
	free(refusal_at("'applied'", __FILE__, __LINE__));
	free(refusal_at("42", __FILE__, __LINE__));
	free(refusal_at("null", __FILE__, __LINE__));
}

/* ---- refused: a field its type does not have ---- */

static void
test_a_field_of_another_type_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'applied','date':'2025-10-20','centre':'c1',"
	    "'grade':'pass'}", "\"grade\"");
	REFUSED("{'type':'evaluation_submitted','date':'2026-03-01',"
	    "'centre':'c1','year':2025,'deadline':'2026-03-31'}",
	    "\"deadline\"");
	REFUSED("{'type':'applied','date':'2025-10-20','centre':'c1',"
	    "'legacy':true}", "\"legacy\"");
	REFUSED("{'type':'recognized','date':'2025-10-20','centre':'c1',"
	    "'outcome':'recognized'}", "\"outcome\"");
	REFUSED("{'type':'applied','date':'2025-10-20','centre':'c1',"
	    "'colour':'red'}", "\"colour\"");
}

static void
test_a_centre_on_a_bureau_wide_event_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'round_announced','date':'2025-10-01','centre':'c1',"
	    "'round':'r','application_deadline':'2025-11-30'}", "\"centre\"");
	REFUSED("{'type':'evaluation_round','date':'2026-01-15','centre':'c1',"
	    "'year':2025,'deadline':'2026-03-31'}", "\"centre\"");
	REFUSED("{'type':'retracted','date':'2026-01-05','centre':'c1',"
	    "'event':'e1','reason':'r'}", "\"centre\"");
}

/* ---- refused: a required field missing ---- */

static void
test_a_missing_required_field_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'applied','centre':'c1'}", "\"date\"");
	REFUSED("{'type':'applied','date':'2025-10-20'}", "\"centre\"");
	REFUSED("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'unit':'U'}", "\"name\"");
	REFUSED("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'N'}", "\"unit\"");
	REFUSED("{'type':'round_announced','date':'2025-10-01',"
	    "'application_deadline':'2025-11-30'}", "\"round\"");
	REFUSED("{'type':'round_announced','date':'2025-10-01','round':'r'}",
	    "\"application_deadline\"");
	REFUSED("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1'}", "\"outcome\"");
	REFUSED("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':7}", "\"host_members\"");
	REFUSED("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','host_members':3}", "\"members\"");
	REFUSED("{'type':'evaluation_round','date':'2026-01-15',"
	    "'deadline':'2026-03-31'}", "\"year\"");
	REFUSED("{'type':'evaluation_round','date':'2026-01-15','year':2025}",
	    "\"deadline\"");
	REFUSED("{'type':'evaluation_submitted','date':'2026-03-01',"
	    "'centre':'c1'}", "\"year\"");
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025}", "\"grade\"");
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','grade':'pass'}", "\"year\"");
	REFUSED("{'type':'revoked','date':'2026-03-15','centre':'c1'}",
	    "\"article\"");
	REFUSED("{'type':'director_changed','date':'2027-03-01',"
	    "'centre':'c1'}", "\"director_birth\"");
	REFUSED("{'type':'retracted','date':'2026-01-05','reason':'r'}",
	    "\"event\"");
	REFUSED("{'type':'retracted','date':'2026-01-05','event':'e1'}",
	    "\"reason\"");
}

/* ---- refused: a malformed field ---- */

static void
test_a_date_that_is_not_a_real_day_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'applied','date':'2025-02-29','centre':'c1'}",
	    "\"date\"");
	REFUSED("{'type':'applied','date':'2025-10-1','centre':'c1'}",
	    "\"date\"");
	REFUSED("{'type':'applied','date':'20251020','centre':'c1'}",
	    "\"date\"");
	REFUSED("{'type':'applied','date':20251020,'centre':'c1'}",
	    "\"date\"");
	REFUSED("{'type':'applied','date':'2025-10-20T08:00:00+08:00',"
	    "'centre':'c1'}", "\"date\"");
	REFUSED("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'N','unit':'U','director_birth':'1966-7-1'}",
	    "\"director_birth\"");
	REFUSED("{'type':'evaluation_round','date':'2026-01-15','year':2025,"
	    "'deadline':'2026-04-31'}", "\"deadline\"");
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'fail','rectify_by':'soon'}",
	    "\"rectify_by\"");
	REFUSED("{'type':'round_announced','date':'2025-10-01','round':'r',"
	    "'application_deadline':'2025-11-31'}", "\"application_deadline\"");
	REFUSED("{'type':'round_announced','date':'2025-10-01','round':'r',"
	    "'application_deadline':'2025-11-30',"
	    "'recommendation_deadline':'2025-13-01'}",
	    "\"recommendation_deadline\"");
}

static void
test_a_grade_not_in_the_list_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'average'}", "\"grade\"");
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'FAIL',"
	    "'rectify_by':'2026-08-31'}", "\"grade\"");
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':3}", "\"grade\"");
}

static void
test_fail_without_rectify_by_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'fail'}", "\"rectify_by\"");
}

static void
test_rectify_by_with_a_grade_other_than_fail_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'pass',"
	    "'rectify_by':'2026-08-31'}", "\"rectify_by\"");
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'excellent',"
	    "'rectify_by':'2026-08-31'}", "\"rectify_by\"");
}

static void
test_a_year_that_is_not_an_integer_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'evaluation_submitted','date':'2026-03-01',"
	    "'centre':'c1','year':2025.5}", "\"year\"");
	REFUSED("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':true,'grade':'pass'}", "\"year\"");
}

static void
test_a_year_written_as_a_string_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'evaluation_submitted','date':'2026-03-01',"
	    "'centre':'c1','year':'2025'}", "\"year\"");
}

static void
test_more_host_members_than_members_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':5,'host_members':6}", "host_members");
}

static void
test_a_negative_or_non_integer_count_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':-1,'host_members':0}", "\"members\"");
	REFUSED("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':7,'host_members':-2}",
	    "\"host_members\"");
	REFUSED("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':'7','host_members':3}", "\"members\"");
	REFUSED("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':7.5,'host_members':3}", "\"members\"");
}

static void
test_an_article_other_than_13_14_15_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':12}", "\"article\"");
	REFUSED("{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':16}", "\"article\"");
	REFUSED("{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':'12'}", "\"article\"");
	REFUSED("{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':'第十四条'}", "\"article\"");
	REFUSED("{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':'14 '}", "\"article\"");
}

static void
test_an_invalid_outcome_is_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'upheld'}", "\"outcome\"");
	REFUSED("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':true}", "\"outcome\"");
}

static void
test_empty_strings_are_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'','unit':'U'}", "\"name\"");
	REFUSED("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'N','unit':''}", "\"unit\"");
	REFUSED("{'type':'applied','date':'2025-10-20','centre':''}",
	    "\"centre\"");
	REFUSED("{'type':'applied','date':'2025-10-20','centre':'c1',"
	    "'id':''}", "\"id\"");
	REFUSED("{'type':'retracted','date':'2026-01-05','event':'e1',"
	    "'reason':''}", "\"reason\"");
	REFUSED("{'type':'retracted','date':'2026-01-05','event':'',"
	    "'reason':'r'}", "\"event\"");
	REFUSED("{'type':'round_announced','date':'2025-10-01','round':'',"
	    "'application_deadline':'2025-11-30'}", "\"round\"");
}

static void
test_fields_of_the_wrong_json_type_are_refused(void **state)
{
	(void)state;
	REFUSED("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'N','unit':'U','legacy':'yes'}", "\"legacy\"");
	REFUSED("{'type':'applied','date':'2025-10-20','centre':7}",
	    "\"centre\"");
	REFUSED("{'type':'applied','date':'2025-10-20','centre':'c1',"
	    "'note':5}", "\"note\"");
	REFUSED("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':['N'],'unit':'U'}", "\"name\"");
}

/* ---- the round trip ---- */

static void
round_trip_at(const char *text, const char *file, int line)
{
	json_t			*in = tu_json_load(text, file, line), *out, *again;
	struct sched_event	*ev = tu_event_at(text, file, line), *ev2;
	char			*error = NULL, *dump;

	out = sched_event_to_json(ev);
	if (!json_equal(in, out)) {
		dump = json_dumps(out, JSON_SORT_KEYS);
		print_error("round trip changed the event:\n  in:  %s\n  out: "
		    "%s\n", text, dump);
		free(dump);
		_fail(file, line);
	}
	ev2 = sched_event_from_json(out, &error);
	if (ev2 == NULL) {
		print_error("its own output is refused: %s\n", error);
		_fail(file, line);
	}
	again = sched_event_to_json(ev2);
	if (!json_equal(out, again))
		_fail(file, line);
	json_decref(in);
	json_decref(out);
	json_decref(again);
	sched_event_free(ev);
	sched_event_free(ev2);
}
#define ROUND_TRIP(text)	round_trip_at((text), __FILE__, __LINE__)

static void
test_every_type_round_trips_through_json(void **state)
{
	(void)state;
	ROUND_TRIP("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'中心','unit':'城区科技局','legacy':true,"
	    "'director_birth':'1966-07-01','id':'e1','note':'n'}");
	ROUND_TRIP("{'type':'registered','date':'2025-01-10','centre':'c1',"
	    "'name':'中心','unit':'城区科技局'}");
	ROUND_TRIP("{'type':'round_announced','date':'2025-10-01','round':'r1',"
	    "'application_deadline':'2025-11-30',"
	    "'recommendation_deadline':'2025-12-15'}");
	ROUND_TRIP("{'type':'round_announced','date':'2025-10-01','round':'r1',"
	    "'application_deadline':'2025-11-30'}");
	ROUND_TRIP("{'type':'applied','date':'2025-10-20','centre':'c1'}");
	ROUND_TRIP("{'type':'recommended','date':'2025-10-20','centre':'c1'}");
	ROUND_TRIP("{'type':'publicity_started','date':'2025-09-26',"
	    "'centre':'c1','id':'p1'}");
	ROUND_TRIP("{'type':'objection_received','date':'2025-09-30',"
	    "'centre':'c1'}");
	ROUND_TRIP("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'recognized'}");
	ROUND_TRIP("{'type':'objection_resolved','date':'2025-10-20',"
	    "'centre':'c1','outcome':'not_recognized'}");
	ROUND_TRIP("{'type':'recognized','date':'2025-10-20','centre':'c1'}");
	ROUND_TRIP("{'type':'not_recognized','date':'2025-10-20',"
	    "'centre':'c1'}");
	ROUND_TRIP("{'type':'committee_formed','date':'2025-11-03',"
	    "'centre':'c1','members':7,'host_members':3}");
	ROUND_TRIP("{'type':'expert_meeting_held','date':'2026-06-01',"
	    "'centre':'c1'}");
	ROUND_TRIP("{'type':'evaluation_round','date':'2026-01-15',"
	    "'year':2025,'deadline':'2026-03-31'}");
	ROUND_TRIP("{'type':'evaluation_submitted','date':'2026-03-01',"
	    "'centre':'c1','year':2025}");
	ROUND_TRIP("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'fail',"
	    "'rectify_by':'2026-08-31'}");
	ROUND_TRIP("{'type':'evaluation_result','date':'2026-05-10',"
	    "'centre':'c1','year':2025,'grade':'good'}");
	ROUND_TRIP("{'type':'rectification_completed','date':'2026-08-01',"
	    "'centre':'c1'}");
	ROUND_TRIP("{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':14}");
	ROUND_TRIP("{'type':'abandoned','date':'2026-04-10','centre':'c1'}");
	ROUND_TRIP("{'type':'lapsed','date':'2028-01-05','centre':'c1'}");
	ROUND_TRIP("{'type':'transition_met','date':'2027-06-01',"
	    "'centre':'c1'}");
	ROUND_TRIP("{'type':'director_changed','date':'2027-03-01',"
	    "'centre':'c1','director_birth':'1970-02-15'}");
	ROUND_TRIP("{'type':'retracted','date':'2026-01-05','event':'e1',"
	    "'reason':'录入错误','note':'见说明'}");
}

static void
test_an_article_given_as_a_string_comes_back_as_that_article(void **state)
{
	struct sched_event	*ev;
	json_t			*out;

	(void)state;
	ev = TU_EVENT("{'type':'revoked','date':'2026-03-15','centre':'c1',"
	    "'article':'14'}");
	out = sched_event_to_json(ev);
	/* "a number or a string": either spelling names Art. 14. */
	if (json_is_integer(json_object_get(out, "article")))
		assert_int_equal(json_integer_value(json_object_get(out,
		    "article")), 14);
	else
		assert_string_equal(json_string_value(json_object_get(out,
		    "article")), "14");
	json_decref(out);
	sched_event_free(ev);
}

/* ---- the quick reader: the same answer as jansson, always ---- */

/* An event as one line of JSON, to compare two events by. */
static char *
event_text(const struct sched_event *ev)
{
	json_t	*v = sched_event_to_json(ev);
	char	*s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(v);
	return s;
}

/*
 * sched_event_from_text gives what json_loadb and sched_event_from_json
 * give: the same event, the same refusal, or the same JSON error.
 */
static void
same_reading(const char *text, size_t len, size_t flags)
{
	struct sched_event	*quick, *slow = NULL;
	json_error_t		 qerr, serr;
	char			*qwhy = NULL, *swhy = NULL, *a, *b;
	json_t			*obj;

	quick = sched_event_from_text(text, len, flags, &qerr, &qwhy);
	if ((obj = json_loadb(text, len, flags, &serr)) != NULL)
		slow = sched_event_from_json(obj, &swhy);
	json_decref(obj);
	if (obj == NULL) {
		assert_null(quick);
		assert_null(qwhy);
		assert_string_equal(qerr.text, serr.text);
		assert_int_equal(qerr.column, serr.column);
	} else if (slow == NULL) {
		assert_null(quick);
		assert_non_null(qwhy);
		assert_string_equal(qwhy, swhy);
	} else {
		assert_non_null(quick);
		a = event_text(quick);
		b = event_text(slow);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	sched_event_free(quick);
	sched_event_free(slow);
	free(qwhy);
	free(swhy);
}

static const char *const texts[] = {
	/* plain: what the quick reader takes itself */
	"{\"type\":\"registered\",\"date\":\"2025-01-10\",\"centre\":\"c1\","
	    "\"name\":\"中心一\",\"unit\":\"城区科技局\",\"legacy\":true,"
	    "\"director_birth\":\"1970-02-28\",\"id\":\"r1\",\"note\":\"\"}",
	" {\t\"type\" : \"committee_formed\" ,\"date\":\"2026-01-05\",\r\n"
	    "\"centre\":\"c1\",\"members\":7,\"host_members\":0} \n",
	"{\"type\":\"revoked\",\"date\":\"2026-01-05\",\"centre\":\"c1\","
	    "\"article\":14}",
	"{\"type\":\"revoked\",\"date\":\"2026-01-05\",\"centre\":\"c1\","
	    "\"article\":-0}",
	"{\"type\":\"evaluation_result\",\"date\":\"2026-06-01\",\"centre\":"
	    "\"c1\",\"year\":2025,\"grade\":\"fail\","
	    "\"rectify_by\":\"2026-09-30\"}",
	"{\"type\":\"registered\",\"date\":\"2025-01-10\",\"centre\":\"c1\","
	    "\"name\":\"n\",\"unit\":\"u\",\"legacy\":false}",
	"{}",
	"{\"type\":\"nope\"}",
	"{\"type\":5}",
	"{\"type\":\"applied\",\"date\":\"2025-02-30\",\"centre\":\"c1\"}",
	"{\"type\":\"applied\",\"date\":\"2025-01-10\",\"centre\":\"\"}",
	"{\"type\":\"applied\",\"date\":\"2025-01-10\",\"centre\":\"c1\","
	    "\"x\":1}",
	"{\"type\":\"committee_formed\",\"date\":\"2026-01-05\","
	    "\"centre\":\"c1\",\"members\":100001,\"host_members\":-1}",
	"{\"type\":\"evaluation_submitted\",\"date\":\"2026-01-05\",\"centre\":"
	    "\"c1\",\"year\":999999999999999999}",
	"{\"\":1}",
	/* for jansson: escapes, nesting, null, reals, long numbers */
	"{\"type\":\"applied\",\"date\":\"2025-01-10\","
	    "\"centre\":\"c\\u00e9\\n\"}",
	"{\"type\":\"applied\",\"date\":\"2025-01-10\","
	    "\"centre\":\"c\\u0000\"}",
	"{\"typ\\u0065\":\"applied\",\"date\":\"2025-01-10\","
	    "\"centre\":\"c1\"}",
	"{\"type\":\"applied\",\"date\":\"2025-01-10\",\"centre\":\"c1\","
	    "\"note\":null}",
	"{\"type\":\"evaluation_submitted\",\"date\":\"2026-01-05\",\"centre\":"
	    "\"c1\",\"year\":2025.0}",
	"{\"type\":\"evaluation_submitted\",\"date\":\"2026-01-05\",\"centre\":"
	    "\"c1\",\"year\":2e3}",
	"{\"type\":\"evaluation_submitted\",\"date\":\"2026-01-05\",\"centre\":"
	    "\"c1\",\"year\":99999999999999999999}",
	"{\"type\":\"evaluation_submitted\",\"date\":\"2026-01-05\",\"centre\":"
	    "\"c1\",\"year\":02025}",
	"{\"type\":\"applied\",\"date\":\"2025-01-10\",\"centre\":[\"c1\"]}",
	"{\"type\":\"applied\",\"date\":\"2025-01-10\",\"centre\":{\"a\":1}}",
	"{\"type\":\"applied\",\"type\":\"recommended\","
	    "\"date\":\"2025-01-10\",\"centre\":\"c1\"}",
	"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,"
	    "\"h\":8,\"i\":9,\"j\":10,\"k\":11,\"l\":12,\"m\":13,"
	    "\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"type\":\"applied\"}",
	/* not JSON, or not an object */
	"", "   ", "{", "}", "{\"type\"}", "{\"type\":}", "{\"type\":\"a\",}",
	"{,}", "{\"type\":\"a\"} x", "{\"type\":\"a\"}{}", "[1]", "\"s\"", "5",
	"{\"type\":tru}", "{\"type\":truex}", "{\"type\":-}", "{\"type\":1x}",
	"{\"type\":\"a\tb\"}", "{\"type\":\"\x01\"}", "{\"type\":\"\x7f\"}",
	"{\"type\":\"\xff\"}", "{\"type\":\"\xc0\xaf\"}",
	"{\"type\":\"\xed\xa0\x80\"}", "{\"type\":\"\xf4\x90\x80\x80\"}",
	"{\"type\":\"\xe4\xb8\"}", "{\"\xe4\xb8\xad\":1}", "\xef\xbb\xbf{}",
};

static void
test_text_is_read_as_jansson_reads_it(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < TU_NITEMS(texts); i++) {
		same_reading(texts[i], strlen(texts[i]), 0);
		same_reading(texts[i], strlen(texts[i]),
		    JSON_REJECT_DUPLICATES);
	}
	/* A NUL byte within the text. */
	same_reading("{\"type\":\"a\0\"}", 13, 0);
	same_reading("{\"type\":\"a\"}\0", 13, 0);
}

/* Each text with bytes changed, dropped or repeated at random (the same
 * sequence every run), read both ways. */
static void
test_mutated_text_is_read_as_jansson_reads_it(void **state)
{
	static const char alphabet[] = "{}[]\":,\\ \t-0123456789.eEtrufalsn"
	    "u\xe4\xb8\xad\xff\x01";
	unsigned int	 seed = 2025;
	char		 buf[512];
	size_t		 i, k, len, at;
	int		 round;

	(void)state;
	for (i = 0; i < 6; i++) {
		for (round = 0; round < 1500; round++) {
			len = strlen(texts[i]);
			memcpy(buf, texts[i], len);
			for (k = 0; k < 1 + (size_t)rand_r(&seed) % 3; k++) {
				at = (size_t)rand_r(&seed) % len;
				switch (rand_r(&seed) % 3) {
				case 0:
					k = (size_t)rand_r(&seed) %
					    (sizeof(alphabet) - 1);
					buf[at] = alphabet[k];
					break;
				case 1:
					memmove(buf + at, buf + at + 1,
					    len - at - 1);
					len--;
					break;
				default:
					if (len + 1 < sizeof(buf)) {
						memmove(buf + at + 1, buf + at,
						    len - at);
						len++;
					}
					break;
				}
			}
			same_reading(buf, len, JSON_REJECT_DUPLICATES);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_with_every_field),
		cmocka_unit_test(test_registered_with_only_the_required_fields),
		cmocka_unit_test(test_round_announced_is_bureau_wide),
		cmocka_unit_test(test_the_types_without_extra_fields),
		cmocka_unit_test(test_objection_resolved_with_either_outcome),
		cmocka_unit_test(test_committee_formed_with_its_counts),
		cmocka_unit_test(test_evaluation_round_is_bureau_wide),
		cmocka_unit_test(test_evaluation_submitted_with_its_year),
		cmocka_unit_test(test_evaluation_result_with_every_grade),
		cmocka_unit_test(test_revoked_with_each_article_as_number_or_string),
		cmocka_unit_test(test_director_changed_with_the_birth_date),
		cmocka_unit_test(test_retracted_is_bureau_wide),
		cmocka_unit_test(test_id_and_note_on_any_event),
		cmocka_unit_test(test_only_bureau_wide_types_are_bureau_wide),
		cmocka_unit_test(test_an_unknown_type_is_refused),
		cmocka_unit_test(test_a_missing_type_is_refused),
		cmocka_unit_test(test_a_type_that_is_not_a_string_is_refused),
		cmocka_unit_test(test_a_non_object_is_refused),
		cmocka_unit_test(test_a_field_of_another_type_is_refused),
		cmocka_unit_test(test_a_centre_on_a_bureau_wide_event_is_refused),
		cmocka_unit_test(test_a_missing_required_field_is_refused),
		cmocka_unit_test(test_a_date_that_is_not_a_real_day_is_refused),
		cmocka_unit_test(test_a_grade_not_in_the_list_is_refused),
		cmocka_unit_test(test_fail_without_rectify_by_is_refused),
		cmocka_unit_test(test_rectify_by_with_a_grade_other_than_fail_is_refused),
		cmocka_unit_test(test_a_year_that_is_not_an_integer_is_refused),
		cmocka_unit_test(test_a_year_written_as_a_string_is_refused),
		cmocka_unit_test(test_more_host_members_than_members_is_refused),
		cmocka_unit_test(test_a_negative_or_non_integer_count_is_refused),
		cmocka_unit_test(test_an_article_other_than_13_14_15_is_refused),
		cmocka_unit_test(test_an_invalid_outcome_is_refused),
		cmocka_unit_test(test_empty_strings_are_refused),
		cmocka_unit_test(test_fields_of_the_wrong_json_type_are_refused),
		cmocka_unit_test(test_every_type_round_trips_through_json),
		cmocka_unit_test(test_an_article_given_as_a_string_comes_back_as_that_article),
		cmocka_unit_test(test_text_is_read_as_jansson_reads_it),
		cmocka_unit_test(test_mutated_text_is_read_as_jansson_reads_it),
	};

	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
