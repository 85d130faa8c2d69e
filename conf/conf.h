/*
 * conf.h: reading ticd's files: the holiday tables, the rule pack, and
 * where they are found.
 *
 * The scheduler parses text and never opens a file; this module is the
 * I/O in front of it, shared by ticd and ticctl so both find the same
 * data the same way.  Every error is one "file:line: what" per line.
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scheduler/scheduler.h"

#define CONF_HOLIDAYS	"cn-holidays.tsv"
#define CONF_RULES	"rules.ini"

/* Reads a whole file; the caller frees *text.  -1 with *error on failure. */
int	 conf_read_file(const char *path, char **text, size_t *len,
	    char **error);
/*
 * Where the holiday table and rule pack are: $TICD_DATADIR, else
 * ../share/ticd beside the running binary (the build tree and an
 * installed PREFIX alike), else the DATADIR it was built for.
 * Returns a string the caller frees.
 */
char	*conf_datadir(void);
/* The path of a data file in conf_datadir(); the caller frees it. */
char	*conf_data_path(const char *name);
int	 conf_load_calendar(struct sched_calendar *, const char *path,
	    char **error);
int	 conf_load_rules(struct sched_rules *, const char *path, char **error);

/*
 * Reads a journal (JSON Lines) into j, each event as if recorded on day
 * "today".  On the first refused line returns -1 with *error as
 * "NAME:LINE: 拒绝 / refused EVENT: why" and j holds the lines before it.
 */
int	 conf_read_journal(FILE *, const char *name, struct sched_journal *,
	    const struct sched_rules *, int today, char **error);

/* One line of a [remind.RULE] section, checked when read. */
struct conf_remind {
	enum sched_rule	 rule;
	char		*name;
	char		*value;
	int		 line;		/* where the file sets it */
};

/*
 * ticd.conf (config.c).  Owner: whoever declared the struct; conf_clear
 * frees what conf_parse/conf_load/conf_defaults put in it.
 */
struct conf {
	char	*listen;	/* host:port */
	char	*database;
	char	*synchronous;	/* "full" or "normal" */
	char	*holidays;	/* space-separated paths, or "" */
	char	*rules;		/* a path, or "" for the shipped pack */
	char	*log_level;
	int	 max_body;
	/* [remind] */
	int	 remind_send_time;	/* minutes after 00:00, Asia/Shanghai */
	int	 remind_fold_after;	/* days */
	/* [remind.RULE] overrides, in the file's order */
	struct conf_remind *remind;
	size_t	 nremind;
	/* [mail]: how they leave */
	char	*smtp_url;	/* "": the spool */
	char	*starttls;	/* required, try, no */
	char	*smtp_username;
	char	*smtp_password_file;
	char	*smtp_ca_file;
	char	*mail_from;
	char	*mail_from_name;
	char	*spool;		/* "": "spool" beside the database */
	int	 smtp_timeout;
	int	 smtp_parallel;
	int	 stop_wait;	/* seconds a stop waits for sends in flight */
	char	*public_url;	/* "" or http(s)://…, no query */
	int	 feed_retention; /* days */
	/* [webhooks] */
	char	*webhook_allow_hosts;	/* space-separated; "": any */
	int	 webhook_timeout;	/* seconds */
	int	 webhook_parallel;
	int	 webhook_disable_days;
};

void	 conf_defaults(struct conf *);
void	 conf_clear(struct conf *);
/* Parses ticd.conf text into *c (zeroed, or holding a configuration,
 * which is freed), replacing it only when every line is right; else -1
 * and every error as "source:line: what", one a line. */
int	 conf_parse(struct conf *, const char *source, const char *text,
	    size_t len, char **error);
int	 conf_load(struct conf *, const char *path, char **error);
bool	 conf_key_reloadable(const char *section, const char *name);
/* The spool directory: spool, or "spool" beside the database. */
char	*conf_spool_dir(const struct conf *);
/* Puts the [remind.RULE] overrides over a loaded rule pack. */
void	 conf_apply_remind(const struct conf *, struct sched_rules *);
/* Every key with its default and help, as ticd.conf(5) lists them. */
void	 conf_print_help(FILE *);
/* The same as the body of an mdoc(7) section, for ticd.conf(5). */
void	 conf_print_mdoc(FILE *);

#endif
