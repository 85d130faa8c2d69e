/*
 * ticctl.c: the entry point of ticctl, and what its subcommands share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "conf/conf.h"
#include "ctl/ctl.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*help;
} commands[] = {
	{ "plan", ctl_plan, "列出义务（离线）/ plan obligations from a "
	    "journal, offline" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "用法 / usage: ticctl COMMAND [OPTIONS] [ARGS]\n\n"
	    "命令 / commands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n“ticctl COMMAND --help” 显示各命令的选项 / shows a "
	    "command's options.\n");
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

int
main(int argc, char **argv)
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
	for (i = 0; i < nitems(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "ticctl: 未知命令 / unknown command \"%s\"\n\n",
	    argv[1]);
	usage(stderr);
	return CTL_USAGE;
}
