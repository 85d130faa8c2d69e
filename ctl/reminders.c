/*
 * reminders.c: "ticctl reminders", a preview of the reminders ticd will
 * send: to whom, on which day and at what time, and about what, planned
 * offline from a journal the way "ticctl plan" plans obligations.
 *
 * A table for people (Chinese headers), JSON Lines (one message a line)
 * for scripts, or the messages' full text as they will read.  Offline
 * there are no contacts: a recipient is a centre, a unit or the bureau;
 * ticd sends to the addresses its contacts give them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "notify/render.h"

#define CMD		"reminders"
#define DAYS_MAX	3660

enum output {
	OUT_TABLE,
	OUT_JSON,
	OUT_TEXT
};

struct preview {
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	struct sched_plan	*plan;
	int			 as_of;
	int			 send_time;	/* minutes after 00:00 */
	int			 fold_after;
};

static const char *headers[] = {
	"发送", "收件方", "类别", "到期日", "剩余", "条款", "义务", "中心"
};

static void
reminders_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl reminders [--days N] [--as-of DATE] [--missed-from DATE]\n"
"                        [--holidays FILE]... [--rules FILE] [--config FILE]\n"
"                        [--json | --text] [FILE|-]\n"
"\n"
"预览 ticd 将要发送的提醒：发给谁、哪天几点、提醒哪些义务（离线，读事件日志）。\n"
"Previews the reminders ticd will send: to whom, when, about what (offline,\n"
"from a journal of events).\n"
"\n"
"  --days N          预览从 as-of 起 N 天（含当天，缺省 30）/ days to show,\n"
"                    as-of included (default 30)\n"
"  --as-of DATE      从这天起 / the first day (default: today, Asia/Shanghai)\n"
"  --missed-from DATE 假定 ticd 从此日起停机到 as-of：先列出 as-of 当天补发的\n"
"                    提醒 / as if ticd had been down from DATE until as-of:\n"
"                    first what it would send late on as-of\n"
"  --holidays FILE   再加载一份放假安排表（可重复；后加载的按年整体替换）/ a\n"
"                    further holiday table (repeatable; a later one replaces\n"
"                    each year it publishes whole)\n"
"  --rules FILE      规则包 / the rule pack (default: rules.ini)\n"
"  --config FILE     读取 ticd.conf 的 [remind] 与 [remind.规则名] 设置 / take\n"
"                    the [remind] and [remind.RULE] settings of a ticd.conf\n"
"  --json            每行一封提醒（JSON）/ one message per line, JSON\n"
"  --text            各提醒的完整正文 / each message's full text\n"
"  FILE | -          事件日志；缺省或 - 为标准输入 / the journal (default stdin)\n"
"\n"
"离线预览的收件方是中心、组织管理单位或市科技局；ticd 发送时寄往联系人\n"
"（ticctl contacts）中登记的地址。Offline, a recipient is a centre, a unit or\n"
"the bureau; ticd sends to the addresses of their contacts.\n"
"\n"
"退出状态 / exit status: 0 ok; 1 a refused event or failure; 2 bad usage.\n");
}

static int
parse_day_option(const char *opt, const char *value, int *day)
{
	if (sched_date_parse(value, day) == 0)
		return 0;
	ctl_warnx(CMD, "%s \"%s\"：应为 YYYY-MM-DD 格式的真实日期 / must be a "
	    "real day written YYYY-MM-DD", opt, value);
	return -1;
}

static int
parse_days(const char *value, int *days)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || errno != 0 || n < 1 ||
	    n > DAYS_MAX) {
		ctl_warnx(CMD, "--days \"%s\"：应为 1 到 %d 的天数 / must be a "
		    "number of days from 1 to %d", value, DAYS_MAX, DAYS_MAX);
		return -1;
	}
	*days = (int)n;
	return 0;
}

/* ---- words shared by the three forms ---- */

static const char *
kind_cn(enum sched_remind_kind kind)
{
	switch (kind) {
	case SCHED_REMIND_BEFORE:
		return "提前提醒";
	case SCHED_REMIND_DUE:
		return "到期日提醒";
	case SCHED_REMIND_OVERDUE:
		return "逾期催办";
	}
	return "?";
}

/* 中心 甲中心（yq-1）, 单位 城区科技局, 市科技局. */
static char *
recipient(const struct sched_message *m)
{
	char	*label = notify_recipient_label(m), *s;

	switch (m->to) {
	case SCHED_TO_CENTRE:
		s = xasprintf("中心 %s", label);
		break;
	case SCHED_TO_UNIT:
		s = xasprintf("单位 %s", label);
		break;
	default:
		return label;
	}
	free(label);
	return s;
}

static char *
when(const struct preview *p, const struct sched_message *m)
{
	char	 d[SCHED_DATE_LEN];

	return xasprintf("%s %s %02d:%02d", sched_date_format(m->day, d),
	    sched_weekday_cn(m->day), p->send_time / 60, p->send_time % 60);
}

/* As the message says it (notify/render.c): "约…，暂定" when counted
 * through a year whose holidays are not published. */
static char *
left(const struct sched_remind_item *it)
{
	const char	*about = it->workdays_guess ? "约" : "";
	const char	*tail = it->workdays_guess ? "，暂定" : "";

	if (it->days_left == 0)
		return xstrdup("今天到期");
	if (it->days_left > 0)
		return xasprintf("%d天（%s%d个工作日%s）", it->days_left, about,
		    it->workdays_left, tail);
	return xasprintf("逾期%d天（%s%d个工作日%s）", -it->days_left, about,
	    -it->workdays_left, tail);
}

/* 提前提醒, and for a late one ，补发（原定 2026-09-10）. */
static char *
kind_of(const struct sched_message *m, const struct sched_remind_item *it)
{
	char	 d[SCHED_DATE_LEN];

	if (it->planned == m->day)
		return xstrdup(kind_cn(it->kind));
	return xasprintf("%s，%s（原定 %s）", kind_cn(it->kind),
	    m->catch_up ? "补发汇总" : "补发",
	    sched_date_format(it->planned, d));
}

/* ---- the table ---- */

static void
table_rows(struct ctl_table *t, const struct preview *p,
    const struct sched_message *m)
{
	const struct sched_obligation *o;
	char	**cells, d[SCHED_DATE_LEN];
	size_t	 k;

	for (k = 0; k < m->nitems; k++) {
		o = m->items[k].ob;
		cells = ctl_table_row(t);
		/* The message's columns once, on its first line. */
		if (k == 0) {
			cells[0] = when(p, m);
			cells[1] = recipient(m);
		}
		cells[2] = kind_of(m, &m->items[k]);
		cells[3] = xasprintf("%s %s%s", sched_date_format(o->due, d),
		    sched_weekday_cn(o->due), o->provisional ? "（暂定）" : "");
		cells[4] = left(&m->items[k]);
		cells[5] = xstrdup(sched_rule_article_cn(o->rule));
		cells[6] = sched_obligation_year(o) != 0 ?
		    xasprintf("%s（%d年度）", sched_obligation_title(o, p->rules),
		    sched_obligation_year(o)) :
		    xstrdup(sched_obligation_title(o, p->rules));
		if (o->centre == NULL)
			cells[7] = xstrdup("全市");
		else
			cells[7] = xasprintf("%s（%s）", o->centre_name != NULL ?
			    o->centre_name : "", o->centre);
	}
}

static void
print_table(const struct preview *p, const struct sched_reminders *missed,
    const struct sched_reminders *r, int to)
{
	struct ctl_table	*t;
	char			 d1[SCHED_DATE_LEN], d2[SCHED_DATE_LEN];
	size_t			 i, nitems = 0, nmsg = 0;

	t = ctl_table_new(nitems(headers), headers);
	for (i = 0; missed != NULL && i < missed->count; i++) {
		table_rows(t, p, &missed->messages[i]);
		nitems += missed->messages[i].nitems;
	}
	for (i = 0; i < r->count; i++) {
		table_rows(t, p, &r->messages[i]);
		nitems += r->messages[i].nitems;
	}
	nmsg = r->count + (missed != NULL ? missed->count : 0);
	ctl_table_print(t);
	ctl_table_free(t);
	printf("\n%s 至 %s（北京时间 %02d:%02d 发送）共 %zu 封提醒、%zu 项。"
	    "ticd 发送时寄往各收件方在联系人中登记的地址。\n",
	    sched_date_format(p->as_of, d1), sched_date_format(to, d2),
	    p->send_time / 60, p->send_time % 60, nmsg, nitems);
}

/* ---- JSON Lines ---- */

static json_t *
item_json(const struct sched_remind_item *it)
{
	const struct sched_obligation *o = it->ob;
	char	 due[SCHED_DATE_LEN], planned[SCHED_DATE_LEN];
	json_t	*obj;

	obj = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:s, "
	    "s:i, s:i, s:b}",
	    "key", o->key,
	    "centre", o->centre != NULL ? json_string(o->centre) : json_null(),
	    "rule", sched_rule_name(o->rule),
	    "article", sched_rule_article(o->rule),
	    "kind", sched_remind_kind_name(it->kind),
	    "planned", sched_date_format(it->planned, planned),
	    "due", sched_date_format(o->due, due),
	    "provisional", o->provisional,
	    "state", sched_state_name(o->state),
	    "days_left", it->days_left,
	    "workdays_left", it->workdays_left,
	    "workdays_provisional", it->workdays_guess);
	if (obj != NULL && o->year != 0)
		json_object_set_new(obj, "year", json_integer(o->year));
	return obj;
}

static json_t *
message_json(const struct preview *p, const struct sched_message *m,
    const char *subject)
{
	char	 day[SCHED_DATE_LEN], planned[SCHED_DATE_LEN], hhmm[24];
	char	*who = notify_recipient_label(m);
	json_t	*obj, *items;
	size_t	 k;

	snprintf(hhmm, sizeof(hhmm), "%02d:%02d", p->send_time / 60,
	    p->send_time % 60);
	items = json_array();
	for (k = 0; k < m->nitems; k++)
		json_array_append_new(items, item_json(&m->items[k]));
	obj = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:b, "
	    "s:s, s:o}",
	    "day", sched_date_format(m->day, day),
	    "weekday", sched_weekday_cn(m->day),
	    "time", hhmm,
	    "to", sched_audience_name(m->to),
	    "scope", m->scope != NULL ? json_string(m->scope) : json_null(),
	    "recipient", who,
	    "planned", sched_date_format(m->planned, planned),
	    "late", m->planned < m->day,
	    "catch_up", m->catch_up,
	    "subject", subject,
	    "items", items);
	free(who);
	return obj;
}

/* ---- one message, in the chosen form ---- */

static int
print_message(const struct preview *p, const struct sched_message *m,
    enum output out)
{
	struct notify_text	 text;
	char			*error, *s, *head, *who;
	json_t			*obj;

	if (notify_render(m, p->rules, p->cal, p->as_of, NULL, &text,
	    &error) == -1) {
		ctl_warnx(CMD, "%s", error);
		free(error);
		return -1;
	}
	if (out == OUT_JSON) {
		obj = message_json(p, m, text.subject);
		s = obj != NULL ? json_dumps(obj, JSON_COMPACT |
		    JSON_PRESERVE_ORDER) : NULL;
		json_decref(obj);
		if (s != NULL)
			puts(s);
		free(s);
	} else {
		head = when(p, m);
		who = recipient(m);
		printf("==== %s → %s ====\n主题 / Subject: %s\n\n%s\n", head,
		    who, text.subject, text.text);
		free(head);
		free(who);
	}
	notify_text_free(&text);
	return 0;
}

static int
print_messages(const struct preview *p, const struct sched_reminders *r,
    enum output out)
{
	size_t	 i;

	for (i = 0; r != NULL && i < r->count; i++) {
		if (print_message(p, &r->messages[i], out) == -1)
			return -1;
	}
	return 0;
}

/* ---- setting up ---- */

/* ticd.conf's reminder settings over the defaults and the rule pack. */
static int
apply_config(struct preview *p, const char *path)
{
	struct conf	 c;
	char		*error;

	memset(&c, 0, sizeof(c));
	if (path == NULL) {
		conf_defaults(&c);
	} else if (conf_load(&c, path, &error) == -1) {
		ctl_warnx(CMD, "%s", error);
		free(error);
		return -1;
	}
	conf_apply_remind(&c, p->rules);
	p->send_time = c.remind_send_time;
	p->fold_after = c.remind_fold_after;
	conf_clear(&c);
	return 0;
}

static int
read_journal(struct preview *p, const char *name, FILE *in,
    struct sched_journal *journal)
{
	char	*error;

	if (conf_read_journal(in, name, journal, p->rules, p->as_of,
	    &error) == -1) {
		ctl_warnx(CMD, "%s", error);
		free(error);
		return -1;
	}
	return 0;
}

static int
preview(struct preview *p, int days, int missed_from, enum output out)
{
	struct sched_reminders	*r, *missed = NULL;
	int			 to = p->as_of + days - 1, rc = 0, send;
	char			 a[SCHED_DATE_LEN], b[SCHED_DATE_LEN];

	if (missed_from != SCHED_NO_DAY) {
		/* ticd sends what it missed at send_time on a working day
		 * only: from a day off, on the next working day. */
		for (send = p->as_of; send < p->as_of + 366 &&
		    !sched_calendar_is_working(p->cal, send); send++)
			;
		if (send != p->as_of)
			ctl_warnx(CMD, "注意 / note: %s 不是工作日，ticd 在下一个"
			    "工作日补发 / is not a working day: ticd sends the "
			    "missed reminders on the next one, %s",
			    sched_date_format(p->as_of, a),
			    sched_date_format(send, b));
		missed = sched_reminders_missed(p->plan, p->rules, p->cal,
		    missed_from, send, p->fold_after);
	}
	r = sched_reminders(p->plan, p->rules, p->cal, p->as_of, to);
	if (out == OUT_TABLE)
		print_table(p, missed, r, to);
	else if (print_messages(p, missed, out) == -1 ||
	    print_messages(p, r, out) == -1)
		rc = -1;
	sched_reminders_free(missed);
	sched_reminders_free(r);
	if (ctl_finish("reminders") != CTL_OK)
		rc = -1;
	return rc;
}

int
ctl_reminders(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "missed-from", required_argument, NULL, 'm' },
		{ "holidays", required_argument, NULL, 'H' },
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "text", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct preview		 p;
	struct sched_journal	*journal = NULL;
	char			**holidays, *rules_path = NULL;
	const char		*name = "-", *config = NULL;
	size_t			 nholidays = 0;
	int			 ch, days = 30, missed_from = SCHED_NO_DAY;
	int			 rc = CTL_FAIL;
	enum output		 out = OUT_TABLE;
	FILE			*in = stdin;

	memset(&p, 0, sizeof(p));
	p.as_of = SCHED_NO_DAY;
	holidays = xcalloc((size_t)argc + 1, sizeof(char *));
	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'd':
			if (parse_days(optarg, &days) == -1)
				goto usage;
			break;
		case 'a':
			if (parse_day_option("--as-of", optarg, &p.as_of) == -1)
				goto usage;
			break;
		case 'm':
			if (parse_day_option("--missed-from", optarg,
			    &missed_from) == -1)
				goto usage;
			break;
		case 'H':
			holidays[nholidays++] = optarg;
			break;
		case 'r':
			rules_path = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'j':
		case 't':
			if (out != OUT_TABLE) {
				ctl_warnx(CMD, "--json 与 --text 只能选一个 / "
				    "give --json or --text, not both");
				goto usage;
			}
			out = ch == 'j' ? OUT_JSON : OUT_TEXT;
			break;
		case 'h':
			reminders_usage(stdout);
			free(holidays);
			return CTL_OK;
		default:
			goto usage;
		}
	}
	if (argc - optind > 1)
		goto usage;
	if (p.as_of == SCHED_NO_DAY)
		p.as_of = ctl_today();
	if (missed_from != SCHED_NO_DAY && missed_from >= p.as_of) {
		ctl_warnx(CMD, "--missed-from 应早于 as-of / must be before the "
		    "as-of day");
		goto usage;
	}
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
		name = argv[optind];
		if ((in = fopen(name, "r")) == NULL) {
			ctl_warnx(CMD, "%s: 无法打开 / cannot open: %s", name,
			    strerror(errno));
			goto out;
		}
	}
	if ((p.cal = ctl_load_calendar(holidays, nholidays)) == NULL ||
	    (p.rules = ctl_load_rules(rules_path)) == NULL ||
	    apply_config(&p, config) == -1)
		goto out;
	journal = sched_journal_new();
	if (read_journal(&p, name, in, journal) == -1)
		goto out;
	p.plan = sched_plan(journal, p.cal, p.rules, p.as_of,
	    sched_reminders_until(p.rules, p.as_of + days - 1),
	    SCHED_PLAN_EXPLAIN);
	rc = preview(&p, days, missed_from, out) == 0 ? CTL_OK : CTL_FAIL;
out:
	if (in != NULL && in != stdin)
		fclose(in);
	sched_plan_free(p.plan);
	sched_journal_free(journal);
	sched_rules_free(p.rules);
	sched_calendar_free(p.cal);
	free(holidays);
	return rc;
usage:
	ctl_short_usage(argv[0], reminders_usage);
	free(holidays);
	return CTL_USAGE;
}
