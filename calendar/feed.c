/*
 * feed.c: a plan as an iCalendar feed, built with libical: the VCALENDAR
 * and its names, one all-day VEVENT (or, for task clients, one VTODO) per
 * obligation, and the opt-in VALARMs; and the same components for the
 * few obligations of one reminder (cal_render_obligations, METHOD:PUBLISH).
 *
 * Every date a feed carries is a DATE (DTSTART, DTEND, DUE) or a UTC
 * DATE-TIME (DTSTAMP, LAST-MODIFIED, COMPLETED, as RFC 5545 requires), so
 * no value names a zone and no VTIMEZONE is written: cal_ical_add_zones
 * adds one wherever a TZID appears, so that a local time added later can
 * never go out without its zone.
 *
 * Folding: libical 3.0.16 folds at 75 octets, after the last ';', ':' or
 * ' ' that fits, else before the lead byte of a UTF-8 sequence.  STYLE.md
 * warns that a fold may split a sequence; with this version none does
 * (fuzzed in tests/unit/test_calendar.c over Chinese, 4-byte characters,
 * escapes and separators), so its output is used as it is.  The unit test
 * and tests/feeds/run.py look at every physical line of every feed, so a
 * libical that splits one would be caught.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "calendar/cal-int.h"

/* The VALARMs: days before the due date, each at 09:00 of its day. */
static const int alarm_days[] = { 7, 1 };
#define ALARM_HOUR	9

#define CAL_PRODID	"-//ticd//Yangquan TIC obligations//ZH"

static struct icaltimetype
ical_date(int day)
{
	struct icaltimetype	 t = icaltime_null_date();
	int			 y, m, d;

	sched_ymd(day, &y, &m, &d);
	t.year = y;
	t.month = m;
	t.day = d;
	return t;
}

static struct icaltimetype
ical_utc(time_t t)
{
	return icaltime_from_timet_with_zone(t, 0,
	    icaltimezone_get_utc_timezone());
}

static void
add(icalcomponent *c, icalproperty *p)
{
	icalcomponent_add_property(c, p);
}

/*
 * An X- property as other producers write it, without VALUE=.  libical
 * 3.0.16 escapes a backslash and a newline in an X- value but not ',' or
 * ';', so text values go through cal_text_flat first.
 */
static void
add_x(icalcomponent *c, const char *name, const char *value)
{
	icalproperty	*p = icalproperty_new_x(value);

	icalproperty_set_x_name(p, name);
	add(c, p);
}

static void
add_calendar_properties(icalcomponent *cal, const struct sched_rules *rules,
    const struct cal_feed_options *opts)
{
	icalproperty	*p;
	char		*name, *desc, *flat, *s;

	name = cal_feed_name(opts);
	desc = cal_text_feed_description(rules);
	add(cal, icalproperty_new_prodid(CAL_PRODID));
	add(cal, icalproperty_new_version("2.0"));
	add(cal, icalproperty_new_calscale("GREGORIAN"));
	add(cal, icalproperty_new_name(name));
	flat = cal_text_flat(name);
	add_x(cal, "X-WR-CALNAME", flat);
	free(flat);
	add(cal, icalproperty_new_description(desc));
	flat = cal_text_flat(desc);
	add_x(cal, "X-WR-CALDESC", flat);
	free(flat);
	add_x(cal, "X-WR-TIMEZONE", "Asia/Shanghai");
	/* RFC 7986 asks for VALUE=DURATION although it is the default. */
	p = icalproperty_new_refreshinterval(
	    icaldurationtype_from_int(CAL_REFRESH_SECONDS));
	icalproperty_add_parameter(p, icalparameter_new_value(
	    ICAL_VALUE_DURATION));
	add(cal, p);
	s = icaldurationtype_as_ical_string_r(
	    icaldurationtype_from_int(CAL_REFRESH_SECONDS));
	add_x(cal, "X-PUBLISHED-TTL", s);
	icalmemory_free_buffer(s);
	free(name);
	free(desc);
}

/* Whether s shows nothing: white space and control characters only
 * (libical's parser strips the one, its writer drops some of the
 * other). */
static bool
shows_nothing(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > ' ' && *s != 0x7f)
			return false;
	return true;
}

/* CATEGORIES by rule: its title and its article.  One that shows nothing
 * is left out: libical's parser refuses "CATEGORIES:" with an
 * X-LIC-ERROR (a rule pack's title of a backspace came out so). */
static void
add_categories(icalcomponent *c, const struct sched_obligation *o,
    const struct sched_rules *rules)
{
	const char	*title = sched_obligation_title(o, rules);
	const char	*cats[2];
	char		*v;
	size_t		 i;

	cats[0] = title != NULL ? title : sched_rule_name(o->rule);
	cats[1] = sched_rule_article_cn(o->rule);
	for (i = 0; i < nitems(cats); i++) {
		if (shows_nothing(cats[i]))
			continue;
		v = cal_text_flat(cats[i]);
		add(c, icalproperty_new_categories(v));
		free(v);
	}
}

/* The reminders of an open obligation whose time is still to come: at
 * 09:00, 7 days and 1 day before the due date (relative to the all-day
 * start, or to a VTODO's DUE). */
static void
add_alarms(icalcomponent *c, const struct sched_obligation *o,
    const struct sched_rules *rules, const struct cal_feed_options *opts)
{
	icalcomponent	*alarm;
	icalproperty	*p;
	size_t		 i;
	int		 before;
	char		*text;

	if (o->state != SCHED_OPEN)
		return;
	for (i = 0; i < nitems(alarm_days); i++) {
		if (o->due - alarm_days[i] < opts->as_of)
			continue;
		before = alarm_days[i] * 86400 - ALARM_HOUR * 3600;
		alarm = icalcomponent_new(ICAL_VALARM_COMPONENT);
		add(alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY));
		p = icalproperty_new_trigger(icaltriggertype_from_int(-before));
		if (opts->todo)
			icalproperty_add_parameter(p,
			    icalparameter_new_related(ICAL_RELATED_END));
		add(alarm, p);
		text = cal_text_alarm(o, rules, alarm_days[i]);
		add(alarm, icalproperty_new_description(text));
		free(text);
		icalcomponent_add_component(c, alarm);
	}
}

static icalcomponent *
obligation_component(const struct sched_obligation *o,
    const struct sched_rules *rules, const struct cal_feed_options *opts,
    const struct cal_revision *rev)
{
	icalcomponent	*c;
	char		*s;

	c = icalcomponent_new(opts->todo ? ICAL_VTODO_COMPONENT :
	    ICAL_VEVENT_COMPONENT);
	s = cal_uid(o->key, opts->todo);
	add(c, icalproperty_new_uid(s));
	free(s);
	/* RFC 5545 §3.8.7.2: in a feed without METHOD, DTSTAMP is when the
	 * component last changed in the store, as LAST-MODIFIED: so an
	 * obligation that did not change reads the same in every render. */
	add(c, icalproperty_new_dtstamp(ical_utc(rev->modified)));
	if (opts->todo)
		icalcomponent_set_due(c, ical_date(o->due));
	else {
		/* icalcomponent_set_*, not icalproperty_new_dtstart: only
		 * they write VALUE=DATE (and a TZID) as the value needs. */
		icalcomponent_set_dtstart(c, ical_date(o->due));
		icalcomponent_set_dtend(c, ical_date(o->due + 1));
	}
	s = cal_text_summary(o, rules);
	add(c, icalproperty_new_summary(s));
	free(s);
	s = cal_text_description(o, rules);
	add(c, icalproperty_new_description(s));
	free(s);
	add_categories(c, o, rules);
	if (opts->todo) {
		switch (o->state) {
		case SCHED_DONE:
			add(c, icalproperty_new_status(ICAL_STATUS_COMPLETED));
			if (o->closed_on != SCHED_NO_DAY)
				add(c, icalproperty_new_completed(
				    ical_utc(cal_day_start(o->closed_on))));
			add(c, icalproperty_new_percentcomplete(100));
			break;
		case SCHED_VOID:
			add(c, icalproperty_new_status(ICAL_STATUS_CANCELLED));
			break;
		case SCHED_OPEN:
		case SCHED_OVERDUE:
			add(c, icalproperty_new_status(
			    ICAL_STATUS_NEEDSACTION));
			break;
		}
	} else {
		/* A provisional date may still move: TENTATIVE. */
		add(c, icalproperty_new_status(o->state == SCHED_VOID ?
		    ICAL_STATUS_CANCELLED : o->provisional &&
		    (o->state == SCHED_OPEN || o->state == SCHED_OVERDUE) ?
		    ICAL_STATUS_TENTATIVE : ICAL_STATUS_CONFIRMED));
		add(c, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
	}
	add(c, icalproperty_new_sequence(rev->sequence));
	add(c, icalproperty_new_lastmodified(ical_utc(rev->modified)));
	if ((s = cal_text_url(opts->public_url, o->key)) != NULL) {
		add(c, icalproperty_new_url(s));
		free(s);
	}
	if (opts->alarms)
		add_alarms(c, o, rules, opts);
	return c;
}

static void	 collect_tzids(icalcomponent *, char ***, size_t *);
static icalcomponent *zone_component(const char *);

/* Appends a component's text (libical's, which is BEGIN, the properties,
 * the subcomponents and END, each line folded) to out. */
static int
append_component(struct buf *out, icalcomponent *c)
{
	char	*s = icalcomponent_as_ical_string_r(c);

	if (s == NULL)
		return -1;
	buf_adds(out, s);
	icalmemory_free_buffer(s);
	return 0;
}

static void
free_tzids(char **tzids, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(tzids[i]);
	free(tzids);
}

/*
 * The VCALENDAR is written piece by piece into our own buffer: its head,
 * then each obligation's component made, written and freed in turn, the
 * zones, and END.  libical writes a calendar as exactly this
 * concatenation, so the bytes are the same as one icalcomponent tree
 * would give, but no tree of thousands of components is held, and the
 * megabytes are neither built by libical nor copied again to be ours.
 */
char *
cal_render_feed(const struct sched_plan *plan, const struct sched_rules *rules,
    const struct cal_feed_options *opts, cal_filter_cb filter,
    void *filter_arg, size_t *len)
{
	static const char	 end[] = "END:VCALENDAR\r\n";
	const struct sched_obligation *o;
	struct cal_revision	 rev;
	struct buf		 out;
	icalcomponent		*c;
	char			**tzids = NULL;
	size_t			 i, ntzids = 0;
	int			 rc;

	buf_init(&out);
	c = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	add_calendar_properties(c, rules, opts);
	rc = append_component(&out, c);
	icalcomponent_free(c);
	if (rc == -1 || out.len < sizeof(end) - 1 ||
	    strcmp(out.data + out.len - (sizeof(end) - 1), end) != 0)
		goto fail;
	out.len -= sizeof(end) - 1;
	out.data[out.len] = '\0';
	for (i = 0; i < plan->count; i++) {
		o = &plan->obligations[i];
		if (filter != NULL ? !filter(o, filter_arg) :
		    !cal_scope_includes(opts, rules, o))
			continue;
		if (!cal_feed_keeps(o, opts->as_of, opts->retention_days))
			continue;
		rev.sequence = 0;
		rev.modified = opts->revision;
		if (opts->revision_cb != NULL)
			opts->revision_cb(o, &rev, opts->revision_arg);
		c = obligation_component(o, rules, opts, &rev);
		collect_tzids(c, &tzids, &ntzids);
		rc = append_component(&out, c);
		icalcomponent_free(c);
		if (rc == -1)
			goto fail;
	}
	/* Zones last, as icalcomponent_add_component would have put them. */
	for (i = 0; i < ntzids; i++) {
		if ((c = zone_component(tzids[i])) == NULL)
			goto fail;
		rc = append_component(&out, c);
		icalcomponent_free(c);
		if (rc == -1)
			goto fail;
	}
	free_tzids(tzids, ntzids);
	buf_adds(&out, end);
	out.len = cal_text_repair_folds(out.data, out.len);
	*len = out.len;
	return buf_take(&out);
fail:
	free_tzids(tzids, ntzids);
	buf_free(&out);
	return NULL;
}

/* The calendar's bytes, ours to free(); NULL when libical fails.  Frees
 * the component either way. */
static char *
serialize(icalcomponent *cal, size_t *len)
{
	char	*s, *out;

	if (cal_ical_add_zones(cal) == -1) {
		icalcomponent_free(cal);
		return NULL;
	}
	s = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	if (s == NULL)
		return NULL;
	*len = strlen(s);
	out = xstrndup(s, *len);
	icalmemory_free_buffer(s);
	*len = cal_text_repair_folds(out, *len);
	return out;
}

char *
cal_render_obligations(const struct sched_obligation *const *obs, size_t n,
    const struct sched_rules *rules, const struct cal_feed_options *opts,
    const char *method, size_t *len)
{
	struct cal_revision	 rev;
	icalcomponent		*cal;
	icalproperty_method	 m;
	char			*name;
	size_t			 i;

	m = icalproperty_string_to_method(method);
	if (m == ICAL_METHOD_X || m == ICAL_METHOD_NONE)
		return NULL;
	/* A message's attachment, not a subscription: no refresh interval
	 * and no calendar description, only what names it. */
	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	add(cal, icalproperty_new_prodid(CAL_PRODID));
	add(cal, icalproperty_new_version("2.0"));
	add(cal, icalproperty_new_calscale("GREGORIAN"));
	add(cal, icalproperty_new_method(m));
	name = cal_feed_name(opts);
	add(cal, icalproperty_new_name(name));
	free(name);
	for (i = 0; i < n; i++) {
		rev.sequence = 0;
		rev.modified = opts->revision;
		if (opts->revision_cb != NULL)
			opts->revision_cb(obs[i], &rev, opts->revision_arg);
		icalcomponent_add_component(cal,
		    obligation_component(obs[i], rules, opts, &rev));
	}
	return serialize(cal, len);
}

/* Does the calendar hold a VTIMEZONE of this TZID? */
static bool
has_zone(icalcomponent *cal, const char *tzid)
{
	icalcomponent	*z;
	icalproperty	*p;

	for (z = icalcomponent_get_first_component(cal,
	    ICAL_VTIMEZONE_COMPONENT); z != NULL;
	    z = icalcomponent_get_next_component(cal,
	    ICAL_VTIMEZONE_COMPONENT)) {
		p = icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY);
		if (p != NULL && strcmp(icalproperty_get_tzid(p), tzid) == 0)
			return true;
	}
	return false;
}

/* Collects the TZIDs that the properties of c and its subcomponents name
 * (VTIMEZONEs aside) into *tzids, once each. */
static void
collect_tzids(icalcomponent *c, char ***tzids, size_t *n)
{
	icalcomponent	*sub;
	icalproperty	*p;
	icalparameter	*par;
	const char	*tzid;
	size_t		 i;

	if (icalcomponent_isa(c) == ICAL_VTIMEZONE_COMPONENT)
		return;
	for (p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY);
	    p != NULL; p = icalcomponent_get_next_property(c,
	    ICAL_ANY_PROPERTY)) {
		par = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
		if (par == NULL || (tzid = icalparameter_get_tzid(par)) == NULL)
			continue;
		for (i = 0; i < *n; i++) {
			if (strcmp((*tzids)[i], tzid) == 0)
				break;
		}
		if (i == *n) {
			*tzids = xreallocarray(*tzids, *n + 1, sizeof(char *));
			(*tzids)[(*n)++] = xstrdup(tzid);
		}
	}
	/* Each component keeps its own iterator: the recursion does not
	 * disturb this one's. */
	for (sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	    sub != NULL; sub = icalcomponent_get_next_component(c,
	    ICAL_ANY_COMPONENT))
		collect_tzids(sub, tzids, n);
}

/* A VTIMEZONE for tzid, or NULL when libical does not know the zone. */
static icalcomponent *
zone_component(const char *tzid)
{
	icaltimezone	*zone;
	icalcomponent	*vtz;

	if ((zone = icaltimezone_get_builtin_timezone(tzid)) == NULL)
		return NULL;
	/* A clone (STYLE.md): the zone keeps its own component.  Cut to the
	 * rules in force since 1992, so that the feed does not carry a
	 * century of history that depends on the machine's tzdata. */
	vtz = icalcomponent_new_clone(icaltimezone_get_component(zone));
	/* Named as the properties name it.  libical prefixes its own TZIDs
	 * ("/freeassociation.sourceforge.net/Asia/Shanghai") and 3.0.16
	 * ignores icaltimezone_set_tzid_prefix(""), so the prefix is
	 * replaced here rather than set process-wide. */
	icalproperty_set_tzid(icalcomponent_get_first_property(vtz,
	    ICAL_TZID_PROPERTY), tzid);
	icaltimezone_truncate_vtimezone(vtz,
	    icaltime_from_timet_with_zone(cal_day_start(sched_day(1992, 1, 1)),
	    0, icaltimezone_get_utc_timezone()), icaltime_null_time(), 0);
	return vtz;
}

int
cal_ical_add_zones(icalcomponent *cal)
{
	icalcomponent	*vtz;
	char		**tzids = NULL;
	size_t		 n = 0, i;
	int		 rc = 0;

	collect_tzids(cal, &tzids, &n);
	for (i = 0; i < n; i++) {
		if (has_zone(cal, tzids[i]))
			continue;
		if ((vtz = zone_component(tzids[i])) == NULL)
			rc = -1;
		else
			icalcomponent_add_component(cal, vtz);
	}
	free_tzids(tzids, n);
	return rc;
}
