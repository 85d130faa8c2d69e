/*
 * test_render.c: the words of a reminder (notify/render.c): what every
 * item says (centre, action, article, due date and weekday, days and
 * working days left, 暂定, what closes it), the late and catch-up marks,
 * HTML escaping and control characters from data, the greeting, the
 * .ics attachment (METHOD:PUBLISH, one VEVENT per item, parsed back by
 * libical without X-LIC-ERROR), and the same bytes for the same input;
 * the chat robots' markdown of a webhook payload (heading, item block,
 * title, part marker; data's metacharacters full-width); the bureau's
 * notices of a failing webhook target.
 */
#include "tests/unit/testutil.h"

#include <libical/ical.h>

#include "common/common.h"
#include "notify/notify.h"
#include "notify/render.h"

struct world {
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	struct sched_journal	*journal;
	struct sched_plan	*plan;
	struct sched_reminders	*r;
};

/* Centre yq-1 has a name that tries HTML and a header injection. */
static const char *const events[] = {
	"{'type':'registered','date':'2025-10-01','centre':'yq-1',"
	    "'name':'甲<b>中心</b> & \\u0022引号\\u0022\\r\\nBcc: x@y','unit':'城区科技局'}",
	"{'type':'registered','date':'2025-10-01','centre':'yq-2',"
	    "'name':'乙中心','unit':'城区科技局'}",
	"{'type':'recognized','date':'2025-11-03','centre':'yq-1'}",
	"{'type':'recognized','date':'2025-11-03','centre':'yq-2'}",
	"{'type':'evaluation_result','date':'2026-08-03','centre':'yq-2',"
	    "'year':2025,'grade':'fail','rectify_by':'2026-09-01'}",
	"{'type':'evaluation_round','date':'2026-09-01','year':2026,"
	    "'deadline':'2026-09-15'}",
	"{'type':'publicity_started','date':'2027-02-01','centre':'yq-2'}",
};

static void
world_init(struct world *w, const char *as_of)
{
	memset(w, 0, sizeof(*w));
	w->cal = tu_calendar();
	w->rules = tu_rules();
	w->journal = TU_JOURNAL(w->rules, D("2027-12-31"), events);
	w->plan = sched_plan(w->journal, w->cal, w->rules, D(as_of),
	    D(as_of) + 400, SCHED_PLAN_EXPLAIN);
}

static void
world_free(struct world *w)
{
	sched_reminders_free(w->r);
	sched_plan_free(w->plan);
	sched_journal_free(w->journal);
	sched_rules_free(w->rules);
	sched_calendar_free(w->cal);
}

/* The message of a recipient in w->r. */
static const struct sched_message *
find(const struct world *w, int to, const char *scope)
{
	size_t	 i;

	for (i = 0; i < w->r->count; i++) {
		const struct sched_message *m = &w->r->messages[i];

		if (m->to == to && tu_same_centre(m->scope, scope))
			return m;
	}
	fail_msg("no message to %s %s", sched_audience_name(to),
	    scope ? scope : "");
	return NULL;
}

static void
render(const struct world *w, const struct sched_message *m, int today,
    const char *name, struct notify_text *t)
{
	char	*error = NULL;

	if (notify_render(m, w->rules, w->cal, today, name, t, &error) != 0)
		fail_msg("render failed: %s", error);
}

#define HAS(s, needle)	do {						\
	if (strstr((s), (needle)) == NULL)				\
		fail_msg("missing \"%s\" in:\n%s", (needle), (s));	\
} while (0)
#define LACKS(s, needle)	do {					\
	if (strstr((s), (needle)) != NULL)				\
		fail_msg("unexpected \"%s\" in:\n%s", (needle), (s));	\
} while (0)

/* libical reads it back without complaint; returns the VEVENTs. */
static int
ics_events(const char *ics, const char *method)
{
	icalcomponent	*cal = icalparser_parse_string(ics), *c;
	char		*s;
	int		 n = 0;

	assert_non_null(cal);
	s = icalcomponent_as_ical_string_r(cal);
	if (strstr(s, "X-LIC-ERROR") != NULL)
		fail_msg("X-LIC-ERROR in:\n%s", s);
	icalmemory_free_buffer(s);
	assert_string_equal(icalproperty_method_to_string(
	    icalcomponent_get_method(cal)), method);
	for (c = icalcomponent_get_first_component(cal,
	    ICAL_VEVENT_COMPONENT); c != NULL;
	    c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
		n++;
	icalcomponent_free(cal);
	return n;
}

/* ---- tests ---- */

/* A unit's message on the evaluation deadline: the overdue rectification
 * first, then the two evaluations; every item says all it must. */
static void
test_each_item_says_what_when_and_what_closes_it(void **state)
{
	struct world		 w;
	struct notify_text	 t;
	const struct sched_message *m;

	(void)state;
	world_init(&w, "2026-09-10");
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2026-09-15"),
	    D("2026-09-15"));
	m = find(&w, SCHED_TO_UNIT, "城区科技局");
	assert_int_equal(m->nitems, 3);
	render(&w, m, D("2026-09-15"), NULL, &t);

	/* Subject: the most urgent item first, one line, both languages. */
	HAS(t.subject, "3项义务");
	HAS(t.subject, "【第十四条】评价不合格限期整改");
	HAS(t.subject, "已逾期14天（2026-09-01 周二）");
	HAS(t.subject, " / ticd reminder: 3 obligations, first due 2026-09-01");
	LACKS(t.subject, "\n");

	HAS(t.text, "城区科技局：\n");
	/* Items past their date are said to be so, not "留意到期日". */
	HAS(t.text, "以下 3 项义务尚未办结，其中 1 项已超过期限，请尽快办理：");
	/* A unit records its centres' events itself (ticctl record), or
	 * has the bureau record them (it was told to send them "through
	 * the unit", to itself). */
	HAS(t.text, "本单位可记录的（如召开专家委员会会议、提交评价资料、完成整改）"
	    "请在 ticd 中记录（ticctl record），其余由市科技局记录");
	LACKS(t.text, "经组织管理单位报市科技局；市科技局登记后");
	HAS(t.text, "1. 【第十四条】评价不合格限期整改");
	HAS(t.text, "2. 【第十四条】年度绩效评价资料提交截止（2026年度）");
	HAS(t.text, "   到期日：2026-09-15（周二）\n");
	HAS(t.text, "   剩余：今天到期\n");
	HAS(t.text, "   剩余：已逾期14天（10个工作日）\n");
	HAS(t.text, "   状态：已逾期，尚未办结\n");
	HAS(t.text, "   应办事项：提交年度绩效评价资料");
	HAS(t.text, "   办结条件：记录该年度评价资料已提交（evaluation_submitted）");
	HAS(t.text, "   中心：乙中心（yq-2），组织管理单位：城区科技局\n");
	HAS(t.text, "   义务编号：yq-2/rectification/2025\n");
	HAS(t.text, "English summary:\n1. rectification (Art. 14) 2025, yq-2: "
	    "due 2026-09-01 (Tue), 14 days (10 working days) overdue.\n");
	LACKS(t.text, "补发");

	/* The .ics: the message's three obligations, METHOD:PUBLISH. */
	assert_int_equal(strlen(t.ics), t.ics_len);
	HAS(t.ics, "METHOD:PUBLISH\r\n");
	HAS(t.ics, "UID:yq-2/rectification/2025@ticd\r\n");
	assert_int_equal(ics_events(t.ics, "PUBLISH"), 3);
	notify_text_free(&t);
	world_free(&w);
}

/* Past its year, an annual meeting cannot be held for it: the overdue
 * reminder asks for a meeting held and not recorded, not for a meeting
 * (the pack's overdue_action); before the date, the action as ever. */
static void
test_an_overdue_item_says_what_is_left_to_do(void **state)
{
	struct world		 w;
	struct notify_text	 t;
	const struct sched_message *m;

	(void)state;
	world_init(&w, "2027-01-07");
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2027-01-07"),
	    D("2027-01-07"));
	m = find(&w, SCHED_TO_CENTRE, "yq-1");
	render(&w, m, D("2027-01-07"), NULL, &t);
	HAS(t.text, "【第十条】专家委员会年度会议（2026年度）");
	HAS(t.text, "   应办事项：该年度已过，会议无法补开；如当年已召开但未记录，"
	    "请补记");
	LACKS(t.text, "当年内至少召开一次专家委员会会议");
	notify_text_free(&t);
	world_free(&w);

	world_init(&w, "2026-12-01");
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2026-12-01"),
	    D("2026-12-01"));
	m = find(&w, SCHED_TO_CENTRE, "yq-1");
	render(&w, m, D("2026-12-01"), NULL, &t);
	HAS(t.text, "   应办事项：当年内至少召开一次专家委员会会议");
	notify_text_free(&t);
	world_free(&w);
}

/* Days before: "还有N天（M个工作日）", the weekday of the due date. */
static void
test_days_and_working_days_left(void **state)
{
	struct world		 w;
	struct notify_text	 t;

	(void)state;
	world_init(&w, "2026-09-01");
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2026-09-08"),
	    D("2026-09-08"));
	render(&w, find(&w, SCHED_TO_CENTRE, "yq-1"), D("2026-09-08"),
	    "王主任", &t);
	HAS(t.subject, "7天后到期（2026-09-15 周二）");
	HAS(t.text, "王主任：\n");
	HAS(t.text, "   剩余：还有7天（5个工作日）\n");
	HAS(t.text, "7 days (5 working days) left.");
	/* A centre's token records nothing: its unit does, on its proof. */
	HAS(t.text, "请将证明材料（如会议纪要、整改报告）报组织管理单位，由其或市"
	    "科技局在 ticd 中记录");
	HAS(t.text, "send the proof to your unit: it or the bureau records it");
	notify_text_free(&t);
	sched_reminders_free(w.r);

	/* Counted into late December, which 2027's notice may still change:
	 * the count is a guess. */
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2026-12-24"),
	    D("2026-12-24"));
	render(&w, find(&w, SCHED_TO_CENTRE, "yq-1"), D("2026-12-24"), NULL,
	    &t);
	HAS(t.text, "   剩余：还有7天（约5个工作日，暂定）\n");
	HAS(t.text, "7 days (about 5 working days, provisional) left.");
	notify_text_free(&t);
	world_free(&w);
}

/* A due date counted through 2027, whose holidays are not published. */
static void
test_provisional_dates_say_so(void **state)
{
	struct world		 w;
	struct notify_text	 t;
	const struct sched_message *m;

	(void)state;
	world_init(&w, "2027-02-01");
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2027-02-01"),
	    D("2027-03-31"));
	m = find(&w, SCHED_TO_BUREAU, NULL);
	render(&w, m, m->day, NULL, &t);
	HAS(t.subject, "（暂定）");
	HAS(t.text, "市科技局：\n");
	/* The bureau records events itself: its last lines say so. */
	HAS(t.text, "事项办结后，请在 ticd 中记录相应事件，提醒随即停止。");
	HAS(t.html, "Reminders stop once the closing event is recorded in "
	    "ticd.");
	HAS(t.text, "暂定：2027年放假安排尚未公布，公布后可能调整");
	HAS(t.text, ", provisional, ");
	HAS(t.ics, "STATUS:TENTATIVE");
	notify_text_free(&t);
	world_free(&w);
}

/* Late: 补发（原定 …） in the subject, the lead, and the item; a catch-up
 * says how many it folds and from when to when. */
static void
test_late_and_catch_up_messages(void **state)
{
	struct world		 w;
	struct notify_text	 t;
	size_t			 i;
	bool			 late = false, folded = false;

	(void)state;
	/* Down since 08-01, back on Fri 09-11: the rectification's overdue
	 * notice of 09-08 is folded (older than 2 days), the evaluation's
	 * 3-working-day reminder of 09-10 late. */
	world_init(&w, "2026-09-11");
	w.r = sched_reminders_missed(w.plan, w.rules, w.cal, D("2026-08-01"),
	    D("2026-09-11"), 2);
	for (i = 0; i < w.r->count; i++) {
		const struct sched_message *m = &w.r->messages[i];

		if (m->to != SCHED_TO_CENTRE || strcmp(m->scope, "yq-2") != 0)
			continue;
		render(&w, m, D("2026-09-11"), NULL, &t);
		if (m->catch_up) {
			folded = true;
			HAS(t.subject, "【补发汇总】【技术创新中心提醒】【第十四条】"
			    "评价不合格限期整改（2025年度） 已逾期10天");
			/* What happened, in the reader's words (it said
			 * "当时 ticd 未在运行"). */
			HAS(t.text, "补发汇总：以下 1 条提醒原定于 2026-09-08 发送，"
			    "因系统原因未能按时发出，现合并补发。");
			HAS(t.text, "   补发：原定 2026-09-08（周二）发送\n");
		} else {
			late = true;
			HAS(t.subject, "【补发（原定 2026-09-10）】");
			HAS(t.text, "补发（原定 2026-09-10）：以下提醒因系统原因未能"
			    "按原定日期发出，现予补发。剩余天数按今天（2026-09-11）"
			    "计算。");
			HAS(t.text, "   剩余：还有4天（2个工作日）\n");
		}
		notify_text_free(&t);
	}
	assert_true(late);
	assert_true(folded);
	world_free(&w);
}

/* Data is escaped in HTML, stripped of control characters everywhere;
 * nothing from the journal can add a header line. */
static void
test_html_is_escaped_and_data_cannot_inject(void **state)
{
	struct world		 w;
	struct notify_text	 t;
	const char		*p;

	(void)state;
	world_init(&w, "2026-09-01");
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2026-09-15"),
	    D("2026-09-15"));
	render(&w, find(&w, SCHED_TO_UNIT, "城区科技局"), D("2026-09-15"),
	    "<i>Zhang</i>", &t);
	for (p = t.subject; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	HAS(t.html, "甲&lt;b&gt;中心&lt;/b&gt; &amp; &quot;引号&quot;  Bcc: x@y");
	HAS(t.html, "&lt;i&gt;Zhang&lt;/i&gt;");
	LACKS(t.html, "<b>");
	LACKS(t.html, "<i>");
	HAS(t.html, "<html lang=\"zh-CN\">");
	HAS(t.text, "甲<b>中心</b> & \"引号\"  Bcc: x@y");
	LACKS(t.text, "\r");
	notify_text_free(&t);
	world_free(&w);
}

/* The same message renders to the same bytes; the subject of a centre's
 * own message does not repeat its name. */
static void
test_same_input_same_bytes(void **state)
{
	struct world		 w;
	struct notify_text	 a, b;
	const struct sched_message *m;

	(void)state;
	world_init(&w, "2026-09-01");
	w.r = sched_reminders(w.plan, w.rules, w.cal, D("2026-09-15"),
	    D("2026-09-15"));
	m = find(&w, SCHED_TO_CENTRE, "yq-2");
	render(&w, m, D("2026-09-15"), NULL, &a);
	render(&w, m, D("2026-09-15"), NULL, &b);
	assert_string_equal(a.subject, b.subject);
	assert_string_equal(a.text, b.text);
	assert_string_equal(a.html, b.html);
	assert_int_equal(a.ics_len, b.ics_len);
	assert_memory_equal(a.ics, b.ics, a.ics_len);
	LACKS(a.subject, "乙中心");
	HAS(a.text, "乙中心（yq-2）：\n");
	notify_text_free(&a);
	notify_text_free(&b);
	world_free(&w);
}

static void
test_an_empty_message_is_refused(void **state)
{
	struct sched_message	 m;
	struct notify_text	 t;
	struct sched_rules	*rules = tu_rules();
	struct sched_calendar	*cal = tu_calendar();
	char			*error = NULL;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.to = SCHED_TO_BUREAU;
	assert_int_equal(notify_render(&m, rules, cal, 0, NULL, &t, &error),
	    -1);
	HAS(error, " / ");
	assert_null(t.subject);
	free(error);
	notify_text_free(&t);
	sched_rules_free(rules);
	sched_calendar_free(cal);
}

/* ---- chat robots and the bureau's notices ---- */

static const struct notify_md wecom_md = { "\n", "> ", true };

/* A count through a year whose holidays are not published says so in a
 * robot's text as in the mail (约…，暂定): the preview and the robots said
 * "10 个工作日" where the mail said "约10个工作日，暂定". */
static void
test_robot_markdown_provisional_count(void **state)
{
	json_t	*it = json_loads("{\"centre\":\"yq-1\",\"title\":\"t\","
		    "\"article_cn\":\"第十四条\",\"due\":\"2027-01-08\","
		    "\"provisional\":false,\"days_left\":14,"
		    "\"workdays_left\":10,\"workdays_provisional\":true,"
		    "\"state\":\"open\"}", 0, NULL);
	struct buf	 b;

	(void)state;
	assert_non_null(it);
	buf_init(&b);
	notify_md_item(&b, &wecom_md, it, 1);
	HAS(b.data, "还有14天（约10个工作日，暂定）");
	buf_free(&b);
	json_decref(it);
}

static void
test_robot_markdown_words(void **state)
{
	json_t	*p = json_loads("{\"type\":\"reminder.digest\",\"data\":{"
		    "\"recipient\":{\"kind\":\"centre\",\"scope\":\"yq-1\","
		    "\"name\":\"甲[中心](http://x) @all\"},\"day\":\"2026-09-01\","
		    "\"late\":true,\"planned\":\"2026-08-31\",\"items\":[{"
		    "\"centre\":\"yq-1\",\"centre_name\":\"甲<b>\","
		    "\"title\":\"年度绩效评价\",\"year\":2026,"
		    "\"article_cn\":\"第十四条\",\"due\":\"2026-09-15\","
		    "\"provisional\":true,\"days_left\":14,\"workdays_left\":10,"
		    "\"state\":\"open\",\"action\":\"提交材料\","
		    "\"closed_by\":\"evaluation_submitted\"}]}}", 0, NULL);
	struct buf	 b;
	char		*title, *marker;

	(void)state;
	assert_non_null(p);
	marker = notify_md_marker(2, 3);
	assert_string_equal(marker, "（第 2/3 部分）");
	buf_init(&b);
	notify_md_head(&b, &wecom_md, p, marker);
	notify_md_item(&b, &wecom_md,
	    json_array_get(json_object_get(json_object_get(p, "data"),
	    "items"), 0), 1);
	HAS(b.data, "### 技术创新中心义务提醒\n");
	HAS(b.data, "甲［中心］(http://x) ＠all（yq-1） · 2026-09-01（周二）");
	HAS(b.data, " · 补发（原定 2026-08-31），共 1 项（第 2/3 部分）");
	/* The mail's words for the same item. */
	HAS(b.data, "**1. 年度绩效评价（2026年度）（暂定）**");
	HAS(b.data, "\n> 中心：甲＜b＞（yq-1）");
	HAS(b.data, "\n> 依据：《办法》第十四条");
	HAS(b.data, "\n> 到期日：2026-09-15（周二，暂定：放假安排尚未公布，"
	    "公布后可能调整），还有14天（10个工作日）");
	HAS(b.data, "\n> 办结：evaluation_submitted");
	assert_null(strstr(b.data, "[中心]"));
	assert_null(strstr(b.data, "@all"));
	title = notify_md_title(p, "");
	/* The centre's name, made harmless, not its id. */
	assert_string_equal(title, "技术创新中心义务提醒：甲［中心］(http://x) ＠all");
	free(title);
	/* A long official name whole: its end tells centres apart. */
	json_object_set_new(json_object_get(json_object_get(p, "data"),
	    "recipient"), "name", json_string("阳泉市煤层气与新型储能装备制造及"
	    "综合利用技术创新中心"));
	title = notify_md_title(p, "");
	assert_string_equal(title, "技术创新中心义务提醒：阳泉市煤层气与新型储能装备"
	    "制造及综合利用技术创新中心");
	free(title);
	free(marker);
	marker = notify_md_marker(1, 1);
	assert_string_equal(marker, "");
	free(marker);
	buf_free(&b);
	json_decref(p);
}

static void
test_target_notices(void **state)
{
	struct notify_target_words w = { .id = 7, .format = "standard",
		    .kind = "centre", .scope = "yq-1\r\nBcc: x",
		    .url = "https://a.example.cn/<in>", .reason = "HTTP 500",
		    .since = "2026-12-01 09:00" };
	struct notify_text	 t;

	(void)state;
	notify_render_target(&w, &t);
	HAS(t.subject, "webhook 目标已停用");
	/* In words, not the API's keys ("standard centre"). */
	HAS(t.text, "webhook 目标 7（中心 yq-1  Bcc: x，标准 webhook）已停用：");
	HAS(t.text, "ticctl webhooks enable 7");
	HAS(t.html, "https://a.example.cn/&lt;in&gt;");
	assert_null(t.ics);
	notify_text_free(&t);
	w.disable_at = "2026-12-04 09:00";
	w.row = 41;
	w.recipient = "甲（yq-1）";
	w.day = "2026-12-01";
	notify_render_target(&w, &t);
	HAS(t.subject, "持续失败");
	HAS(t.text, "自 2026-12-01 09:00 起持续失败");
	HAS(t.text, "发给 甲（yq-1） 的 2026-12-01 提醒（投递编号 41）");
	HAS(t.text, "若到 2026-12-04 09:00 仍然失败");
	HAS(t.text, "ticctl redeliver 41");
	notify_text_free(&t);
}

/* Late, a robot says by how many working days, as the mail does. */
static void
test_robot_overdue_says_working_days(void **state)
{
	json_t		*it = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i, "
			    "s:s}", "title", "评价不合格限期整改", "article_cn",
			    "第十四条", "due", "2026-09-01", "state", "overdue",
			    "provisional", 0, "days_left", -3, "workdays_left",
			    -2, "centre", "yq-2");
	struct buf	 b;

	(void)state;
	buf_init(&b);
	notify_md_item(&b, &wecom_md, it, 1);
	HAS(b.data, "**已逾期3天**（2个工作日）");
	buf_free(&b);
	json_decref(it);
}

/* A robot's notice of a disabled target gives the command to run with
 * the target's number (it said "enable ID"). */
static void
test_robot_disabled_notice(void **state)
{
	json_t		*p = json_pack("{s:s, s:{s:I, s:s, s:s}}", "type",
			    NOTIFY_TYPE_DISABLED, "data", "target", 9, "url",
			    "https://a.example.cn/in?key=***", "reason",
			    "HTTP 410");
	struct buf	 b;

	(void)state;
	buf_init(&b);
	notify_md_head(&b, &wecom_md, p, "");
	HAS(b.data, "webhook 已停用");
	HAS(b.data, "恢复：ticctl webhooks enable 9");
	LACKS(b.data, "enable ID");
	buf_free(&b);
	json_decref(p);
}

/* The page a calendar entry links to: the rule pack's words, escaped,
 * with who acts; an edited pack's title cannot make markup. */
static void
test_rule_page(void **state)
{
	static const char pack[] = "[evaluation]\n"
	    "title = 年度<b>评价</b> & \"材料\"\nto = centre unit\n";
	struct sched_rules	*rules = tu_rules();
	char			*page, *error = NULL;

	(void)state;
	page = notify_rule_page(rules, SCHED_R_EVALUATION);
	HAS(page, "<h1>【第十四条】年度绩效评价资料提交截止</h1>");
	HAS(page, "<th align=\"left\">应办事项</th>");
	HAS(page, "<th align=\"left\">办结条件</th>");
	HAS(page, "evaluation (Art. 14)");
	free(page);
	page = notify_rule_page(rules, SCHED_R_TRANSITION);
	HAS(page, "<td>中心及依托单位、组织管理单位、市科技局</td>");
	free(page);
	/* A period ends by running out: nothing to record (the page said
	 * the unit or bureau records what closes it). */
	page = notify_rule_page(rules, SCHED_R_APPLICATION);
	HAS(page, "期限到期即自行结束");
	HAS(page, "it ends by running out");
	LACKS(page, "记录相应事件");
	free(page);
	/* ...but what happens in it is recorded (an objection). */
	page = notify_rule_page(rules, SCHED_R_PUBLICITY);
	HAS(page, "如公示期内收到异议）由市科技局在 ticd 中记录");
	free(page);
	page = notify_rule_page(rules, SCHED_R_EVALUATION);
	HAS(page, "在 ticd 中记录相应事件");
	free(page);
	if (sched_rules_load(rules, "edited.ini", pack, sizeof(pack) - 1,
	    &error) != 0)
		fail_msg("%s", error);
	page = notify_rule_page(rules, SCHED_R_EVALUATION);
	HAS(page, "<h1>【第十四条】年度&lt;b&gt;评价&lt;/b&gt; &amp; "
	    "&quot;材料&quot;</h1>");
	LACKS(page, "<b>");
	HAS(page, "<td>中心及依托单位、组织管理单位</td>");
	free(page);
	sched_rules_free(rules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_each_item_says_what_when_and_what_closes_it),
		cmocka_unit_test(test_an_overdue_item_says_what_is_left_to_do),
		cmocka_unit_test(test_days_and_working_days_left),
		cmocka_unit_test(test_provisional_dates_say_so),
		cmocka_unit_test(test_late_and_catch_up_messages),
		cmocka_unit_test(test_html_is_escaped_and_data_cannot_inject),
		cmocka_unit_test(test_same_input_same_bytes),
		cmocka_unit_test(test_an_empty_message_is_refused),
		cmocka_unit_test(test_robot_markdown_words),
		cmocka_unit_test(test_robot_markdown_provisional_count),
		cmocka_unit_test(test_target_notices),
		cmocka_unit_test(test_robot_disabled_notice),
		cmocka_unit_test(test_robot_overdue_says_working_days),
		cmocka_unit_test(test_rule_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
