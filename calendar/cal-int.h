/*
 * cal-int.h: what feed.c and text.c share inside calendar/.
 */
#ifndef CAL_INT_H
#define CAL_INT_H

#include <libical/ical.h>

#include "calendar/calendar.h"

/* text.c: every string is the caller's to free. */
/* 已完成, 已失效, …: a state as people read it. */
const char *cal_state_cn(enum sched_state);
/* 【第十四条】年度绩效评价资料提交截止（2026年度）（暂定） · 中心名. */
char	*cal_text_summary(const struct sched_obligation *,
	    const struct sched_rules *);
/* What to do, what closes it, who, state, the date's derivation, key. */
char	*cal_text_description(const struct sched_obligation *,
	    const struct sched_rules *);
/* The calendar's own description (DESCRIPTION, X-WR-CALDESC). */
char	*cal_text_feed_description(const struct sched_rules *);
/* A value libical writes unescaped (CATEGORIES, X-): ASCII ',' and ';'
 * become full-width (see text.c). */
char	*cal_text_flat(const char *);
/* What a VALARM shows, days_before days before the due date. */
char	*cal_text_alarm(const struct sched_obligation *,
	    const struct sched_rules *, int days_before);
/* base (trailing '/' dropped) + CAL_OBLIGATION_PATH + the key escaped as a
 * path segment; NULL when base is NULL or empty. */
char	*cal_text_url(const char *base, const char *key);
/* Mends libical's folds that split a CRLF (see text.c); returns the new
 * length (s stays NUL-terminated). */
size_t	 cal_text_repair_folds(char *s, size_t len);

/* feed.c */
/* Adds a VTIMEZONE for every TZID a property of the calendar names and
 * the calendar lacks (a clone of libical's zone, cut to the years since
 * 1992).  Returns -1 when a zone is unknown to libical. */
int	 cal_ical_add_zones(icalcomponent *vcalendar);

#endif
