/*
 * ticctl.c: the entry point of ticctl, and what its subcommands share.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "version.h"	/* written by the build: $(BUILD)/version.h */

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*help;
} commands[] = {
	{ "plan", ctl_plan, "列出义务（离线）/ plan obligations from a "
	    "journal, offline" },
	{ "feed", ctl_feed, "导出 iCalendar 日历 / an iCalendar feed "
	    "(offline from a journal, or from ticd)" },
	{ "reminders", ctl_reminders, "预览将发送的提醒（离线）/ preview "
	    "the reminders ticd will send, offline" },
	/* The rest ask ticd over HTTP (remote.c). */
	{ "centres", ctl_centres, "列出中心 / the centres ticd knows" },
	{ "centre", ctl_centre, "一个中心及其义务 / one centre and its "
	    "obligations" },
	{ "record", ctl_record, "向 ticd 记录事件 / record events with ticd" },
	{ "obligations", ctl_obligations, "查询义务 / obligations, filtered" },
	{ "upcoming", ctl_upcoming, "即将到期和已逾期的义务 / due soon, and "
	    "overdue" },
	{ "tokens", ctl_tokens, "管理 API 令牌 / API tokens (bureau)" },
	{ "contacts", ctl_contacts, "管理提醒联系人 / who reminders go to" },
	{ "deliveries", ctl_deliveries, "发件箱：各条消息的发送状态 / the outbox: "
	    "how each message fared (bureau)" },
	{ "redeliver", ctl_redeliver, "重新发送一条消息 / send a message again "
	    "(bureau)" },
	{ "feeds", ctl_feeds, "管理日历订阅 / calendar feed tokens and their "
	    "links" },
	{ "feed-token", ctl_feeds, "同 feeds / the same as feeds" },
	{ "webhooks", ctl_webhooks, "管理 webhook 与群机器人 / webhooks and "
	    "chat robots reminders go to" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "用法 / usage: ticctl COMMAND [OPTIONS] [ARGS]\n\n"
	    "命令 / commands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n“ticctl COMMAND --help” 显示各命令的选项 / shows a "
	    "command's options.\n"
	    "plan、reminders 与给出日志的 feed 离线运行；其余命令经 HTTP 询问 ticd（--url、\n"
	    "--token-file，或 TICD_URL、TICD_TOKEN，或 ticctl.conf）/ plan, reminders "
	    "and\nfeed with a journal work offline; the others ask ticd over HTTP "
	    "(--url,\n--token-file, or TICD_URL, TICD_TOKEN, or ticctl.conf).\n");
}

void
ctl_warnx(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "ticctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The option a mistake was about, as it was meant: "--name" when opts
 * knows it by optopt, else as typed. */
static void
option_named(const struct option *opts, const char *typed, char *out,
    size_t len)
{
	const struct option	*o;

	for (o = opts; optopt != 0 && o->name != NULL; o++)
		if (o->flag == NULL && o->val == optopt) {
			snprintf(out, len, "--%s", o->name);
			return;
		}
	if (optopt > ' ' && optopt < 0x7f)	/* a short option */
		snprintf(out, len, "-%c", optopt);
	else
		snprintf(out, len, "%.*s", (int)strcspn(typed, "="), typed);
}

int
ctl_getopt(int argc, char **argv, const struct option *opts)
{
	char	 name[64];
	int	 ch;

	opterr = 0;
	optopt = 0;
	ch = getopt_long(argc, argv, ":h", opts, NULL);
	if (ch != '?' && ch != ':')
		return ch;
	option_named(opts, argv[optind - 1], name, sizeof(name));
	if (ch == ':')
		ctl_warnx(argv[0], "选项 %s 需要一个值 / option %s needs a value",
		    name, name);
	else
		ctl_warnx(argv[0], "没有选项 %s / no option %s", name, name);
	return '?';
}

void
ctl_short_usage(const char *cmd, void (*print_usage)(FILE *))
{
	char		*text = NULL;
	size_t		 len = 0;
	const char	*end;
	FILE		*f;

	if ((f = open_memstream(&text, &len)) == NULL) {
		print_usage(stderr);
		return;
	}
	print_usage(f);
	fclose(f);
	end = strstr(text, "\n\n");
	fwrite(text, 1, end != NULL ? (size_t)(end - text) + 1 : len, stderr);
	fprintf(stderr, "（ticctl %s --help 列出全部选项 / lists every "
	    "option）\n", cmd);
	free(text);
}

int
ctl_today(void)
{
	time_t		 now = time(NULL);
	struct tm	 tm;

	/* China has kept UTC+8 without daylight saving since 1991: the
	 * civil day in Asia/Shanghai is the UTC day of now + 8 hours, and
	 * no TZ setting of the machine can change it. */
	now += 8 * 3600;
	gmtime_r(&now, &tm);
	return sched_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

struct sched_calendar *
ctl_load_calendar(char **extra, size_t nextra)
{
	struct sched_calendar	*cal = sched_calendar_new();
	char			*path, *error;
	size_t			 i;

	path = conf_data_path(CONF_HOLIDAYS);
	if (conf_load_calendar(cal, path, &error) == -1) {
		fprintf(stderr, "ticctl: %s\n", error);
		free(error);
		free(path);
		sched_calendar_free(cal);
		return NULL;
	}
	free(path);
	for (i = 0; i < nextra; i++) {
		if (conf_load_calendar(cal, extra[i], &error) == -1) {
			fprintf(stderr, "ticctl: %s\n", error);
			free(error);
			sched_calendar_free(cal);
			return NULL;
		}
	}
	return cal;
}

struct sched_rules *
ctl_load_rules(const char *given)
{
	struct sched_rules	*rules = sched_rules_new();
	char			*path, *error;

	path = given != NULL ? xstrdup(given) : conf_data_path(CONF_RULES);
	if (conf_load_rules(rules, path, &error) == -1) {
		fprintf(stderr, "ticctl: %s\n", error);
		free(error);
		free(path);
		sched_rules_free(rules);
		return NULL;
	}
	free(path);
	return rules;
}

/* How many argv words a connection option at argv[0] takes: 2 for
 * "--url URL", 1 for "--url=URL", 0 when it is not one. */
static int
remote_option_words(int argc, char **argv)
{
	static const char *names[] = { "--url", "--token", "--token-file" };
	size_t		 i, len;

	for (i = 0; i < nitems(names); i++) {
		len = strlen(names[i]);
		if (strncmp(argv[0], names[i], len) != 0)
			continue;
		if (argv[0][len] == '=')
			return 1;
		if (argv[0][len] == '\0')
			return argc > 1 ? 2 : 0;
	}
	return 0;
}

/*
 * "ticctl --url URL centres" reads as naturally as "ticctl centres --url
 * URL": connection options before the command are moved behind it, where
 * the command parses them.  Returns a new argv (the caller frees the
 * array, not the strings) and its length in *argc.
 */
static char **
hoist_remote_options(int *argc, char **argv)
{
	char	**out;
	int	 i = 1, n, k = 1;

	while (i < *argc && (n = remote_option_words(*argc - i,
	    argv + i)) > 0)
		i += n;
	out = xcalloc((size_t)*argc + 1, sizeof(char *));
	out[0] = argv[0];
	if (i >= *argc) {
		/* Options and no command: ticctl's usage. */
		*argc = 1;
		return out;
	}
	out[k++] = argv[i];
	for (n = 1; n < i; n++)
		out[k++] = argv[n];
	for (n = i + 1; n < *argc; n++)
		out[k++] = argv[n];
	*argc = k;
	return out;
}

/* Runs the command argv[1] names. */
static int
run(int argc, char **argv)
{
	size_t	 i;

	if (argc < 2) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CTL_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		puts("ticctl " TICD_VERSION);
		return fflush(stdout) == 0 ? CTL_OK : CTL_FAIL;
	}
	for (i = 0; i < nitems(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "ticctl: 未知命令 / unknown command \"%s\"\n\n",
	    argv[1]);
	usage(stderr);
	return CTL_USAGE;
}

int
main(int argc, char **argv)
{
	char	**args;
	int	 rc;

	args = hoist_remote_options(&argc, argv);
	rc = run(argc, args);
	free(args);
	return rc;
}
