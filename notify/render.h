/*
 * render.h: the words of one reminder message (notify/render.c).
 *
 * A pure transform, like the planner it follows: a message of
 * sched_reminders in, its subject, plain text, HTML and .ics out, Chinese
 * first with a short English summary.  No clock, no I/O, no MIME: the
 * same input gives the same bytes, and the outbox builds the email (or a
 * chat message) from them.  Lines end in "\n"; the MIME layer writes CRLF.
 */
#ifndef NOTIFY_RENDER_H
#define NOTIFY_RENDER_H

#include <stddef.h>

#include "scheduler/scheduler.h"

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

#endif
