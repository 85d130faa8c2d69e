/*
 * render.c: the words of every message ticd sends: a reminder's subject,
 * plain text, HTML and .ics attachment; the chat robots' markdown of a
 * webhook payload (notify_md_*: robot.c keeps each robot's limits,
 * bodies and signatures); the bureau's notices of a failing webhook
 * target.
 *
 * Each item is first turned into words once (a heading and labelled
 * lines, plain UTF-8), and the text and the HTML are both written from
 * those, so the two parts of an email never say different things.  Data
 * from outside (names, ids, the rule pack's words) is cleaned of control
 * characters wherever it goes and escaped in the HTML.  The .ics is
 * calendar/'s (cal_render_obligations).  Nothing here reads the clock.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "common/common.h"
#include "notify/notify.h"
#include "notify/render.h"

#define BRAND		"技术创新中心提醒"
#define BRAND_EN	"ticd reminder"

/* One labelled line of an item: 到期日：2026-12-18（周五）. */
struct line {
	const char	*label;
	char		*value;
};

#define ITEM_LINES	8

/* An item in words, before it is written as text or HTML. */
struct words {
	char		*heading;	/* 【第十四条】年度绩效评价资料提交截止 */
	struct line	 lines[ITEM_LINES];
	size_t		 nlines;
	char		*english;
};

struct render {
	const struct sched_message	*m;
	const struct sched_rules	*rules;
	const struct sched_calendar	*cal;
	int				 today;
	char				*greeting;	/* who is addressed */
	struct words			*items;
};

/* ---- cleaning and escaping ---- */

/*
 * Adds s with every ASCII control character (tabs and newlines too) as a
 * space: a name or title from the journal or the rule pack is one line,
 * and a CR or an escape sequence must never reach a header or a terminal.
 */
static void
put_clean(struct buf *b, const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			buf_adds(b, " ");
		else
			buf_add(b, p, 1);
	}
}

static char *
clean(const char *s)
{
	struct buf	 b;

	buf_init(&b);
	put_clean(&b, s);
	return buf_take(&b);
}

/*
 * HTML-escapes s as text or an attribute value: the five characters that
 * HTML gives meaning to (& < > " ') become references, and control
 * characters but the newline become spaces (they are errors in HTML).
 * Small on purpose: no HTML library is linked, and text needs no more.
 */
static void
put_html(struct buf *b, const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			if (((unsigned char)*p < 0x20 && *p != '\n') ||
			    *p == 0x7f)
				buf_adds(b, " ");
			else
				buf_add(b, p, 1);
		}
	}
}

/* ---- dates and counts ---- */

static const char *
weekday_en(int day)
{
	static const char *names[] = {
	    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

	return names[sched_weekday(day) - 1];
}

/* 还有7天（5个工作日）, 今天到期, 已逾期3天（2个工作日）. */
static char *
left_cn(const struct sched_remind_item *it, bool guess)
{
	const char	*about = guess ? "约" : "";
	const char	*tail = guess ? "，暂定" : "";

	if (it->days_left == 0)
		return xstrdup("今天到期");
	if (it->days_left > 0)
		return xasprintf("还有%d天（%s%d个工作日%s）", it->days_left,
		    about, it->workdays_left, tail);
	return xasprintf("已逾期%d天（%s%d个工作日%s）", -it->days_left, about,
	    -it->workdays_left, tail);
}

static char *
left_en(const struct sched_remind_item *it, bool guess)
{
	const char	*about = guess ? "about " : "";
	int		 d = abs(it->days_left), w = abs(it->workdays_left);

	if (it->days_left == 0)
		return xstrdup("due today");
	/* As the Chinese says 约…，暂定: a count to be confirmed. */
	return xasprintf("%d day%s (%s%d working day%s%s) %s", d,
	    d == 1 ? "" : "s", about, w, w == 1 ? "" : "s",
	    guess ? ", provisional" : "", it->days_left > 0 ? "left" :
	    "overdue");
}

/* 2026-12-18（周五）, with 暂定 when the date itself may move. */
static char *
due_cn(const struct sched_obligation *o, const struct sched_calendar *cal)
{
	char	 d[SCHED_DATE_LEN];
	int	 year, first, last;

	sched_date_format(o->due, d);
	if (!o->provisional)
		return xasprintf("%s（%s）", d, sched_weekday_cn(o->due));
	year = sched_calendar_provisional_year(cal, o->due);
	sched_calendar_span(cal, &first, &last);
	/* History from before the loaded tables: that year is missing here,
	 * its schedule long published (as the explanation says). */
	if (year != 0 && first != 0 && year < first)
		return xasprintf("%s（%s，暂定：%d年放假安排未加载，加载后可能调整）",
		    d, sched_weekday_cn(o->due), year);
	if (year == 0)
		return xasprintf("%s（%s，暂定：按尚未公布的放假安排推算，可能调整）",
		    d, sched_weekday_cn(o->due));
	return xasprintf("%s（%s，暂定：%d年放假安排尚未公布，公布后可能调整）", d,
	    sched_weekday_cn(o->due), year);
}

/* ---- an item in words ---- */

static const char *
title_of(const struct sched_rules *rules, enum sched_rule r)
{
	return rules->text[r].title != NULL ? rules->text[r].title :
	    sched_rule_name(r);
}

static void
add_line(struct words *w, const char *label, char *value)
{
	if (w->nlines == ITEM_LINES)	/* the table below is fixed: a bug */
		abort();
	w->lines[w->nlines].label = label;
	w->lines[w->nlines++].value = value;
}

static char *
heading(const struct sched_obligation *o, const struct sched_rules *rules)
{
	struct buf	 b;

	buf_init(&b);
	buf_printf(&b, "【%s】", sched_rule_article_cn(o->rule));
	put_clean(&b, sched_obligation_title(o, rules));
	if (sched_obligation_year(o) != 0)
		buf_printf(&b, "（%d年度）", sched_obligation_year(o));
	if (o->provisional)
		buf_adds(&b, "（暂定）");
	return buf_take(&b);
}

static char *
centre_cn(const struct sched_obligation *o)
{
	struct buf	 b;

	buf_init(&b);
	if (o->centre == NULL) {
		buf_adds(&b, "全市");
		return buf_take(&b);
	}
	if (o->centre_name != NULL) {
		put_clean(&b, o->centre_name);
		buf_adds(&b, "（");
		put_clean(&b, o->centre);
		buf_adds(&b, "）");
	} else
		put_clean(&b, o->centre);
	if (o->unit != NULL) {
		buf_adds(&b, "，组织管理单位：");
		put_clean(&b, o->unit);
	}
	return buf_take(&b);
}

static char *
english(const struct sched_remind_item *it, bool guess)
{
	const struct sched_obligation *o = it->ob;
	struct buf	 b;
	char		 d[SCHED_DATE_LEN], *left;

	buf_init(&b);
	buf_printf(&b, "%s (Art. %s)", sched_rule_name(o->rule),
	    sched_rule_article(o->rule));
	if (sched_obligation_year(o) != 0)
		buf_printf(&b, " %d", sched_obligation_year(o));
	buf_adds(&b, ", ");
	if (o->centre != NULL)
		put_clean(&b, o->centre);
	else
		buf_adds(&b, "city-wide");
	left = left_en(it, guess);
	buf_printf(&b, ": due %s (%s)%s, %s.", sched_date_format(o->due, d),
	    weekday_en(o->due), o->provisional ? ", provisional" : "", left);
	free(left);
	return buf_take(&b);
}

static void
item_words(struct render *r, const struct sched_remind_item *it,
    struct words *w)
{
	const struct sched_obligation *o = it->ob;
	const struct sched_rule_text *t = &r->rules->text[o->rule];
	const char	*action;
	char		 d[SCHED_DATE_LEN];
	bool		 guess = it->workdays_guess;
	bool		 late = sched_remind_item_late(it);

	memset(w, 0, sizeof(*w));
	w->heading = heading(o, r->rules);
	/* A city-wide one concerns no centre: "范围：全市", as robots and
	 * feeds say ("中心：全市" read wrong). */
	add_line(w, o->centre == NULL ? "范围" : "中心", centre_cn(o));
	if ((action = sched_rule_action(r->rules, o, late)) != NULL)
		add_line(w, "应办事项", clean(action));
	add_line(w, "到期日", due_cn(o, r->cal));
	add_line(w, "剩余", left_cn(it, guess));
	if (late)
		add_line(w, "状态", xstrdup("已逾期，尚未办结"));
	if (t->closed_by != NULL)
		add_line(w, "办结条件", clean(t->closed_by));
	if (it->planned != r->m->day)
		add_line(w, "补发", xasprintf("原定 %s（%s）发送",
		    sched_date_format(it->planned, d),
		    sched_weekday_cn(it->planned)));
	add_line(w, "义务编号", clean(o->key));
	w->english = english(it, guess);
}

static void
words_free(struct words *w)
{
	size_t	 i;

	free(w->heading);
	for (i = 0; i < w->nlines; i++)
		free(w->lines[i].value);
	free(w->english);
}

/* ---- the message ---- */

char *
notify_recipient_label(const struct sched_message *m)
{
	const struct sched_obligation *o;
	struct buf	 b;

	buf_init(&b);
	switch (m->to) {
	case SCHED_TO_CENTRE:
		o = m->nitems > 0 ? m->items[0].ob : NULL;
		if (o != NULL && o->centre_name != NULL) {
			put_clean(&b, o->centre_name);
			buf_adds(&b, "（");
			put_clean(&b, m->scope != NULL ? m->scope : "");
			buf_adds(&b, "）");
		} else
			put_clean(&b, m->scope != NULL ? m->scope : "");
		break;
	case SCHED_TO_UNIT:
		put_clean(&b, m->scope != NULL ? m->scope : "");
		break;
	default:
		buf_adds(&b, "市科技局");
		break;
	}
	return buf_take(&b);
}

/* The first day, the last and how many: what a catch-up folds. */
static void
planned_span(const struct sched_message *m, int *first, int *last)
{
	size_t	 i;

	*first = *last = m->planned;
	for (i = 0; i < m->nitems; i++) {
		if (m->items[i].planned < *first)
			*first = m->items[i].planned;
		if (m->items[i].planned > *last)
			*last = m->items[i].planned;
	}
}

/* 补发汇总 / 补发（原定 …） / nothing: what the subject starts with. */
static char *
late_mark(const struct sched_message *m)
{
	char	 d[SCHED_DATE_LEN];

	if (m->catch_up)
		return xstrdup("【补发汇总】");
	if (m->planned < m->day)
		return xasprintf("【补发（原定 %s）】",
		    sched_date_format(m->planned, d));
	return xstrdup("");
}

static char *
subject(const struct render *r)
{
	const struct sched_remind_item *it = &r->m->items[0];
	struct buf	 b;
	char		 d[SCHED_DATE_LEN], *mark, *left;

	mark = late_mark(r->m);
	sched_date_format(it->ob->due, d);
	if (it->days_left == 0)
		left = xstrdup("今天到期");
	else if (it->days_left > 0)
		left = xasprintf("%d天后到期", it->days_left);
	else
		left = xasprintf("已逾期%d天", -it->days_left);
	buf_init(&b);
	buf_printf(&b, "%s【%s】", mark, BRAND);
	if (r->m->nitems > 1)
		buf_printf(&b, "%zu项义务，最急：", r->m->nitems);
	buf_adds(&b, r->items[0].heading);
	buf_printf(&b, " %s（%s %s）", left, d, sched_weekday_cn(it->ob->due));
	if (r->m->to != SCHED_TO_CENTRE) {
		buf_adds(&b, " · ");
		if (it->ob->centre != NULL)
			put_clean(&b, it->ob->centre_name != NULL ?
			    it->ob->centre_name : it->ob->centre);
		else
			buf_adds(&b, "全市");
	}
	buf_printf(&b, " / %s: %zu obligation%s, first due %s", BRAND_EN,
	    r->m->nitems, r->m->nitems == 1 ? "" : "s", d);
	free(mark);
	free(left);
	return buf_take(&b);
}

/* The paragraph before the items: what this message is. */
static char *
intro(const struct render *r)
{
	const struct sched_message *m = r->m;
	char	 d1[SCHED_DATE_LEN], d2[SCHED_DATE_LEN], d3[SCHED_DATE_LEN];
	int	 first, last;
	size_t	 i, late;

	sched_date_format(m->day, d3);
	if (m->catch_up) {
		planned_span(m, &first, &last);
		sched_date_format(first, d1);
		sched_date_format(last, d2);
		if (first == last)
			return xasprintf("补发汇总：以下 %zu 条提醒原定于 %s 发送，"
			    "因系统原因未能按时发出，现合并补发。剩余天数按今天"
			    "（%s）计算。", m->nitems, d1, d3);
		return xasprintf("补发汇总：以下 %zu 条提醒原定于 %s 至 %s 期间"
		    "发送，因系统原因未能按时发出，现合并补发（每项注明原定"
		    "日期）。剩余天数按今天（%s）计算。", m->nitems, d1, d2,
		    d3);
	}
	if (m->planned < m->day)
		return xasprintf("补发（原定 %s）：以下提醒因系统原因未能按原定"
		    "日期发出，现予补发。剩余天数按今天（%s）计算。",
		    sched_date_format(m->planned, d1), d3);
	for (i = 0, late = 0; i < m->nitems; i++)
		if (m->items[i].days_left < 0)
			late++;
	/* "请留意到期日" read oddly above items already past it. */
	if (late == m->nitems)
		return xasprintf("截至 %s（%s），以下 %zu 项义务已超过期限，"
		    "请尽快办理：", d3, sched_weekday_cn(m->day), m->nitems);
	if (late > 0)
		return xasprintf("截至 %s（%s），以下 %zu 项义务尚未办结，其中 "
		    "%zu 项已超过期限，请尽快办理：", d3,
		    sched_weekday_cn(m->day), m->nitems, late);
	return xasprintf("截至 %s（%s），以下 %zu 项义务尚未办结，请留意到期日：",
	    d3, sched_weekday_cn(m->day), m->nitems);
}

/*
 * The last lines, in Chinese and in English, with what closes the items
 * for this recipient: the bureau records the events in ticd; a unit
 * records its centres' own (ticctl record) or has the bureau record them;
 * a centre records nothing and sends its proof to its unit, which does.
 */
static char *
footer(const struct sched_message *m, bool cn)
{
	const char	*close_cn, *close_en;

	if (m->to == SCHED_TO_BUREAU) {
		close_cn = "事项办结后，请在 ticd 中记录相应事件，提醒随即停止。";
		close_en = "Reminders stop once the closing event is recorded "
		    "in ticd.";
	} else if (m->to == SCHED_TO_UNIT) {
		/* What a unit may record (api.c unit_may_record); the
		 * bureau records the rest, and a deadline closes itself. */
		close_cn = "事项办结后，本单位可记录的（如召开专家委员会会议、提交"
		    "评价资料、完成整改）请在 ticd 中记录（ticctl record），其余"
		    "由市科技局记录，申报、推荐等期限到期即止；记录后提醒随即停止。";
		close_en = "Once done, record what your unit may (a meeting "
		    "held, evaluation materials submitted, a rectification "
		    "completed: ticctl record); the bureau records the rest, "
		    "and a deadline such as an application's closes itself. "
		    "Reminders stop once it is recorded.";
	} else {
		close_cn = "事项办结后，请将证明材料（如会议纪要、整改报告）报"
		    "组织管理单位，由其或市科技局在 ticd 中记录；记录后提醒随即"
		    "停止。";
		close_en = "Once done, send the proof to your unit: it or the "
		    "bureau records it in ticd, and reminders stop then.";
	}
	if (cn)
		return xasprintf("本邮件由 ticd 依" SCHED_MEASURES_CN "自动发送，"
		    "请勿直接回复。%s附件 .ics 可导入日历。", close_cn);
	return xasprintf("Sent automatically by ticd under the Yangquan "
	    "measures for technology innovation centres; please do not reply. "
	    "%s The attached .ics adds the dates to a calendar.", close_en);
}

static char *
text_body(const struct render *r, const char *lead)
{
	struct buf	 b;
	size_t		 i, k;
	char		*cn, *en;

	buf_init(&b);
	buf_printf(&b, "%s：\n\n%s\n", r->greeting, lead);
	for (i = 0; i < r->m->nitems; i++) {
		const struct words *w = &r->items[i];

		buf_printf(&b, "\n%zu. %s\n", i + 1, w->heading);
		for (k = 0; k < w->nlines; k++)
			buf_printf(&b, "   %s：%s\n", w->lines[k].label,
			    w->lines[k].value);
	}
	buf_adds(&b, "\nEnglish summary:\n");
	for (i = 0; i < r->m->nitems; i++)
		buf_printf(&b, "%zu. %s\n", i + 1, r->items[i].english);
	cn = footer(r->m, true);
	en = footer(r->m, false);
	buf_printf(&b, "\n-- \n%s\n%s\n", cn, en);
	free(cn);
	free(en);
	return buf_take(&b);
}

/* A row of an item's or a page's table: label and value, escaped. */
static void
html_row(struct buf *b, const char *label, const char *value)
{
	buf_adds(b, "<tr><th align=\"left\">");
	put_html(b, label);
	buf_adds(b, "</th><td>");
	put_html(b, value);
	buf_adds(b, "</td></tr>\n");
}

static char *
html_body(const struct render *r, const char *subj, const char *lead)
{
	struct buf	 b;
	size_t		 i, k;
	char		*cn, *en;

	buf_init(&b);
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>");
	put_html(&b, subj);
	buf_adds(&b, "</title>\n</head>\n<body>\n<p>");
	put_html(&b, r->greeting);
	buf_adds(&b, "：</p>\n<p>");
	put_html(&b, lead);
	buf_adds(&b, "</p>\n<ol>\n");
	for (i = 0; i < r->m->nitems; i++) {
		const struct words *w = &r->items[i];

		buf_adds(&b, "<li>\n<p><strong>");
		put_html(&b, w->heading);
		buf_adds(&b, "</strong></p>\n<table>\n");
		for (k = 0; k < w->nlines; k++)
			html_row(&b, w->lines[k].label, w->lines[k].value);
		buf_adds(&b, "</table>\n</li>\n");
	}
	buf_adds(&b, "</ol>\n<div lang=\"en\">\n<p>English summary:</p>\n"
	    "<ol>\n");
	for (i = 0; i < r->m->nitems; i++) {
		buf_adds(&b, "<li>");
		put_html(&b, r->items[i].english);
		buf_adds(&b, "</li>\n");
	}
	buf_adds(&b, "</ol>\n</div>\n<hr>\n<p><small>");
	cn = footer(r->m, true);
	en = footer(r->m, false);
	put_html(&b, cn);
	buf_adds(&b, "</small></p>\n<p lang=\"en\"><small>");
	put_html(&b, en);
	free(cn);
	free(en);
	buf_adds(&b, "</small></p>\n</body>\n</html>\n");
	return buf_take(&b);
}

/* The message's obligations as an iCalendar object, METHOD:PUBLISH,
 * named after the recipient's scope. */
static char *
ics(const struct render *r, size_t *len)
{
	const struct sched_obligation **obs;
	struct cal_feed_options	 fo;
	char			*out;
	size_t			 i;

	cal_feed_options_init(&fo, r->today);
	switch (r->m->to) {
	case SCHED_TO_CENTRE:
		fo.scope = CAL_SCOPE_CENTRE;
		fo.scope_id = r->m->scope;
		fo.scope_name = r->m->items[0].ob->centre_name;
		break;
	case SCHED_TO_UNIT:
		fo.scope = CAL_SCOPE_UNIT;
		fo.scope_id = r->m->scope;
		break;
	default:
		fo.scope = CAL_SCOPE_BUREAU;
		break;
	}
	obs = xcalloc(r->m->nitems, sizeof(*obs));
	for (i = 0; i < r->m->nitems; i++)
		obs[i] = r->m->items[i].ob;
	out = cal_render_obligations(obs, r->m->nitems, r->rules, &fo,
	    "PUBLISH", len);
	free(obs);
	return out;
}

int
notify_render(const struct sched_message *m, const struct sched_rules *rules,
    const struct sched_calendar *cal, int today, const char *recipient_name,
    struct notify_text *out, char **error)
{
	struct render	 r;
	char		*lead;
	size_t		 i;
	int		 rc = 0;

	memset(out, 0, sizeof(*out));
	if (m->nitems == 0) {
		*error = xstrdup("提醒没有任何事项 / the message has no items");
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.m = m;
	r.rules = rules;
	r.cal = cal;
	r.today = today;
	r.greeting = recipient_name != NULL && *recipient_name != '\0' ?
	    clean(recipient_name) : notify_recipient_label(m);
	r.items = xcalloc(m->nitems, sizeof(*r.items));
	for (i = 0; i < m->nitems; i++)
		item_words(&r, &m->items[i], &r.items[i]);
	lead = intro(&r);
	out->subject = subject(&r);
	out->text = text_body(&r, lead);
	out->html = html_body(&r, out->subject, lead);
	if ((out->ics = ics(&r, &out->ics_len)) == NULL) {
		*error = xstrdup("无法生成日历附件 / cannot build the .ics "
		    "attachment (libical)");
		notify_text_free(out);
		rc = -1;
	}
	for (i = 0; i < m->nitems; i++)
		words_free(&r.items[i]);
	free(r.items);
	free(r.greeting);
	free(lead);
	return rc;
}

void
notify_text_free(struct notify_text *t)
{
	if (t == NULL)
		return;
	free(t->subject);
	free(t->text);
	free(t->html);
	free(t->ics);
	memset(t, 0, sizeof(*t));
}

/* ---- the bureau's notice of a failing webhook target ---- */

static char *
pre_html(const char *text)
{
	struct buf	 b;

	buf_init(&b);
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><body><pre>");
	put_html(&b, text);
	buf_adds(&b, "</pre></body></html>\n");
	return buf_take(&b);
}

/* A recipient's kind and a target's format, in the notice's Chinese. */
static const char *
kind_cn(const char *kind)
{
	if (strcmp(kind, "bureau") == 0)
		return "市科技局";
	if (strcmp(kind, "unit") == 0)
		return "组织管理单位";
	return strcmp(kind, "centre") == 0 ? "中心" : kind;
}

static const char *
format_cn(const char *format)
{
	if (strcmp(format, "standard") == 0)
		return "标准 webhook";
	if (strcmp(format, "wecom") == 0)
		return "企业微信群机器人";
	if (strcmp(format, "dingtalk") == 0)
		return "钉钉群机器人";
	return strcmp(format, "feishu") == 0 ? "飞书群机器人" : format;
}

/* The target as the notice names it: 12（中心 yq-006，标准 webhook）. */
static char *
target_cn(const struct notify_target_words *w)
{
	char	*out, *kind = clean(w->kind), *scope = clean(w->scope ?
		    w->scope : "");

	out = xasprintf("%lld（%s%s%s，%s）", w->id, kind_cn(kind),
	    *scope ? " " : "", scope, format_cn(w->format));
	free(kind);
	free(scope);
	return out;
}

static void
target_disabled(const struct notify_target_words *w, const char *who,
    const char *url, const char *reason, struct notify_text *t)
{
	t->subject = xstrdup("【" BRAND "】webhook 目标已停用 / a webhook "
	    "target was disabled");
	t->text = xasprintf("市科技局：\n\n"
	    "webhook 目标 %s已停用：%s\n原因：%s\n"
	    "它的投递已不再重试。修好接收端后，用 ticctl webhooks enable %lld "
	    "恢复，用 ticctl deliveries --state dead 查看未送达的提醒，"
	    "ticctl redeliver ID 重发。\n\n"
	    "--\n"
	    "Webhook target %lld (%s) was disabled: %s\nIts posts are no "
	    "longer retried.  Once the endpoint is fixed: ticctl webhooks "
	    "enable %lld; ticctl deliveries --state dead lists what did not "
	    "arrive, ticctl redeliver ID sends it again.\n",
	    who, url, reason, w->id, w->id, url, reason, w->id);
}

static void
target_dead(const struct notify_target_words *w, const char *who,
    const char *url, const char *reason, struct notify_text *t)
{
	char	*rcpt = clean(w->recipient ? w->recipient : "-");
	char	*day = clean(w->day ? w->day : "-");

	t->subject = xstrdup("【" BRAND "】webhook 目标持续失败，投递未送达 / "
	    "a webhook target is failing");
	t->text = xasprintf("市科技局：\n\n"
	    "webhook 目标 %s自 %s 起持续失败：%s\n"
	    "发给 %s 的 %s 提醒（投递编号 %lld）未能送达，不再自动重试。\n"
	    "原因：%s\n"
	    "若到 %s 仍然失败，该目标将被停用（不再另发邮件）。"
	    "修好接收端后，用 ticctl redeliver %lld 重发，ticctl deliveries "
	    "--state dead 查看其他未送达的投递。\n\n"
	    "--\n"
	    "Webhook target %lld (%s) has been failing since %s.  The reminder "
	    "of %s to %s, outbox %lld, could not be delivered and will not be "
	    "retried: %s\nIf it still fails on %s the target is disabled "
	    "(without another mail).  Once fixed: ticctl redeliver %lld; "
	    "ticctl deliveries --state dead lists the others.\n",
	    who, w->since, url, rcpt, day, w->row, reason, w->disable_at,
	    w->row, w->id, url, w->since, day, rcpt, w->row, reason,
	    w->disable_at, w->row);
	free(rcpt);
	free(day);
}

void
notify_render_target(const struct notify_target_words *w,
    struct notify_text *t)
{
	char	*who = target_cn(w), *url = clean(w->url);
	char	*reason = clean(w->reason ? w->reason : "?");

	memset(t, 0, sizeof(*t));
	if (w->disable_at == NULL)
		target_disabled(w, who, url, reason, t);
	else
		target_dead(w, who, url, reason, t);
	t->html = pre_html(t->text);
	free(who);
	free(url);
	free(reason);
}

/* ---- the page a calendar entry links to (daemon/api.c) ---- */

char *
notify_rule_page(const struct sched_rules *rules, enum sched_rule r)
{
	const struct sched_rule_text *t = &rules->text[r];
	struct buf	 b;
	char		*head, *who = sched_audiences_cn(t->to);

	head = xasprintf("【%s】%s", sched_rule_article_cn(r),
	    title_of(rules, r));
	buf_init(&b);
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>");
	put_html(&b, head);
	buf_adds(&b, "</title>\n</head>\n<body>\n<h1>");
	put_html(&b, head);
	buf_adds(&b, "</h1>\n<table>\n");
	html_row(&b, "依据", SCHED_MEASURES_CN);
	html_row(&b, "条款", sched_rule_article_cn(r));
	if (t->action != NULL)
		html_row(&b, "应办事项", t->action);
	if (t->overdue_action != NULL)
		html_row(&b, "逾期后", t->overdue_action);
	if (t->closed_by != NULL)
		html_row(&b, "办结条件", t->closed_by);
	if (who != NULL)
		html_row(&b, "办理方", who);
	buf_adds(&b, "</table>\n<p>");
	/* The key in the link names a centre, which anyone may guess: the
	 * page says only what the rule pack says, the same for every key. */
	/* A period (an application round, a ban) ends by running out:
	 * nothing closes it but what happens in it (an objection to a
	 * publicity), which the bureau records. */
	put_html(&b, sched_rule_is_period(r) ?
	    "本页说明这一类期限。该条目的日期和所属范围见您订阅的日历；期限到期即"
	    "自行结束，期间发生的事（如公示期内收到异议）由市科技局在 ticd 中"
	    "记录。" :
	    "本页说明这一类义务。该条目的到期日、状态和所属中心见您订阅的"
	    "日历；事项办结后，由组织管理单位或市科技局在 ticd 中记录相应事件。");
	buf_printf(&b, "</p>\n<p lang=\"en\">%s (Art. %s) of the Yangquan "
	    "measures for technology innovation centres. This page explains "
	    "the rule; the entry's due date, state and centre are in your "
	    "calendar.%s</p>\n</body>\n</html>\n", sched_rule_name(r),
	    sched_rule_article(r), sched_rule_is_period(r) ? " It is a "
	    "period: it ends by running out." : "");
	free(head);
	free(who);
	return buf_take(&b);
}

/* ---- chat robots' markdown (robot.c) ---- */

#define NAME_MAX_BYTES	200	/* a name in a heading or an item */
/* A notification's title: room for a centre's whole official name (30
 * and more characters: "阳泉市…及综合利用技术创新中心"), whose end is what
 * tells centres apart; cut at 60 bytes it kept 20 characters. */
#define TITLE_MAX_BYTES	180

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The full-width form of an ASCII character markdown or HTML would read,
 * or NULL. */
static const char *
fullwidth(unsigned char c)
{
	switch (c) {
	case '*': return "＊";
	case '_': return "＿";
	case '`': return "｀";
	case '#': return "＃";
	case '~': return "～";
	case '|': return "｜";
	case '\\': return "＼";
	case '[': return "［";
	case ']': return "］";
	case '<': return "＜";
	case '>': return "＞";
	case '!': return "！";
	case '@': return "＠";
	default: return NULL;
	}
}

/*
 * Appends text, at most max bytes of it: control characters become
 * spaces; for data (names, ids) every metacharacter becomes full-width,
 * for the rule pack's words (the operator's, and full of identifiers
 * like expert_meeting_held) only HTML's angle brackets do.
 */
static void
add_text(struct buf *b, const char *s, size_t max, bool data)
{
	size_t		 i, n = s ? strlen(s) : 0;
	unsigned char	 c;
	const char	*fw;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			buf_adds(b, " ");
		else if ((fw = fullwidth(c)) != NULL && (data || c == '<' ||
		    c == '>'))
			buf_adds(b, fw);
		else
			buf_add(b, s + i, 1);
	}
	if (n < (s ? strlen(s) : 0))
		buf_adds(b, "…");
}

static void
add_clean(struct buf *b, const char *s, size_t max)
{
	add_text(b, s, max, true);
}

static void
add_words(struct buf *b, const char *s, size_t max)
{
	add_text(b, s, max, false);
}

/* Who the message is for, as people say it. */
static void
add_who(struct buf *b, const json_t *data)
{
	const json_t	*r = json_object_get(data, "recipient");
	const char	*kind = jstr(r, "kind"), *scope = jstr(r, "scope");
	const char	*name = jstr(r, "name");

	if (kind == NULL || strcmp(kind, "bureau") == 0 || scope == NULL) {
		buf_adds(b, "市科技局");
		return;
	}
	if (strcmp(kind, "unit") == 0) {
		add_clean(b, scope, NAME_MAX_BYTES);
		buf_adds(b, "（组织管理单位）");
	} else if (name != NULL) {
		/* 名称（编号）, as the mail names a centre. */
		add_clean(b, name, NAME_MAX_BYTES);
		buf_adds(b, "（");
		add_clean(b, scope, NAME_MAX_BYTES);
		buf_adds(b, "）");
	} else
		add_clean(b, scope, NAME_MAX_BYTES);
}

static void
add_weekday(struct buf *b, const char *date)
{
	int	 day;

	if (date != NULL && sched_date_parse(date, &day) == 0)
		buf_printf(b, "（%s）", sched_weekday_cn(day));
}

/* （周五）, or （周五，暂定：…） for a date that may move, as due_cn(). */
static void
add_weekday_provisional(struct buf *b, const char *date, bool provisional)
{
	int	 day;

	if (date == NULL || sched_date_parse(date, &day) != 0)
		return;
	buf_printf(b, "（%s%s）", sched_weekday_cn(day), provisional ?
	    "，暂定：放假安排尚未公布，公布后可能调整" : "");
}

/* How much time is left, or how late it is. */
static void
add_left(struct buf *b, const json_t *it)
{
	json_int_t	 days = json_integer_value(json_object_get(it,
			    "days_left"));
	json_int_t	 work = json_integer_value(json_object_get(it,
			    "workdays_left"));
	const char	*state = jstr(it, "state");
	const char	*about = "", *tail = "";

	if (json_is_true(json_object_get(it, "workdays_provisional"))) {
		about = "约";
		tail = "，暂定";
	}
	/* The mail's words (left_cn), so an item reads the same there. */
	if (days < 0 || (state != NULL && strcmp(state, "overdue") == 0))
		buf_printf(b, "**已逾期%" JSON_INTEGER_FORMAT "天**（%s%"
		    JSON_INTEGER_FORMAT "个工作日%s）", days < 0 ? -days : 0,
		    about, work < 0 ? -work : 0, tail);
	else if (days == 0)
		buf_adds(b, "**今天到期**");
	else
		buf_printf(b, "还有%" JSON_INTEGER_FORMAT "天（%s%"
		    JSON_INTEGER_FORMAT "个工作日%s）", days, about, work, tail);
}

static void
md_line(struct buf *b, const struct notify_md *r, const char *label)
{
	buf_adds(b, r->nl);
	buf_adds(b, r->quote);
	buf_adds(b, label);
}

void
notify_md_item(struct buf *b, const struct notify_md *r, const json_t *it,
    size_t n)
{
	const char	*centre = jstr(it, "centre");
	json_t		*year = json_object_get(it, "year");

	buf_printf(b, "**%zu. ", n);
	add_words(b, jstr(it, "title"), NAME_MAX_BYTES);
	/* As the mail writes an item (heading(), due_cn()). */
	if (json_is_integer(year))
		buf_printf(b, "（%" JSON_INTEGER_FORMAT "年度）",
		    json_integer_value(year));
	else if (sched_key_year(jstr(it, "key")) != 0)
		buf_printf(b, "（%d年度）", sched_key_year(jstr(it, "key")));
	if (json_is_true(json_object_get(it, "provisional")))
		buf_adds(b, "（暂定）");
	buf_adds(b, "**");
	if (centre != NULL) {
		md_line(b, r, "中心：");
		if (jstr(it, "centre_name") != NULL) {
			add_clean(b, jstr(it, "centre_name"), NAME_MAX_BYTES);
			buf_adds(b, "（");
			add_clean(b, centre, NAME_MAX_BYTES);
			buf_adds(b, "）");
		} else
			add_clean(b, centre, NAME_MAX_BYTES);
	} else
		md_line(b, r, "范围：全市");
	md_line(b, r, "依据：《办法》");
	add_words(b, jstr(it, "article_cn"), NAME_MAX_BYTES);
	md_line(b, r, "到期日：");
	add_clean(b, jstr(it, "due"), SCHED_DATE_LEN);
	add_weekday_provisional(b, jstr(it, "due"),
	    json_is_true(json_object_get(it, "provisional")));
	buf_adds(b, "，");
	add_left(b, it);
	md_line(b, r, "应办：");
	add_words(b, jstr(it, "action"), 4 * NAME_MAX_BYTES);
	md_line(b, r, "办结：");
	add_words(b, jstr(it, "closed_by"), 4 * NAME_MAX_BYTES);
}

void
notify_md_head(struct buf *b, const struct notify_md *r,
    const json_t *payload, const char *marker)
{
	const json_t	*data = json_object_get(payload, "data");
	const char	*type = jstr(payload, "type");

	if (type != NULL && strcmp(type, NOTIFY_TYPE_DISABLED) == 0) {
		if (r->heading)
			buf_printf(b, "### 技术创新中心义务提醒：webhook 已停用%s",
			    r->nl);
		buf_printf(b, "目标 %" JSON_INTEGER_FORMAT "：",
		    json_integer_value(json_object_get(data, "target")));
		add_clean(b, jstr(data, "url"), 4 * NAME_MAX_BYTES);
		md_line(b, r, "原因：");
		add_words(b, jstr(data, "reason"), 4 * NAME_MAX_BYTES);
		md_line(b, r, "恢复：");
		buf_printf(b, "ticctl webhooks enable %" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(data, "target")));
		return;
	}
	if (r->heading)
		buf_printf(b, "### 技术创新中心义务提醒%s", r->nl);
	add_who(b, data);
	buf_adds(b, " · ");
	add_clean(b, jstr(data, "day"), SCHED_DATE_LEN);
	add_weekday(b, jstr(data, "day"));
	if (json_is_true(json_object_get(data, "late"))) {
		buf_adds(b, " · 补发（原定 ");
		add_clean(b, jstr(data, "planned"), SCHED_DATE_LEN);
		buf_adds(b, "）");
	}
	if (json_is_true(json_object_get(data, "catch_up")))
		buf_adds(b, " · 汇总此前未能按时发出的提醒");
	buf_printf(b, "，共 %zu 项%s", json_array_size(json_object_get(data,
	    "items")), marker);
}

char *
notify_md_title(const json_t *payload, const char *marker)
{
	const json_t	*r = json_object_get(json_object_get(payload, "data"),
			    "recipient");
	const char	*type = jstr(payload, "type");
	const char	*scope = jstr(r, "scope"), *name = jstr(r, "name");
	struct buf	 b;

	buf_init(&b);
	/* Robots with custom keywords take only messages holding one: every
	 * title (and so every Feishu card) names 技术创新中心 and 提醒. */
	if (type != NULL && strcmp(type, NOTIFY_TYPE_DISABLED) == 0)
		buf_adds(&b, "技术创新中心义务提醒：webhook 已停用");
	else {
		buf_adds(&b, "技术创新中心义务提醒：");
		/* The name people know (a unit's is its scope), not the
		 * centre's id: "…提醒：yq-006" in a group chat said little. */
		if (name != NULL && *name != '\0')
			add_clean(&b, name, TITLE_MAX_BYTES);
		else if (scope != NULL)
			add_clean(&b, scope, TITLE_MAX_BYTES);
		else
			buf_adds(&b, "市科技局");
	}
	buf_adds(&b, marker);
	return buf_take(&b);
}

char *
notify_md_marker(size_t i, size_t n)
{
	return n > 1 ? xasprintf("（第 %zu/%zu 部分）", i, n) : xstrdup("");
}
