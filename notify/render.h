/*
 * render.h: the words of every message (notify/render.c): a reminder's
 * email, a chat robot's markdown, the bureau's notices of a webhook
 * target.
 *
 * A pure transform, like the planner it follows: a message of
 * sched_reminders in, its subject, plain text, HTML and .ics out, Chinese
 * first with a short English summary.  No clock, no I/O, no MIME: the
 * same input gives the same bytes, and the outbox builds the email (or a
 * chat message) from them.  Lines end in "\n"; the MIME layer writes CRLF.
 */
#ifndef NOTIFY_RENDER_H
#define NOTIFY_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "scheduler/scheduler.h"

struct buf;

/*
 * Owner: whoever called notify_render; notify_text_free frees the strings
 * (not the struct).  subject is one line with no control characters (safe
 * for a header once RFC 2047-encoded); text and html are UTF-8; ics is a
 * VCALENDAR with METHOD:PUBLISH of the message's obligations, CRLF lines
 * as RFC 5545 wants, ics_len bytes (also NUL-terminated).
 */
struct notify_text {
	char	*subject;
	char	*text;
	char	*html;
	char	*ics;
	size_t	 ics_len;
};

/*
 * Renders a message.  "today" is the day it is rendered (DTSTAMP of the
 * .ics; the days left are the items', counted from the message's day).
 * recipient_name greets the reader (a contact's name); NULL greets the
 * recipient the message's scope names (the centre's name, the unit, 市科技局).
 * Obligations from a plan made with SCHED_PLAN_EXPLAIN carry their date's
 * derivation into the .ics.  Returns 0, or -1 with *error (Chinese, then
 * English; the caller frees it) and *out cleared.
 */
int	 notify_render(const struct sched_message *, const struct sched_rules *,
	    const struct sched_calendar *, int today, const char *recipient_name,
	    struct notify_text *out, char **error);
void	 notify_text_free(struct notify_text *);

/* The recipient as people read it: 市科技局, the unit's name, or the
 * centre's name and id.  The caller frees it. */
char	*notify_recipient_label(const struct sched_message *);

/*
 * The page a calendar entry's URL opens (public_url/obligations/KEY): the
 * rule's article, what to do, what closes it and who acts, from the rule
 * pack alone (nothing of a centre's).  HTML, Chinese first; caller frees.
 */
char	*notify_rule_page(const struct sched_rules *, enum sched_rule);

/*
 * A failing webhook target, as the bureau's notice names it (hook.c); all
 * borrowed.  disable_at NULL: the target was disabled; else one of its
 * posts went dead (row, recipient, day) while it fails since "since",
 * and it is disabled if it still fails at disable_at.
 */
struct notify_target_words {
	long long	 id;
	const char	*format;	/* standard, wecom, dingtalk, feishu */
	const char	*kind;		/* bureau, unit, centre */
	const char	*scope;		/* NULL for the bureau */
	const char	*url;		/* its credentials hidden */
	const char	*reason;
	const char	*since;		/* YYYY-MM-DD HH:MM */
	const char	*disable_at;
	long long	 row;
	const char	*recipient;
	const char	*day;
};

/* The bureau's one mail about a failing target: subject, text and HTML
 * (no .ics); notify_text_free frees them. */
void	 notify_render_target(const struct notify_target_words *,
	    struct notify_text *);

/*
 * A chat robot's markdown, as robot.c's table says it: a line break, what
 * starts an item's detail lines, whether the text opens with a ###
 * heading.  The text is made from a stored webhook payload (the Standard
 * Webhooks JSON: reminder.digest or webhook.disabled), Chinese only (a
 * group chat reads it); data's markdown and HTML metacharacters (in
 * names, ids, units) are shown full-width, so a name cannot make a link,
 * a heading or an @-mention.  Deterministic: robot.c splits by it.
 */
struct notify_md {
	const char	*nl;
	const char	*quote;
	bool		 heading;
};

/* Appends the heading of every part: who, the day, how many items, and
 * marker ("" or the part's, notify_md_marker). */
void	 notify_md_head(struct buf *, const struct notify_md *,
	    const json_t *payload, const char *marker);
/* Appends the block of item n (1-based) of the payload's items. */
void	 notify_md_item(struct buf *, const struct notify_md *,
	    const json_t *item, size_t n);
/* A notification's short title (DingTalk's title, Feishu's card header),
 * naming 技术创新中心 and 提醒 for keyword-guarded robots; caller frees. */
char	*notify_md_title(const json_t *payload, const char *marker);
/* "（第 i/n 部分）", or "" for a message of one part; caller frees. */
char	*notify_md_marker(size_t i, size_t n);

#endif
