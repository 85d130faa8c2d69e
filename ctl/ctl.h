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
int	 ctl_feed(int, char **);
int	 ctl_reminders(int, char **);

/* The commands that ask ticd over HTTP (remote.c). */
int	 ctl_centres(int, char **);
int	 ctl_centre(int, char **);
int	 ctl_record(int, char **);
int	 ctl_obligations(int, char **);
int	 ctl_upcoming(int, char **);
int	 ctl_tokens(int, char **);
int	 ctl_deliveries(int, char **);
int	 ctl_redeliver(int, char **);
int	 ctl_contacts(int, char **);
int	 ctl_feeds(int, char **);
int	 ctl_webhooks(int, char **);

/* ---- talking to ticd (client.c) ---- */

/* Where ticd is and who we are, as the command line gives them (NULL:
 * not given).  Strings are borrowed from argv. */
struct ctl_remote {
	const char	*cmd;		/* for messages */
	const char	*url;
	const char	*token;
	const char	*token_file;
};

#define CTL_OPT_URL		0x100
#define CTL_OPT_TOKEN		0x101
#define CTL_OPT_TOKEN_FILE	0x102
/* The connection options of every remote command's getopt_long table. */
#define CTL_REMOTE_OPTIONS						\
	{ "url", required_argument, NULL, CTL_OPT_URL },		\
	{ "token", required_argument, NULL, CTL_OPT_TOKEN },		\
	{ "token-file", required_argument, NULL, CTL_OPT_TOKEN_FILE }

/* ticctl feed without a journal: writes the feed as ticd serves it
 * (remote.c).  path is /api/v1/feed and its query. */
int	 ctl_feed_remote(const struct ctl_remote *, const char *path);
/* Takes one connection option; false when ch is none (or clashes). */
bool	 ctl_remote_option(struct ctl_remote *, int ch, const char *arg);
/* The connection options' part of a remote command's usage. */
void	 ctl_remote_usage(FILE *);

/* One connection to ticd.  Owner: whoever calls ctl_client_new. */
struct ctl_client;

/*
 * Finds the URL and the token (command line, then TICD_URL and
 * TICD_TOKEN, then ticctl.conf) and readies libcurl.  NULL after saying
 * why on stderr.
 */
struct ctl_client *ctl_client_new(const char *cmd, const struct ctl_remote *);
void	 ctl_client_free(struct ctl_client *);
/* The command the client speaks for, for messages. */
const char *ctl_client_cmd(const struct ctl_client *);
/*
 * METHOD base+path with an optional JSON body; blocks until the answer
 * or a timeout.  Returns the decoded JSON object of a 2xx reply (the
 * caller's), else NULL, keeping the status and the message for
 * ctl_client_warn.
 */
json_t	*ctl_client_call(struct ctl_client *, const char *method,
	    const char *path, const char *body, size_t len);
/* GET base+path for what is not JSON (a calendar): the body of a 2xx
 * reply, its length in *len (the caller frees it), else NULL as
 * ctl_client_call. */
char	*ctl_client_get_bytes(struct ctl_client *, const char *path,
	    size_t *len);
/* "ticctl CMD: [where: ]why the last call failed" on stderr: the
 * server's message verbatim when it sent one. */
void	 ctl_client_warn(const struct ctl_client *, const char *where);
/* Flushes stdout: CTL_OK, or CTL_FAIL with a warning. */
int	 ctl_finish(const char *cmd);
/* Prints a reply as indented JSON, then ctl_finish. */
int	 ctl_print_json(const char *cmd, const json_t *);
/* Percent-encodes a path segment or query value; the caller frees. */
char	*ctl_url_escape(const char *);

/* ---- tables for people (table.c) ---- */

/* An aligned table of text cells.  Owner: whoever calls ctl_table_new;
 * the table owns its rows and every cell put in them. */
struct ctl_table;

struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers);
void	 ctl_table_free(struct ctl_table *);
/* A new row of ncols NULL cells (printed empty), to fill with strings
 * from malloc that the table then owns. */
char	**ctl_table_row(struct ctl_table *);
size_t	 ctl_table_count(const struct ctl_table *);
/* Prints the headers and the rows on stdout, each column padded. */
void	 ctl_table_print(const struct ctl_table *);
/* A reply's string or integer as a cell; anything else "—". */
char	*ctl_cell(const json_t *obj, const char *key);
/* The same, one line of at most max characters ("…" where cut): an
 * error or a reply read on a terminal. */
char	*ctl_cell_short(const json_t *obj, const char *key, size_t max);

/* One obligation as the table shows it, whether it came from a local
 * plan or from ticd's JSON.  Every string is borrowed. */
struct ctl_row {
	int			 due;
	bool			 provisional;
	enum sched_state	 state;
	const char		*article;	/* 第十四条 */
	const char		*title;
	int			 year;		/* sched_obligation_year's */
	/* Working days left as ticd counts them (its reply's "workdays"),
	 * when it gave them; else the table counts with the calendar. */
	bool			 workdays_known;
	int			 workdays;
	bool			 workdays_guess;
	const char		*centre;	/* NULL: bureau-wide */
	const char		*centre_name;	/* NULL: show the id alone */
};

/* Obligations as an aligned table with Chinese headers, for people: due
 * dates with weekdays, days left from as_of (working days too when a
 * calendar is given). */
void	 ctl_print_rows(const struct ctl_row *, size_t,
	    const struct sched_calendar *, int as_of);
void	 ctl_print_table(const struct sched_plan *, const struct sched_rules *,
	    const struct sched_calendar *, int as_of);
/* Today in Asia/Shanghai (UTC+8 all year, no daylight saving). */
int	 ctl_today(void);
/* Loads the default holiday table, then each extra one in order. */
struct sched_calendar *ctl_load_calendar(char **extra, size_t nextra);
struct sched_rules *ctl_load_rules(const char *path);
/* After a usage mistake: usage's synopsis (up to its first blank line)
 * and where the options are, to stderr; the reason, said just before,
 * stays in sight (the whole help scrolled it away). */
void	 ctl_short_usage(const char *cmd, void (*print_usage)(FILE *));
/* Prints "ticctl <cmd>: what" to stderr. */
void	 ctl_warnx(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
struct option;
/*
 * getopt_long over a command's argv (argv[0] its name) with "-h" and
 * opts; a mistake is said in Chinese and English after "ticctl CMD:"
 * (getopt's own complaint is English and names the command alone), and
 * returned as '?'.
 */
int	 ctl_getopt(int argc, char **argv, const struct option *opts);

#endif
