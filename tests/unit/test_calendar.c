/*
 * test_calendar.c: feeds (calendar/): a small plan rendered and parsed
 * back with libical (no X-LIC-ERROR), folding at 75 octets that never
 * splits a UTF-8 sequence (fuzzed), scopes, retention, variants, the
 * fingerprint and SEQUENCE, the zone guard, and every golden feed of
 * tests/feeds round-tripped through libical.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar/cal-int.h"
#include "common/common.h"
#include "conf/conf.h"

#define AS_OF_Y	2026
#define AS_OF_M	11
#define AS_OF_D	28

struct fixture {
	struct sched_rules	*rules;
	struct sched_obligation	 obs[6];
	struct sched_plan	 plan;
	int			 as_of;
};

static void
set_title(struct sched_rules *rules, enum sched_rule r, const char *title,
    const char *action, const char *closed_by, int to)
{
	free(rules->text[r].title);
	free(rules->text[r].action);
	free(rules->text[r].closed_by);
	rules->text[r].title = xstrdup(title);
	rules->text[r].action = action ? xstrdup(action) : NULL;
	rules->text[r].closed_by = closed_by ? xstrdup(closed_by) : NULL;
	rules->text[r].to = to;
}

static void
ob(struct sched_obligation *o, const char *key, const char *centre,
    const char *name, const char *unit, enum sched_rule rule, int due,
    enum sched_state state)
{
	memset(o, 0, sizeof(*o));
	o->key = xstrdup(key);
	o->centre = centre;
	o->centre_name = name;
	o->unit = unit;
	o->rule = rule;
	o->due = due;
	o->state = state;
	o->start = due - 30;
	o->closed_on = state == SCHED_DONE || state == SCHED_VOID ? due - 3 :
	    SCHED_NO_DAY;
	o->explain = xasprintf("【第十四条】%s：推算过程，含逗号,分号;反斜杠\\和"
	    "换行\n第二行。办结条件：%s。", "说明", "记录完成");
}

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));
	int		 a;

	a = f->as_of = sched_day(AS_OF_Y, AS_OF_M, AS_OF_D);
	f->rules = sched_rules_new();
	set_title(f->rules, SCHED_R_EVALUATION, "年度绩效评价资料提交截止",
	    "提交年度绩效评价资料", "记录完成", SCHED_TO_CENTRE |
	    SCHED_TO_UNIT);
	set_title(f->rules, SCHED_R_APPLICATION, "申报材料提交截止",
	    "按通知申报", "申报截止日过去", SCHED_TO_UNIT);
	set_title(f->rules, SCHED_R_MEASURES_EXPIRY, "本办法有效期届满",
	    NULL, NULL, SCHED_TO_BUREAU);
	set_title(f->rules, SCHED_R_PUBLICITY, "认定结果公示期满",
	    "公示5个工作日", "公示期满", SCHED_TO_BUREAU);
	ob(&f->obs[0], "@bureau/application/2026-2", NULL, NULL, NULL,
	    SCHED_R_APPLICATION, a + 13, SCHED_OPEN);
	ob(&f->obs[1], "yq-001/evaluation/2026", "yq-001",
	    "阳泉市智能矿山装备技术创新中心", "城区科技局", SCHED_R_EVALUATION,
	    a + 20, SCHED_OPEN);
	f->obs[1].year = 2026;
	f->obs[1].provisional = true;
	ob(&f->obs[2], "太行%2001/publicity/2025-12-22", "太行 01",
	    "阳泉市太行山区道地中药材种植、加工与质量追溯技术创新中心😀",
	    "郊区科技局", SCHED_R_PUBLICITY, a - 300, SCHED_DONE);
	ob(&f->obs[3], "yq-002/evaluation/2025", "yq-002",
	    "阳泉市铝镁轻合金材料技术创新中心", "郊区科技局",
	    SCHED_R_EVALUATION, a - 401, SCHED_VOID);
	ob(&f->obs[4], "yq-002/evaluation/2024", "yq-002",
	    "阳泉市铝镁轻合金材料技术创新中心", "郊区科技局",
	    SCHED_R_EVALUATION, a - 400, SCHED_VOID);
	ob(&f->obs[5], "yq-003/evaluation/2025", "yq-003",
	    "阳泉市绿色陶瓷建材技术创新中心", "平定县科技局",
	    SCHED_R_EVALUATION, a - 700, SCHED_OVERDUE);
	f->plan.obligations = f->obs;
	f->plan.count = nitems(f->obs);
	f->plan.as_of = a;
	f->plan.until = a + 400;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	size_t		 i;

	for (i = 0; i < nitems(f->obs); i++) {
		free(f->obs[i].key);
		free(f->obs[i].explain);
	}
	sched_rules_free(f->rules);
	free(f);
	return 0;
}

/* Every physical line ends in CRLF, has at most 75 octets, and neither
 * starts nor ends inside a UTF-8 sequence. */
static void
assert_folding(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	const unsigned char	*eol, *q;
	size_t			 n, need;

	assert_true(len >= 2);
	assert_memory_equal(s + len - 2, "\r\n", 2);
	while (p < end) {
		eol = (const unsigned char *)memmem(p, (size_t)(end - p),
		    "\r\n", 2);
		assert_non_null(eol);
		n = (size_t)(eol - p);
		if (n > 75)
			fail_msg("a line of %zu octets: %.*s", n, (int)n, p);
		if (memchr(p, '\r', n) != NULL || memchr(p, '\n', n) != NULL)
			fail_msg("a bare CR or LF: %.*s", (int)n, p);
		/* No continuation byte first: the fold did not cut before
		 * it (after the fold's space too). */
		if (n > 0)
			assert_int_not_equal(p[0] & 0xC0, 0x80);
		if (n > 1 && p[0] == ' ')
			assert_int_not_equal(p[1] & 0xC0, 0x80);
		/* The last sequence is whole. */
		for (q = p; q < eol; q += need) {
			need = *q < 0x80 ? 1 : *q >= 0xF0 ? 4 : *q >= 0xE0 ?
			    3 : 2;
			if (*q >= 0x80 && (*q & 0xC0) != 0xC0)
				fail_msg("a line starts inside a UTF-8 "
				    "sequence");
			if (q + need > eol)
				fail_msg("a line ends inside a UTF-8 sequence: "
				    "%.*s", (int)n, p);
		}
		p = eol + 2;
	}
}

static int
count_errors(icalcomponent *c)
{
	icalcomponent	*sub;
	int		 n;

	n = icalcomponent_count_properties(c, ICAL_XLICERROR_PROPERTY);
	for (sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	    sub != NULL; sub = icalcomponent_get_next_component(c,
	    ICAL_ANY_COMPONENT))
		n += count_errors(sub);
	return n;
}

/* Parses a feed with libical: no X-LIC-ERROR anywhere, and what libical
 * writes back parses again the same way.  The caller frees the result. */
static icalcomponent *
parse_clean(const char *s)
{
	icalcomponent	*c, *again;
	char		*out;

	c = icalparser_parse_string(s);
	assert_non_null(c);
	assert_int_equal(icalcomponent_isa(c), ICAL_VCALENDAR_COMPONENT);
	if (count_errors(c) != 0)
		fail_msg("X-LIC-ERROR in: %s", s);
	out = icalcomponent_as_ical_string_r(c);
	again = icalparser_parse_string(out);
	assert_non_null(again);
	assert_int_equal(count_errors(again), 0);
	icalcomponent_free(again);
	icalmemory_free_buffer(out);
	return c;
}

static char *
render(struct fixture *f, const struct cal_feed_options *opts, size_t *len)
{
	char	*s = cal_render_feed(&f->plan, f->rules, opts, NULL, NULL, len);

	assert_non_null(s);
	assert_int_equal(strlen(s), *len);
	assert_folding(s, *len);
	return s;
}

static const char *
xprop(icalcomponent *c, const char *name)
{
	icalproperty	*p;

	for (p = icalcomponent_get_first_property(c, ICAL_X_PROPERTY);
	    p != NULL; p = icalcomponent_get_next_property(c,
	    ICAL_X_PROPERTY)) {
		if (strcmp(icalproperty_get_x_name(p), name) == 0)
			return icalproperty_get_x(p);
	}
	return NULL;
}

static void
test_bureau_feed(void **state)
{
	struct fixture		*f = *state;
	struct cal_feed_options	 opts;
	icalcomponent		*cal, *e;
	icalproperty		*p;
	struct icaltimetype	 t;
	char			*s, *summary, *uid;
	size_t			 len, i, n = 0;
	/* obs[3] is void 401 days after its due date: dropped. */
	static const size_t	 kept[] = { 0, 1, 2, 4, 5 };

	cal_feed_options_init(&opts, f->as_of);
	s = render(f, &opts, &len);
	cal = parse_clean(s);
	p = icalcomponent_get_first_property(cal, ICAL_NAME_PROPERTY);
	assert_non_null(p);
	assert_string_equal(icalproperty_get_name(p),
	    "阳泉市技术创新中心义务（全市）");
	assert_string_equal(xprop(cal, "X-WR-CALNAME"),
	    "阳泉市技术创新中心义务（全市）");
	assert_string_equal(xprop(cal, "X-WR-TIMEZONE"), "Asia/Shanghai");
	assert_string_equal(xprop(cal, "X-PUBLISHED-TTL"), "PT1H");
	assert_non_null(strstr(s,
	    "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
	/* Every date is a DATE or UTC: no zone is needed, none written. */
	assert_null(icalcomponent_get_first_component(cal,
	    ICAL_VTIMEZONE_COMPONENT));
	assert_null(strstr(s, "TZID"));
	for (e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	    e != NULL; e = icalcomponent_get_next_component(cal,
	    ICAL_VEVENT_COMPONENT), n++) {
		const struct sched_obligation *o;
		int y, m, d;

		assert_true(n < nitems(kept));
		o = &f->obs[kept[n]];
		uid = cal_uid(o->key, false);
		assert_string_equal(icalcomponent_get_uid(e), uid);
		free(uid);
		summary = cal_text_summary(o, f->rules);
		assert_string_equal(icalcomponent_get_summary(e), summary);
		free(summary);
		t = icalcomponent_get_dtstart(e);
		assert_true(t.is_date);
		sched_ymd(o->due, &y, &m, &d);
		assert_int_equal(t.year, y);
		assert_int_equal(t.month, m);
		assert_int_equal(t.day, d);
		t = icalcomponent_get_dtend(e);
		assert_true(t.is_date);
		sched_ymd(o->due + 1, &y, &m, &d);
		assert_int_equal(t.day, d);
		p = icalcomponent_get_first_property(e, ICAL_STATUS_PROPERTY);
		assert_int_equal(icalproperty_get_status(p),
		    o->state == SCHED_VOID ? ICAL_STATUS_CANCELLED :
		    o->provisional ? ICAL_STATUS_TENTATIVE :
		    ICAL_STATUS_CONFIRMED);
		p = icalcomponent_get_first_property(e, ICAL_TRANSP_PROPERTY);
		assert_int_equal(icalproperty_get_transp(p),
		    ICAL_TRANSP_TRANSPARENT);
		p = icalcomponent_get_first_property(e, ICAL_DTSTAMP_PROPERTY);
		assert_int_equal(icaltime_as_timet(icalproperty_get_dtstamp(p)),
		    cal_day_start(f->as_of));
		p = icalcomponent_get_first_property(e,
		    ICAL_LASTMODIFIED_PROPERTY);
		assert_int_equal(icaltime_as_timet(
		    icalproperty_get_lastmodified(p)), cal_day_start(f->as_of));
		assert_int_equal(icalcomponent_get_sequence(e), 0);
		assert_null(icalcomponent_get_first_property(e,
		    ICAL_URL_PROPERTY));
		assert_null(icalcomponent_get_first_component(e,
		    ICAL_VALARM_COMPONENT));
	}
	assert_int_equal(n, nitems(kept));
	for (i = 0; i < len; i++)
		assert_true(s[i] != '\0');
	icalcomponent_free(cal);
	free(s);
}

static void
test_description(void **state)
{
	struct fixture	*f = *state;
	char		*d;

	d = cal_text_description(&f->obs[2], f->rules);
	assert_non_null(strstr(d, "应办事项：公示5个工作日\n"));
	assert_non_null(strstr(d, "办结条件：公示期满\n"));
	assert_non_null(strstr(d, "办理方：市科技局\n"));
	assert_non_null(strstr(d, "状态：已完成（"));
	assert_non_null(strstr(d, "日期推算：【第十四条】说明"));
	assert_non_null(strstr(d, "义务编号：太行%2001/publicity/2025-12-22"));
	/* Not the rule's closing words: the derivation keeps its own. */
	assert_non_null(strstr(d, "第二行。办结条件：记录完成。\n义务编号"));
	free(d);
	/* The derivation's closing words repeat 办结条件 only when they are
	 * not the rule's own. */
	d = cal_text_description(&f->obs[1], f->rules);
	assert_null(strstr(d, "第二行。办结条件"));
	assert_non_null(strstr(d, "状态：未到期\n"));
	assert_non_null(strstr(d, "，暂定）\n"));
	free(d);
}

static bool
only_centre_cb(const struct sched_obligation *o, void *arg)
{
	return o->centre != NULL && strcmp(o->centre, arg) == 0;
}

static void
revision_cb(const struct sched_obligation *o, struct cal_revision *rev,
    void *arg)
{
	(void)arg;
	if (strcmp(o->key, "yq-001/evaluation/2026") == 0) {
		rev->sequence = 3;
		rev->modified = 1790000000;
	}
}

static void
test_scopes(void **state)
{
	struct fixture		*f = *state;
	struct cal_feed_options	 opts;
	icalcomponent		*cal, *e;
	char			*s, *name;
	size_t			 len;

	cal_feed_options_init(&opts, f->as_of);
	opts.scope = CAL_SCOPE_UNIT;
	opts.scope_id = "城区科技局";
	/* Bureau-wide ones addressed to units, and the unit's centres. */
	assert_true(cal_scope_includes(&opts, f->rules, &f->obs[0]));
	assert_true(cal_scope_includes(&opts, f->rules, &f->obs[1]));
	assert_false(cal_scope_includes(&opts, f->rules, &f->obs[2]));
	f->obs[0].rule = SCHED_R_MEASURES_EXPIRY;
	assert_false(cal_scope_includes(&opts, f->rules, &f->obs[0]));
	f->obs[0].rule = SCHED_R_APPLICATION;
	name = cal_feed_name(&opts);
	assert_string_equal(name, "阳泉市技术创新中心义务（城区科技局）");
	free(name);

	opts.scope = CAL_SCOPE_CENTRE;
	opts.scope_id = "太行 01";
	opts.scope_name = f->obs[2].centre_name;
	assert_false(cal_scope_includes(&opts, f->rules, &f->obs[0]));
	assert_true(cal_scope_includes(&opts, f->rules, &f->obs[2]));
	opts.todo = true;
	name = cal_feed_name(&opts);
	assert_string_equal(name, "阳泉市技术创新中心义务（阳泉市太行山区道地中药材"
	    "种植、加工与质量追溯技术创新中心😀） · 待办");
	free(name);

	/* A filter of the caller's overrides the scope's. */
	cal_feed_options_init(&opts, f->as_of);
	opts.revision_cb = revision_cb;
	s = cal_render_feed(&f->plan, f->rules, &opts, only_centre_cb,
	    (void *)"yq-001", &len);
	assert_non_null(s);
	cal = parse_clean(s);
	e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(e);
	assert_string_equal(icalcomponent_get_uid(e),
	    "yq-001/evaluation/2026@ticd");
	assert_int_equal(icalcomponent_get_sequence(e), 3);
	assert_int_equal(icaltime_as_timet(icalproperty_get_lastmodified(
	    icalcomponent_get_first_property(e, ICAL_LASTMODIFIED_PROPERTY))),
	    1790000000);
	assert_null(icalcomponent_get_next_component(cal,
	    ICAL_VEVENT_COMPONENT));
	icalcomponent_free(cal);
	free(s);
}

static void
test_retention(void **state)
{
	struct fixture		*f = *state;
	struct sched_obligation	 o = f->obs[4];

	/* Done and void: through due + retention, not a day more. */
	assert_true(cal_feed_keeps(&o, o.due + 400, 400));
	assert_false(cal_feed_keeps(&o, o.due + 401, 400));
	o.state = SCHED_DONE;
	assert_false(cal_feed_keeps(&o, o.due + 31, 30));
	assert_true(cal_feed_keeps(&o, o.due, 0));
	/* Open and overdue never drop. */
	o.state = SCHED_OVERDUE;
	assert_true(cal_feed_keeps(&o, o.due + 5000, 400));
	o.state = SCHED_OPEN;
	assert_true(cal_feed_keeps(&o, o.due + 5000, 0));
	o.due = 2147483600;
	o.state = SCHED_DONE;
	assert_true(cal_feed_keeps(&o, 0, 400));
}

static void
test_variants(void **state)
{
	struct fixture		*f = *state;
	struct cal_feed_options	 opts;
	icalcomponent		*cal, *c, *a;
	icalproperty		*p;
	struct icaltriggertype	 tr;
	char			*s;
	size_t			 len;
	int			 nalarms[6] = { 0 }, i = 0;

	cal_feed_options_init(&opts, f->as_of);
	opts.alarms = true;
	opts.todo = true;
	opts.public_url = "https://ticd.example.cn/";
	f->obs[1].due = f->as_of + 5;	/* only the 1-day alarm is to come */
	s = render(f, &opts, &len);
	cal = parse_clean(s);
	assert_null(icalcomponent_get_first_component(cal,
	    ICAL_VEVENT_COMPONENT));
	for (c = icalcomponent_get_first_component(cal, ICAL_VTODO_COMPONENT);
	    c != NULL; c = icalcomponent_get_next_component(cal,
	    ICAL_VTODO_COMPONENT), i++) {
		assert_true(icalcomponent_get_due(c).is_date);
		assert_null(icalcomponent_get_first_property(c,
		    ICAL_DTSTART_PROPERTY));
		assert_non_null(strstr(icalcomponent_get_uid(c),
		    "@todo.ticd"));
		p = icalcomponent_get_first_property(c, ICAL_URL_PROPERTY);
		assert_non_null(p);
		assert_true(strncmp(icalproperty_get_url(p),
		    "https://ticd.example.cn/obligations/", 36) == 0);
		for (a = icalcomponent_get_first_component(c,
		    ICAL_VALARM_COMPONENT); a != NULL;
		    a = icalcomponent_get_next_component(c,
		    ICAL_VALARM_COMPONENT)) {
			p = icalcomponent_get_first_property(a,
			    ICAL_TRIGGER_PROPERTY);
			tr = icalproperty_get_trigger(p);
			assert_true(tr.duration.is_neg);
			assert_non_null(icalproperty_get_first_parameter(p,
			    ICAL_RELATED_PARAMETER));
			assert_int_equal(icalproperty_get_action(
			    icalcomponent_get_first_property(a,
			    ICAL_ACTION_PROPERTY)), ICAL_ACTION_DISPLAY);
			nalarms[i]++;
		}
	}
	assert_int_equal(i, 5);
	assert_int_equal(nalarms[0], 2);	/* open, 13 days ahead */
	assert_int_equal(nalarms[1], 1);	/* open, 5 days ahead */
	assert_int_equal(nalarms[2] + nalarms[3] + nalarms[4], 0);
	assert_non_null(strstr(s, "STATUS:COMPLETED\r\n"));
	assert_non_null(strstr(s, "PERCENT-COMPLETE:100\r\n"));
	assert_non_null(strstr(s, "STATUS:CANCELLED\r\n"));
	assert_non_null(strstr(s, "STATUS:NEEDS-ACTION\r\n"));
	/* A centre id in Chinese: the UID and link stay ASCII. */
	assert_non_null(strstr(s, "UID:%E5%A4%AA%E8%A1%8C%252001/publicity/"
	    "2025-12-22@todo.ticd\r\n"));
	icalcomponent_free(cal);
	free(s);
}

static void
test_uid(void **state)
{
	char	*u;

	(void)state;
	u = cal_uid("@bureau/application/2026-2", false);
	assert_string_equal(u, "@bureau/application/2026-2@ticd");
	free(u);
	u = cal_uid("yq-001/expert_term/2025-11-03#2", true);
	assert_string_equal(u, "yq-001/expert_term/2025-11-03#2@todo.ticd");
	free(u);
	u = cal_text_url("https://x.cn//", "@bureau/a b#2");
	assert_string_equal(u, "https://x.cn/obligations/%40bureau%2Fa%20b%232");
	free(u);
	assert_null(cal_text_url("", "k"));
	assert_null(cal_text_url(NULL, "k"));
}

static void
test_fingerprint(void **state)
{
	struct fixture		*f = *state;
	struct sched_obligation	*o = &f->obs[1];
	char			 a[CAL_FINGERPRINT_LEN], b[CAL_FINGERPRINT_LEN];
	char			*explain;

	cal_fingerprint(o, f->rules, a);
	assert_int_equal(strlen(a), 16);
	cal_fingerprint(o, f->rules, b);
	assert_string_equal(a, b);
#define CHANGED(what, undo) do {					\
	what;								\
	cal_fingerprint(o, f->rules, b);				\
	assert_string_not_equal(a, b);					\
	undo;								\
	cal_fingerprint(o, f->rules, b);				\
	assert_string_equal(a, b);					\
} while (0)
	CHANGED(o->due++, o->due--);
	CHANGED(o->state = SCHED_OVERDUE, o->state = SCHED_OPEN);
	CHANGED(o->provisional = false, o->provisional = true);
	CHANGED(o->closed_on = 5, o->closed_on = SCHED_NO_DAY);
	explain = o->explain;
	CHANGED(o->explain = (char *)"另一种推算", o->explain = explain);
	CHANGED(o->centre_name = "新名称", o->centre_name =
	    "阳泉市智能矿山装备技术创新中心");
	CHANGED(set_title(f->rules, SCHED_R_EVALUATION, "新标题", "提交年度绩效"
	    "评价资料", "记录完成", SCHED_TO_CENTRE | SCHED_TO_UNIT),
	    set_title(f->rules, SCHED_R_EVALUATION, "年度绩效评价资料提交截止",
	    "提交年度绩效评价资料", "记录完成", SCHED_TO_CENTRE |
	    SCHED_TO_UNIT));
#undef CHANGED
}

static void
test_deterministic(void **state)
{
	struct fixture		*f = *state;
	struct cal_feed_options	 opts;
	char			*s1, *s2;
	size_t			 l1, l2;

	cal_feed_options_init(&opts, f->as_of);
	opts.alarms = true;
	s1 = render(f, &opts, &l1);
	s2 = render(f, &opts, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(s1, s2, l1);
	free(s1);
	free(s2);
}

/* Random words of the rule pack and names, heavy in what folding can get
 * wrong: 3- and 4-byte characters, escapes, separators, spaces. */
static void
test_folding_fuzz(void **state)
{
	static const char *pieces[] = {
		"年", "度", "（", "）", "a", "Z", " ", ";", ":", ",", "\\", "\n",
		"😀", "é", "𠀀", "—", "\"", "·"
	};
	struct fixture		*f = *state;
	struct cal_feed_options	 opts;
	struct buf		 b;
	icalcomponent		*cal, *e;
	icalproperty		*p;
	char			*s, *title, *want, *name;
	size_t			 len, i, n;
	int			 round;

	srand(20261128);
	cal_feed_options_init(&opts, f->as_of);
	opts.scope = CAL_SCOPE_CENTRE;
	opts.scope_id = "yq-001";
	for (round = 0; round < 300; round++) {
		buf_init(&b);
		n = (size_t)(rand() % 120);
		for (i = 0; i < n; i++)
			buf_adds(&b, pieces[rand() % (int)nitems(pieces)]);
		title = buf_take(&b);
		set_title(f->rules, SCHED_R_EVALUATION, title, title, title,
		    SCHED_TO_CENTRE | SCHED_TO_UNIT);
		opts.scope_name = title;
		s = render(f, &opts, &len);
		cal = parse_clean(s);
		/* What libical folded and escaped reads back the same. */
		want = cal_text_summary(&f->obs[1], f->rules);
		for (e = icalcomponent_get_first_component(cal,
		    ICAL_VEVENT_COMPONENT); e != NULL;
		    e = icalcomponent_get_next_component(cal,
		    ICAL_VEVENT_COMPONENT)) {
			if (strcmp(icalcomponent_get_uid(e),
			    "yq-001/evaluation/2026@ticd") == 0)
				break;
		}
		assert_non_null(e);
		assert_string_equal(icalcomponent_get_summary(e), want);
		p = icalcomponent_get_first_property(cal, ICAL_NAME_PROPERTY);
		name = cal_feed_name(&opts);
		assert_string_equal(icalproperty_get_name(p), name);
		free(name);
		free(want);
		icalcomponent_free(cal);
		free(s);
		free(title);
	}
}

/*
 * libical 3.0.16 folds a line with its CRLF, so a last piece of 73 octets
 * got its fold between the CR and the LF (tests/fuzz/fuzz_feed.c found
 * it).  Names of every length from 1 to 120 characters, of 1, 3 and 4
 * octets, put each property's last piece at every length.
 */
static void
test_fold_at_crlf(void **state)
{
	static const char *chars[] = { "a", "名", "😀" };
	struct fixture		*f = *state;
	struct cal_feed_options	 opts;
	struct buf		 b;
	char			*s;
	size_t			 len, c, n, i;

	cal_feed_options_init(&opts, f->as_of);
	opts.scope = CAL_SCOPE_CENTRE;
	opts.scope_id = "yq-001";
	for (c = 0; c < nitems(chars); c++) {
		for (n = 1; n <= 120; n++) {
			buf_init(&b);
			for (i = 0; i < n; i++)
				buf_adds(&b, chars[c]);
			opts.scope_name = b.data;
			set_title(f->rules, SCHED_R_EVALUATION, b.data, b.data,
			    b.data, SCHED_TO_CENTRE);
			s = render(f, &opts, &len);
			assert_folding(s, len);
			free(s);
			buf_free(&b);
		}
	}
}

/* The repair alone: the broken sequence becomes a CRLF, nothing else. */
static void
test_repair_folds(void **state)
{
	char	 broken[] = "A:x\r\r\n \nB:y\r\n c\r\n";
	char	 fine[] = "A:x\r\n \r\nB:y\r\n";
	size_t	 n;

	(void)state;
	n = cal_text_repair_folds(broken, strlen(broken));
	assert_int_equal(n, strlen("A:x\r\nB:y\r\n c\r\n"));
	assert_string_equal(broken, "A:x\r\nB:y\r\n c\r\n");
	n = cal_text_repair_folds(fine, strlen(fine));
	assert_int_equal(n, strlen("A:x\r\n \r\nB:y\r\n"));
	assert_string_equal(fine, "A:x\r\n \r\nB:y\r\n");
}

static void
test_zone_guard(void **state)
{
	icalcomponent		*cal, *e, *z, *back;
	struct icaltimetype	 t = icaltime_null_time();
	char			*s;
	int			 n = 0;

	(void)state;
	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid("-//t//t//ZH"));
	e = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_add_property(e, icalproperty_new_uid("u@ticd"));
	t.year = 2026;
	t.month = 12;
	t.day = 18;
	t.hour = 9;
	icalcomponent_add_component(cal, e);
	assert_int_equal(cal_ical_add_zones(cal), 0);
	assert_null(icalcomponent_get_first_component(cal,
	    ICAL_VTIMEZONE_COMPONENT));
	/* A local time: its zone follows, once. */
	icalcomponent_add_property(e, icalproperty_vanew_dtstart(t,
	    icalparameter_new_tzid("Asia/Shanghai"), (void *)0));
	assert_int_equal(cal_ical_add_zones(cal), 0);
	assert_int_equal(cal_ical_add_zones(cal), 0);
	for (z = icalcomponent_get_first_component(cal,
	    ICAL_VTIMEZONE_COMPONENT); z != NULL;
	    z = icalcomponent_get_next_component(cal,
	    ICAL_VTIMEZONE_COMPONENT), n++)
		assert_string_equal(icalproperty_get_tzid(
		    icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY)),
		    "Asia/Shanghai");
	assert_int_equal(n, 1);
	s = icalcomponent_as_ical_string_r(cal);
	assert_folding(s, strlen(s));
	/* Only the rules in force since 1992: UTC+8, no daylight saving. */
	assert_null(strstr(s, "+0900"));
	assert_non_null(strstr(s, "TZOFFSETTO:+0800"));
	back = parse_clean(s);
	icalcomponent_free(back);
	icalmemory_free_buffer(s);
	/* An unknown zone is an error. */
	icalcomponent_add_property(e, icalproperty_vanew_dtend(t,
	    icalparameter_new_tzid("Mars/Olympus"), (void *)0));
	assert_int_equal(cal_ical_add_zones(cal), -1);
	icalcomponent_free(cal);
}

/* Every golden feed (the .ics files of tests/feeds, found from the top of
 * the tree, where make runs the tests) parses with libical with no
 * X-LIC-ERROR. */
static void
test_golden_feeds(void **state)
{
	const char	*dir = getenv("TICD_FEEDS_DIR");
	DIR		*d;
	struct dirent	*de;
	char		*path, *text, *error;
	size_t		 len, n = 0;
	icalcomponent	*cal;

	(void)state;
	if (dir == NULL)
		dir = "tests/feeds";
	if ((d = opendir(dir)) == NULL)
		fail_msg("%s: not found (run from the top of the tree, or set "
		    "TICD_FEEDS_DIR)", dir);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".ics") != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (conf_read_file(path, &text, &len, &error) == -1)
			fail_msg("%s", error);
		assert_folding(text, len);
		cal = parse_clean(text);
		assert_non_null(icalcomponent_get_first_real_component(cal));
		icalcomponent_free(cal);
		free(text);
		free(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bureau_feed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_description, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_variants, setup,
		    teardown),
		cmocka_unit_test(test_uid),
		cmocka_unit_test_setup_teardown(test_fingerprint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_folding_fuzz, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fold_at_crlf, setup,
		    teardown),
		cmocka_unit_test(test_repair_folds),
		cmocka_unit_test(test_zone_guard),
		cmocka_unit_test(test_golden_feeds),
	};

	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
