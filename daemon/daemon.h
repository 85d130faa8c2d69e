/*
 * daemon.h: ticd, the service.
 *
 * One process, one thread, one libevent loop.  The journal lives in
 * memory (the scheduler's, validated) and in sqlite (the truth), and is
 * read back at start while the loop already answers (load.c); the plan
 * is a cache rebuilt when an event is committed, the day changes or the
 * rules are reloaded.  Modules:
 *
 *   ticd.c	main: options, start-up, signals, timers, systemd
 *   load.c	reading the journal back at start, a slice a turn of the
 *		loop, and one centre's events meanwhile
 *   state.c	the journal, the plan cache, the clock, recording events
 *		with group commit
 *   auth.c	tokens: creation, hashing, lookup, scopes
 *   http.c	evhttp: routing, JSON replies, errors, limits
 *   api.c	the /api/v1 handlers, /healthz and /metrics
 *   remind.c	when reminders are queued (the send-time timer, catch-up at
 *		start) and notify/'s hooks into the daemon
 *   feeds.c, feedtok.c, feedrev.c, cond.c
 *		calendar feeds: /feeds/TOKEN.ics, /api/v1/feed and
 *		/api/v1/feeds (feed-int.h says which does what)
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/event_struct.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/common.h"
#include "conf/conf.h"
#include "notify/notify.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

/* An event accepted by the planner, waiting for its transaction. */
struct pending {
	struct evhttp_request	*req;		/* NULL once the client left */
	struct evhttp_connection *conn;
	char			*id;
	char			*json;
	char			*recorded_at;
	long long		 seq;
};

/* What a bearer token lets its holder see and do. */
enum role {
	ROLE_BUREAU,
	ROLE_UNIT,
	ROLE_CENTRE
};

struct token {
	long long	 id;
	enum role	 role;
	char		*scope;		/* the unit or centre; NULL: bureau */
};

/* What the store adds to each event of the journal, by journal index. */
struct stored {
	long long	 seq;
	char		*recorded_at;	/* one copy for a run of equal ones */
};

/*
 * The cached plan's obligations by centre, made with it: answering
 * ?centre= by looking at every obligation took 4 ms at 10,000 centres.
 */
struct plan_index {
	struct strmap	 centres;	/* id → k, its place in plan->centres */
	size_t		*start;		/* k's obligations are obs[start[k]]
					 * up to obs[start[k + 1] - 1] */
	size_t		*obs;		/* indexes into plan->obligations */
};

/* One centre planned alone, while there is no whole plan (state.c). */
struct centre_plan {
	char			*id;
	struct sched_journal	*journal;	/* its own events, read from
						 * the store while loading;
						 * else NULL */
	struct sched_plan	*plan;
	size_t			*obs;		/* 0 .. count - 1 */
};

/* A centre and its obligations: indexes into plan->obligations, in the
 * plan's order.  Valid until the next call or change of the plan. */
struct centre_part {
	const struct sched_plan		*plan;
	const struct sched_centre	*centre;
	const size_t			*obs;
	size_t				 nobs;
};

/* The answer to whatever names nothing the caller may see. */
#define HTTP_NOT_FOUND	"没有这个资源 / not found"

struct feeds;

struct metrics {
	unsigned long long	 requests[6];	/* by status class: 1xx..5xx */
	unsigned long long	 errors;
	unsigned long long	 commits;
	double			 plan_seconds;
};

/* The whole daemon.  Owner: main. */
struct ticd {
	struct event_base	*base;
	struct evhttp		*http;
	struct evhttp_bound_socket *listener;
	struct event		 accept_ev;	/* accepting again (http.c) */
	time_t			 accept_said;	/* last warned of a pause */
	unsigned long		 accept_pauses;	/* since then */
	const char		*conf_path;
	struct conf		 conf;
	struct db		*db;
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	struct sched_journal	*journal;
	struct sched_plan	*plan;		/* cache; NULL when stale */
	/* One more each time the plan is made stale (state_invalidate). */
	unsigned long long	 plan_generation;
	struct plan_index	 by_centre;	/* made with the plan */
	struct centre_plan	 centre_plan;	/* the last centre asked for
						 * while plan is NULL */
	int			 today;
	long long		 next_seq;
	struct stored		*stored;	/* parallel to the journal */
	size_t			 nstored;
	size_t			 capstored;
	json_t			*tokens;	/* sha256 hex → index */
	struct token		**token_list;	/* by index, NULL once revoked */
	size_t			 ntokens;
	struct pending		**pending;
	size_t			 npending;
	size_t			 cappending;
	struct event		 commit_ev;
	struct event		 tick_ev;
	struct event		 watchdog_ev;
	struct event		 sighup_ev;
	struct event		 sigterm_ev;
	struct event		 sigint_ev;
	struct event		 remind_ev;
	struct event		 remind_topup_ev;	/* events recorded after
							 * send_time */
	long			 remind_topup_wait;	/* seconds, from the
							 * last one's cost */
	int			 remind_waiting_said;	/* missed days told to
							 * wait, through */
	int			 remind_back_said;	/* a planned day later
							 * than today told */
	bool			 remind_dates_checked;	/* at start */
	struct notify		*notify;
	struct metrics		 metrics;
	struct feeds		*feeds;		/* feeds.c's; owned */
	struct event		 load_ev;	/* load.c's slices */
	struct timespec		 load_started;
	long long		 load_total;	/* events stored at start */
	bool			 loading;	/* the journal is not whole */
	bool			 debug;		/* -d: log_level is not read */
	bool			 stopping;
};

/* load.c */
/* Starts reading the journal from the store, a slice a turn of the loop
 * at this priority (the lowest); reminders start once it is whole. */
void	 load_start(struct ticd *, int priority);
/* Reads the rest of the journal now, if it is still loading: whatever
 * needs the whole journal calls it first. */
void	 load_finish(struct ticd *);
/* Reads the rest of the journal now and nothing more (no reminders, no
 * log line): for a harness without ticd's start (tests/fuzz). */
void	 load_rest(struct ticd *);
/* A journal of one centre's stored events and the bureau-wide ones;
 * NULL with *error if one cannot be read. */
struct sched_journal *load_centre(struct ticd *, const char *centre,
	    char **error);

/* state.c */
int	 state_today(void);
/* Seconds since midnight in Asia/Shanghai at t, 0-86399. */
long	 state_seconds_of_day(time_t t);
int	 state_load_data(const struct conf *, struct sched_calendar **,
	    struct sched_rules **, char **error);
const struct sched_plan *state_plan(struct ticd *);
/* Whether a centre of the plan has this unit. */
bool	 state_plan_has_unit(const struct sched_plan *, const char *unit);
/* reply, with a "warning" when no registered centre answers to scope (a
 * centre's id, or a unit's name): made for a scope nobody answers to yet,
 * it sees or gets nothing until one does. */
json_t	*state_scope_warned(struct ticd *, const char *kind,
	    const char *scope, json_t *reply);
/* A centre and its obligations as of today, yearly ones through
 * "until" (SCHED_NO_DAY: the cached plan's horizon), without planning
 * the whole city; -1 for a centre the journal does not know. */
int	 state_plan_centre(struct ticd *, const char *id, int until,
	    struct centre_part *);
struct sched_plan *state_plan_until(struct ticd *, int until);
void	 state_invalidate(struct ticd *);
void	 state_free_stored(struct ticd *);
/* Adds a stored event's seq and recorded_at, in the journal's order. */
void	 state_remember_stored(struct ticd *, long long seq,
	    const char *recorded_at);
void	 state_reserve_stored(struct ticd *, size_t n);
void	 state_tick(struct ticd *);
/* Checks and queues an event; the reply follows its commit.  Returns 0
 * when queued, else -1 with *status and *error for an immediate reply. */
int	 state_record(struct ticd *, struct evhttp_request *, json_t *event,
	    int *status, char **error);
void	 state_commit_cb(evutil_socket_t, short, void *);
void	 state_conn_closed(struct ticd *, struct evhttp_connection *);
char	*state_timestamp(void);
int	 state_import(struct ticd *, const char *path, char **error);

/* auth.c */
/* A new secret: prefix and 256 random bits in base64url.  The caller
 * frees it. */
char	*auth_new_secret(const char *prefix);
/* The hex SHA-256 of a secret (the caller frees it), NULL only if
 * OpenSSL fails. */
char	*auth_hash_secret(const char *secret);
int	 auth_load(struct ticd *, char **error);
void	 auth_clear(struct ticd *);
const struct token *auth_lookup(struct ticd *, const char *secret);
/* Creates a token; *secret (the caller frees) is shown once. */
int	 auth_create(struct ticd *, enum role, const char *scope,
	    const char *label, long long *id, char **secret, char **error);
/* Revokes a token; *revoked_at (the caller frees) says when.  0, 1 for
 * no such token in force, 2 for the only bureau token (kept), -1. */
int	 auth_revoke(struct ticd *, long long id, char **revoked_at,
	    char **error);
/* The unit of a centre's registration in force, or NULL (the journal
 * read whole first). */
const char *auth_centre_unit(struct ticd *, const char *centre);
bool	 auth_sees_centre(struct ticd *, const struct token *,
	    const char *centre);
const char *auth_role_name(enum role);
int	 auth_role_from_name(const char *, enum role *);

/* http.c */
int	 http_start(struct ticd *, char **error);
void	 http_stop_accepting(struct ticd *);
void	 http_stop(struct ticd *);
/* Sends status and body (a HEAD request gets the headers only, with the
 * body's Content-Length). */
void	 http_send(struct evhttp_request *, int status, struct evbuffer *);
void	 http_reply_json(struct ticd *, struct evhttp_request *, int status,
	    json_t *body);
void	 http_reply_error(struct ticd *, struct evhttp_request *, int status,
	    const char *code, const char *message);
/* 200 with an HTML page for people, which is freed. */
void	 http_reply_html(struct ticd *, struct evhttp_request *, char *html);
/* The store could not answer (busy, locked, the disk full): 503 with its
 * reason, which is freed. */
void	 http_reply_unavailable(struct ticd *, struct evhttp_request *,
	    char *error);

/* remind.c */
void	 remind_start(struct ticd *);
void	 remind_check(struct ticd *);
int	 remind_mail_conf(const struct conf *, struct notify_conf *,
	    char **error);
void	 remind_rearm(struct ticd *);
/* Events were committed: once today's reminders have gone, what they make
 * due today goes too, in a minute (remind.c). */
void	 remind_events_changed(struct ticd *);
/* Before a reload: the provisional dates of open obligations (key → day;
 * the caller decrefs).  After it: those whose date moved are told, old
 * and new, through the outbox; skip's centres ({id: true}) are not. */
json_t	*remind_dates_snapshot(struct ticd *);
void	 remind_dates_moved(struct ticd *, json_t *before,
	    const json_t *skip);
/* The provisional dates as they stand, remembered in the store with the
 * holiday data's digest, so that a start with other holiday data compares
 * them with its own plan; the comparison (once, remind.c). */
void	 remind_dates_keep(struct ticd *);
void	 remind_dates_check_start(struct ticd *);
void	 remind_stop(struct ticd *);

/* api.c */
void	 api_dispatch(struct ticd *, struct evhttp_request *);

/* feeds.c */
/* Loads feed tokens and revisions (fatal if the store cannot be read)
 * and starts the timer that writes feed tokens' last use. */
void	 feeds_start(struct ticd *);
/* Writes the last uses and frees the feeds; replies still sending a
 * feed keep its bytes until they are done. */
void	 feeds_stop(struct ticd *);
/* The plan's inputs changed: feeds are brought up to date when next
 * fetched. */
void	 feeds_invalidate(struct ticd *);
/* The journal changed at "when" (a commit): changes are dated so. */
void	 feeds_revised(struct ticd *, time_t when);
/* The configuration, rule pack or holiday tables were reloaded. */
void	 feeds_reload(struct ticd *);
/* GET /feeds/SEGMENT (TOKEN.ics); 404 for anything but a valid token. */
void	 feeds_get_token(struct ticd *, struct evhttp_request *,
	    const char *segment, const struct evkeyvalq *query,
	    bool bad_query);
/* GET /api/v1/feed[?bureau=1|unit=|centre=][&alarms=1][&todo=1]. */
void	 feeds_get_api(struct ticd *, struct evhttp_request *,
	    const struct token *, const struct evkeyvalq *query);
void	 feeds_metrics(struct ticd *, struct evbuffer *);

/* feedtok.c: /api/v1/feeds, within the token's scope. */
void	 feedtok_api_list(struct ticd *, struct evhttp_request *,
	    const struct token *);
void	 feedtok_api_create(struct ticd *, struct evhttp_request *,
	    const struct token *, json_t *body);
void	 feedtok_api_revoke(struct ticd *, struct evhttp_request *,
	    const struct token *, const char *id);
/* ticd -F: a bureau feed made beside the API; its link, or NULL. */
char	*feedtok_create_bureau(struct ticd *, const char *label, char **error);

#endif
