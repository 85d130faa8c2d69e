/*
 * notify.h: reminders that arrive: the outbox and email.
 *
 * The store's outbox is the truth: a message is planned, rendered, built
 * into its final bytes and written there (all of one day's messages in
 * one transaction) before anything is sent.  Delivery then walks the
 * outbox on the daemon's libevent loop: one timer for the next row due,
 * libcurl's multi interface for SMTP on a thread of its own, or a spool
 * directory of .eml files when no SMTP server is configured.  Modules:
 *
 *   outbox.c	reminders → rows: recipients from the contacts, the words
 *		(render.c), the bytes (mail.c); the check of a row against
 *		the current plan just before it is sent
 *   mail.c	the message built with GMime (the only file that includes
 *		<gmime/gmime.h>); header hygiene; Message-IDs
 *   curlev.c	libcurl's multi interface on a libevent loop (curl's
 *		hiperfifo pattern), for smtp.c and post.c
 *   smtp.c	one SMTP transfer on the mail thread's loop
 *   mailer.c	the mail thread: its own loop and curl multi handle, jobs in
 *		and results out through queues, so libcurl's blocking wait
 *		for SMTP's final reply never holds the daemon's loop
 *   deliver.c	the delivery engine: the timer, states, backoff, spool
 *
 * Webhooks and chat robots (issue 6) ride the same outbox.  Their formats
 * are pure (text, keys and "now" in; text out; no I/O and no clock), so
 * each is tested against the vectors of its documentation:
 *
 *   sign.c	HMAC-SHA256 signatures: Standard Webhooks, DingTalk 加签,
 *		Feishu 签名校验; webhook-id from an idempotency key
 *   webhook.c	the Standard Webhooks payload of a reminder, target URLs
 *		(only http(s), the host allow-list, redaction of credentials),
 *		and what an answer means (sent, retry, throttled, dead)
 *   robot.c	WeCom, DingTalk and Feishu group robots: their markdown
 *		(the words are render.c's) split under each robot's size
 *		limit, their bodies and JSON answers
 *   pace.c	pacing under each robot's rate limit
 *   target.c	a target's secret, read from its file when needed
 *   worker.c	a thread with its own loop, fed jobs by the daemon's: the
 *		mail thread and the webhook thread are each one
 *   post.c	HTTP POSTs on libcurl's multi interface, on the webhook
 *		thread
 *   hook.c	webhook rows of the outbox, and one attempt at one
 *
 * A webhook delivery is one stored payload (notify_payload_*) turned, at
 * each attempt, into one or more signed HTTP requests (notify_build): a
 * robot message too long for one post is several, always split the same
 * way, so a retry resumes at the part that failed.
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
	/* Webhooks (issue 6). */
	char	*webhook_allow_hosts;	/* space-separated; "": any */
	int	 webhook_timeout;	/* seconds for one post */
	int	 webhook_parallel;	/* posts at once (and per host) */
	int	 webhook_disable_days;	/* failing this long: disabled */
};

void	 notify_conf_clear(struct notify_conf *);

/* What notify asks the daemon for, when it needs it (borrowed). */
struct notify_hooks {
	void	*arg;
	/* The plan as of today, and the rules and calendar it was made with. */
	const struct sched_plan *(*plan)(void *arg);
	/* A number that changes whenever the plan may have (an event, a new
	 * day, a reload), read after plan(); NULL: never assumed unchanged. */
	unsigned long long (*plan_generation)(void *arg);
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

/* The rows one outbox_queue call added: how many, and the span of their
 * ids.  The ids are AUTOINCREMENT's, taken in one transaction: no other
 * row has, or will ever have, an id in [first, last]. */
struct outbox_queued {
	size_t		 count;
	long long	 first, last;
};

/*
 * Plans, renders, builds and queues in one transaction the messages
 * given (from sched_reminders and sched_reminders_missed), and remembers
 * last_day as planned.  Recipients come from the contacts; one without
 * any is queued only for the spool (addressed to undisclosed-recipients)
 * and skipped for SMTP, with a line in *notes for the log.  *queued says
 * which rows were new.  -1 with *error: nothing was queued and last_day
 * not kept.
 */
int	 outbox_queue(struct db *, const struct notify_conf *,
	    const struct sched_reminders *const *sets, size_t nsets,
	    const struct sched_rules *,
	    const struct sched_calendar *, int last_day, time_t now,
	    struct outbox_queued *queued, struct buf *notes, char **error);
/* The idempotency key and recipient of a message ("centre:ID" …). */
char	*outbox_recipient(const struct sched_message *);
/* A row's recipient as a notice names it to people: a centre's name and
 * id (from the plan, else the id), a unit's name, or 市科技局. */
char	*outbox_recipient_cn(const char *recipient,
	    const struct sched_plan *plan);
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
	const char		*who;		/* the same in words
						 * (outbox_recipient_cn) */
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
 * What the bureau's notices return when mail goes over SMTP and no bureau
 * contact has an address it can go to: nothing is queued, and the caller
 * says so in the log (the notice would otherwise vanish unseen; without
 * SMTP the spool takes it).
 */
#define NOTICE_NOBODY	2
/*
 * The notice to the bureau's contacts that d went dead: who, which day,
 * why, and "ticctl redeliver ID".  0 with *p to queue; 1 when none is due
 * (d is itself a notice); NOTICE_NOBODY; -1 with *error.
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
/*
 * Whether sending row id again would send anything: 1 with *why when not
 * (every obligation it named closed or voided since, or its webhook
 * target removed, disabled or no longer allowed), so that a redelivery
 * is refused before it rewrites the row's record; 0 when it would (or
 * no such row); -1 with *why when the store failed.
 */
int	 notify_redeliver_check(struct notify *, long long id, char **why);
/* Rows outbox_queue just made from the current plan: while the plan's
 * generation stays the same, their last look before sending is skipped
 * (it would find every item as it was queued). */
void	 notify_queued(struct notify *, const struct outbox_queued *);
/* The API changed a webhook target. */
void	 notify_targets_changed(struct notify *);
/* The API enabled one: its failures not yet stored are forgotten. */
void	 notify_target_enabled(struct notify *, long long target);
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

/* Called once per transfer, on the loop that drives it; the transfer is
 * freed after. */
typedef void (*smtp_done_cb)(enum notify_outcome, const char *error,
    const char *response, void *arg);

/* Owner: the mail thread (mailer.c); every call but smtp_shutdown from
 * the thread whose loop is given. */
struct smtp *smtp_new(struct event_base *, char **error);
void	 smtp_free(struct smtp *);
/* Starts sending len bytes (borrowed until done) to rcpt; NULL with
 * *error when it cannot even start. */
struct smtp_transfer *smtp_send(struct smtp *, const struct notify_conf *,
	    const char *const *rcpt, size_t nrcpt, const char *data,
	    size_t len, smtp_done_cb, void *arg, char **error);
/* From any thread: shuts every connection down (nothing more is sent, a
 * wait inside curl returns) and refuses new ones.  Before smtp_free when
 * transfers may be in flight. */
void	 smtp_shutdown(struct smtp *);

/* ---- mailer.c ---- */

struct mailer;

/* Starts the mail thread; its results come back on the given loop.
 * Owner: the delivery engine (mailer_free, before that loop's base). */
struct mailer *mailer_new(struct event_base *, const struct notify_conf *,
	    char **error);
/* The settings for the sends queued after this call. */
void	 mailer_set_conf(struct mailer *, const struct notify_conf *);
/* Queues one message; cb is called on the given loop, exactly once, unless
 * mailer_free comes first.  rcpt and data are borrowed: unchanged until
 * then. */
void	 mailer_send(struct mailer *, const char *const *rcpt, size_t nrcpt,
	    const char *data, size_t len, smtp_done_cb cb, void *arg);
/* Cuts the connections, joins the thread, reports what had ended (through
 * the callbacks, before returning) and drops the rest unreported. */
void	 mailer_free(struct mailer *);

/* ---- formats ---- */

enum notify_format {
	NOTIFY_STANDARD,	/* Standard Webhooks: JSON, signed headers */
	NOTIFY_WECOM,		/* 企业微信群机器人: markdown; key in the URL */
	NOTIFY_DINGTALK,	/* 钉钉自定义机器人: markdown; 加签 in the query */
	NOTIFY_FEISHU,		/* 飞书自定义机器人: card; 签名 in the body */
	NOTIFY_FORMAT_COUNT
};

/* What a format does with a secret. */
enum notify_secret_use {
	NOTIFY_SECRET_NONE,	/* WeCom: the URL's key is the credential */
	NOTIFY_SECRET_OPTIONAL,	/* DingTalk, Feishu: when the robot signs */
	NOTIFY_SECRET_REQUIRED	/* Standard Webhooks */
};

const char *notify_format_name(enum notify_format);
int	 notify_format_from_name(const char *, enum notify_format *);
enum notify_secret_use notify_format_secret(enum notify_format);
/* Whether a secret (as read from its file) suits the format; else the
 * reason, never quoting the secret, in *why (the caller frees). */
bool	 notify_secret_ok(enum notify_format, const char *secret, char **why);

/* ---- signatures (sign.c) ---- */

#define NOTIFY_WHSEC_PREFIX	"whsec_"
#define NOTIFY_WHSEC_MIN	24	/* key bytes, Standard Webhooks */
#define NOTIFY_WHSEC_MAX	64

/* Standard Webhooks' key: the base64 after "whsec_", decoded into key
 * (at least NOTIFY_WHSEC_MAX bytes); its length, or -1 when malformed. */
int	 notify_whsec_decode(const char *secret, unsigned char *key);
/*
 * "v1," and base64 HMAC-SHA256 over "id.timestamp.body", keyed by the
 * decoded whsec_ secret; NULL when the secret is malformed.  The caller
 * frees the result.
 */
char	*notify_sign_standard(const char *secret, const char *id,
	    long long timestamp, const char *body, size_t len);
/* DingTalk: base64 HMAC-SHA256 keyed by the secret over
 * "timestamp_ms\nsecret" (not yet URL-encoded).  The caller frees it. */
char	*notify_sign_dingtalk(const char *secret, long long timestamp_ms);
/* Feishu: base64 HMAC-SHA256 keyed by "timestamp\nsecret" over nothing. */
char	*notify_sign_feishu(const char *secret, long long timestamp);
/* The webhook-id of a delivery: "msg_" and 32 base64url characters of
 * the SHA-256 of its idempotency key: the same on every attempt, and
 * ASCII whatever the key holds.  The caller frees it. */
char	*notify_webhook_id(const char *idempotency_key);

/* ---- payloads (webhook.c) ---- */

/* Who a delivery goes to. */
struct notify_recipient {
	int		 to;	/* one SCHED_TO_* bit */
	const char	*scope;	/* the centre's id or the unit; NULL: bureau */
	const char	*name;	/* the centre's name, or NULL */
};

#define NOTIFY_TYPE_REMINDER	"reminder.digest"
#define NOTIFY_TYPE_DISABLED	"webhook.disabled"

/*
 * The Standard Webhooks payload of one reminder message: type, timestamp
 * (ISO 8601, UTC, of "now") and data: the recipient, the day, whether it
 * is late or a catch-up, and the items, each with the obligation's fields
 * (key included) and the reminder's (kind, days and working days left,
 * the article as the regulation writes it, what to do, what closes it).
 * Every robot's text is made from this object alone.
 */
json_t	*notify_payload_reminder(const struct sched_message *,
	    const struct notify_recipient *, const struct sched_rules *,
	    long long now);
/* The bureau's notice that a webhook target was disabled. */
json_t	*notify_payload_disabled(long long target_id, const char *url_shown,
	    const char *reason, long long now);

/* ---- targets (webhook.c) ---- */

/*
 * Whether a target URL may be used: http or https, a host, no fragment,
 * no credentials in it for a robot, a robot's own path shape aside, and,
 * when allow_hosts (space-separated names; "*.example.cn" covers
 * subdomains) is not empty, a host it names.  Else the reason (Chinese,
 * then English; the URL redacted) in *why.
 */
bool	 notify_url_ok(enum notify_format, const char *url,
	    const char *allow_hosts, char **why);
/* Whether the URL has a user name (a token sent as Basic authorization):
 * refused for a new target, whose credentials belong in a secret file;
 * a target stored by an older ticd with one still posts (shown ***). */
bool	 notify_url_has_user(const char *url);
/* The URL as logs and listings show it: a WeCom key, a DingTalk
 * access_token, a Feishu hook token, any query value and any password
 * replaced by "***".  The caller frees it. */
char	*notify_url_redact(enum notify_format, const char *url);

/*
 * Reads a target's secret from its file (absolute path, a regular file
 * of at most 4 KiB; trailing white space dropped).  -1 with *why naming
 * the path, never the content.  notify_secret_free wipes and frees it.
 */
int	 notify_secret_read(const char *path, char **secret, char **why);
void	 notify_secret_free(char *);

/* ---- requests (webhook.c, robot.c) ---- */

#define NOTIFY_MAX_HEADERS	6

/* One HTTP POST.  Owner: its batch. */
struct notify_request {
	char	*url;
	char	*body;
	size_t	 len;
	char	*headers[NOTIFY_MAX_HEADERS];	/* "Name: value" */
	size_t	 nheaders;
};

/* The posts of one delivery, in order.  Owner: whoever filled it
 * (notify_batch_clear). */
struct notify_batch {
	struct notify_request	*req;
	size_t			 n;
};

/*
 * The signed requests that deliver a stored payload (its exact text) to
 * a target as of now_ms (milliseconds since the epoch): one for Standard
 * Webhooks (the payload verbatim, webhook-id, -timestamp, -signature);
 * one or more for a robot, split under its size limit the same way every
 * time.  secret is the file's content, or NULL.  -1 with *why when the
 * payload, URL or secret cannot make a request (a dead delivery).
 */
int	 notify_build(enum notify_format, const char *url, const char *secret,
	    const char *webhook_id, const char *payload, size_t len,
	    long long now_ms, struct notify_batch *, char **why);
void	 notify_batch_clear(struct notify_batch *);

/* ---- answers (webhook.c, robot.c) ---- */

enum notify_verdict {
	NOTIFY_ANSWER_SENT,		/* delivered */
	NOTIFY_ANSWER_RETRY,		/* try again on the retry schedule */
	NOTIFY_ANSWER_THROTTLED,	/* too fast: wait retry_after */
	NOTIFY_ANSWER_DEAD,		/* refused for good: never again */
	NOTIFY_ANSWER_GONE		/* 410: disable the endpoint */
};

struct notify_answer {
	enum notify_verdict	 verdict;
	long			 retry_after;	/* seconds to wait, or -1 */
	char			*why;		/* for logs and last_error */
};

/*
 * What a reply means: 2xx is sent (for a robot, only with code 0 in its
 * JSON body); 408, 425, 429 and 5xx are retried, 429 and 503 honouring
 * Retry-After (seconds or an HTTP date; retry_header may be NULL); other
 * 4xx are dead; a robot's throttling codes are throttled, its other
 * non-zero codes dead.  now is the current time (seconds) for a date.
 * why quotes at most a short, printable part of the body.
 */
void	 notify_classify(enum notify_format, long status,
	    const char *retry_header, const char *body, size_t len,
	    long long now, struct notify_answer *);
/* A transfer that got no reply (a curl error code): retried, except
 * what no retry can mend (an unsupported scheme, a malformed URL). */
void	 notify_classify_transport(int curl_code, const char *detail,
	    struct notify_answer *);
void	 notify_answer_clear(struct notify_answer *);
const char *notify_verdict_name(enum notify_verdict);

/* ---- pacing (pace.c) ---- */

#define NOTIFY_PACE_SLOTS	100	/* Feishu's 100 a minute */

/*
 * When an endpoint may take its next post: at most N posts in any window
 * of its robot's limits (WeCom and DingTalk 20 a minute, Feishu 5 a
 * second and 100 a minute; Standard Webhooks unpaced), and nothing before
 * a throttling answer's wait is over.  A post's place is taken when its
 * row is let go (notify_pace_sent, before it leaves), so that the rows
 * let go after it in the same batch wait their turn; its time is made
 * the real one once it leaves (notify_pace_restamp).  Owner: embedded in
 * its target.
 */
struct notify_pacer {
	long long		 sent[NOTIFY_PACE_SLOTS];	/* ring, ms */
	size_t			 head;
	size_t			 n;
	unsigned long long	 total;		/* posts counted, ever */
	long long		 blocked_until;	/* ms, or 0 */
};

void	 notify_pace_init(struct notify_pacer *);
/* The earliest time (ms, >= now_ms) the next post may go. */
long long notify_pace_next(const struct notify_pacer *, enum notify_format,
	    long long now_ms);
/* A post went (or is let go) at now_ms; the number of its place. */
unsigned long long notify_pace_sent(struct notify_pacer *, long long now_ms);
/* The post in place "place" went at now_ms, not before (a place that has
 * left the ring is forgotten). */
void	 notify_pace_restamp(struct notify_pacer *, unsigned long long place,
	    long long now_ms);
/* The endpoint said "too fast": nothing before until_ms. */
void	 notify_pace_block(struct notify_pacer *, long long until_ms);

/* ---- posting (post.c) ---- */

struct post;
struct post_transfer;

/* One part of a message to post: built on the webhook thread with
 * notify_build (signed, a robot's body split under its size limit); all
 * copied by post_send. */
struct post_spec {
	enum notify_format	 format;
	const char		*url;		/* the target's */
	const char		*secret;	/* or NULL */
	const char		*message_id;
	const char		*payload;
	size_t			 len;
	long long		 now_ms;
	size_t			 part;		/* which part, from 0 */
};

/* What came back; borrowed for the callback's duration.  Nothing was
 * posted when build_error is set (the message cannot be built) or none
 * is (there is no such part: every part had gone). */
struct post_result {
	const char	*build_error;
	bool		 none;
	size_t		 parts;		/* the message's, once built */
	int		 curl_code;	/* 0: a reply came */
	long		 status;
	const char	*retry_after;	/* the header's value, or NULL */
	const char	*body;		/* at most 8 KiB of it */
	size_t		 len;
	const char	*detail;	/* curl's error text, or NULL */
};

typedef void (*post_done_cb)(const struct post_result *, void *arg);

/* Starts the webhook thread; results come back on the given loop.  At
 * most parallel POSTs are under way at once (the rest wait their turn on
 * the thread, in order).  Owner: the delivery engine (post_free, before
 * that loop's base). */
struct post *post_new(struct event_base *, long parallel, char **error);
/* A new cap, from the next POST that begins. */
void	 post_set_parallel(struct post *, long parallel);
/* Queues a POST of one part.  cb is called on the given loop exactly
 * once (a failure to start is curl's error), unless the transfer is
 * cancelled or post_free comes first. */
struct post_transfer *post_send(struct post *, const struct post_spec *,
	    long timeout, post_done_cb, void *arg);
/* The transfer's callback will not be called; it is freed in time. */
void	 post_cancel(struct post *, struct post_transfer *);
/* Joins the thread: nothing more starts, and what had ended is reported
 * (through the callbacks, before returning). */
void	 post_stop(struct post *);
void	 post_free(struct post *);

/* ---- webhooks on the outbox (hook.c) ---- */

/* Whether an outbox channel is a webhook's ("webhook:ID"), and which. */
bool	 hook_channel(const char *channel, long long *target);
/* The enabled targets by recipient, as outbox_recipient names it:
 * {"centre:ID": [{id, format}], …}; NULL with *error. */
json_t	*hook_targets(struct db *, char **error);
/* The payload stored for a reminder (the Standard Webhooks JSON). */
char	*hook_payload_text(const struct sched_message *,
	    const struct sched_rules *, time_t now);

/* One webhook row being queued; its strings are its own. */
struct hook_row {
	struct db_outbox	 row;
	char			*idem;
	char			*recipient;
	char			*channel;
	char			*message_id;
	char			*rcpt;
	char			*items;
	char			*body;
	char			*day;		/* not arrays: rows move */
	char			*planned;
};

/*
 * Appends to *rows one row per target of the message's recipient (items
 * is the row's items JSON, as email's); returns how many.  *cap is the
 * array's room, doubled as it fills (a city's day queues thousands).
 */
size_t	 hook_rows_for(const struct sched_message *, const json_t *targets,
	    const struct sched_rules *, const char *items, time_t now,
	    const char *created, struct hook_row **rows, size_t *n,
	    size_t *cap);
void	 hook_row_free(struct hook_row *);

/* How an attempt ended.  why and response are freed after the callback. */
struct hook_result {
	enum notify_verdict	 verdict;
	long			 retry_after;	/* seconds, or -1 */
	char			*why;
	char			*response;
	int			 parts;		/* of the message */
	int			 parts_sent;	/* now */
	long long		 next_ms;	/* parts left: the next's time */
};

typedef void (*hook_done_cb)(struct hook_result *, void *arg);

/* Owner: the delivery engine.  conf is borrowed and outlives it. */
struct hook_engine;
struct hook_attempt;

struct hook_engine *hook_engine_new(struct event_base *, struct db *,
	    const struct notify_conf *, void (*kick)(void *),
	    void (*log)(void *, bool, const char *), void *arg, char **error);
void	 hook_engine_conf(struct hook_engine *, const struct notify_conf *);
/* Stopping: the webhook thread joined, the posts that had ended reported
 * (their callbacks called); nothing more is posted. */
void	 hook_engine_stop(struct hook_engine *);
void	 hook_engine_free(struct hook_engine *);
/* A target was added, removed or enabled: what was read of them is read
 * again. */
void	 hook_targets_changed(struct hook_engine *);
/* The bureau enabled target: a failure kept while the store was locked
 * (not yet written) is forgotten with the streak the enabling ends. */
void	 hook_target_enabled(struct hook_engine *, long long target);
/* Whether successes wait to be stored, and storing them: inside the
 * delivery engine's group commit (-1 with *error: the caller rolls back,
 * they are kept), then, once committed, hook_flushed. */
bool	 hook_dirty(const struct hook_engine *);
int	 hook_flush(struct hook_engine *, char **error);
void	 hook_flushed(struct hook_engine *);
/* The earliest time (ms) the target's pace lets a post go (a robot's;
 * Standard Webhooks go at once).  When that is now and the target is a
 * robot, the post's place in its pace is taken (*place, else -1): the
 * rows looked at after it wait for their turn behind it, and hook_send
 * stamps the place with the time the post leaves. */
long long hook_pace_claim(struct hook_engine *, long long target,
	    long long now_ms, long long *place);
/*
 * Starts delivering outbox row "row" to its target from part parts_sent
 * on (the webhook thread builds and posts it); cb follows, also when
 * nothing was posted (the message cannot be built: dead; every part had
 * gone: sent).  place: from hook_pace_claim, or -1.  message_id and
 * payload are borrowed until cb.  NULL when the target cannot be posted
 * to now (removed, disabled, its URL refused, its secret unreadable),
 * with *r saying why.
 */
struct hook_attempt *hook_send(struct hook_engine *, long long row,
	    long long target, const char *message_id, const char *payload,
	    size_t len, int parts_sent, long long place, hook_done_cb cb,
	    void *arg, struct hook_result *r);
/* Stops an attempt without calling its callback. */
void	 hook_cancel(struct hook_engine *, struct hook_attempt *);
/* Why a post to the target could not go now (removed, disabled, its URL
 * no longer allowed) in *why, or *why NULL; -1 with *why when the store
 * could not be read. */
int	 hook_target_refusal(struct hook_engine *, long long target,
	    char **why);

/* A webhook row gone dead, for the bureau's notice (all borrowed). */
struct hook_dead {
	long long		 target;
	long long		 row;
	const char		*recipient;	/* in words (outbox_recipient_cn) */
	const char		*day;
	const char		*reason;
};
/*
 * The bureau's mail about a post gone dead, in *mail for the caller to
 * queue with the dead state: one per failure streak of its target (keyed
 * by the streak, shared with the disabling's notice), none for a target
 * disabled (its disabling told) or removed.  0, 1 none, NOTICE_NOBODY, -1
 * with *error.
 */
int	 hook_dead_notice(struct hook_engine *, const struct hook_dead *,
	    time_t now, const char *created, struct hook_row *mail,
	    char **error);

#endif
