/*
 * notice.c: messages about the reminders themselves, to the people who
 * must act on them: the bureau told that a message went dead and how to
 * send it again; those who hear of an obligation told that its
 * provisional date moved when a reload brought that year's holidays.
 *
 * A notice goes through the same outbox as a reminder (built once,
 * retried, listed by ticctl deliveries, redeliverable) and carries no
 * items, so the last look before sending (outbox_check) keeps it as it
 * is.  Its idempotency key ends in "|dead:ID": one notice per dead row,
 * however often it dies, and a notice that dies itself is never noticed,
 * so notices cannot loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "notify/notify.h"

#define DEAD_MARK	"|dead:"

bool
notice_is_dead_notice(const char *idem)
{
	return idem != NULL && strstr(idem, DEAD_MARK) != NULL;
}

void
notice_row_free(struct notice_row *p)
{
	free(p->idem);
	free(p->recipient);
	free(p->message_id);
	free(p->rcpt);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

static int
bureau_cb(const struct db_contact *c, void *arg)
{
	json_t	*out = arg;

	if (strcmp(c->kind, "bureau") == 0 && mail_address_ok(c->email))
		json_array_append_new(out, json_pack("{s:s, s:s}", "email",
		    c->email, "name", c->name != NULL ? c->name : ""));
	return 0;
}

/* The five characters HTML gives a meaning to, escaped. */
static void
html_add(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': buf_printf(b, "&amp;"); break;
		case '<': buf_printf(b, "&lt;"); break;
		case '>': buf_printf(b, "&gt;"); break;
		case '"': buf_printf(b, "&quot;"); break;
		case '\'': buf_printf(b, "&#39;"); break;
		default: buf_printf(b, "%c", *s); break;
		}
	}
}

/* The words of a dead message's notice: Chinese first, then English. */
static void
dead_words(const struct notice_dead *d, const char *addrs,
    struct notify_text *t)
{
	struct buf	 h;
	const char	*who = d->who;

	t->subject = xasprintf("【技术创新中心提醒】投递失败：%s %s 的提醒未送达 / "
	    "undelivered reminder", who, d->day);
	t->text = xasprintf("市科技局：\n\n"
	    "发给 %s 的 %s 提醒（投递编号 %lld，收件邮箱 %s）未能送达，"
	    "不再自动重试。\n"
	    "原因：%s\n\n"
	    "邮件服务器或地址修正后，请重新投递：\n    ticctl redeliver %lld\n\n"
	    "--\n"
	    "The reminder of %s to %s (%s), outbox %lld, could not be "
	    "delivered and will not be retried.\nReason: %s\n"
	    "Once the server or the address is fixed, send it again with:\n"
	    "    ticctl redeliver %lld\n",
	    who, d->day, d->id, addrs, d->reason, d->id,
	    d->day, who, addrs, d->id, d->reason, d->id);
	buf_init(&h);
	buf_printf(&h, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><body><pre>");
	html_add(&h, t->text);
	buf_printf(&h, "</pre></body></html>\n");
	t->html = xstrdup(h.data);
	buf_free(&h);
}

static char *
stamp(time_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 local = t + 8 * 3600;

	gmtime_r(&local, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return buf;
}

/* The bytes of the notice to the addresses in rcpt. */
static char *
dead_build(const struct notice_dead *d, json_t *rcpt,
    const struct notify_conf *conf, const char *message_id, time_t now,
    size_t *len, char **error)
{
	struct notify_text	 text;
	struct mail_address	*to;
	struct mail_spec	 spec;
	struct buf		 addrs;
	json_t			*a;
	size_t			 i, n = json_array_size(rcpt);
	char			*data;

	buf_init(&addrs);
	for (i = 0; i < d->nrcpt; i++)
		buf_printf(&addrs, "%s%s", i ? ", " : "", d->rcpt[i]);
	memset(&text, 0, sizeof(text));
	dead_words(d, addrs.len ? addrs.data : "-", &text);
	buf_free(&addrs);
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
	spec.date = now;
	data = mail_build(&spec, len, error);
	free(to);
	notify_text_free(&text);
	return data;
}

int
notice_dead_row(struct db *db, const struct notify_conf *conf,
    const struct notice_dead *d, time_t now, struct notice_row *p,
    char **error)
{
	json_t	*rcpt = json_array();
	size_t	 len;
	char	*json;

	memset(p, 0, sizeof(*p));
	if (notice_is_dead_notice(d->idem)) {
		json_decref(rcpt);
		return 1;
	}
	if (db_foreach_contact(db, bureau_cb, rcpt, error) == -1) {
		json_decref(rcpt);
		return -1;
	}
	/* As for reminders: without an address only the spool takes it. */
	if (json_array_size(rcpt) == 0 && *conf->smtp_url != '\0') {
		json_decref(rcpt);
		return NOTICE_NOBODY;
	}
	stamp(now, p->created, sizeof(p->created));
	memcpy(p->day, p->created, 10);
	p->day[10] = '\0';
	p->idem = xasprintf("bureau|email|%s" DEAD_MARK "%lld", p->day, d->id);
	p->message_id = mail_message_id(p->idem, conf->from);
	p->body = dead_build(d, rcpt, conf, p->message_id, now, &len, error);
	json = json_dumps(rcpt, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(rcpt);
	if (json == NULL)
		abort();	/* jansson fails only when out of memory */
	p->rcpt = json;
	if (p->body == NULL) {
		notice_row_free(p);
		return -1;
	}
	p->row.idem = p->idem;
	p->row.recipient = "bureau";
	p->row.channel = "email";
	p->row.day = p->day;
	p->row.planned = p->day;
	p->row.message_id = p->message_id;
	p->row.rcpt = p->rcpt;
	p->row.items = "[]";
	p->row.body = p->body;
	p->row.body_len = len;
	p->row.next_attempt = (long long)now;
	p->row.created_at = p->created;
	return 0;
}

/* ---- moved dates ---- */

static int
contact_all_cb(const struct db_contact *c, void *arg)
{
	json_t	*out = arg;

	if (mail_address_ok(c->email))
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}",
		    "kind", c->kind, "scope", c->scope != NULL ? c->scope : "",
		    "email", c->email, "name", c->name != NULL ? c->name : ""));
	return 0;
}

/* The addresses ([{email, name}]) of kind (and scope, but the bureau's). */
static json_t *
addresses(json_t *all, const char *kind, const char *scope)
{
	json_t	*out = json_array(), *c;
	size_t	 i;

	json_array_foreach(all, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "kind")),
		    kind) != 0 || (strcmp(kind, "bureau") != 0 &&
		    strcmp(json_string_value(json_object_get(c, "scope")),
		    scope) != 0))
			continue;
		json_array_append_new(out, json_pack("{s:O, s:O}", "email",
		    json_object_get(c, "email"), "name",
		    json_object_get(c, "name")));
	}
	return out;
}

/* The words of a moved date: Chinese first, then English. */
static void
moved_words(const struct notice_moved *m, const struct sched_rules *rules,
    const char *label, struct notify_text *t)
{
	const struct sched_obligation *o = m->o;
	const char	*title = sched_obligation_title(o, rules);
	char		 was[SCHED_DATE_LEN], now[SCHED_DATE_LEN];
	struct buf	 h;

	sched_date_format(m->old_due, was);
	sched_date_format(o->due, now);
	t->subject = xasprintf("【技术创新中心提醒】日期变更：%s%s%s 截止日由 %s "
	    "改为 %s", o->centre_name != NULL ? o->centre_name : "",
	    o->centre_name != NULL ? " " : "", title, was, now);
	t->text = xasprintf("%s：\n\n"
	    "节假日安排公布后，%s%s（%s，%s）的截止日由 %s 改为 %s。\n"
	    "此前按暂定日期 %s 发出的提醒以新日期为准。\n\n"
	    "--\n"
	    "With the holiday table now published, the deadline of %s "
	    "(%s, %s) moved from %s to %s.\n"
	    "Earlier reminders naming %s are superseded.\n",
	    label, o->centre_name != NULL ? o->centre_name : "", title,
	    sched_rule_article_cn(o->rule), o->key, was, now, was,
	    sched_rule_name(o->rule), o->key, o->centre != NULL ? o->centre :
	    "-", was, now, was);
	buf_init(&h);
	buf_printf(&h, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><body><pre>");
	html_add(&h, t->text);
	buf_printf(&h, "</pre></body></html>\n");
	t->html = xstrdup(h.data);
	buf_free(&h);
}

/* One row: the notice of m to one recipient; 1 when it has no address. */
static int
moved_row(const struct notice_moved *m, const struct sched_rules *rules,
    const struct notify_conf *conf, json_t *contacts, int bit,
    time_t now, struct notice_row *p, char **error)
{
	const struct sched_obligation *o = m->o;
	const char	*kind = bit == SCHED_TO_CENTRE ? "centre" :
			    bit == SCHED_TO_UNIT ? "unit" : "bureau";
	const char	*scope = bit == SCHED_TO_CENTRE ? o->centre :
			    bit == SCHED_TO_UNIT ? o->unit : "";
	struct notify_text text;
	struct mail_address *to;
	struct mail_spec spec;
	json_t		*rcpt, *a;
	size_t		 i, n, len;
	char		*recipient, was[SCHED_DATE_LEN], nd[SCHED_DATE_LEN];

	memset(p, 0, sizeof(*p));
	if (scope == NULL)
		return 1;
	rcpt = addresses(contacts, kind, scope);
	if ((n = json_array_size(rcpt)) == 0 && *conf->smtp_url != '\0') {
		json_decref(rcpt);
		return 1;
	}
	recipient = bit == SCHED_TO_BUREAU ? xstrdup("bureau") :
	    xasprintf("%s:%s", kind, scope);
	stamp(now, p->created, sizeof(p->created));
	memcpy(p->day, p->created, 10);
	p->day[10] = '\0';
	/* The change itself is in the key: the same move is told once, a
	 * later move again. */
	p->idem = xasprintf("%s|email|%s|moved:%s:%s:%s", recipient, p->day,
	    o->key, sched_date_format(m->old_due, was),
	    sched_date_format(o->due, nd));
	p->recipient = recipient;
	p->message_id = mail_message_id(p->idem, conf->from);
	memset(&text, 0, sizeof(text));
	moved_words(m, rules, bit == SCHED_TO_BUREAU ? "市科技局" :
	    bit == SCHED_TO_UNIT ? o->unit : (o->centre_name != NULL ?
	    o->centre_name : o->centre), &text);
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
	spec.message_id = p->message_id;
	spec.date = now;
	p->body = mail_build(&spec, &len, error);
	free(to);
	notify_text_free(&text);
	if ((p->rcpt = json_dumps(rcpt, JSON_COMPACT | JSON_ENSURE_ASCII)) ==
	    NULL)
		abort();	/* jansson fails only when out of memory */
	json_decref(rcpt);
	if (p->body == NULL) {
		notice_row_free(p);
		return -1;
	}
	p->row.idem = p->idem;
	p->row.recipient = p->recipient;
	p->row.channel = "email";
	p->row.day = p->day;
	p->row.planned = p->day;
	p->row.message_id = p->message_id;
	p->row.rcpt = p->rcpt;
	p->row.items = "[]";
	p->row.body = p->body;
	p->row.body_len = len;
	p->row.next_attempt = (long long)now;
	p->row.created_at = p->created;
	return 0;
}

int
notice_moved_queue(struct db *db, const struct notify_conf *conf,
    const struct sched_rules *rules, const struct notice_moved *moved,
    size_t n, time_t now, size_t *queued, char **error)
{
	struct notice_row	*p = xcalloc(n * 3 + 1, sizeof(*p));
	struct db_outbox	*rows = xcalloc(n * 3 + 1, sizeof(*rows));
	json_t			*contacts = json_array();
	size_t			 i, k = 0;
	int			 bit, rc = 0;

	*queued = 0;
	if (db_foreach_contact(db, contact_all_cb, contacts, error) == -1)
		rc = -1;
	for (i = 0; i < n && rc != -1; i++) {
		for (bit = SCHED_TO_CENTRE; bit <= SCHED_TO_BUREAU &&
		    rc != -1; bit <<= 1) {
			/* Those the rule names and its reminders go to, as
			 * for the reminders themselves (remind_to alone
			 * defaults to everyone: an objection's move went to
			 * the centre and its unit, the bureau's business). */
			if (!(rules->remind[moved[i].o->rule].to &
			    rules->text[moved[i].o->rule].to & bit))
				continue;
			rc = moved_row(&moved[i], rules, conf, contacts, bit, now,
			    &p[k], error);
			if (rc == 0)
				rows[k] = p[k].row, k++;
		}
	}
	json_decref(contacts);
	if (rc != -1 && k > 0 &&
	    (rc = db_outbox_enqueue(db, rows, k, NULL, NULL, error)) == 0)
		for (i = 0; i < k; i++)
			*queued += rows[i].id != 0;
	for (i = 0; i < k; i++)
		notice_row_free(&p[i]);
	free(p);
	free(rows);
	return rc == -1 ? -1 : 0;
}
