/*
 * plan.c: "ticctl plan", the planner offline: a journal of events as JSON
 * Lines in, obligations as JSON Lines out.
 *
 * stdout carries only JSON Lines, so scripts can pipe it; everything for
 * people (refusals, warnings about provisional dates) goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "conf/conf.h"
#include "ctl/ctl.h"

static void
plan_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl plan [--as-of DATE] [--until DATE] [--holidays FILE]...\n"
"                          [--rules FILE] [--explain] [--format json|table]\n"
"                          [FILE|-]\n"
"\n"
"读入事件日志（每行一个 JSON 事件），输出各中心的义务（每行一个 JSON 对象）。\n"
"Reads a journal of events (JSON Lines) and prints the obligations (JSON Lines).\n"
"\n"
"  --as-of DATE     计算状态的日期 / the day states are computed for\n"
"                   (default: today in Asia/Shanghai)\n"
"  --until DATE     逐年义务列到此日 / yearly obligations up to this day\n"
"                   (default: as-of + 400 days)\n"
"  --holidays FILE  再加载一份放假安排表（可重复；后加载的按年整体替换先前的，\n"
"                   更正某年须列出该年全部安排）/ load a further holiday\n"
"                   table (repeatable; a later one replaces each year it\n"
"                   publishes whole: a correction lists the whole year)\n"
"  --rules FILE     规则包 / the rule pack (default: rules.ini in the data dir)\n"
"  --explain        为每项义务附上中文推算过程（表格之后按编号列出）/ add each\n"
"                   date's derivation (after a table, by key)\n"
"  --format FMT     json（缺省，每行一个对象）或 table（中文表格）/\n"
"                   json (default, JSON Lines) or table (for people)\n"
"  FILE | -         事件日志；缺省或 - 为标准输入 / the journal (default stdin)\n"
"\n"
"退出状态 / exit status: 0 ok; 1 a refused event (stderr names the line and\n"
"why, stdout stays empty); 2 bad usage.\n");
}

static void
warn_provisional(const struct sched_plan *plan,
    const struct sched_calendar *cal)
{
	size_t	 i, n = 0;
	int	 first, last;
	bool	 earlier = false;

	sched_calendar_span(cal, &first, &last);
	for (i = 0; i < plan->count; i++) {
		n += plan->obligations[i].provisional;
		earlier |= plan->obligations[i].provisional &&
		    sched_year(plan->obligations[i].start) < first;
	}
	if (n == 0)
		return;
	/* History from before the loaded years (a centre of 2023) is
	 * provisional too: its year is missing, not yet to come. */
	if (earlier)
		ctl_warnx("plan", "警告：%zu 项义务的日期为暂定——已加载的放假安排"
		    "为 %d 年至 %d 年，其他年份只按法定节假日计算；用 --holidays "
		    "加载所缺年份的安排 / warning: %zu obligation(s) have "
		    "provisional dates: holiday schedules are loaded for %d-%d "
		    "only; load the missing years with --holidays", n, first,
		    last, n, first, last);
	else
		ctl_warnx("plan", "警告：%zu 项义务的日期为暂定——已加载的放假安排只"
		    "到 %d 年，之后的年份只按法定节假日计算；国务院公布新一年安排后用 "
		    "--holidays 加载 / warning: %zu obligation(s) have "
		    "provisional dates: holiday schedules are loaded through %d "
		    "only; load the next one with --holidays", n, last, n, last);
}

#define PRINT_CHUNK	65536

/* One obligation a line, written in chunks of about PRINT_CHUNK bytes. */
static int
print_plan(const struct sched_plan *plan, const struct sched_rules *rules)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < plan->count; i++) {
		sched_obligation_dump(&plan->obligations[i], rules, &b);
		buf_add(&b, "\n", 1);
		if (b.len >= PRINT_CHUNK || i + 1 == plan->count) {
			fwrite(b.data, 1, b.len, stdout);
			b.len = 0;
		}
	}
	buf_free(&b);
	return ctl_finish("plan") == CTL_OK ? 0 : -1;
}

static int
parse_day_option(const char *opt, const char *value, int *day)
{
	if (sched_date_parse(value, day) == 0)
		return 0;
	ctl_warnx("plan", "%s \"%s\"：应为 YYYY-MM-DD 格式的真实日期 / must be a "
	    "real day written YYYY-MM-DD", opt, value);
	return -1;
}

/* --explain under a table: each obligation's derivation after it, by
 * key (the table has no room for paragraphs). */
static void
print_explanations(const struct sched_plan *plan)
{
	const struct sched_obligation	*o;
	size_t				 i;

	printf("\n推算过程 / how each date was counted:\n");
	for (i = 0; i < plan->count; i++) {
		o = &plan->obligations[i];
		if (o->explain != NULL)
			printf("\n%s\n  %s\n", o->key, o->explain);
	}
}

int
ctl_plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "until", required_argument, NULL, 'u' },
		{ "holidays", required_argument, NULL, 'H' },
		{ "rules", required_argument, NULL, 'r' },
		{ "explain", no_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sched_calendar	*cal = NULL;
	struct sched_rules	*rules = NULL;
	struct sched_journal	*journal = NULL;
	struct sched_plan	*plan;
	char			**holidays, *rules_path = NULL, *error;
	const char		*name = "-";
	size_t			 nholidays = 0;
	int			 ch, as_of = SCHED_NO_DAY, until = SCHED_NO_DAY;
	int			 flags = 0, rc = CTL_FAIL;
	bool			 table = false;
	FILE			*in = stdin;

	holidays = xcalloc((size_t)argc + 1, sizeof(char *));
	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'a':
			if (parse_day_option("--as-of", optarg, &as_of) == -1)
				goto usage;
			break;
		case 'u':
			if (parse_day_option("--until", optarg, &until) == -1)
				goto usage;
			break;
		case 'H':
			holidays[nholidays++] = optarg;
			break;
		case 'r':
			rules_path = optarg;
			break;
		case 'e':
			flags |= SCHED_PLAN_EXPLAIN;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				table = true;
			else if (strcmp(optarg, "json") != 0) {
				ctl_warnx("plan", "--format 应为 json 或 table / "
				    "must be json or table");
				goto usage;
			}
			break;
		case 'h':
			plan_usage(stdout);
			free(holidays);
			return CTL_OK;
		default:
			goto usage;
		}
	}
	if (argc - optind > 1)
		goto usage;
	if (as_of == SCHED_NO_DAY)
		as_of = ctl_today();
	if (until == SCHED_NO_DAY)
		until = as_of + 400;
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
		name = argv[optind];
		if ((in = fopen(name, "r")) == NULL) {
			ctl_warnx("plan", "%s: 无法打开 / cannot open: %s", name,
			    strerror(errno));
			goto out;
		}
	}
	if ((cal = ctl_load_calendar(holidays, nholidays)) == NULL ||
	    (rules = ctl_load_rules(rules_path)) == NULL)
		goto out;
	journal = sched_journal_new();
	if (conf_read_journal(in, name, journal, rules, as_of, &error) == -1) {
		ctl_warnx("plan", "%s", error);
		free(error);
		goto out;
	}
	plan = sched_plan(journal, cal, rules, as_of, until, flags);
	warn_provisional(plan, cal);
	if (table) {
		ctl_print_table(plan, rules, cal, as_of);
		if (flags & SCHED_PLAN_EXPLAIN)
			print_explanations(plan);
		rc = ctl_finish("plan");
	} else
		rc = print_plan(plan, rules) == 0 ? CTL_OK : CTL_FAIL;
	sched_plan_free(plan);
out:
	if (in != NULL && in != stdin)
		fclose(in);
	sched_journal_free(journal);
	sched_rules_free(rules);
	sched_calendar_free(cal);
	free(holidays);
	return rc;
usage:
	ctl_short_usage(argv[0], plan_usage);
	free(holidays);
	return CTL_USAGE;
}
