/*
 * notify.h: reminders that arrive: the outbox and email.
 *
 * The store's outbox is the truth: a message is planned, rendered, built
 * into its final bytes and written there (all of one day's messages in
 * one transaction) before anything is sent.  Delivery then walks the
 * outbox on the daemon's libevent loop: one timer for the next row due,
 * libcurl's multi interface for SMTP, or a spool directory of .eml files
 * when no SMTP server is configured.  Modules:
 *
 *   outbox.c	reminders → rows: recipients from the contacts, the words
 *		(render.c), the bytes (mail.c); the check of a row against
 *		the current plan just before it is sent
 *   mail.c	the message built with GMime (the only file that includes
 *		<gmime/gmime.h>); header hygiene; Message-IDs
 *   smtp.c	libcurl's multi interface on the libevent loop (curl's
 *		hiperfifo pattern) and one SMTP transfer
 *   deliver.c	the delivery engine: the timer, states, backoff, spool
 *
 * Nothing here reads ticd.conf or knows evhttp: the daemon hands over a
 * struct notify_conf and a struct notify_hooks.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/common.h"

#include "notify/render.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

/* The retry schedule (issue 5): about three days, then dead. */
#define NOTIFY_RETRIES		9
/* outbox_meta's name for the last day whose reminders were queued. */
#define NOTIFY_META_LAST_DAY	"remind_last_day"

/* How mail leaves.  Strings are owned by the struct (notify_conf_clear). */
struct notify_conf {
	char	*smtp_url;	/* smtp://host:port, smtps://…; "": spool */
	char	*starttls;	/* required, try, no (smtp:// only) */
	char	*username;	/* "": no AUTH */
	char	*password;	/* read from the password file; never logged */
	char	*ca_file;	/* "": the system's */
	char	*from;		/* envelope and From: address */
	char	*from_name;
	char	*spool_dir;
	int	 timeout;	/* seconds for one transfer */
	int	 parallel;	/* transfers at once */
};

void	 notify_conf_clear(struct notify_conf *);

/* What notify asks the daemon for, when it needs it (borrowed). */
struct notify_hooks {
	void	*arg;
	/* The plan as of today, and the rules and calendar it was made with. */
	const struct sched_plan *(*plan)(void *arg);
	const struct sched_rules *(*rules)(void *arg);
	const struct sched_calendar *(*calendar)(void *arg);
	/* Called once nothing is in flight after notify_stop. */
	void	(*drained)(void *arg);
	/* A line for the daemon's log: warning (true) or info. */
	void	(*log)(void *arg, bool warning, const char *line);
};

/* ---- mail.c ---- */

struct mail_address {
	const char	*name;		/* may be "" */
	const char	*email;
};

/* Everything one message is built from; all borrowed. */
struct mail_spec {
	const struct notify_text *text;
	const char		*from;
	const char		*from_name;
	const struct mail_address *to;	/* none: undisclosed-recipients */
	size_t			 nto;
	const char		*message_id;	/* without < > */
	time_t			 date;
};

void	 mail_init(void);
void	 mail_shutdown(void);
/*
 * The message as sent (CRLF lines): multipart/mixed of
 * multipart/alternative (text/plain, text/html) and, when text->ics is
 * set, the .ics (text/calendar; method=PUBLISH).  Headers From, To,
 * Subject (RFC 2047), Date, Message-ID, Auto-Submitted: auto-generated,
 * Content-Language: zh-CN, MIME-Version.  No control character of the
 * data reaches a header.  Returns the bytes (the caller frees) and *len,
 * or NULL with *error.
 */
char	*mail_build(const struct mail_spec *, size_t *len, char **error);
/* A header value's data with every control character (CR, LF, TAB, …,
 * DEL) made a space; the caller frees it. */
char	*mail_header_clean(const char *);
/* Whether an address may go into a header and an SMTP command. */
bool	 mail_address_ok(const char *);
/* The Message-ID (without < >) of an idempotency key: the same key gives
 * the same id, on every attempt and after a crash.  The caller frees. */
char	*mail_message_id(const char *idem, const char *from);

/* ---- outbox.c ---- */

/* Finding an obligation of the current plan by key, fast: a cache of
 * key → position, rebuilt when the plan changes (and every hit checked,
 * so a new plan at the old address is never misread).  Owner: whoever
 * declared it; outbox_index_clear. */
struct outbox_index {
	const struct sched_plan	*plan;
	int			 as_of;
	size_t			 count;
	json_t			*keys;
};

void	 outbox_index_clear(struct outbox_index *);
const struct sched_obligation *outbox_find(struct outbox_index *,
	    const struct sched_plan *, const char *key);

/*
 * Plans, renders, builds and queues in one transaction the messages
 * given (from sched_reminders and sched_reminders_missed), and remembers
 * last_day as planned.  Recipients come from the contacts; one without
 * any is queued only for the spool (addressed to undisclosed-recipients)
 * and skipped for SMTP, with a line in *notes for the log.  *queued says
 * how many rows were new.  -1 with *error: nothing was queued and
 * last_day not kept.
 */
int	 outbox_queue(struct db *, const struct notify_conf *,
	    const struct sched_reminders *const *sets, size_t nsets,
	    const struct sched_rules *,
	    const struct sched_calendar *, int last_day, time_t now,
	    size_t *queued, struct buf *notes, char **error);
/* The idempotency key and recipient of a message ("centre:ID" …). */
char	*outbox_recipient(const struct sched_message *);
char	*outbox_idem(const struct sched_message *);

/* The verdict on a row about to be sent, against the current plan. */
enum outbox_check {
	OUTBOX_SEND,		/* every item still open or overdue */
	OUTBOX_REBUILT,		/* some dropped: *body is the new message */
	OUTBOX_DROPPED		/* none left: do not send */
};

/*
 * Checks a row's items against the plan.  With OUTBOX_REBUILT, *items
 * and *body (with *len) are the row's new content (the caller frees
 * them) and *why names what was dropped; with OUTBOX_DROPPED, *why.
 * -1 with *error when the row cannot be read or rebuilt.
 */
int	 outbox_check(const struct db_outbox *, const struct notify_conf *,
	    struct outbox_index *, const struct sched_plan *,
	    const struct sched_rules *,
	    const struct sched_calendar *, enum outbox_check *,
	    char **items, char **body, size_t *len, char **why,
	    char **error);

/* ---- retry.c ---- */

/* How an attempt ended, and what follows. */
enum notify_outcome {
	NOTIFY_SENT,
	NOTIFY_RETRY,		/* transient: connection, timeout, 4xx */
	NOTIFY_FAILED		/* permanent: 5xx */
};

/* The delay in seconds before retry number "attempts" (1 after the first
 * failure), with ±10% jitter from rnd (any 32 bits); -1 when no retry is
 * left. */
long	 notify_backoff(int attempts, unsigned int rnd);
/* An attempt's outcome from whether it succeeded and the server's last
 * reply code (0 when there was none). */
enum notify_outcome notify_outcome_of(bool ok, long reply);

/* ---- notice.c ---- */

/* A message that went dead, as its notice names it (all borrowed). */
struct notice_dead {
	long long		 id;
	const char		*idem;
	const char		*recipient;	/* bureau, unit:NAME, centre:ID */
	const char		*day;
	const char *const	*rcpt;		/* its addresses */
	size_t			 nrcpt;
	const char		*reason;	/* its last error */
};

/* A notice ready to queue; owner: the caller (notice_row_free). */
struct notice_row {
	struct db_outbox	 row;
	char			*idem;
	char			*recipient;	/* NULL: "bureau" */
	char			*message_id;
	char			*rcpt;
	char			*body;
	char			 day[SCHED_DATE_LEN];
	char			 created[40];
};

/* Whether a row's idempotency key is a dead message's notice. */
bool	 notice_is_dead_notice(const char *idem);
/*
 * The notice to the bureau's contacts that d went dead: who, which day,
 * why, and "ticctl redeliver ID".  0 with *p to queue; 1 when none is due
 * (d is itself a notice, or SMTP and the bureau has no contact); -1 with
 * *error.
 */
int	 notice_dead_row(struct db *, const struct notify_conf *,
	    const struct notice_dead *d, time_t now, struct notice_row *p,
	    char **error);
void	 notice_row_free(struct notice_row *);

/* An obligation whose date a reload moved (borrowed). */
struct notice_moved {
	const struct sched_obligation *o;	/* with its new date */
	int			 old_due;
};
/*
 * Queues in one transaction, to everyone who hears of each obligation
 * (its rule's audience), a notice naming the old and the new date; the
 * key holds the change, so one move is told once.  *queued: rows new.
 */
int	 notice_moved_queue(struct db *, const struct notify_conf *,
	    const struct sched_rules *, const struct notice_moved *, size_t n,
	    time_t now, size_t *queued, char **error);

/* ---- deliver.c ---- */

/* Owner: the daemon (notify_new, notify_free). */
struct notify;

struct notify *notify_new(struct event_base *, struct db *,
	    const struct notify_hooks *, const struct notify_conf *,
	    char **error);
/* New settings (a reload); transfers in flight keep theirs. */
void	 notify_set_conf(struct notify *, const struct notify_conf *);
const struct notify_conf *notify_get_conf(const struct notify *);
/* Something was queued or redelivered: look at the outbox again soon. */
void	 notify_kick(struct notify *);
/* Starts nothing more; returns how many transfers are in flight (the
 * drained hook follows when they end). */
size_t	 notify_stop(struct notify *);
size_t	 notify_inflight(const struct notify *);
/* Abandons what is still in flight (it goes back to pending, to be sent
 * again with the same Message-ID) and frees everything.  Before the event
 * base is freed. */
void	 notify_free(struct notify *);
/* Counters for /metrics. */
struct notify_stats {
	unsigned long long	 sent;
	unsigned long long	 retried;
	unsigned long long	 failed;
	unsigned long long	 dropped;
};
const struct notify_stats *notify_stats(const struct notify *);

/* ---- smtp.c ---- */

struct smtp;
struct smtp_transfer;

/* Called once per transfer, from the loop; the transfer is freed after. */
typedef void (*smtp_done_cb)(enum notify_outcome, const char *error,
    const char *response, void *arg);

struct smtp *smtp_new(struct event_base *, char **error);
void	 smtp_free(struct smtp *);
/* Starts sending len bytes (borrowed until done) to rcpt; NULL with
 * *error when it cannot even start. */
struct smtp_transfer *smtp_send(struct smtp *, const struct notify_conf *,
	    const char *const *rcpt, size_t nrcpt, const char *data,
	    size_t len, smtp_done_cb, void *arg, char **error);
/* Stops a transfer without calling its callback. */
void	 smtp_cancel(struct smtp *, struct smtp_transfer *);

#endif
