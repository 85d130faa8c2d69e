/*
 * outbox.c: from the reminder planner's messages to outbox rows, and the
 * last look at a row before it is sent.
 *
 * Queueing does everything that can fail before anything is sent: the
 * recipients' addresses (the contacts), the words (notify_render), the
 * bytes (mail_build); then every row of the run and "planned through day
 * D" go to the store in one transaction.  A row also keeps what it was
 * made from (recipient, days, its items with their keys), so that when an
 * obligation closes between queueing and sending the message can be made
 * again without it: a closed or voided obligation is never reminded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "notify/notify.h"

static const char *kind_names[] = { "before", "due", "overdue" };

/* ---- recipients ---- */

char *
outbox_recipient(const struct sched_message *m)
{
	switch (m->to) {
	case SCHED_TO_UNIT:
		return xasprintf("unit:%s", m->scope ? m->scope : "");
	case SCHED_TO_CENTRE:
		return xasprintf("centre:%s", m->scope ? m->scope : "");
	default:
		return xstrdup("bureau");
	}
}

/* The reverse: *to and *scope (pointing into recipient) of a row. */
static void
parse_recipient(const char *recipient, int *to, const char **scope)
{
	*scope = NULL;
	*to = SCHED_TO_BUREAU;
	if (strncmp(recipient, "unit:", 5) == 0) {
		*to = SCHED_TO_UNIT;
		*scope = recipient + 5;
	} else if (strncmp(recipient, "centre:", 7) == 0) {
		*to = SCHED_TO_CENTRE;
		*scope = recipient + 7;
	}
}

char *
outbox_recipient_cn(const char *recipient, const struct sched_plan *plan)
{
	const char	*scope;
	size_t		 i;
	int		 to;

	parse_recipient(recipient, &to, &scope);
	if (to == SCHED_TO_BUREAU)
		return xstrdup("市科技局");
	if (to == SCHED_TO_UNIT)
		return xstrdup(scope);
	/* A notice is rare: a walk over the centres costs nothing. */
	for (i = 0; plan != NULL && i < plan->ncentres; i++)
		if (strcmp(plan->centres[i].id, scope) == 0 &&
		    plan->centres[i].name != NULL)
			return xasprintf("%s（%s）", plan->centres[i].name,
			    scope);
	return xasprintf("中心 %s", scope);
}

/*
 * (recipient, channel, day): the day the message goes.  The planner makes
 * at most three messages per recipient and day (sched_reminders_missed):
 * the day's own, one late (补发) and one folded catch-up, so those two
 * carry a suffix.  The key is written with "planned through day D" in one
 * transaction, so a day is never planned, nor a message queued, twice.
 */
char *
outbox_idem(const struct sched_message *m)
{
	char	*who = outbox_recipient(m), *key;
	char	 d[SCHED_DATE_LEN];

	key = xasprintf("%s|email|%s%s", who, sched_date_format(m->day, d),
	    m->catch_up ? "|catch-up" : m->planned < m->day ? "|late" : "");
	free(who);
	return key;
}

/* Whom the greeting names: the one contact's name, else (NULL) the
 * renderer names the recipient itself (the centre, the unit, 市科技局). */
static const char *
greeting_name(json_t *rcpt)
{
	const char	*name;

	if (json_array_size(rcpt) != 1)
		return NULL;
	name = json_string_value(json_object_get(json_array_get(rcpt, 0),
	    "name"));
	return name != NULL && *name != '\0' ? name : NULL;
}

struct contacts {
	json_t		*all;
	struct buf	*notes;		/* or NULL */
};

/*
 * A contact, kept if mail can go to it.  One the API took before its rule
 * grew stricter (an address To: would show otherwise) gets nothing: said
 * each time reminders are queued, so it does not go quietly.  By its id:
 * `ticctl contacts` shows the address, marked; the log does not carry it,
 * for an older ticd took UTF-8 (U+202E would turn a log line round).
 */
static int
contact_cb(const struct db_contact *c, void *arg)
{
	struct contacts	*cs = arg;

	if (mail_address_ok(c->email))
		json_array_append_new(cs->all, json_pack("{s:s, s:o, s:s, s:s}",
		    "kind", c->kind, "scope", c->scope ? json_string(c->scope) :
		    json_null(), "email", c->email, "name", c->name));
	else if (cs->notes != NULL)
		buf_printf(cs->notes, "联系人 %lld 的地址无法使用，不会收到提醒（见 "
		    "ticctl contacts；删除后重新添加）/ contact %lld: no mail can "
		    "go to its address (marked in ticctl contacts); remove it "
		    "and add a usable one\n", c->id, c->id);
	return 0;
}

static const char *
to_kind(int to)
{
	return to == SCHED_TO_UNIT ? "unit" : to == SCHED_TO_CENTRE ?
	    "centre" : "bureau";
}

/* Whether list holds this address already, whatever its case. */
static bool
has_address(const json_t *list, const char *email)
{
	const json_t	*a;
	size_t		 i;

	json_array_foreach(list, i, a) {
		if (strcasecmp(json_string_value(json_object_get(a, "email")),
		    email) == 0)
			return true;
	}
	return false;
}

/* The addresses of a recipient: [{email, name}], each once (a contact
 * added twice, as before the API refused it, is mailed once). */
static json_t *
addresses_of(json_t *all, int to, const char *scope)
{
	json_t		*out = json_array(), *c;
	const char	*cs, *email;
	size_t		 i;

	json_array_foreach(all, i, c) {
		cs = json_string_value(json_object_get(c, "scope"));
		email = json_string_value(json_object_get(c, "email"));
		if (strcmp(json_string_value(json_object_get(c, "kind")),
		    to_kind(to)) != 0 || (to != SCHED_TO_BUREAU &&
		    (cs == NULL || scope == NULL || strcmp(cs, scope) != 0)) ||
		    has_address(out, email))
			continue;
		json_array_append_new(out, json_pack("{s:s, s:O}", "email",
		    email, "name", json_object_get(c, "name")));
	}
	return out;
}

/* ---- building ---- */

static char *
stamp(time_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 local = t + 8 * 3600;

	gmtime_r(&local, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return buf;
}

/* The time a stamp names (for a rebuilt message's Date), or fallback. */
static time_t
unstamp(const char *s, time_t fallback)
{
	struct tm	 tm;
	int		 day;
	char		 d[SCHED_DATE_LEN];

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) < 19)
		return fallback;
	memcpy(d, s, 10);
	d[10] = '\0';
	if (sched_date_parse(d, &day) == -1 || sscanf(s + 11, "%d:%d:%d",
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 3)
		return fallback;
	return (time_t)day * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
	    tm.tm_sec - 8 * 3600;
}

static json_t *
items_json(const struct sched_message *m)
{
	json_t	*a = json_array();
	char	 d[SCHED_DATE_LEN];
	size_t	 i;

	for (i = 0; i < m->nitems; i++) {
		const struct sched_remind_item *it = &m->items[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:i, s:i, "
		    "s:b}", "key", it->ob->key, "kind", kind_names[it->kind],
		    "planned", sched_date_format(it->planned, d), "days_left",
		    it->days_left, "workdays_left", it->workdays_left,
		    "workdays_provisional", it->workdays_guess));
	}
	return a;
}

static char *
dump(json_t *v)
{
	char	*s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    JSON_ENSURE_ASCII);

	if (s == NULL)
		abort();	/* jansson fails only when out of memory */
	return s;
}

/* The words and the bytes of one message to the addresses in rcpt. */
static char *
build(const struct sched_message *m, json_t *rcpt,
    const struct notify_conf *conf, const struct sched_rules *rules,
    const struct sched_calendar *cal, const char *message_id, time_t date,
    size_t *len, char **error)
{
	struct notify_text	 text;
	struct mail_address	*to;
	struct mail_spec	 spec;
	json_t			*a;
	size_t			 i, n = json_array_size(rcpt);
	char			*data;

	memset(&text, 0, sizeof(text));
	if (notify_render(m, rules, cal, m->day, greeting_name(rcpt), &text,
	    error) == -1)
		return NULL;
	to = xcalloc(n + 1, sizeof(*to));
	json_array_foreach(rcpt, i, a) {
		to[i].email = json_string_value(json_object_get(a, "email"));
		to[i].name = json_string_value(json_object_get(a, "name"));
	}
	memset(&spec, 0, sizeof(spec));
	spec.text = &text;
	spec.from = conf->from;
	spec.from_name = conf->from_name;
	spec.to = to;
	spec.nto = n;
	spec.message_id = message_id;
	spec.date = date;
	data = mail_build(&spec, len, error);
	free(to);
	notify_text_free(&text);
	return data;
}

/* What one queued row owns until the transaction is done. */
struct pending_row {
	struct db_outbox	 row;
	char			*idem;
	char			*recipient;
	char			*message_id;
	char			*rcpt;
	char			*items;
	char			*body;
	char			 day[SCHED_DATE_LEN];
	char			 planned[SCHED_DATE_LEN];
};

static void
pending_row_free(struct pending_row *p)
{
	free(p->idem);
	free(p->recipient);
	free(p->message_id);
	free(p->rcpt);
	free(p->items);
	free(p->body);
}

/* Makes one row; 1 when the message is skipped (no address for SMTP,
 * said in notes unless notes is NULL: its webhooks carry it; or queued
 * already). */
static int
make_row(struct db *db, const struct sched_message *m, json_t *contacts,
    const struct notify_conf *conf, const struct sched_rules *rules,
    const struct sched_calendar *cal, time_t now, const char *created,
    struct pending_row *p, struct buf *notes, char **error)
{
	json_t	*rcpt = addresses_of(contacts, m->to, m->scope), *items;
	size_t	 len;

	memset(p, 0, sizeof(*p));
	p->recipient = outbox_recipient(m);
	if (json_array_size(rcpt) == 0 && *conf->smtp_url != '\0') {
		if (notes != NULL)
			buf_printf(notes, "%s 没有联系人，提醒未排队 / no "
			    "contact for %s: its reminder is not queued\n",
			    p->recipient, p->recipient);
		json_decref(rcpt);
		free(p->recipient);
		return 1;
	}
	p->idem = outbox_idem(m);
	/* Queued already (the day's queueing planned again, after events
	 * recorded since): not built again only for the insert to drop. */
	if (db != NULL && db_outbox_has_idem(db, p->idem)) {
		json_decref(rcpt);
		free(p->recipient);
		free(p->idem);
		memset(p, 0, sizeof(*p));
		return 1;
	}
	p->message_id = mail_message_id(p->idem, conf->from);
	p->body = build(m, rcpt, conf, rules, cal, p->message_id, now, &len,
	    error);
	p->rcpt = dump(rcpt);
	json_decref(rcpt);
	if (p->body == NULL) {
		pending_row_free(p);
		return -1;
	}
	items = items_json(m);
	p->items = dump(items);
	json_decref(items);
	p->row.idem = p->idem;
	p->row.recipient = p->recipient;
	p->row.channel = "email";
	p->row.day = sched_date_format(m->day, p->day);
	p->row.planned = sched_date_format(m->planned, p->planned);
	p->row.catch_up = m->catch_up;
	p->row.message_id = p->message_id;
	p->row.rcpt = p->rcpt;
	p->row.items = p->items;
	p->row.body = p->body;
	p->row.body_len = len;
	p->row.next_attempt = (long long)now;
	p->row.created_at = created;
	return 0;
}

/* A row outbox_queue added (id != 0), counted and in the span. */
static void
queued_note(struct outbox_queued *q, long long id)
{
	if (id == 0)
		return;
	if (q->count == 0 || id < q->first)
		q->first = id;
	if (q->count == 0 || id > q->last)
		q->last = id;
	q->count++;
}

int
outbox_queue(struct db *db, const struct notify_conf *conf,
    const struct sched_reminders *const *sets, size_t nsets,
    const struct sched_rules *rules,
    const struct sched_calendar *cal, int last_day, time_t now,
    struct outbox_queued *queued, struct buf *notes, char **error)
{
	struct pending_row	*p = NULL;
	struct hook_row		*hooks = NULL;
	struct db_outbox	*rows = NULL;
	json_t			*contacts = json_array(), *targets, *ij;
	struct contacts		 cs = { contacts, notes };
	size_t			 i, k, n = 0, nh = 0, hcap = 0, total = 0, hooked;
	char			 created[40], last[SCHED_DATE_LEN], *items;
	int			 rc = 0;

	memset(queued, 0, sizeof(*queued));
	if (db_foreach_contact(db, contact_cb, &cs, error) == -1) {
		json_decref(contacts);
		return -1;
	}
	/* Each recipient's webhook targets get rows of their own (hook.c). */
	if ((targets = hook_targets(db, error)) == NULL) {
		json_decref(contacts);
		return -1;
	}
	stamp(now, created, sizeof(created));
	for (i = 0; i < nsets; i++)
		total += sets[i] != NULL ? sets[i]->count : 0;
	p = xcalloc(total + 1, sizeof(*p));
	for (i = 0; i < nsets && rc != -1; i++) {
		for (k = 0; sets[i] != NULL && k < sets[i]->count; k++) {
			ij = items_json(&sets[i]->messages[k]);
			items = dump(ij);
			json_decref(ij);
			/* A recipient reached by webhook is no one to warn
			 * about for lack of an address. */
			hooked = hook_rows_for(&sets[i]->messages[k], targets,
			    rules, items, now, created, &hooks, &nh, &hcap);
			free(items);
			rc = make_row(db, &sets[i]->messages[k], contacts, conf,
			    rules, cal, now, created, &p[n], hooked > 0 ? NULL :
			    notes, error);
			if (rc == -1)
				break;
			if (rc == 0)
				n++;
		}
	}
	json_decref(contacts);
	json_decref(targets);
	if (rc != -1) {
		rows = xcalloc(n + nh + 1, sizeof(*rows));
		for (i = 0; i < n; i++)
			rows[i] = p[i].row;
		for (i = 0; i < nh; i++)
			rows[n + i] = hooks[i].row;
		rc = db_outbox_enqueue(db, rows, n + nh, NOTIFY_META_LAST_DAY,
		    sched_date_format(last_day, last), error);
		for (i = 0; rc == 0 && i < n + nh; i++)
			queued_note(queued, rows[i].id);
	}
	for (i = 0; i < n; i++)
		pending_row_free(&p[i]);
	for (i = 0; i < nh; i++)
		hook_row_free(&hooks[i]);
	free(hooks);
	free(p);
	free(rows);
	return rc == -1 ? -1 : 0;
}

/* ---- the last look before sending ---- */

void
outbox_index_clear(struct outbox_index *ix)
{
	json_decref(ix->keys);
	memset(ix, 0, sizeof(*ix));
}

static const struct sched_obligation *
find_slow(const struct sched_plan *plan, const char *key)
{
	size_t	 i;

	for (i = 0; i < plan->count; i++) {
		if (strcmp(plan->obligations[i].key, key) == 0)
			return &plan->obligations[i];
	}
	return NULL;
}

const struct sched_obligation *
outbox_find(struct outbox_index *ix, const struct sched_plan *plan,
    const char *key)
{
	json_t	*v;
	size_t	 i;

	if (ix->keys == NULL || ix->plan != plan || ix->as_of != plan->as_of ||
	    ix->count != plan->count) {
		outbox_index_clear(ix);
		ix->keys = json_object();
		for (i = 0; i < plan->count; i++)
			json_object_set_new(ix->keys, plan->obligations[i].key,
			    json_integer((json_int_t)i));
		ix->plan = plan;
		ix->as_of = plan->as_of;
		ix->count = plan->count;
	}
	if ((v = json_object_get(ix->keys, key)) != NULL) {
		i = (size_t)json_integer_value(v);
		if (i < plan->count && strcmp(plan->obligations[i].key,
		    key) == 0)
			return &plan->obligations[i];
	}
	/* A stale index (a new plan where the old one was): look it up. */
	return find_slow(plan, key);
}

static bool
still_due(const struct sched_obligation *o)
{
	return o != NULL && (o->state == SCHED_OPEN ||
	    o->state == SCHED_OVERDUE);
}

static int
kind_from_name(const char *s)
{
	size_t	 i;

	for (i = 0; s != NULL && i < nitems(kind_names); i++) {
		if (strcmp(s, kind_names[i]) == 0)
			return (int)i;
	}
	return SCHED_REMIND_BEFORE;
}

static int
parse_day(const char *s, int fallback)
{
	int	 day;

	return s != NULL && sched_date_parse(s, &day) == 0 ? day : fallback;
}

/* Makes the message again from the items still due. */
static int
rebuild(const struct db_outbox *row, json_t *kept,
    struct sched_remind_item *items, const struct notify_conf *conf,
    const struct sched_plan *plan, const struct sched_rules *rules,
    const struct sched_calendar *cal, char **body, size_t *len,
    char **error)
{
	struct sched_message	 m;
	json_t			*rcpt;
	json_error_t		 jerr;

	memset(&m, 0, sizeof(m));
	parse_recipient(row->recipient, &m.to, &m.scope);
	m.day = parse_day(row->day, plan->as_of);
	m.planned = parse_day(row->planned, m.day);
	m.catch_up = row->catch_up != 0;
	m.items = items;
	m.nitems = json_array_size(kept);
	if (hook_channel(row->channel, NULL)) {
		/* A webhook's payload, made again as when it was queued. */
		*body = hook_payload_text(&m, rules, unstamp(row->created_at,
		    (time_t)m.day * 86400));
		*len = strlen(*body);
		return 0;
	}
	if ((rcpt = json_loads(row->rcpt, 0, &jerr)) == NULL) {
		*error = xasprintf("outbox row %lld: rcpt: %s", row->id,
		    jerr.text);
		return -1;
	}
	*body = build(&m, rcpt, conf, rules, cal, row->message_id,
	    unstamp(row->created_at, (time_t)m.day * 86400), len, error);
	json_decref(rcpt);
	return *body == NULL ? -1 : 0;
}

int
outbox_check(const struct db_outbox *row, const struct notify_conf *conf,
    struct outbox_index *ix, const struct sched_plan *plan,
    const struct sched_rules *rules, const struct sched_calendar *cal,
    enum outbox_check *verdict, char **items_out, char **body, size_t *len,
    char **why, char **error)
{
	struct sched_remind_item *items;
	const struct sched_obligation *o;
	json_t			*all, *kept, *it;
	json_error_t		 jerr;
	struct buf		 dropped;
	size_t			 i, n;
	const char		*key;
	int			 rc = 0;

	*verdict = OUTBOX_SEND;
	if ((all = json_loads(row->items, 0, &jerr)) == NULL) {
		*error = xasprintf("outbox row %lld: items: %s", row->id,
		    jerr.text);
		return -1;
	}
	kept = json_array();
	buf_init(&dropped);
	items = xcalloc(json_array_size(all) + 1, sizeof(*items));
	n = 0;
	json_array_foreach(all, i, it) {
		key = json_string_value(json_object_get(it, "key"));
		o = key != NULL ? outbox_find(ix, plan, key) : NULL;
		if (!still_due(o)) {
			buf_printf(&dropped, "%s%s", dropped.len ? ", " : "",
			    key != NULL ? key : "?");
			continue;
		}
		json_array_append(kept, it);
		items[n].ob = o;
		items[n].kind = (enum sched_remind_kind)kind_from_name(
		    json_string_value(json_object_get(it, "kind")));
		items[n].planned = parse_day(json_string_value(
		    json_object_get(it, "planned")), o->due);
		items[n].days_left = (int)json_integer_value(json_object_get(it,
		    "days_left"));
		items[n].workdays_left = (int)json_integer_value(
		    json_object_get(it, "workdays_left"));
		items[n++].workdays_guess = json_is_true(json_object_get(it,
		    "workdays_provisional"));
	}
	if (dropped.len > 0) {
		*why = xasprintf("已办结或作废，不再提醒 / closed or void, no "
		    "longer reminded: %s", dropped.data);
		if (n == 0)
			*verdict = OUTBOX_DROPPED;
		else if ((rc = rebuild(row, kept, items, conf, plan, rules, cal,
		    body, len, error)) == 0) {
			*verdict = OUTBOX_REBUILT;
			*items_out = dump(kept);
		} else {
			free(*why);
			*why = NULL;
		}
	}
	buf_free(&dropped);
	free(items);
	json_decref(kept);
	json_decref(all);
	return rc;
}
