/*
 * journal.c: the events as recorded, each checked against those before it.
 *
 * The journal only ever holds a valid history: sched_journal_add refuses
 * an event (DOMAIN.md lists when) and leaves everything as it was.  Each
 * event is checked against the events of its own centre recorded before
 * it, so a check looks at a few dozen events, never the whole journal.
 *
 * A retraction makes the plan as if its event had never been recorded.
 * Retracting a retraction brings its event back; that is why effect is a
 * cascade (set_effective) and why, before a retraction is accepted, the
 * events of every centre it touches are checked again.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scheduler/scheduler.h"
#include "scheduler/sched-int.h"

#define NONE	((size_t)-1)

/*
 * The events of one centre, by their index in the journal.  The centre's
 * id is kept once, here, and its events point at it while they are in
 * the journal: a copy in each of two million events was 60 MB.
 */
struct jcentre {
	char	*id;		/* owned */
	size_t	*events;
	size_t	 n;
	size_t	 cap;
};

struct sched_journal {
	struct sched_event	**events;	/* in recording order */
	size_t			  n;
	size_t			  cap;
	struct strmap		  ids;		/* event id → index; the keys
						 * are the events' own */
	struct strmap		  centre_ids;	/* centre id → jcentre index */
	struct jcentre		 *centres;
	size_t			  ncentres;
	size_t			  capcentres;
	struct jcentre		  bureau;	/* the bureau-wide events: with
						 * a centre's own, all that its
						 * plan depends on */
};

struct sched_journal *
sched_journal_new(void)
{
	struct sched_journal	*j;

	j = xcalloc(1, sizeof(*j));
	strmap_init(&j->ids);
	strmap_init(&j->centre_ids);
	return j;
}

void
sched_journal_free(struct sched_journal *j)
{
	size_t	 i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		j->events[i]->centre = NULL;	/* the jcentre's */
		sched_event_free(j->events[i]);
	}
	for (i = 0; i < j->ncentres; i++) {
		free(j->centres[i].id);
		free(j->centres[i].events);
	}
	free(j->events);
	free(j->centres);
	free(j->bureau.events);
	strmap_clear(&j->ids);
	strmap_clear(&j->centre_ids);
	free(j);
}

size_t
sched_journal_count(const struct sched_journal *j)
{
	return j->n;
}

size_t
sched_journal_centres(const struct sched_journal *j)
{
	return j->ncentres;
}

const struct sched_event *
sched_journal_event(const struct sched_journal *j, size_t i)
{
	return i < j->n ? j->events[i] : NULL;
}

long
sched_journal_find_id(const struct sched_journal *j, const char *id)
{
	size_t	 i = strmap_get(&j->ids, id);

	return i != STRMAP_NONE ? (long)i : -1;
}

static struct jcentre *
find_centre(const struct sched_journal *j, const char *id)
{
	size_t	 i;

	if (id == NULL || (i = strmap_get(&j->centre_ids, id)) == STRMAP_NONE)
		return NULL;
	return &j->centres[i];
}

/* The first effective registration recorded before position "pos". */
static const struct sched_event *
registration(const struct sched_journal *j, const struct jcentre *c,
    size_t pos)
{
	size_t	 i;

	for (i = 0; c != NULL && i < c->n && c->events[i] < pos; i++) {
		const struct sched_event *e = j->events[c->events[i]];

		if (!e->retracted && e->type == SCHED_EV_REGISTERED)
			return e;
	}
	return NULL;
}

const struct sched_event *
sched_journal_centre(const struct sched_journal *j, const char *centre)
{
	return registration(j, find_centre(j, centre), NONE);
}

/* How a message names another event: by its id, else by its line. */
static char *
which(const struct sched_event *e)
{
	char	 d[SCHED_DATE_LEN];

	sched_date_format(e->date, d);
	if (e->id != NULL)
		return xasprintf("%s \"%s\" (%s)",
		    sched_event_type_name(e->type), e->id, d);
	if (e->line > 0)
		return xasprintf("%s %s (line %d)",
		    sched_event_type_name(e->type), d, e->line);
	return xasprintf("%s %s", sched_event_type_name(e->type), d);
}

static bool
is_recognition(const struct sched_event *e)
{
	return e->type == SCHED_EV_RECOGNIZED ||
	    (e->type == SCHED_EV_OBJECTION_RESOLVED && e->outcome_recognized) ||
	    (e->type == SCHED_EV_REGISTERED && e->legacy);
}

static bool
starts_ban(const struct sched_event *e, const struct sched_rules *rules)
{
	return e->type == SCHED_EV_REVOKED ||
	    (e->type == SCHED_EV_ABANDONED && rules->abandonment_bars_reapply) ||
	    (e->type == SCHED_EV_LAPSED && rules->lapse_bars_reapply);
}

/* Art. 16: three years after the act (DOMAIN rules 2 and 3). */
static int
ban_last_day(const struct sched_event *e)
{
	return sched_years_after(e->date, 3);
}

static const char *
ban_setting(const struct sched_event *ban)
{
	return ban->type == SCHED_EV_ABANDONED ? "abandonment_bars_reapply" :
	    "lapse_bars_reapply";
}

static char *
refuse_ban(const struct sched_event *ban, int applied_on)
{
	char	 d[SCHED_DATE_LEN], a[SCHED_DATE_LEN], f[SCHED_DATE_LEN];
	char	 l[SCHED_DATE_LEN], *why, *w;

	sched_date_format(ban->date, d);
	sched_date_format(applied_on, a);
	sched_date_format(ban_last_day(ban), l);
	sched_date_format(ban_last_day(ban) + 1, f);
	w = which(ban);
	if (ban->type == SCHED_EV_REVOKED)
		why = xasprintf("%s 的申报处于禁止再次申报期内（第十六条：3年内不得"
		    "再次申报）：%s 起禁止至 %s，最早可于 %s 再次申报 / an "
		    "application on %s falls within the reapply ban of Art. 16 "
		    "that began with %s and runs through %s; the first day an "
		    "application is accepted is %s", a, d, l, f, a, w, l, f);
	else {	/* Art. 16 names revocation; the rule pack extends it. */
		bool	 abandoned = ban->type == SCHED_EV_ABANDONED;

		why = xasprintf("%s 的申报处于禁止再次申报期内（第十六条的3年禁止期，"
		    "依规则包设置 %s 同样适用于%s）：%s 起禁止至 %s，最早可于 %s "
		    "再次申报 / an application on %s falls within a reapply ban "
		    "(Art. 16's three years, which the rule pack's %s extends "
		    "to %s) that began with %s and runs through %s; the first "
		    "day an application is accepted is %s", a,
		    ban_setting(ban), abandoned ? "视为放弃" : "过渡期满不再保留",
		    d, l, f, a, ban_setting(ban), abandoned ? "an abandonment" :
		    "a lapse", w, l, f);
	}
	free(w);
	return why;
}

/*
 * A ban recorded after an application it covers (a revocation entered
 * late, dated before the application): the application could not have
 * been accepted (Art. 16), and kept it would bring the centre's duties
 * back inside the ban.  Refused naming the application, which is
 * retracted first if the ban stands.
 */
static char *
refuse_ban_over(const struct sched_event *ban, const struct sched_event *app)
{
	char	 d[SCHED_DATE_LEN], l[SCHED_DATE_LEN], *w, *why;

	sched_date_format(ban->date, d);
	sched_date_format(ban_last_day(ban), l);
	w = which(app);
	why = xasprintf("%s 起至 %s 的禁止再次申报期（第十六条%s）覆盖已记录的"
	    "申报 %s：该申报在禁止期内不应受理，如禁止期成立，请先撤回该申报 / "
	    "the reapply ban (Art. 16%s) this event starts on %s runs through "
	    "%s and covers the application already recorded, %s, which "
	    "could not have been accepted: if the ban stands, retract that "
	    "application first", d, l, ban->type == SCHED_EV_REVOKED ? "" :
	    "，依规则包设置", w, ban->type == SCHED_EV_REVOKED ? "" :
	    ", as the rule pack extends it", d, l, w);
	free(w);
	return why;
}

/*
 * Checks an event of a centre against that centre's effective events
 * recorded before position "pos".  Returns the reason it does not fit,
 * or NULL.
 */
static char *
check_centre_event(const struct sched_journal *j, const struct jcentre *c,
    size_t pos, const struct sched_event *ev, const struct sched_rules *rules)
{
	const struct sched_event	*reg, *e;
	char				 d[SCHED_DATE_LEN], r[SCHED_DATE_LEN];
	char				*w, *why;
	size_t				 i;
	bool				 recognized = false;

	/* A director born after the event (2966 for 1966) would never
	 * reach the age limit of Art. 9: a typo, not a fact.  Checked here,
	 * when recorded, not when read: a stored one still loads. */
	if (ev->director_birth != SCHED_NO_DAY &&
	    ev->director_birth > ev->date) {
		sched_date_format(ev->director_birth, d);
		sched_date_format(ev->date, r);
		return xasprintf("director_birth（%s）晚于事件日期 %s / "
		    "director_birth (%s) is after the event's date %s", d, r,
		    d, r);
	}
	reg = registration(j, c, pos);
	if (ev->type == SCHED_EV_REGISTERED) {
		if (reg == NULL)
			return NULL;
		w = which(reg);
		why = xasprintf("中心 \"%s\" 已登记过（%s）/ centre \"%s\" is "
		    "registered twice (first by %s)", ev->centre, w,
		    ev->centre, w);
		free(w);
		return why;
	}
	if (reg == NULL)
		return xasprintf("中心 \"%s\" 未登记（须先记录 registered 事件）/ "
		    "centre \"%s\" is not registered (record its registered "
		    "event first)", ev->centre, ev->centre);
	if (ev->date < reg->date)
		return xasprintf("事件日期 %s 早于中心 \"%s\" 的登记日期 %s / the "
		    "event is dated %s, before centre \"%s\" was registered on "
		    "%s", sched_date_format(ev->date, d), ev->centre,
		    sched_date_format(reg->date, r), d, ev->centre, r);
	for (i = 0; i < c->n && c->events[i] < pos; i++) {
		e = j->events[c->events[i]];
		if (e->retracted)
			continue;
		/* DOMAIN.md refuses these for a centre "never recognized":
		 * any recognition recorded before counts, whatever its date. */
		if (is_recognition(e))
			recognized = true;
		if (ev->type == SCHED_EV_APPLIED && starts_ban(e, rules) &&
		    e->date <= ev->date && ev->date <= ban_last_day(e))
			return refuse_ban(e, ev->date);
		if (e->type == SCHED_EV_APPLIED && starts_ban(ev, rules) &&
		    ev->date <= e->date && e->date <= ban_last_day(ev))
			return refuse_ban_over(ev, e);
	}
	if (!recognized && (ev->type == SCHED_EV_EVALUATION_SUBMITTED ||
	    ev->type == SCHED_EV_EVALUATION_RESULT ||
	    ev->type == SCHED_EV_REVOKED))
		return xasprintf("中心 \"%s\" 从未被认定，不能记录 %s / centre "
		    "\"%s\" was never recognized, so it cannot have %s",
		    ev->centre, sched_event_type_name(ev->type), ev->centre,
		    sched_event_type_name(ev->type));
	return NULL;
}

/* Makes an event count or not; a retraction carries its effect along. */
static void
set_effective(struct sched_journal *j, size_t i, bool effective)
{
	struct sched_event	*e = j->events[i];

	e->retracted = !effective;
	if (e->type == SCHED_EV_RETRACTED)
		set_effective(j, e->target_index, !effective);
}

/* The events (by index) that did not fit before a retraction: a store an
 * older ticd wrote may hold some that today's checks refuse (a director
 * born in 2966, a ban recorded over an application), and an unrelated
 * retraction must not be refused for them. */
struct misfits {
	size_t	*v;
	size_t	 n;
};

static bool
misfit_before(const struct misfits *m, size_t index)
{
	size_t	 i;

	for (i = 0; m != NULL && i < m->n; i++)
		if (m->v[i] == index)
			return true;
	return false;
}

/*
 * Every effective event of a centre still fits, but those that did not
 * before; else the first misfit.  With "collect", the misfits are noted
 * there instead, and NULL returned.
 */
static char *
recheck_centre(const struct sched_journal *j, const char *centre,
    const struct sched_rules *rules, const struct misfits *before,
    struct misfits *collect)
{
	const struct jcentre	*c = find_centre(j, centre);
	const struct sched_event *e;
	size_t			 i;
	char			*why, *w, *out;

	for (i = 0; c != NULL && i < c->n; i++) {
		e = j->events[c->events[i]];
		if (e->retracted || misfit_before(before, c->events[i]))
			continue;
		if ((why = check_centre_event(j, c, c->events[i], e,
		    rules)) == NULL)
			continue;
		if (collect != NULL) {
			collect->v = xreallocarray(collect->v, collect->n + 1,
			    sizeof(*collect->v));
			collect->v[collect->n++] = c->events[i];
			free(why);
			continue;
		}
		w = which(e);
		out = xasprintf("撤回后，%s 将不再成立：%s / after this "
		    "retraction, %s would no longer be valid: %s", w, why,
		    w, why);
		free(w);
		free(why);
		return out;
	}
	return NULL;
}

/* The centres whose events change effect when event i is retracted. */
static char *
recheck_after_retraction(struct sched_journal *j, size_t i,
    const struct sched_rules *rules, const struct misfits *before,
    struct misfits *collect)
{
	char	*why = NULL;

	for (; why == NULL; i = j->events[i]->target_index) {
		if (j->events[i]->centre != NULL)
			why = recheck_centre(j, j->events[i]->centre, rules,
			    before, collect);
		if (j->events[i]->type != SCHED_EV_RETRACTED)
			break;
	}
	return why;
}

static char *
check_retraction(struct sched_journal *j, struct sched_event *ev,
    const struct sched_rules *rules)
{
	long			 t = sched_journal_find_id(j, ev->target);
	struct sched_event	*target;
	struct misfits		 before = { NULL, 0 };
	char			*why, *w;
	size_t			 i;

	if (t < 0)
		return xasprintf("没有 id 为 \"%s\" 的事件可撤回 / no event has "
		    "the id \"%s\" given in field \"event\"", ev->target,
		    ev->target);
	target = j->events[t];
	if (target->retracted) {
		for (i = (size_t)t + 1; i < j->n; i++) {
			if (j->events[i]->type == SCHED_EV_RETRACTED &&
			    !j->events[i]->retracted &&
			    j->events[i]->target_index == (size_t)t)
				break;
		}
		w = i < j->n ? which(j->events[i]) : xstrdup("an earlier "
		    "retraction");
		why = xasprintf("事件 \"%s\" 已被撤回（%s）/ event \"%s\" is "
		    "already retracted (by %s)", ev->target, w, ev->target, w);
		free(w);
		return why;
	}
	/* What did not fit already is not this retraction's doing. */
	(void)recheck_after_retraction(j, (size_t)t, rules, NULL, &before);
	set_effective(j, (size_t)t, false);
	why = recheck_after_retraction(j, (size_t)t, rules, &before, NULL);
	set_effective(j, (size_t)t, true);
	free(before.v);
	if (why == NULL)
		ev->target_index = (size_t)t;
	return why;
}

static char *
check_event(struct sched_journal *j, struct sched_event *ev,
    const struct sched_rules *rules, int today)
{
	char	 d[SCHED_DATE_LEN], t[SCHED_DATE_LEN];
	long	 dup;

	if (ev->date > today)
		return xasprintf("事件日期 %s 晚于今天 %s：只能记录已经发生的事 / "
		    "the event is dated %s, after today (%s): only what has "
		    "happened can be recorded", sched_date_format(ev->date, d),
		    sched_date_format(today, t), d, t);
	if (ev->id != NULL && (dup = sched_journal_find_id(j, ev->id)) >= 0) {
		char *w = which(j->events[dup]), *why;

		why = xasprintf("id \"%s\" 已被使用（%s）/ the id \"%s\" is "
		    "already used by %s", ev->id, w, ev->id, w);
		free(w);
		return why;
	}
	if (ev->type == SCHED_EV_RETRACTED)
		return check_retraction(j, ev, rules);
	if (ev->centre == NULL)
		return NULL;
	return check_centre_event(j, find_centre(j, ev->centre), j->n, ev,
	    rules);
}

static void
index_append(struct jcentre *c, size_t index)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->events = xreallocarray(c->events, c->cap, sizeof(size_t));
	}
	c->events[c->n++] = index;
}

/* Files the event under its centre c, made now when NULL. */
static void
centre_append(struct sched_journal *j, struct jcentre *c,
    struct sched_event *ev, size_t index)
{
	if (c == NULL) {
		if (j->ncentres == j->capcentres) {
			j->capcentres = j->capcentres ? j->capcentres * 2 : 64;
			j->centres = xreallocarray(j->centres, j->capcentres,
			    sizeof(*j->centres));
		}
		c = &j->centres[j->ncentres];
		memset(c, 0, sizeof(*c));
		c->id = ev->centre;
		strmap_put(&j->centre_ids, c->id, j->ncentres++);
	} else
		free(ev->centre);
	ev->centre = c->id;
	ev->centre_index = (size_t)(c - j->centres);
	index_append(c, index);
}

/* Appends an event that fits; c is its centre's, if known. */
static void
append(struct sched_journal *j, struct jcentre *c, struct sched_event *ev)
{
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 256;
		j->events = xreallocarray(j->events, j->cap, sizeof(ev));
	}
	ev->retracted = false;
	j->events[j->n] = ev;
	if (ev->id != NULL)
		strmap_put(&j->ids, ev->id, j->n);
	if (ev->centre != NULL)
		centre_append(j, c, ev, j->n);
	else
		index_append(&j->bureau, j->n);
	j->n++;
	if (ev->type == SCHED_EV_RETRACTED)
		set_effective(j, ev->target_index, false);
}

int
sched_journal_add(struct sched_journal *j, struct sched_event *ev,
    const struct sched_rules *rules, int today, char **error)
{
	if ((*error = check_event(j, ev, rules, today)) != NULL)
		return -1;
	append(j, find_centre(j, ev->centre), ev);
	return 0;
}

void
sched_journal_reserve(struct sched_journal *j, size_t n)
{
	if (n > j->cap) {
		j->cap = n;
		j->events = xreallocarray(j->events, j->cap, sizeof(*j->events));
	}
	strmap_reserve(&j->ids, n);
}

/*
 * What a stored event must still be for the journal to hold it: a
 * centre's event after its registration (the planner makes a centre from
 * its first event), and a retraction naming an earlier event in effect.
 * The rest was checked when it was recorded, and the store keeps ids
 * unique.
 */
int
sched_journal_load(struct sched_journal *j, struct sched_event *ev,
    char **error)
{
	struct jcentre	*c = find_centre(j, ev->centre);
	long		 t;

	*error = NULL;
	if (ev->centre != NULL && c == NULL &&
	    ev->type != SCHED_EV_REGISTERED)
		*error = xasprintf("中心 \"%s\" 未登记 / centre \"%s\" is not "
		    "registered", ev->centre, ev->centre);
	else if (ev->type == SCHED_EV_RETRACTED) {
		t = sched_journal_find_id(j, ev->target);
		if (t < 0 || j->events[t]->retracted)
			*error = xasprintf("撤回的事件 \"%s\" 不存在或已被撤回 / "
			    "the retracted event \"%s\" is unknown or already "
			    "retracted", ev->target, ev->target);
		else
			ev->target_index = (size_t)t;
	}
	if (*error != NULL)
		return -1;
	append(j, c, ev);
	return 0;
}

struct sched_event *
sched_journal_pop(struct sched_journal *j)
{
	struct sched_event	*ev;

	if (j->n == 0)
		return NULL;
	ev = j->events[--j->n];
	if (ev->type == SCHED_EV_RETRACTED)
		set_effective(j, ev->target_index, true);
	if (ev->id != NULL)
		strmap_del(&j->ids, ev->id);
	if (ev->centre != NULL) {
		find_centre(j, ev->centre)->n--;
		ev->centre = xstrdup(ev->centre);	/* the caller's own */
	} else
		j->bureau.n--;
	return ev;
}

void
sched_journal_centre_events(const struct sched_journal *j,
    const char *centre, const size_t **events, size_t *n)
{
	const struct jcentre	*c = centre != NULL ? find_centre(j, centre) :
				    &j->bureau;

	*events = c != NULL ? c->events : NULL;
	*n = c != NULL ? c->n : 0;
}

void
sched_journal_numbered_events(const struct sched_journal *j, size_t number,
    const size_t **events, size_t *n)
{
	*events = number < j->ncentres ? j->centres[number].events : NULL;
	*n = number < j->ncentres ? j->centres[number].n : 0;
}

int
sched_ban_first_allowed(const struct sched_journal *j,
    const struct sched_rules *rules, const char *centre, int day)
{
	const struct jcentre	*c = find_centre(j, centre);
	const struct sched_event *e;
	size_t			 i;
	int			 first = SCHED_NO_DAY;

	for (i = 0; c != NULL && i < c->n; i++) {
		e = j->events[c->events[i]];
		if (!e->retracted && starts_ban(e, rules) && e->date <= day &&
		    day <= ban_last_day(e) && ban_last_day(e) + 1 > first)
			first = ban_last_day(e) + 1;
	}
	return first;
}
