/*
 * notice.c: messages about the reminders themselves, to the people who
 * must act on them: the bureau told that a message went dead and how to
 * send it again.
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

	t->subject = xasprintf("【技术创新中心提醒】投递失败：%s %s 的提醒未送达 / "
	    "undelivered reminder", d->recipient, d->day);
	t->text = xasprintf("市科技局：\n\n"
	    "发给 %s（%s）的 %s 提醒（投递编号 %lld）未能送达，不再自动重试。\n"
	    "原因：%s\n\n"
	    "邮件服务器或地址修正后，请重新投递：\n    ticctl redeliver %lld\n\n"
	    "--\n"
	    "The reminder of %s to %s (%s), outbox %lld, could not be "
	    "delivered and will not be retried.\nReason: %s\n"
	    "Once the server or the address is fixed, send it again with:\n"
	    "    ticctl redeliver %lld\n",
	    d->recipient, addrs, d->day, d->id, d->reason, d->id,
	    d->day, d->recipient, addrs, d->id, d->reason, d->id);
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
		return 1;
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
