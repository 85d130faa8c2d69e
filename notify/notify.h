/*
 * notify.h: telling people, over the outbox: email (issue 5) and webhooks
 * and chat robots (issue 6).
 *
 * The webhook half is pure (text, keys and "now" in; text out; no I/O and
 * no clock), so each format is tested against the vectors of its
 * documentation:
 *
 *   sign.c	HMAC-SHA256 signatures: Standard Webhooks, DingTalk 加签,
 *		Feishu 签名校验; webhook-id from an idempotency key
 *   webhook.c	the Standard Webhooks payload of a reminder, target URLs
 *		(only http(s), the host allow-list, redaction of credentials),
 *		and what an answer means (sent, retry, throttled, dead)
 *   robot.c	WeCom, DingTalk and Feishu group robots: a markdown message
 *		split under each robot's size limit, their JSON answers
 *   pace.c	pacing under each robot's rate limit
 *   target.c	a target's secret, read from its file when needed
 *
 * A delivery is one stored payload (notify_payload_*) turned, at each
 * attempt, into one or more signed HTTP requests (notify_build): a robot
 * message too long for one post is several, always split the same way,
 * so a retry can resume at the part that failed.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "scheduler/scheduler.h"

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
/* Whether a webhook-signature header (space-separated "v1,…" entries)
 * holds a valid signature; compares in constant time. */
bool	 notify_verify_standard(const char *secret, const char *id,
	    long long timestamp, const char *body, size_t len,
	    const char *header);
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

/* The greatest body (bytes) each robot takes; 0: no limit of ours. */
size_t	 notify_body_limit(enum notify_format);

/* ---- answers (webhook.c, robot.c) ---- */

enum notify_verdict {
	NOTIFY_ANSWER_SENT,		/* delivered */
	NOTIFY_ANSWER_RETRY,		/* try again on the retry schedule */
	NOTIFY_ANSWER_THROTTLED,	/* too fast: wait retry_after, then again */
	NOTIFY_ANSWER_DEAD,		/* refused for good: never again */
	NOTIFY_ANSWER_GONE		/* the endpoint is gone (410): disable it */
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
 * a throttling answer's wait is over.  Owner: embedded in its target.
 */
struct notify_pacer {
	long long	 sent[NOTIFY_PACE_SLOTS];	/* ring, ms */
	size_t		 head;
	size_t		 n;
	long long	 blocked_until;			/* ms, or 0 */
};

void	 notify_pace_init(struct notify_pacer *);
/* The earliest time (ms, >= now_ms) the next post may go. */
long long notify_pace_next(const struct notify_pacer *, enum notify_format,
	    long long now_ms);
/* A post went at now_ms. */
void	 notify_pace_sent(struct notify_pacer *, long long now_ms);
/* The endpoint said "too fast": nothing before until_ms. */
void	 notify_pace_block(struct notify_pacer *, long long until_ms);

#endif
