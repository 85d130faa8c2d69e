/*
 * ctl.h: ticctl, the command line for staff and scripts.
 *
 * Each subcommand is one ctl_<name> function taking its own argv; they
 * share how "today" is read and how data files are loaded.
 */
#ifndef CTL_H
#define CTL_H

#include <stdio.h>

#include "scheduler/scheduler.h"

/* Exit statuses: 0 done, 1 refused input or failure, 2 bad usage. */
#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	2

int	 ctl_plan(int, char **);

/* Obligations as an aligned table with Chinese headers, for people. */
void	 ctl_print_table(const struct sched_plan *, const struct sched_rules *,
	    const struct sched_calendar *, int as_of);
/* Today in Asia/Shanghai (UTC+8 all year, no daylight saving). */
int	 ctl_today(void);
/* Loads the default holiday table, then each extra one in order. */
struct sched_calendar *ctl_load_calendar(char **extra, size_t nextra);
struct sched_rules *ctl_load_rules(const char *path);
/* Prints "ticctl <cmd>: what" to stderr. */
void	 ctl_warnx(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
