/*
 * hook.c: webhooks on the outbox: the rows of a reminder for its
 * recipient's targets, and one attempt at delivering such a row.
 *
 * Queueing.  Each enabled target of a recipient gets a row of its own
 * beside the email: channel "webhook:ID", the idempotency key
 * (recipient, channel, day) as for email, webhook-id derived from that
 * key, the items (so the last look before sending can drop what closed),
 * and the payload: the Standard Webhooks JSON every format is made from.
 *
 * An attempt.  The target is taken as it is now (every target read in
 * one scan, again once the API or the engine changes one: it may have
 * been disabled or removed; its URL checked against the allow-list of
 * the current configuration), its secret read from its file (cached per
 * file for seconds), the payload built into its signed requests, and the
 * parts not yet sent are posted one after another while the robot's pace
 * allows; each part that goes is written down at once, so a crash or a
 * failure resumes at the next part.  The target keeps a failure streak: a
 * success ends it; one that lasts disable_days (or a 410 Gone) disables
 * the target.  The bureau gets one mail per streak, keyed by it: about
 * the first post that goes dead in it or about the disabling, whichever
 * comes first; the disabling is also posted to the bureau's own webhooks.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "notify/notify.h"
#include "notify/notify-int.h"

#define CHANNEL_PREFIX	"webhook:"

#define OK_EVERY	60	/* seconds between two writes of last_ok */
#define SECRET_TTL	10	/* seconds a secret read is kept */

/* The target as an attempt needs it (copied out of the store's row). */
struct target {
	long long		 id;
	enum notify_format	 format;
	char			*url;
	char			*secret_file;
	char			*kind;
	char			*scope;
	long long		 failing_since;
	bool			 disabled;
	bool			 found;
};

/*
 * What the engine remembers of a target between attempts: what a burst
 * would otherwise read for every post: the row (every target read in one
 * scan, again once the API or the engine changes one), the URL's check
 * (until then or a reload), and whether its success waits to be stored.
 */
struct pace_slot {
	long long		 target;
	time_t			 ok_written;	/* last_ok last stored */
	long long		 ok_when;	/* to store, when ok_queued */
	bool			 ok_queued;
	struct target		 row;
	unsigned long		 row_gen;	/* 0: not read */
	unsigned long		 url_gen;	/* URL checked, 0: not */
};

/* A secret file's content, for SECRET_TTL: a rotated secret is taken
 * within seconds, and targets sharing a file read it once. */
struct secret_slot {
	char			*path;
	char			*secret;
	time_t			 at;
};

/* A failure the store refused (another process held its lock), kept to
 * be written with the delivery engine's next commit, as successes are:
 * the streak it begins keys the bureau's one notice of it. */
struct failure {
	long long		 target;
	long long		 when;
	char			*why;
};

/* The pace of one robot (one URL). */
struct robot_pace {
	char			*url;
	struct notify_pacer	 pacer;
};

struct hook_engine {
	long long		*oks;		/* targets whose success waits */
	size_t			 noks, oks_cap;
	struct failure		*fails;		/* failures waiting, in order */
	size_t			 nfails, fails_cap;
	struct secret_slot	*secrets;	/* sorted by path */
	size_t			 nsecrets;
	unsigned long		 loaded_gen;	/* targets_gen of the scan */
	struct robot_pace	*robots;
	size_t			 nrobots;
	struct event_base	*base;
	struct db		*db;
	struct post		*post;
	const struct notify_conf *conf;		/* the engine's, borrowed */
	struct pace_slot	*paces;
	size_t			 npaces;
	unsigned long		 targets_gen;	/* bumped by any change */
	unsigned long		 conf_gen;	/* bumped by a reload */
	void			(*kick)(void *);
	void			(*log)(void *, bool, const char *);
	void			*arg;
};

struct hook_attempt {
	struct hook_engine	*e;
	long long		 row;		/* the outbox row */
	struct target		 t;
	char			*secret;	/* the target's, or NULL */
	const char		*message_id;	/* borrowed from the caller, */
	const char		*payload;	/* unchanged until cb */
	size_t			 len;
	size_t			 parts;		/* once the first is built */
	size_t			 next;		/* the part to post */
	long long		 place;		/* in the robot's pace, taken
						 * ahead for the first part;
						 * or -1 */
	struct post_transfer	*tr;
	hook_done_cb		 cb;
	void			*arg;
};

static void	 target_clear(struct target *);
/* A line to the daemon's log, through the engine's hook. */
#define say(e, warning, ...) \
	notify_say((e)->log, (e)->arg, (warning), __VA_ARGS__)

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
stamp(time_t t)
{
	struct tm	 tm;
	time_t		 local = t + 8 * 3600;
	char		 buf[40];

	gmtime_r(&local, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return xstrdup(buf);
}

bool
hook_channel(const char *channel, long long *target)
{
	char	*end;

	if (channel == NULL || strncmp(channel, CHANNEL_PREFIX,
	    strlen(CHANNEL_PREFIX)) != 0)
		return false;
	if (target != NULL)
		*target = strtoll(channel + strlen(CHANNEL_PREFIX), &end, 10);
	return true;
}

/* ---- queueing ---- */

/* The outbox's name of a target's recipient ("bureau", "unit:NAME",
 * "centre:ID", as outbox_recipient), or NULL for a row without scope. */
static char *
target_recipient(const char *kind, const char *scope)
{
	if (strcmp(kind, "bureau") == 0)
		return xstrdup("bureau");
	if (scope == NULL)
		return NULL;
	return xasprintf("%s:%s", kind, scope);
}

static int
target_cb(const struct db_webhook *w, void *arg)
{
	json_t	*list;
	char	*who;

	if (w->disabled_at != NULL ||
	    (who = target_recipient(w->kind, w->scope)) == NULL)
		return 0;
	if ((list = json_object_get(arg, who)) == NULL) {
		list = json_array();
		json_object_set_new(arg, who, list);
	}
	json_array_append_new(list, json_pack("{s:I, s:s}", "id",
	    (json_int_t)w->id, "format", w->format));
	free(who);
	return 0;
}

json_t *
hook_targets(struct db *db, char **error)
{
	json_t	*all = json_object();

	if (db_foreach_webhook(db, target_cb, all, error) == -1) {
		json_decref(all);
		return NULL;
	}
	return all;
}

/* A centre's name, from its own obligations in the message. */
static const char *
centre_name(const struct sched_message *m)
{
	size_t	 i;

	if (m->to != SCHED_TO_CENTRE)
		return NULL;
	for (i = 0; i < m->nitems; i++) {
		if (m->items[i].ob->centre_name != NULL)
			return m->items[i].ob->centre_name;
	}
	return NULL;
}

char *
hook_payload_text(const struct sched_message *m,
    const struct sched_rules *rules, time_t now)
{
	struct notify_recipient	 r = { m->to, m->scope, centre_name(m) };
	json_t			*p;
	char			*s;

	p = notify_payload_reminder(m, &r, rules, (long long)now);
	/* Compact and in insertion order: these are the bytes signed. */
	s = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(p);
	if (s == NULL)
		abort();	/* jansson fails only when out of memory */
	return s;
}

void
hook_row_free(struct hook_row *h)
{
	free(h->idem);
	free(h->recipient);
	free(h->channel);
	free(h->message_id);
	free(h->rcpt);
	free(h->items);
	free(h->body);
	free(h->day);
	free(h->planned);
	memset(h, 0, sizeof(*h));
}

/* Fills a row of the outbox; every string is h's. */
static void
row_fill(struct hook_row *h, long long target, const char *format)
{
	struct db_outbox	*r = &h->row;

	h->rcpt = xasprintf("{\"target\":%lld,\"format\":\"%s\"}", target,
	    format);
	h->message_id = notify_webhook_id(h->idem);
	r->idem = h->idem;
	r->recipient = h->recipient;
	r->channel = h->channel;
	r->day = h->day;
	r->planned = h->planned;
	r->message_id = h->message_id;
	r->rcpt = h->rcpt;
	r->items = h->items;
	r->body = h->body;
	r->body_len = strlen(h->body);
}

/* Email's idempotency key with this channel for "email": whatever
 * (recipient, channel, day) scheme outbox_idem follows, a webhook row
 * follows it too. */
static char *
channel_idem(const struct sched_message *m, const char *channel)
{
	char		*key = outbox_idem(m), *out;
	const char	*at = strstr(key, "|email|");

	if (at == NULL)		/* a scheme without the channel: append it */
		out = xasprintf("%s|%s", key, channel);
	else
		out = xasprintf("%.*s|%s|%s", (int)(at - key), key, channel,
		    at + strlen("|email|"));
	free(key);
	return out;
}

size_t
hook_rows_for(const struct sched_message *m, const json_t *targets,
    const struct sched_rules *rules, const char *items, time_t now,
    const char *created, struct hook_row **rows, size_t *n, size_t *cap)
{
	const json_t	*t, *mine;
	struct hook_row	*h;
	char		*who, *payload = NULL, d[SCHED_DATE_LEN];
	size_t		 i, made = 0;
	long long	 id;

	who = outbox_recipient(m);
	mine = json_object_get(targets, who);
	free(who);
	json_array_foreach(mine, i, t) {
		if (payload == NULL)
			payload = hook_payload_text(m, rules, now);
		id = (long long)json_integer_value(json_object_get(t, "id"));
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*rows = xreallocarray(*rows, *cap, sizeof(**rows));
		}
		h = &(*rows)[(*n)++];
		memset(h, 0, sizeof(*h));
		h->recipient = outbox_recipient(m);
		h->channel = xasprintf(CHANNEL_PREFIX "%lld", id);
		h->day = xstrdup(sched_date_format(m->day, d));
		h->planned = xstrdup(sched_date_format(m->planned, d));
		h->idem = channel_idem(m, h->channel);
		h->items = xstrdup(items);
		h->body = xstrdup(payload);
		row_fill(h, id, json_string_value(json_object_get(t,
		    "format")));
		h->row.catch_up = m->catch_up;
		h->row.next_attempt = (long long)now;
		h->row.created_at = created;
		made++;
	}
	free(payload);
	return made;
}

/* ---- the engine ---- */

struct hook_engine *
hook_engine_new(struct event_base *base, struct db *db,
    const struct notify_conf *conf, void (*kick)(void *),
    void (*log)(void *, bool, const char *), void *arg, char **error)
{
	struct hook_engine	*e = xcalloc(1, sizeof(*e));

	if ((e->post = post_new(base, conf->webhook_parallel, error)) == NULL) {
		free(e);
		return NULL;
	}
	e->base = base;
	e->db = db;
	e->conf = conf;
	e->targets_gen = e->conf_gen = 1;
	e->kick = kick;
	e->log = log;
	e->arg = arg;
	return e;
}

void
hook_engine_conf(struct hook_engine *e, const struct notify_conf *conf)
{
	e->conf = conf;
	e->conf_gen++;
	post_set_parallel(e->post, conf->webhook_parallel);
}

static void	 secrets_clear(struct hook_engine *);
static struct pace_slot *slot_of(struct hook_engine *, long long);

void
hook_targets_changed(struct hook_engine *e)
{
	e->targets_gen++;
	secrets_clear(e);
}

bool
hook_dirty(const struct hook_engine *e)
{
	return e->noks > 0 || e->nfails > 0;
}

/* The successes waiting, one statement for each run of them recorded in
 * the same second (in a burst, dozens of targets at a time). */
int
hook_flush(struct hook_engine *e, char **error)
{
	long long	 when;
	size_t		 from, i;

	for (from = 0; from < e->noks; from = i) {
		when = slot_of(e, e->oks[from])->ok_when;
		for (i = from + 1; i < e->noks &&
		    slot_of(e, e->oks[i])->ok_when == when; i++)
			;
		if (db_webhook_ok(e->db, &e->oks[from], i - from, when,
		    error) == -1)
			return -1;
	}
	/* After the successes: a success after a kept failure dropped it
	 * (drop_kept_failures), so those left came after any success. */
	for (i = 0; i < e->nfails; i++) {
		const struct failure	*f = &e->fails[i];
		long long		 since;

		if (db_webhook_failed(e->db, f->target, f->when, f->why, &since,
		    error) == -1)
			return -1;
	}
	return 0;
}

void
hook_flushed(struct hook_engine *e)
{
	size_t	 i;

	for (i = 0; i < e->noks; i++)
		slot_of(e, e->oks[i])->ok_queued = false;
	e->noks = 0;
	for (i = 0; i < e->nfails; i++)
		free(e->fails[i].why);
	e->nfails = 0;
}

/* When the first of target's failures kept and not yet stored came: the
 * start of its streak as the store will have it; 0 when none is kept
 * (the list is empty but while the store was locked). */
static long long
kept_since(const struct hook_engine *e, long long target)
{
	size_t	 i;

	for (i = 0; i < e->nfails; i++)
		if (e->fails[i].target == target)
			return e->fails[i].when;
	return 0;
}

void
hook_engine_stop(struct hook_engine *e)
{
	post_stop(e->post);
}

void
hook_engine_free(struct hook_engine *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	free(e->oks);
	for (i = 0; i < e->nfails; i++)
		free(e->fails[i].why);
	free(e->fails);
	for (i = 0; i < e->nrobots; i++)
		free(e->robots[i].url);
	free(e->robots);
	for (i = 0; i < e->npaces; i++)
		target_clear(&e->paces[i].row);
	secrets_clear(e);
	post_free(e->post);
	free(e->paces);
	free(e);
}

static int
slot_cmp(const void *key, const void *elem)
{
	long long	 k = *(const long long *)key;
	long long	 t = ((const struct pace_slot *)elem)->target;

	return k < t ? -1 : k > t;
}

/*
 * Where key is, or goes, in a sorted array (cmp as bsearch's): the
 * engine's tables (targets, robots, secret files) are looked up at every
 * post and grow rarely.
 */
static size_t
sorted_find(const void *base, size_t n, size_t size, const void *key,
    int (*cmp)(const void *, const void *), bool *found)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	*found = false;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = cmp(key, (const char *)base + mid * size);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The array grown by one zeroed element at i; *n counts it. */
static void *
sorted_insert(void *base, size_t *n, size_t size, size_t i)
{
	char	*a = xreallocarray(base, *n + 1, size);

	memmove(a + (i + 1) * size, a + i * size, (*n - i) * size);
	memset(a + i * size, 0, size);
	(*n)++;
	return a;
}

/* A target's slot, kept sorted by id. */
static struct pace_slot *
slot_of(struct hook_engine *e, long long target)
{
	size_t	 i;
	bool	 found;

	i = sorted_find(e->paces, e->npaces, sizeof(*e->paces), &target,
	    slot_cmp, &found);
	if (!found) {
		e->paces = sorted_insert(e->paces, &e->npaces,
		    sizeof(*e->paces), i);
		e->paces[i].target = target;
	}
	return &e->paces[i];
}

static int
robot_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct robot_pace *)elem)->url);
}

/*
 * A robot's pacer.  A robot is its URL, not a target: the bureau may add
 * one group's robot for several centres, and the robot counts every post
 * it gets.  Kept sorted by URL.
 */
static struct notify_pacer *
pacer_for(struct hook_engine *e, const char *url)
{
	size_t	 i;
	bool	 found;

	i = sorted_find(e->robots, e->nrobots, sizeof(*e->robots), url,
	    robot_cmp, &found);
	if (!found) {
		e->robots = sorted_insert(e->robots, &e->nrobots,
		    sizeof(*e->robots), i);
		e->robots[i].url = xstrdup(url);
		notify_pace_init(&e->robots[i].pacer);
	}
	return &e->robots[i].pacer;
}

static void
target_clear(struct target *t)
{
	free(t->url);
	free(t->secret_file);
	free(t->kind);
	free(t->scope);
	memset(t, 0, sizeof(*t));
}

static void
target_fill(struct target *t, const struct db_webhook *w)
{
	t->id = w->id;
	t->found = true;
	t->disabled = w->disabled_at != NULL;
	t->failing_since = w->failing_since;
	t->url = xstrdup(w->url);
	t->secret_file = w->secret_file ? xstrdup(w->secret_file) : NULL;
	t->kind = xstrdup(w->kind);
	t->scope = w->scope ? xstrdup(w->scope) : NULL;
	if (notify_format_from_name(w->format, &t->format) == -1)
		t->format = NOTIFY_STANDARD;
}

static int
target_load_cb(const struct db_webhook *w, void *arg)
{
	struct hook_engine	*e = arg;
	struct pace_slot	*s = slot_of(e, w->id);

	target_clear(&s->row);
	s->url_gen = 0;
	target_fill(&s->row, w);
	/* A streak begun by a failure not yet stored is still begun. */
	if (s->row.failing_since == 0 && !s->row.disabled)
		s->row.failing_since = kept_since(e, w->id);
	s->row_gen = e->targets_gen;
	return 0;
}

/*
 * Reads every target in one scan (in id order: the slots are appended
 * in order) once they may have changed: a burst to thousands of targets
 * costs one read of the table, not one per post.  A slot the scan did not
 * reach is a removed target.
 */
static int
targets_load(struct hook_engine *e, char **error)
{
	if (e->loaded_gen == e->targets_gen)
		return 0;
	if (db_foreach_webhook(e->db, target_load_cb, e, error) == -1)
		return -1;
	e->loaded_gen = e->targets_gen;
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
target_copy(struct target *to, const struct target *from)
{
	*to = *from;
	to->url = dup_or_null(from->url);
	to->secret_file = dup_or_null(from->secret_file);
	to->kind = dup_or_null(from->kind);
	to->scope = dup_or_null(from->scope);
}

/* The target's slot, its row current (found false once removed). */
static struct pace_slot *
target_slot(struct hook_engine *e, long long id, char **error)
{
	struct pace_slot	*s;

	if (targets_load(e, error) == -1)
		return NULL;
	s = slot_of(e, id);
	if (s->row_gen != e->targets_gen) {
		target_clear(&s->row);
		s->url_gen = 0;
		s->row.id = id;
		s->row_gen = e->targets_gen;
	}
	return s;
}

/* The target as it is now; the caller clears its copy. */
static int
target_get(struct hook_engine *e, long long id, struct target *t,
    char **error)
{
	struct pace_slot	*s;

	memset(t, 0, sizeof(*t));
	if ((s = target_slot(e, id, error)) == NULL)
		return -1;
	target_copy(t, &s->row);
	return 0;
}

/* Whether the URL may still be posted to (a reload may have narrowed the
 * allow-list); *why when not. */
static bool
target_url_ok(struct hook_engine *e, const struct target *t, char **why)
{
	struct pace_slot	*s = slot_of(e, t->id);
	unsigned long		 gen = e->conf_gen * 65536 + e->targets_gen;

	if (s->url_gen == gen)
		return true;
	if (!notify_url_ok(t->format, t->url, e->conf->webhook_allow_hosts,
	    why))
		return false;
	s->url_gen = gen;
	return true;
}

static void
secrets_clear(struct hook_engine *e)
{
	size_t	 i;

	for (i = 0; i < e->nsecrets; i++) {
		free(e->secrets[i].path);
		notify_secret_free(e->secrets[i].secret);
	}
	free(e->secrets);
	e->secrets = NULL;
	e->nsecrets = 0;
}

static int
secret_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct secret_slot *)elem)->path);
}

/* A secret file's slot, kept sorted by path. */
static struct secret_slot *
secret_slot(struct hook_engine *e, const char *path)
{
	size_t	 i;
	bool	 found;

	i = sorted_find(e->secrets, e->nsecrets, sizeof(*e->secrets), path,
	    secret_cmp, &found);
	if (!found) {
		e->secrets = sorted_insert(e->secrets, &e->nsecrets,
		    sizeof(*e->secrets), i);
		e->secrets[i].path = xstrdup(path);
	}
	return &e->secrets[i];
}

/* The secret, read again after SECRET_TTL; the caller frees its copy. */
static int
target_secret(struct hook_engine *e, const struct target *t, char **secret,
    char **why)
{
	struct secret_slot	*s = secret_slot(e, t->secret_file);
	time_t			 now = time(NULL);

	if (s->secret == NULL || now - s->at >= SECRET_TTL) {
		notify_secret_free(s->secret);
		s->secret = NULL;
		if (notify_secret_read(t->secret_file, &s->secret, why) == -1)
			return -1;
		s->at = now;
	}
	*secret = xstrdup(s->secret);
	return 0;
}

long long
hook_pace_claim(struct hook_engine *e, long long target, long long now,
    long long *place)
{
	struct pace_slot	*s;
	struct notify_pacer	*pacer;
	char			*error = NULL;
	long long		 at;

	*place = -1;
	if ((s = target_slot(e, target, &error)) == NULL) {
		free(error);
		return now;	/* the attempt finds the error again */
	}
	/* Standard Webhooks are not paced. */
	if (!s->row.found || s->row.format == NOTIFY_STANDARD)
		return now;
	pacer = pacer_for(e, s->row.url);
	if ((at = notify_pace_next(pacer, s->row.format, now)) <= now)
		*place = (long long)notify_pace_sent(pacer, now);
	return at;
}

/* ---- telling the bureau ---- */

static int
bureau_contact_cb(const struct db_contact *c, void *arg)
{
	if (strcmp(c->kind, "bureau") == 0 && mail_address_ok(c->email))
		json_array_append_new(arg, json_pack("{s:s, s:s}", "email",
		    c->email, "name", c->name));
	return 0;
}

/* A moment as the notice says it: Beijing time to the minute. */
static void
minute_words(long long t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 local = (time_t)t + 8 * 3600;

	gmtime_r(&local, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

/* The start of the failure streak a notice is keyed by: the day's when
 * the post died without one (an allow-list narrowed by a reload). */
static long long
streak_of(long long failing_since, time_t now)
{
	return failing_since != 0 ? failing_since :
	    (long long)now - ((long long)now + 8 * 3600) % 86400;
}

/*
 * The bureau's mail about a target, to its contacts (the spool without
 * SMTP): one per failure streak, keyed by the target and the streak's
 * start, so that whichever comes first of a dead post and the disabling
 * is the only mail (the other finds its key taken and is not queued).
 * 0, NOTICE_NOBODY, -1 with *error.
 */
static int
notice_mail_row(struct hook_engine *e, long long target, long long since,
    const struct notify_text *text, time_t now, const char *created,
    struct hook_row *mail, char **error)
{
	struct mail_address	*to;
	struct mail_spec	 spec = { 0 };
	json_t			*rcpt = json_array(), *a;
	size_t			 i, n;
	char			 day[SCHED_DATE_LEN];

	memset(mail, 0, sizeof(*mail));
	if (db_foreach_contact(e->db, bureau_contact_cb, rcpt, error) == -1) {
		json_decref(rcpt);
		return -1;
	}
	/* As for reminders: without an address only the spool takes it. */
	if ((n = json_array_size(rcpt)) == 0 && *e->conf->smtp_url != '\0') {
		json_decref(rcpt);
		return NOTICE_NOBODY;
	}
	to = xcalloc(n + 1, sizeof(*to));
	json_array_foreach(rcpt, i, a) {
		to[i].email = json_string_value(json_object_get(a, "email"));
		to[i].name = json_string_value(json_object_get(a, "name"));
	}
	mail->idem = xasprintf("bureau|email|webhook:%lld:%lld", target, since);
	mail->message_id = mail_message_id(mail->idem, e->conf->from);
	spec.text = text;
	spec.from = e->conf->from;
	spec.from_name = e->conf->from_name;
	spec.to = to;
	spec.nto = n;
	spec.message_id = mail->message_id;
	spec.date = now;
	mail->body = mail_build(&spec, &mail->row.body_len, error);
	free(to);
	mail->rcpt = json_dumps(rcpt, JSON_COMPACT);
	json_decref(rcpt);
	if (mail->body == NULL) {
		hook_row_free(mail);
		return -1;
	}
	sched_date_format((int)(((long long)now + 8 * 3600) / 86400), day);
	mail->recipient = xstrdup("bureau");
	mail->channel = xstrdup("email");
	mail->items = xstrdup("[]");
	mail->day = xstrdup(day);
	mail->planned = xstrdup(day);
	mail->row.idem = mail->idem;
	mail->row.recipient = mail->recipient;
	mail->row.channel = mail->channel;
	mail->row.day = mail->row.planned = mail->day;
	mail->row.message_id = mail->message_id;
	mail->row.rcpt = mail->rcpt;
	mail->row.items = mail->items;
	mail->row.body = mail->body;
	mail->row.next_attempt = (long long)now;
	mail->row.created_at = created;
	return 0;
}

/* The bureau's other enabled targets each get a webhook.disabled post,
 * keyed like the mail. */
static void
notice_posts(struct hook_engine *e, const struct target *t, long long since,
    const char *payload, time_t now, const char *created,
    struct hook_row **rows, size_t *n)
{
	json_t		*targets, *x;
	char		*error = NULL, day[SCHED_DATE_LEN];
	size_t		 i;
	struct hook_row	*h;
	long long	 id;

	if ((targets = hook_targets(e->db, &error)) == NULL)
		targets = json_object();
	free(error);
	sched_date_format((int)(((long long)now + 8 * 3600) / 86400), day);
	json_array_foreach(json_object_get(targets, "bureau"), i, x) {
		id = (long long)json_integer_value(json_object_get(x, "id"));
		if (id == t->id)
			continue;
		*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
		h = &(*rows)[(*n)++];
		memset(h, 0, sizeof(*h));
		h->recipient = xstrdup("bureau");
		h->channel = xasprintf(CHANNEL_PREFIX "%lld", id);
		h->idem = xasprintf("bureau|%s|webhook:%lld:%lld", h->channel,
		    t->id, since);
		h->items = xstrdup("[]");
		h->body = xstrdup(payload);
		h->day = xstrdup(day);
		h->planned = xstrdup(day);
		row_fill(h, id, json_string_value(json_object_get(x,
		    "format")));
		h->row.next_attempt = (long long)now;
		h->row.created_at = created;
	}
	json_decref(targets);
}

/*
 * Queues the bureau's notice of a disabled target in one transaction:
 * mail (unless one of the same failure streak went, for a dead post) and
 * a webhook.disabled post to each of the bureau's other targets.
 */
static void
notice(struct hook_engine *e, const struct target *t, const char *reason,
    long long since, time_t now)
{
	struct notify_target_words w = { 0 };
	struct notify_text	 text;
	struct hook_row		*rows = NULL;
	struct db_outbox	*all;
	json_t			*payload;
	char			*shown, *error = NULL, *created = stamp(now), *pl;
	char			 from[24];
	size_t			 n = 0, i;
	int			 rc;

	since = streak_of(since, now);
	shown = notify_url_redact(t->format, t->url);
	payload = notify_payload_disabled(t->id, shown, reason,
	    (long long)now);
	pl = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(payload);
	/* Never NULL now that peers' text is made UTF-8; if it were, the
	 * bureau's other targets go without this post, the mail still
	 * goes. */
	if (pl != NULL)
		notice_posts(e, t, since, pl, now, created, &rows, &n);
	minute_words(since, from, sizeof(from));
	w.id = t->id;
	w.format = notify_format_name(t->format);
	w.kind = t->kind;
	w.scope = t->scope;
	w.url = shown;
	w.reason = reason;
	w.since = from;
	notify_render_target(&w, &text);
	rows = xreallocarray(rows, n + 1, sizeof(*rows));
	if ((rc = notice_mail_row(e, t->id, since, &text, now, created,
	    &rows[n], &error)) == 0)
		n++;
	else if (error != NULL) {
		say(e, true, "webhook %lld: the bureau's mail notice cannot be "
		    "built: %s", t->id, error);
		free(error);
		error = NULL;
	}
	notify_text_free(&text);
	all = xcalloc(n + 1, sizeof(*all));
	for (i = 0; i < n; i++)
		all[i] = rows[i].row;
	if (n > 0 && db_outbox_enqueue(e->db, all, n, NULL, NULL,
	    &error) == -1) {
		say(e, true, "webhook %lld: the bureau's notice was not "
		    "queued: %s", t->id, error);
		free(error);
	} else if (n > 0 && e->kick != NULL)
		e->kick(e->arg);
	if (n == 0 && rc == NOTICE_NOBODY)
		say(e, true, "webhook %lld (%s) disabled; the bureau cannot be "
		    "told: no bureau contact has an address mail can go to "
		    "(ticctl contacts), and it has no other webhook: %s", t->id,
		    shown, reason);
	else
		say(e, true, "webhook %lld (%s) disabled, the bureau told (%zu "
		    "message(s)): %s", t->id, shown, n, reason);
	for (i = 0; i < n; i++)
		hook_row_free(&rows[i]);
	free(rows);
	free(all);
	free(pl);
	free(shown);
	free(created);
}

int
hook_dead_notice(struct hook_engine *e, const struct hook_dead *d,
    time_t now, const char *created, struct hook_row *mail, char **error)
{
	struct notify_target_words w = { 0 };
	struct notify_text	 text;
	struct pace_slot	*s;
	char			 from[24], until[24], *shown;
	long long		 since;
	int			 rc;

	memset(mail, 0, sizeof(*mail));
	if ((s = target_slot(e, d->target, error)) == NULL)
		return -1;
	/* Removed by the bureau itself, or disabled: then the disabling's
	 * notice told of its posts. */
	if (!s->row.found || s->row.disabled)
		return 1;
	since = streak_of(s->row.failing_since, now);
	minute_words(since, from, sizeof(from));
	minute_words(since + (long long)e->conf->webhook_disable_days * 86400,
	    until, sizeof(until));
	shown = notify_url_redact(s->row.format, s->row.url);
	w.id = d->target;
	w.format = notify_format_name(s->row.format);
	w.kind = s->row.kind;
	w.scope = s->row.scope;
	w.url = shown;
	w.reason = d->reason;
	w.since = from;
	w.disable_at = until;
	w.row = d->row;
	w.recipient = d->recipient;
	w.day = d->day;
	notify_render_target(&w, &text);
	rc = notice_mail_row(e, d->target, since, &text, now, created, mail,
	    error);
	notify_text_free(&text);
	free(shown);
	return rc;
}

/* A failure the store refused, kept for hook_flush; the streak begins
 * now in memory, so that a notice of it is keyed as the store will have
 * it (it was keyed by the day's midnight, and the disabling's notice
 * later by another time: two mails for one streak).  Whether it disables
 * the target is decided at its next failure. */
static void
keep_failure(struct hook_engine *e, long long target, time_t now,
    const char *why)
{
	struct pace_slot	*s = slot_of(e, target);
	struct failure		*f;

	if (e->nfails == e->fails_cap) {
		e->fails_cap = e->fails_cap ? e->fails_cap * 2 : 8;
		e->fails = xreallocarray(e->fails, e->fails_cap,
		    sizeof(*e->fails));
	}
	f = &e->fails[e->nfails++];
	f->target = target;
	f->when = (long long)now;
	f->why = xstrdup(why != NULL ? why : "");
	if (s->row.failing_since == 0)
		s->row.failing_since = kept_since(e, target);
}

/* A success ends the streak of the target's failures kept: they are
 * forgotten.  Whether there were any. */
static bool
drop_kept_failures(struct hook_engine *e, long long target)
{
	size_t	 i, kept = 0;
	bool	 any = false;

	for (i = 0; i < e->nfails; i++) {
		if (e->fails[i].target == target) {
			free(e->fails[i].why);
			any = true;
		} else
			e->fails[kept++] = e->fails[i];
	}
	e->nfails = kept;
	return any;
}

void
hook_target_enabled(struct hook_engine *e, long long target)
{
	(void)drop_kept_failures(e, target);
}

/* The target's record of this attempt: a success ends its failure
 * streak; a failure that has lasted the configured days (or a 410)
 * disables it. */
static void
account(struct hook_engine *e, const struct target *t,
    const struct hook_result *r)
{
	time_t		 now = time(NULL);
	long long	 since = 0, first;
	char		*error = NULL, *when, *reason;
	int		 days = e->conf->webhook_disable_days;

	if (!t->found)
		return;
	if (r->verdict == NOTIFY_ANSWER_SENT) {
		struct pace_slot *s = slot_of(e, t->id);

		/* A healthy target is not written at every post: only to end
		 * a failure streak (a kept one too), or now and then for
		 * last_ok; and then with the delivery engine's next commit
		 * (hook_flush). */
		if (!drop_kept_failures(e, t->id) && t->failing_since == 0 &&
		    now - s->ok_written < OK_EVERY)
			return;
		s->ok_written = now;
		s->row.failing_since = 0;
		s->ok_when = (long long)now;
		if (!s->ok_queued) {
			if (e->noks == e->oks_cap) {
				e->oks_cap = e->oks_cap ? e->oks_cap * 2 : 16;
				e->oks = xreallocarray(e->oks, e->oks_cap,
				    sizeof(*e->oks));
			}
			e->oks[e->noks++] = t->id;
			s->ok_queued = true;
		}
		return;
	}
	/* A kept failure's streak, not yet stored, began first. */
	first = kept_since(e, t->id);
	if (db_webhook_failed(e->db, t->id, first != 0 ? first :
	    (long long)now, r->why, &since, &error) == -1) {
		keep_failure(e, t->id, now, r->why);
		say(e, true, "webhook %lld: %s; kept to be written again",
		    t->id, error);
		free(error);
		return;
	}
	slot_of(e, t->id)->row.failing_since = since;
	if (r->verdict != NOTIFY_ANSWER_GONE && (since == 0 ||
	    (long long)now - since < (long long)days * 86400))
		return;
	reason = r->verdict == NOTIFY_ANSWER_GONE ?
	    xasprintf("接收端答复 410 Gone / the endpoint answered 410 Gone: %s",
	    r->why) : xasprintf("连续失败超过 %d 天 / failing for more than %d "
	    "days; last: %s", days, days, r->why);
	when = stamp(now);
	if (db_webhook_disable(e->db, t->id, when, reason, &error) == 0) {
		hook_targets_changed(e);
		notice(e, t, reason, since, now);
	}
	free(when);
	free(reason);
	if (error != NULL)
		say(e, true, "webhook %lld: %s", t->id, error);
	free(error);
}

/* ---- one attempt ---- */

static void	 post_done(const struct post_result *, void *);

static void
attempt_free(struct hook_attempt *a)
{
	notify_secret_free(a->secret);
	target_clear(&a->t);
	free(a);
}

/* Ends an attempt: the target's record (unless nothing was posted),
 * then the engine's callback. */
static void
attempt_end(struct hook_attempt *a, struct hook_result *r, bool posted)
{
	r->parts = (int)a->parts;
	r->parts_sent = (int)a->next;
	if (posted)
		account(a->e, &a->t, r);
	a->cb(r, a->arg);
	free(r->why);
	free(r->response);
	attempt_free(a);
}

/* Posts part a->next, built on the webhook thread. */
static void
post_part(struct hook_attempt *a)
{
	struct post_spec	 spec = {
		.format = a->t.format, .url = a->t.url, .secret = a->secret,
		.message_id = a->message_id, .payload = a->payload,
		.len = a->len, .now_ms = now_ms(), .part = a->next,
	};

	/* The first part's place was taken when its row was let go: stamped
	 * now it leaves.  (A row let go that never leaves, its target gone
	 * meanwhile, keeps its place a window long: the pace errs slow.) */
	if (a->t.format != NOTIFY_STANDARD && a->place >= 0)
		notify_pace_restamp(pacer_for(a->e, a->t.url),
		    (unsigned long long)a->place, spec.now_ms);
	else if (a->t.format != NOTIFY_STANDARD)
		notify_pace_sent(pacer_for(a->e, a->t.url), spec.now_ms);
	a->place = -1;
	a->tr = post_send(a->e->post, &spec,
	    (long)a->e->conf->webhook_timeout, post_done, a);
}

/* Nothing was posted: the message cannot be built (dead), or every part
 * had gone before a crash or a stop (sent). */
static void
post_nothing(struct hook_attempt *a, const struct post_result *pr)
{
	struct hook_result	 r = { .retry_after = -1 };

	if (pr->build_error != NULL) {
		r.verdict = NOTIFY_ANSWER_DEAD;
		r.why = xstrdup(pr->build_error);
	} else
		r.verdict = NOTIFY_ANSWER_SENT;
	attempt_end(a, &r, false);
}

static void
post_done(const struct post_result *pr, void *arg)
{
	struct hook_attempt	*a = arg;
	struct hook_result	 r = { .retry_after = -1 };
	struct notify_answer	 ans;
	struct notify_pacer	*pacer = NULL;
	char			*error = NULL;
	long long		 now = now_ms(), at = 0;

	a->tr = NULL;
	a->parts = pr->parts;
	if (pr->build_error != NULL || pr->none) {
		post_nothing(a, pr);
		return;
	}
	if (pr->curl_code != 0)
		notify_classify_transport(pr->curl_code, pr->detail, &ans);
	else
		notify_classify(a->t.format, pr->status, pr->retry_after,
		    pr->body, pr->len, now / 1000, &ans);
	r.verdict = ans.verdict;
	r.retry_after = ans.retry_after;
	r.why = ans.why;
	if (pr->curl_code == 0)
		r.response = xasprintf("HTTP %ld", pr->status);
	/* Standard Webhooks are not paced: a robot's pacer only. */
	if (a->t.format != NOTIFY_STANDARD)
		pacer = pacer_for(a->e, a->t.url);
	if (ans.verdict == NOTIFY_ANSWER_THROTTLED && pacer != NULL)
		notify_pace_block(pacer, now + (ans.retry_after > 0 ?
		    ans.retry_after : 60) * 1000LL);
	if (ans.verdict != NOTIFY_ANSWER_SENT) {
		attempt_end(a, &r, true);
		return;
	}
	/* This part is delivered: written down before anything else (a
	 * message of one part is done, and its state says so). */
	a->next++;
	if (a->parts > 1 && db_outbox_set_parts(a->e->db, a->row,
	    (int)a->next, &error) == -1) {
		say(a->e, true, "outbox row %lld: %s", a->row, error);
		free(error);
	}
	if (a->next < a->parts && (pacer == NULL ||
	    (at = notify_pace_next(pacer, a->t.format, now)) <= now)) {
		free(r.why);
		free(r.response);
		post_part(a);
		return;
	} else if (a->next < a->parts)
		r.next_ms = at;
	attempt_end(a, &r, true);
}

struct hook_attempt *
hook_send(struct hook_engine *e, long long row, long long target,
    const char *message_id, const char *payload, size_t len, int parts_sent,
    long long place, hook_done_cb cb, void *arg, struct hook_result *r)
{
	struct hook_attempt	*a = xcalloc(1, sizeof(*a));
	char			*why = NULL, *error = NULL;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->verdict = NOTIFY_ANSWER_DEAD;
	a->e = e;
	a->row = row;
	a->message_id = message_id;
	a->payload = payload;
	a->len = len;
	a->place = place;
	a->cb = cb;
	a->arg = arg;
	if (target_get(e, target, &a->t, &error) == -1) {
		r->verdict = NOTIFY_ANSWER_RETRY;
		r->why = error;
	} else if (!a->t.found)
		r->why = xstrdup("webhook 目标已删除 / the webhook target was "
		    "removed");
	else if (a->t.disabled)
		r->why = xstrdup("webhook 目标已停用 / the webhook target is "
		    "disabled");
	else if (!target_url_ok(e, &a->t, &why))
		r->why = why;
	else if (a->t.secret_file != NULL &&
	    target_secret(e, &a->t, &a->secret, &why) == -1) {
		/* A file's permissions can be mended: retried, and the
		 * target's failure streak grows meanwhile. */
		r->verdict = NOTIFY_ANSWER_RETRY;
		r->why = why;
		account(e, &a->t, r);
	} else {
		/* Built and posted on the webhook thread, from the part
		 * that did not go last time. */
		a->next = parts_sent > 0 ? (size_t)parts_sent : 0;
		post_part(a);
		return a;
	}
	attempt_free(a);
	return NULL;
}

int
hook_target_refusal(struct hook_engine *e, long long target, char **why)
{
	struct target	 t;

	*why = NULL;
	if (target_get(e, target, &t, why) == -1)
		return -1;
	if (!t.found)
		*why = xasprintf("webhook 目标 %lld 已删除 / webhook target "
		    "%lld was removed", target, target);
	else if (t.disabled)
		*why = xasprintf("webhook 目标 %lld 已停用，请先 ticctl "
		    "webhooks enable %lld / webhook target %lld is disabled: "
		    "ticctl webhooks enable %lld first", target, target,
		    target, target);
	else
		(void)target_url_ok(e, &t, why);
	target_clear(&t);
	return 0;
}

void
hook_cancel(struct hook_engine *e, struct hook_attempt *a)
{
	if (a->tr != NULL)
		post_cancel(e->post, a->tr);
	attempt_free(a);
}
