/*
 * render.h: the words of a reminder message (the remind branch's
 * contract, issue 5).  PROVISIONAL COPY on branch outbox so that the
 * outbox builds before the renderer is merged; the remind branch's header
 * replaces it.
 */
#ifndef NOTIFY_RENDER_H
#define NOTIFY_RENDER_H

#include <stddef.h>

#include "scheduler/scheduler.h"

struct notify_text {
	char	*subject;
	char	*text;
	char	*html;
	char	*ics;
	size_t	 ics_len;
};

int	 notify_render(const struct sched_message *, const struct sched_rules *,
	    const struct sched_calendar *, int today,
	    const char *recipient_name, struct notify_text *out, char **error);
void	 notify_text_free(struct notify_text *);

#endif
