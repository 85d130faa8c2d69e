/*
 * feed.c: "ticctl feed", an iCalendar feed exported offline: a journal of
 * events in, the feed of the bureau, a unit or a centre out, as ticd
 * would serve it but with every revision at the as-of day's 00:00
 * (Asia/Shanghai) and every SEQUENCE 0, so that the same journal and
 * options always give the same bytes (tests/feeds/ holds golden feeds).
 * Without a journal it asks ticd (GET /api/v1/feed) and writes what ticd
 * serves, SEQUENCE and revision times included.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "common/common.h"
#include "conf/conf.h"
#include "ctl/ctl.h"

static void
feed_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl feed [--bureau | --unit NAME | --centre ID]\n"
"                   [--as-of DATE] [--until DATE] [--holidays FILE]...\n"
"                   [--rules FILE] [--retention DAYS] [--public-url URL]\n"
"                   [--alarms] [--todo] FILE|-\n"
"       ticctl feed [--bureau | --unit NAME | --centre ID] [--alarms]\n"
"                   [--todo] [connection options]\n"
"\n"
"把事件日志（每行一个 JSON 事件）离线导出为 iCalendar 日历订阅（.ics，\n"
"写到标准输出）；不给日志时向 ticd 请求，得到与订阅地址相同的内容。\n"
"Renders a journal (JSON Lines) offline as an iCalendar feed (.ics, on\n"
"stdout); without a journal, asks ticd for the feed it serves.\n"
"\n"
"  --bureau         全市的义务（离线时为缺省；向 ticd 请求时缺省为令牌自己\n"
"                   的范围）/ every obligation (the default offline; from\n"
"                   ticd the default is the token's own scope)\n"
"  --unit NAME      该单位所管中心的义务，及面向组织管理单位的全市性义务 /\n"
"                   its centres' obligations, bureau-wide ones for units\n"
"  --centre ID      该中心的义务 / one centre's obligations\n"
"  --as-of DATE     计算状态的日期；DTSTAMP、LAST-MODIFIED 取该日 00:00\n"
"                   （+08:00）/ the day states are computed for; DTSTAMP\n"
"                   and LAST-MODIFIED are its 00:00 (+08:00)\n"
"                   (default: today in Asia/Shanghai)\n"
"  --until DATE     逐年义务列到此日 / yearly obligations up to this day\n"
"                   (default: as-of + 400 days)\n"
"  --holidays FILE  再加载一份放假安排表（可重复；后加载的按年整体替换）/ a\n"
"                   further holiday table (repeatable; a later one replaces\n"
"                   each year it publishes whole)\n"
"  --rules FILE     规则包 / the rule pack (default: rules.ini)\n"
"  --retention DAYS 已完成、已失效的义务在到期日后保留的天数 / days done\n"
"                   and void obligations stay after their due date\n"
"                   (default: %d)\n"
"  --public-url URL 每项义务附上此地址下的链接 / link each obligation\n"
"                   under this base URL\n"
"  --alarms         到期前7天、1天的 09:00 提醒（VALARM）/ reminders 7\n"
"                   days and 1 day before, at 09:00\n"
"  --todo           输出待办（VTODO）而非日程 / VTODOs for task clients\n"
"  FILE | -         事件日志；- 为标准输入 / the journal (- for stdin)\n"
"\n"
"--as-of、--until、--holidays、--rules、--retention、--public-url 只用于离线\n"
"导出；ticd 用它自己的当天与配置。/ These six are for offline export only:\n"
"ticd uses its own day and configuration.\n",
	    CAL_RETENTION_DAYS);
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 a refused event or failure (ticd: 403\n"
"for the bureau or another unit, 404 for a centre the token does not\n"
"see); 2 bad usage.\n");
}

static int
parse_day_option(const char *opt, const char *value, int *day)
{
	if (sched_date_parse(value, day) == 0)
		return 0;
	ctl_warnx("feed", "%s \"%s\"：应为 YYYY-MM-DD 格式的真实日期 / must be a "
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
	if (*value == '\0' || *end != '\0' || errno != 0 || n < 0 ||
	    n > 100000) {
		ctl_warnx("feed", "--retention \"%s\"：应为 0 到 100000 的天数 / "
		    "must be a number of days from 0 to 100000", value);
		return -1;
	}
	*days = (int)n;
	return 0;
}

/* Names the scope for the feed's title; -1 when a centre is unknown. */
static int
resolve_scope(const struct sched_plan *plan, struct cal_feed_options *opts)
{
	size_t	 i;

	switch (opts->scope) {
	case CAL_SCOPE_CENTRE:
		for (i = 0; i < plan->ncentres; i++) {
			if (strcmp(plan->centres[i].id, opts->scope_id) == 0) {
				opts->scope_name = plan->centres[i].name;
				return 0;
			}
		}
		ctl_warnx("feed", "日志中没有登记编号为 \"%s\" 的中心 / no centre "
		    "\"%s\" is registered in the journal", opts->scope_id,
		    opts->scope_id);
		return -1;
	case CAL_SCOPE_UNIT:
		for (i = 0; i < plan->ncentres; i++) {
			if (strcmp(plan->centres[i].unit, opts->scope_id) == 0)
				return 0;
		}
		/* Still a feed: the bureau-wide obligations for units. */
		ctl_warnx("feed", "注意：日志中没有组织管理单位为 \"%s\" 的中心 / "
		    "note: no centre of unit \"%s\" in the journal",
		    opts->scope_id, opts->scope_id);
		return 0;
	case CAL_SCOPE_BUREAU:
		break;
	}
	return 0;
}

static int
set_scope(struct cal_feed_options *opts, bool *given, enum cal_scope scope,
    const char *id)
{
	if (*given) {
		ctl_warnx("feed", "--bureau、--unit、--centre 只能给一个 / give one "
		    "of --bureau, --unit, --centre");
		return -1;
	}
	if (id != NULL && *id == '\0') {
		ctl_warnx("feed", "--unit、--centre 不能为空 / must not be empty");
		return -1;
	}
	*given = true;
	opts->scope = scope;
	opts->scope_id = id;
	return 0;
}

/* The feed as ticd serves it, for the scope and variants asked. */
static int
feed_from_ticd(const struct ctl_remote *rem, bool scoped,
    const struct cal_feed_options *fo)
{
	struct buf	 path;
	char		*e;
	int		 rc;

	buf_init(&path);
	buf_adds(&path, "/api/v1/feed?");
	if (scoped && fo->scope == CAL_SCOPE_BUREAU)
		buf_adds(&path, "bureau=1&");
	else if (scoped) {
		e = ctl_url_escape(fo->scope_id);
		buf_printf(&path, "%s=%s&", fo->scope == CAL_SCOPE_UNIT ?
		    "unit" : "centre", e);
		free(e);
	}
	if (fo->alarms)
		buf_adds(&path, "alarms=1&");
	if (fo->todo)
		buf_adds(&path, "todo=1&");
	path.data[--path.len] = '\0';		/* the last ? or & */
	rc = ctl_feed_remote(rem, path.data);
	buf_free(&path);
	return rc;
}

int
ctl_feed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bureau", no_argument, NULL, 'b' },
		{ "unit", required_argument, NULL, 'U' },
		{ "centre", required_argument, NULL, 'C' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "until", required_argument, NULL, 'u' },
		{ "holidays", required_argument, NULL, 'H' },
		{ "rules", required_argument, NULL, 'r' },
		{ "retention", required_argument, NULL, 'R' },
		{ "public-url", required_argument, NULL, 'P' },
		{ "alarms", no_argument, NULL, 'A' },
		{ "todo", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "feed" };
	struct cal_feed_options	 fo;
	struct sched_calendar	*cal = NULL;
	struct sched_rules	*rules = NULL;
	struct sched_journal	*journal = NULL;
	struct sched_plan	*plan = NULL;
	char			**holidays, *rules_path = NULL, *error, *ics;
	const char		*name = "-";
	size_t			 nholidays = 0, len;
	int			 ch, as_of = SCHED_NO_DAY, until = SCHED_NO_DAY;
	int			 retention = CAL_RETENTION_DAYS, rc = CTL_FAIL;
	bool			 scoped = false, remote = false;
	const char		*offline = NULL;	/* an offline option */
	FILE			*in = stdin;

	/* Filled in full once as-of is known; the scope is kept till then. */
	cal_feed_options_init(&fo, 0);
	holidays = xcalloc((size_t)argc + 1, sizeof(char *));
	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'b':
			if (set_scope(&fo, &scoped, CAL_SCOPE_BUREAU,
			    NULL) == -1)
				goto usage;
			break;
		case 'U':
			if (set_scope(&fo, &scoped, CAL_SCOPE_UNIT,
			    optarg) == -1)
				goto usage;
			break;
		case 'C':
			if (set_scope(&fo, &scoped, CAL_SCOPE_CENTRE,
			    optarg) == -1)
				goto usage;
			break;
		case 'a':
			offline = "--as-of";
			if (parse_day_option("--as-of", optarg, &as_of) == -1)
				goto usage;
			break;
		case 'u':
			offline = "--until";
			if (parse_day_option("--until", optarg, &until) == -1)
				goto usage;
			break;
		case 'H':
			offline = "--holidays";
			holidays[nholidays++] = optarg;
			break;
		case 'r':
			offline = "--rules";
			rules_path = optarg;
			break;
		case 'R':
			offline = "--retention";
			if (parse_days(optarg, &retention) == -1)
				goto usage;
			break;
		case 'P':
			offline = "--public-url";
			fo.public_url = optarg;
			break;
		case 'A':
			fo.alarms = true;
			break;
		case 'T':
			fo.todo = true;
			break;
		case 'h':
			feed_usage(stdout);
			free(holidays);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
			remote = true;
		}
	}
	if (argc - optind > 1)
		goto usage;
	if (argc - optind == 1 && remote) {
		ctl_warnx("feed", "给出日志时离线导出，不连接 ticd：--url、--token、"
		    "--token-file 不适用 / with a journal the feed is made "
		    "offline: --url, --token and --token-file do not apply");
		goto usage;
	}
	if (argc - optind == 0) {
		free(holidays);
		if (offline != NULL) {
			ctl_warnx("feed", "%s 只用于离线导出（须给出日志文件）；ticd "
			    "用它自己的当天与配置 / %s is for offline export (give "
			    "a journal FILE); ticd uses its own day and "
			    "configuration", offline, offline);
			ctl_short_usage(argv[0], feed_usage);
			return CTL_USAGE;
		}
		return feed_from_ticd(&rem, scoped, &fo);
	}
	if (as_of == SCHED_NO_DAY)
		as_of = ctl_today();
	if (until == SCHED_NO_DAY)
		until = as_of + 400;
	fo.as_of = as_of;
	fo.revision = cal_day_start(as_of);
	fo.retention_days = retention;
	if (strcmp(argv[optind], "-") != 0) {
		name = argv[optind];
		if ((in = fopen(name, "r")) == NULL) {
			ctl_warnx("feed", "%s: 无法打开 / cannot open: %s", name,
			    strerror(errno));
			goto out;
		}
	}
	if ((cal = ctl_load_calendar(holidays, nholidays)) == NULL ||
	    (rules = ctl_load_rules(rules_path)) == NULL)
		goto out;
	journal = sched_journal_new();
	if (conf_read_journal(in, name, journal, rules, as_of, &error) == -1) {
		ctl_warnx("feed", "%s", error);
		free(error);
		goto out;
	}
	plan = sched_plan(journal, cal, rules, as_of, until,
	    SCHED_PLAN_EXPLAIN);
	if (resolve_scope(plan, &fo) == -1)
		goto out;
	if ((ics = cal_render_feed(plan, rules, &fo, NULL, NULL, &len)) ==
	    NULL) {
		ctl_warnx("feed", "无法生成日历 / cannot build the feed");
		goto out;
	}
	if (fwrite(ics, 1, len, stdout) == len && fflush(stdout) == 0)
		rc = CTL_OK;
	else
		ctl_warnx("feed", "写入失败 / cannot write: %s",
		    strerror(errno));
	free(ics);
out:
	if (in != NULL && in != stdin)
		fclose(in);
	sched_plan_free(plan);
	sched_journal_free(journal);
	sched_rules_free(rules);
	sched_calendar_free(cal);
	free(holidays);
	return rc;
usage:
	ctl_short_usage(argv[0], feed_usage);
	free(holidays);
	return CTL_USAGE;
}
