/*
 * text.c: what a feed needs without libical: its options, scope and
 * retention, and its words: the calendar's name, each obligation's
 * summary and description, its UID and link, and the fingerprint of what
 * a user sees of it.
 *
 * An obligation's words depend on neither the as-of day nor the scope nor
 * the variant of a feed: it reads the same in the bureau's feed and in its
 * centre's, and its fingerprint changes only when its own date, state or
 * words do.  That is what lets the daemon keep one SEQUENCE per
 * obligation for all feeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "calendar/cal-int.h"

#define CAL_TITLE	"阳泉市技术创新中心义务"

const char *
cal_state_cn(enum sched_state s)
{
	switch (s) {
	case SCHED_OPEN:
		return "未到期";
	case SCHED_OVERDUE:
		return "已逾期";
	case SCHED_DONE:
		return "已完成";
	case SCHED_VOID:
		return "已失效";
	}
	return "?";
}

void
cal_feed_options_init(struct cal_feed_options *opts, int as_of)
{
	memset(opts, 0, sizeof(*opts));
	opts->scope = CAL_SCOPE_BUREAU;
	opts->as_of = as_of;
	opts->retention_days = CAL_RETENTION_DAYS;
	opts->revision = cal_day_start(as_of);
}

time_t
cal_day_start(int day)
{
	/* China has kept UTC+8 without daylight saving since 1991. */
	return (time_t)day * 86400 - 8 * 3600;
}

bool
cal_scope_includes(const struct cal_feed_options *opts,
    const struct sched_rules *rules, const struct sched_obligation *o)
{
	switch (opts->scope) {
	case CAL_SCOPE_BUREAU:
		return true;
	case CAL_SCOPE_UNIT:
		if (o->centre == NULL)
			return (rules->text[o->rule].to & SCHED_TO_UNIT) != 0;
		return o->unit != NULL && opts->scope_id != NULL &&
		    strcmp(o->unit, opts->scope_id) == 0;
	case CAL_SCOPE_CENTRE:
		return o->centre != NULL && opts->scope_id != NULL &&
		    strcmp(o->centre, opts->scope_id) == 0;
	}
	return false;
}

bool
cal_feed_keeps(const struct sched_obligation *o, int as_of,
    int retention_days)
{
	if (o->state == SCHED_OPEN || o->state == SCHED_OVERDUE)
		return true;
	/* In long arithmetic: a due date near INT_MAX must not wrap. */
	return (long)as_of <= (long)o->due + retention_days;
}

char *
cal_feed_name(const struct cal_feed_options *opts)
{
	const char	*who;

	switch (opts->scope) {
	case CAL_SCOPE_UNIT:
	case CAL_SCOPE_CENTRE:
		who = opts->scope_name != NULL ? opts->scope_name :
		    opts->scope_id != NULL ? opts->scope_id : "";
		break;
	case CAL_SCOPE_BUREAU:
	default:
		who = "全市";
		break;
	}
	return xasprintf("%s（%s）%s", CAL_TITLE, who,
	    opts->todo ? " · 待办" : "");
}

char *
cal_text_feed_description(const struct sched_rules *rules)
{
	return xasprintf("依" SCHED_MEASURES_CN "推算的各项义务"
	    "到期日（规则包 %s），由 ticd 生成。日期为全天事件；标注“暂定”"
	    "的日期取决于国务院尚未发布的放假安排（该年的；12月的日期也取决于"
	    "下一年的），发布后可能调整。",
	    rules->pack != NULL ? rules->pack : "-");
}

/* Adds s with every byte outside "keep" and every byte >= 0x80 (and '%',
 * so that the escape can be undone) as %XX. */
static void
escape(struct buf *b, const char *s, const char *keep)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || (*p != '%' && *p < 0x80 &&
		    strchr(keep, *p) != NULL))
			buf_add(b, (const char *)p, 1);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

char *
cal_uid(const char *key, bool todo)
{
	struct buf	 b;

	/* Keys are ASCII but for ids in Chinese: clients handle ASCII UIDs
	 * best, and the key's own characters (/, #, @) stay readable. */
	buf_init(&b);
	escape(&b, key, "-._~/#@");
	buf_printf(&b, "@%s%s", todo ? "todo." : "", CAL_UID_DOMAIN);
	return buf_take(&b);
}

char *
cal_text_url(const char *base, const char *key)
{
	struct buf	 b;
	size_t		 n;

	if (base == NULL || *base == '\0')
		return NULL;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_init(&b);
	/* libical writes a URI value as it is: a control byte or a space in
	 * public_url would end the line or the value early, so they are
	 * escaped (a URL has neither; ticd.conf refuses them too). */
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)base[i] <= ' ' || base[i] == 0x7f)
			buf_printf(&b, "%%%02X", (unsigned char)base[i]);
		else
			buf_add(&b, base + i, 1);
	}
	buf_adds(&b, CAL_OBLIGATION_PATH);
	/* One path segment: RFC 3986's unreserved characters only. */
	escape(&b, key, "-._~");
	return buf_take(&b);
}

char *
cal_text_flat(const char *s)
{
	struct buf	 b;

	/* libical 3.0.16 writes CATEGORIES and X- values without escaping
	 * ',' or ';': a comma in CATEGORIES separates categories (a title of
	 * the rule pack with one would become two), and both are separators
	 * a parser may trip on elsewhere.  The full-width forms read the
	 * same in Chinese. */
	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s == ',')
			buf_adds(&b, "，");
		else if (*s == ';')
			buf_adds(&b, "；");
		else
			buf_add(&b, s, 1);
	}
	return buf_take(&b);
}

char *
cal_text_summary(const struct sched_obligation *o,
    const struct sched_rules *rules)
{
	struct buf	 b;
	int		 year;

	buf_init(&b);
	buf_printf(&b, "【%s】%s", sched_rule_article_cn(o->rule),
	    sched_obligation_title(o, rules));
	if ((year = sched_obligation_year(o)) != 0)
		buf_printf(&b, "（%d年度）", year);
	if (o->provisional)
		buf_adds(&b, "（暂定）");
	if (o->state != SCHED_OPEN)
		buf_printf(&b, "（%s）", cal_state_cn(o->state));
	if (o->centre == NULL)
		buf_adds(&b, " · 全市");
	else
		buf_printf(&b, " · %s", o->centre_name != NULL ?
		    o->centre_name : o->centre);
	return buf_take(&b);
}

static void
put_audience(struct buf *b, int to)
{
	char	*who = sched_audiences_cn(to);

	buf_adds(b, who != NULL ? who : "—");
	free(who);
}

char *
cal_text_description(const struct sched_obligation *o,
    const struct sched_rules *rules)
{
	const struct sched_rule_text *t = &rules->text[o->rule];
	const char	*action = sched_rule_action(rules, o,
			    o->state == SCHED_OVERDUE);
	struct buf	 b;
	char		 d[SCHED_DATE_LEN], *tail;
	size_t		 n;

	buf_init(&b);
	if (action != NULL)
		buf_printf(&b, "应办事项：%s\n", action);
	if (t->closed_by != NULL)
		buf_printf(&b, "办结条件：%s\n", t->closed_by);
	buf_adds(&b, "办理方：");
	put_audience(&b, t->to);
	/* As the mail writes it: （周五，暂定…）, one bracket. */
	buf_printf(&b, "\n到期日：%s（%s%s）\n", sched_date_format(o->due, d),
	    sched_weekday_cn(o->due), o->provisional ? "，暂定" : "");
	buf_printf(&b, "状态：%s", cal_state_cn(o->state));
	if ((o->state == SCHED_DONE || o->state == SCHED_VOID) &&
	    o->closed_on != SCHED_NO_DAY)
		buf_printf(&b, "（%s%s）", sched_date_format(o->closed_on, d),
		    o->state == SCHED_DONE ? "办结" : "起失效");
	if (o->centre != NULL)
		buf_printf(&b, "\n中心：%s（%s），组织管理单位：%s",
		    o->centre_name != NULL ? o->centre_name : "", o->centre,
		    o->unit != NULL ? o->unit : "");
	else
		buf_adds(&b, "\n范围：全市");
	if (o->explain != NULL) {
		/* The derivation ends with what closes the obligation, which
		 * is said above already. */
		n = strlen(o->explain);
		tail = t->closed_by != NULL ?
		    xasprintf("办结条件：%s。", t->closed_by) : NULL;
		if (tail != NULL && n >= strlen(tail) &&
		    strcmp(o->explain + n - strlen(tail), tail) == 0)
			n -= strlen(tail);
		free(tail);
		buf_adds(&b, "\n日期推算：");
		buf_add(&b, o->explain, n);
	}
	buf_printf(&b, "\n义务编号：%s", o->key);
	return buf_take(&b);
}

char *
cal_text_alarm(const struct sched_obligation *o,
    const struct sched_rules *rules, int days_before)
{
	char	*summary, *s;

	summary = cal_text_summary(o, rules);
	if (days_before == 1)
		s = xasprintf("明天到期：%s", summary);
	else
		s = xasprintf("%d天后到期：%s", days_before, summary);
	free(summary);
	return s;
}

/* FNV-1a, 64 bits: not for secrets, only to notice a change. */
static void
fnv(uint64_t *h, const void *p, size_t len)
{
	const unsigned char	*s = p;

	while (len-- > 0) {
		*h ^= *s++;
		*h *= UINT64_C(0x100000001b3);
	}
}

void
cal_fingerprint(const struct sched_obligation *o,
    const struct sched_rules *rules, char out[CAL_FINGERPRINT_LEN])
{
	uint64_t	 h = UINT64_C(0xcbf29ce484222325);
	char		*summary, *description, *head;

	/* The summary and description carry the due date, the state, the
	 * provisional mark, the closing day and every word; the head says
	 * the same in numbers, so that no wording hides a change. */
	head = xasprintf("%d|%d|%d|%d|%d", o->due, (int)o->state,
	    (int)o->provisional, o->closed_on, o->year);
	summary = cal_text_summary(o, rules);
	description = cal_text_description(o, rules);
	fnv(&h, head, strlen(head) + 1);
	fnv(&h, summary, strlen(summary) + 1);
	fnv(&h, description, strlen(description) + 1);
	free(head);
	free(summary);
	free(description);
	snprintf(out, CAL_FINGERPRINT_LEN, "%016llx", (unsigned long long)h);
}

/*
 * libical 3.0.16 folds a property with its CRLF included: when a line's
 * last piece is 73 octets long, the fold goes between the CR and the LF,
 * and the feed carries "...\r" "\r\n " "\n": a bare CR and a line that is
 * only a LF (found by tests/fuzz/fuzz_feed.c with long names).  No valid
 * feed has that sequence (values never hold a bare CR), so each becomes
 * the CRLF it should have been, in place; every other fold is left as
 * libical made it.  Returns the new length.
 */
size_t
cal_text_repair_folds(char *s, size_t len)
{
	static const char	 bad[] = "\r\r\n \n";
	const size_t		 nbad = sizeof(bad) - 1;
	size_t			 r = 0, w = 0;

	while (r < len) {
		if (len - r >= nbad && memcmp(s + r, bad, nbad) == 0) {
			memcpy(s + w, "\r\n", 2);
			w += 2;
			r += nbad;
		} else
			s[w++] = s[r++];
	}
	if (w < len)
		s[w] = '\0';
	return w;
}
