/*
 * plan.c: events in, obligations out (DOMAIN.md, "The obligations").
 *
 * The planner replays the effective events of the journal in date order
 * (events of one day as recorded, an evaluation round after the others of
 * its day) through a small state machine per centre, centre by centre:
 * no centre's obligations depend on another's, so each centre's events,
 * merged with the bureau's evaluation rounds, are replayed together
 * (which is also how one centre is planned alone).  Each rule opens its
 * obligations in one handler below; closing and voiding are shared:
 *
 *   close	the event named in DOMAIN.md's "closed by" column happened;
 *   end	the centre was revoked, abandoned, lapsed or not recognized:
 *		what is pending turns void, except periods already run out;
 *   finish	as of the plan's day, the rest are open, overdue, or (for a
 *		period that simply ran out) done.
 *
 * Time-driven openings (an abandonment starts the day after a missed
 * evaluation deadline) are caught up before each event of the centre and
 * once at the end; yearly expert meetings are laid out at the end from
 * the centre's recognition intervals.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scheduler/scheduler.h"
#include "scheduler/sched-int.h"

#define NONE	((size_t)-1)

/* The measures' own dates (Art. 17, 18). */
#define MEASURES_IN_FORCE	sched_day(2025, 9, 8)
#define TRANSITION_END		sched_day(2027, 12, 31)
#define FIRST_MEETING_YEAR	2026

struct interval {
	int	 start;
	int	 end;		/* SCHED_NO_DAY while recognized */
};

struct year_mark {
	int	 year;
	int	 day;		/* when it happened */
	int	 value;		/* a grade, for results */
};

struct marks {
	struct year_mark *v;
	size_t		 n;
	size_t		 cap;
};

/* One of a centre's obligations.  Its rule is kept beside its index:
 * most looks through a centre's obligations are for one rule, and an
 * obligation itself is a cache miss away in the planner's big array. */
struct cob {
	size_t			 i;
	enum sched_rule		 rule;
};

struct pcentre {
	const struct sched_event *reg;
	enum sched_centre_state	 state;
	int			 since;
	bool			 recognized;	/* recognized or legacy now */
	bool			 ended;
	struct interval		*iv;
	size_t			 niv;
	struct cob		*obs;
	size_t			 nobs;
	size_t			 capobs;
	size_t			*unchecked;	/* evaluations catch_up has
						 * still to look at */
	size_t			 nunchecked;
	size_t			 capunchecked;
	size_t			 director;	/* current obligations */
	size_t			 term;
	size_t			 composition;
	struct marks		 results;	/* latest grade by year */
	struct marks		 submitted;
	struct marks		 evaluations;	/* years an evaluation opened */
	struct marks		 meetings;
	int			 ban_until;
};

struct planner {
	const struct sched_journal	*journal;
	const struct sched_calendar	*cal;
	const struct sched_rules	*rules;
	int				 as_of;
	int				 until;
	int				 flags;
	size_t				 centre;	/* the journal's number of
							 * the one centre planned
							 * (nothing bureau-wide);
							 * NONE: every one */
	struct pob			*obs;
	size_t				 nobs;
	size_t				 capobs;
	struct pcentre			*centres;
	size_t				 ncentres;
	size_t				 capcentres;
	size_t				*by_number;	/* the journal's centre
							 * numbers → ours */
	struct buf			 key;		/* make_key's scratch */
};

/* ---- obligations ---- */

static void
marks_add(struct marks *m, int year, int day, int value)
{
	size_t	 i;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].year == year && value != INT_MIN) {
			m->v[i].day = day;	/* the latest counts */
			m->v[i].value = value;
			return;
		}
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 4;
		m->v = xreallocarray(m->v, m->cap, sizeof(*m->v));
	}
	m->v[m->n].year = year;
	m->v[m->n].day = day;
	m->v[m->n++].value = value;
}

/* The earliest mark of a year (any day), or NULL. */
static const struct year_mark *
marks_find(const struct marks *m, int year)
{
	const struct year_mark	*best = NULL;
	size_t			 i;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].year == year && (best == NULL ||
		    m->v[i].day < best->day))
			best = &m->v[i];
	}
	return best;
}

static bool
centre_level(enum sched_rule r)
{
	return r == SCHED_R_DIRECTOR_AGE || r == SCHED_R_EXPERT_TERM ||
	    r == SCHED_R_EXPERT_COMPOSITION;
}

/* Keys quote ids so that no centre or round can imitate another key:
 * bytes outside [A-Za-z0-9._~-] and ASCII become %XX; UTF-8 stays. */
static bool
key_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
	    c == '-' || c >= 0x80;
}

static void
key_part(struct buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 run;
	char			 hex[4];

	while (*p != '\0') {
		for (run = 0; p[run] != '\0' && key_safe(p[run]); run++)
			;
		buf_add(b, (const char *)p, run);
		p += run;
		if (*p != '\0') {
			snprintf(hex, sizeof(hex), "%%%02X", *p++);
			buf_add(b, hex, 3);
		}
	}
}

int
sched_key_year(const char *key)
{
	enum sched_rule	 r;
	const char	*what;
	int		 year = 0;
	size_t		 i;

	if (key == NULL || sched_key_rule(key, &r) == -1 ||
	    (r != SCHED_R_RECTIFICATION && r != SCHED_R_REVOCATION &&
	    r != SCHED_R_ABANDONMENT) ||
	    (what = strchr(strchr(key, '/') + 1, '/')) == NULL)
		return 0;
	for (i = 1; i <= 4 && what[i] >= '0' && what[i] <= '9'; i++)
		year = year * 10 + (what[i] - '0');
	return i == 5 && (what[i] == '\0' || what[i] == '#') ? year : 0;
}

const char *
sched_obligation_title(const struct sched_obligation *o,
    const struct sched_rules *rules)
{
	if (o->rule == SCHED_R_REAPPLY_BAN && o->cause == SCHED_EV_ABANDONED)
		return "视为放弃资格后3年内不得再次申报（规则包设置）";
	if (o->rule == SCHED_R_REAPPLY_BAN && o->cause == SCHED_EV_LAPSED)
		return "不再保留资格后3年内不得再次申报（规则包设置）";
	return rules->text[o->rule].title != NULL ?
	    rules->text[o->rule].title : sched_rule_name(o->rule);
}

int
sched_obligation_year(const struct sched_obligation *o)
{
	if (o->year != 0)
		return o->year;
	/* Only these keep one in their key: no key read for the others
	 * (a feed's render asks for every entry). */
	if (o->rule != SCHED_R_RECTIFICATION && o->rule != SCHED_R_REVOCATION &&
	    o->rule != SCHED_R_ABANDONMENT)
		return 0;
	return sched_key_year(o->key);
}

int
sched_key_rule(const char *key, enum sched_rule *r)
{
	const char	*slash = strchr(key, '/');
	char		*name;
	int		 rc;

	if (slash == NULL || slash == key)
		return -1;
	name = xstrndup(slash + 1, strcspn(slash + 1, "/#"));
	rc = sched_rule_from_name(name, r);
	free(name);
	return rc;
}

/* Is this key taken by another obligation of the centre?  Only two
 * obligations of one centre, rule and day can collide, so looking at the
 * centre's own of that rule is enough.  One that a new result replaced
 * (deleted) gives its key to the replacement: the same obligation, its
 * date moved, which feeds and reminders follow by its key. */
static bool
key_taken(const struct planner *p, const struct pcentre *pc,
    enum sched_rule rule, const char *key)
{
	const struct pob	*ob;
	size_t			 i;

	for (i = 0; pc != NULL && i < pc->nobs; i++) {
		ob = &p->obs[pc->obs[i].i];
		if (pc->obs[i].rule == rule && !ob->deleted &&
		    strcmp(ob->o.key, key) == 0)
			return true;
	}
	return false;
}

/* The key is built in the planner's scratch buffer and copied out at
 * its exact length: a million keys at 100,000 centres. */
static char *
make_key(struct planner *p, const struct pcentre *pc, enum sched_rule rule,
    const char *what)
{
	struct buf	*b = &p->key;
	size_t		 base;
	int		 n;
	char		 num[16];

	b->len = 0;
	if (pc != NULL)
		key_part(b, pc->reg->centre);
	else
		buf_adds(b, "@bureau");
	buf_adds(b, "/");
	buf_adds(b, sched_rule_name(rule));
	if (what != NULL) {
		buf_adds(b, "/");
		key_part(b, what);
	}
	/* Two obligations of one rule started on one day: number them in
	 * the order they opened. */
	base = b->len;
	for (n = 2; key_taken(p, pc, rule, b->data); n++) {
		b->len = base;
		snprintf(num, sizeof(num), "#%d", n);
		buf_adds(b, num);
	}
	return xstrndup(b->data, b->len);
}

static void
remember_unchecked(struct pcentre *pc, size_t ob)
{
	if (pc->nunchecked == pc->capunchecked) {
		pc->capunchecked = pc->capunchecked ? pc->capunchecked * 2 : 4;
		pc->unchecked = xreallocarray(pc->unchecked, pc->capunchecked,
		    sizeof(size_t));
	}
	pc->unchecked[pc->nunchecked++] = ob;
}

static size_t
ob_new(struct planner *p, size_t c, enum sched_rule rule, int start, int due,
    const char *what)
{
	struct pcentre	*pc = c != NONE ? &p->centres[c] : NULL;
	struct pob	*ob;
	char		 buf[SCHED_DATE_LEN];

	if (what == NULL && rule != SCHED_R_TRANSITION &&
	    rule != SCHED_R_TRANSITION_LAPSE &&
	    rule != SCHED_R_MEASURES_EXPIRY)
		what = sched_date_format(start, buf);
	if (p->nobs == p->capobs) {
		p->capobs = p->capobs ? p->capobs * 2 : 1024;
		p->obs = xreallocarray(p->obs, p->capobs, sizeof(*p->obs));
	}
	ob = &p->obs[p->nobs];
	memset(ob, 0, sizeof(*ob));
	ob->c = c;
	ob->o.rule = rule;
	ob->o.start = start;
	ob->o.due = due;
	ob->o.closed_on = SCHED_NO_DAY;
	ob->o.centre = pc ? pc->reg->centre : NULL;
	ob->o.centre_name = pc ? pc->reg->name : NULL;
	ob->o.unit = pc ? pc->reg->unit : NULL;
	ob->o.key = make_key(p, pc, rule, what);
	if (pc != NULL) {
		if (pc->nobs == pc->capobs) {
			pc->capobs = pc->capobs ? pc->capobs * 2 : 8;
			pc->obs = xreallocarray(pc->obs, pc->capobs,
			    sizeof(*pc->obs));
		}
		pc->obs[pc->nobs].i = p->nobs;
		pc->obs[pc->nobs++].rule = rule;
		if (rule == SCHED_R_EVALUATION)
			remember_unchecked(pc, p->nobs);
		/* What opens for a centre that has ended is void at once,
		 * but for the duties of the centre as such and the ban. */
		if (pc->ended && !centre_level(rule) &&
		    rule != SCHED_R_REAPPLY_BAN) {
			ob->voided = true;
			ob->o.closed_on = start;
		}
	}
	return p->nobs++;
}

static size_t
ob_new_year(struct planner *p, size_t c, enum sched_rule rule, int start,
    int due, int year)
{
	char	 what[16];
	size_t	 i;

	snprintf(what, sizeof(what), "%d", year);
	i = ob_new(p, c, rule, start, due, what);
	if (sched_rule_is_yearly(rule))
		p->obs[i].o.year = year;
	p->obs[i].year = year;
	return i;
}

static bool
pending(const struct pob *ob)
{
	return !ob->closed && !ob->voided && !ob->deleted;
}

static void
ob_close(struct planner *p, size_t i, int day)
{
	if (i != NONE && pending(&p->obs[i])) {
		p->obs[i].closed = true;
		p->obs[i].o.closed_on = day;
	}
}

/* Closes every pending obligation of a rule (and year, if given). */
static void
close_rule(struct planner *p, size_t c, enum sched_rule rule, int year,
    int day)
{
	struct pcentre	*pc = &p->centres[c];
	size_t		 i;

	for (i = 0; i < pc->nobs; i++) {
		if (pc->obs[i].rule == rule &&
		    (year == 0 || p->obs[pc->obs[i].i].year == year))
			ob_close(p, pc->obs[i].i, day);
	}
}

/* The centre's live (not deleted) obligation of a rule and year. */
static size_t
find_rule(struct planner *p, size_t c, enum sched_rule rule, int year)
{
	struct pcentre	*pc = &p->centres[c];
	size_t		 i;

	for (i = pc->nobs; i-- > 0;) {
		struct pob *ob;

		if (pc->obs[i].rule != rule)
			continue;
		ob = &p->obs[pc->obs[i].i];
		if (ob->year == year && !ob->deleted)
			return pc->obs[i].i;
	}
	return NONE;
}

/* ---- the centre's lifecycle ---- */

static void
set_state(struct pcentre *pc, enum sched_centre_state s, int day)
{
	pc->state = s;
	pc->since = day;
}

static void
recognize(struct planner *p, size_t c, int day, bool legacy)
{
	struct pcentre	*pc = &p->centres[c];

	pc->ended = false;
	if (pc->recognized) {
		/* Recognized again while recognized: the state says so, the
		 * yearly duties run on from the first recognition. */
		if (!legacy)
			set_state(pc, SCHED_C_RECOGNIZED, day);
		return;
	}
	pc->recognized = true;
	set_state(pc, legacy ? SCHED_C_LEGACY : SCHED_C_RECOGNIZED, day);
	pc->iv = xreallocarray(pc->iv, pc->niv + 1, sizeof(*pc->iv));
	pc->iv[pc->niv].start = day;
	pc->iv[pc->niv++].end = SCHED_NO_DAY;
}

/*
 * DOMAIN.md, "When a centre ends": what is still pending becomes void,
 * except periods that had already run out (done); the duties of the
 * centre as such are voided at the end of the plan instead, and only
 * if it is still ended then.
 */
static void
end_centre(struct planner *p, size_t c, int day, enum sched_centre_state s)
{
	struct pcentre	*pc = &p->centres[c];
	size_t		 i;

	if (pc->recognized)
		pc->iv[pc->niv - 1].end = day;
	pc->recognized = false;
	pc->ended = true;
	set_state(pc, s, day);
	for (i = 0; i < pc->nobs; i++) {
		struct pob *ob = &p->obs[pc->obs[i].i];

		if (!pending(ob) || centre_level(ob->o.rule) ||
		    ob->o.rule == SCHED_R_REAPPLY_BAN)
			continue;
		if (sched_rule_is_period(ob->o.rule) && ob->o.due < day) {
			ob->closed = true;
			ob->o.closed_on = ob->o.due + 1;
		} else {
			ob->voided = true;
			ob->o.closed_on = day;
		}
	}
}

/* Art. 16: the ban runs from the act through its third anniversary. */
static void
start_ban(struct planner *p, size_t c, int day, enum sched_event_type cause)
{
	int	 last = sched_years_after(day, 3);
	size_t	 i;

	/* Indexed after the call: ob_new may move p->obs. */
	i = ob_new(p, c, SCHED_R_REAPPLY_BAN, day, last, NULL);
	p->obs[i].o.cause = cause;
	if (p->centres[c].ban_until == SCHED_NO_DAY ||
	    last > p->centres[c].ban_until)
		p->centres[c].ban_until = last;
}

/*
 * Art. 14: "无正当理由不参加评价的，视为放弃".  An evaluation deadline
 * that passed with nothing submitted by it opens an abandonment the next
 * day.  Called before each event of the centre and at the end of the
 * plan, with the first day not yet looked at.
 *
 * Only the centre's evaluations not yet checked are looked at (in the
 * order they opened): one that was checked, or is no longer pending,
 * never needs it again, so it leaves the list.
 */
static void
catch_up(struct planner *p, size_t c, int day)
{
	struct pcentre		*pc = &p->centres[c];
	const struct year_mark	*sub;
	size_t			 i, kept = 0, n = pc->nunchecked;

	for (i = 0; i < n; i++) {
		size_t		 k = pc->unchecked[i];
		struct pob	*ob = &p->obs[k];

		if (!pending(ob))
			continue;
		if (ob->o.due >= day) {
			pc->unchecked[kept++] = k;
			continue;
		}
		sub = marks_find(&pc->submitted, ob->year);
		if (sub != NULL && sub->day <= ob->o.due)
			continue;
		ob_new_year(p, c, SCHED_R_ABANDONMENT, ob->o.due + 1,
		    ob->o.due + 1, ob->year);
		pc = &p->centres[c];
	}
	pc->nunchecked = kept;
}

/* ---- the rules, one handler per event that opens or closes ---- */

/* Art. 7(5): 5 working days counting the first day (DOMAIN rule 1). */
static void
on_publicity(struct planner *p, size_t c, const struct sched_event *ev)
{
	bool	 prov;
	int	 due = sched_calendar_count(p->cal, ev->date, 5, true, &prov);
	size_t	 i = ob_new(p, c, SCHED_R_PUBLICITY, ev->date, due, NULL);

	p->obs[i].o.provisional = prov;
}

/* Art. 7(6): 15 working days after the objection (DOMAIN rule 2). */
static void
on_objection(struct planner *p, size_t c, const struct sched_event *ev)
{
	bool	 prov;
	int	 due = sched_calendar_count(p->cal, ev->date, 15, false, &prov);
	size_t	 i;

	close_rule(p, c, SCHED_R_PUBLICITY, 0, ev->date);
	i = ob_new(p, c, SCHED_R_OBJECTION_REVIEW, ev->date, due, NULL);
	p->obs[i].o.provisional = prov;
}

/* Art. 10: 5 members at least, host-unit members at most half, terms of
 * at most 5 years (DOMAIN rule 1). */
static void
on_committee(struct planner *p, size_t c, const struct sched_event *ev)
{
	struct pcentre	*pc = &p->centres[c];
	bool		 compliant = ev->members >= 5 &&
			    ev->host_members * 2 <= ev->members;
	size_t		 i;

	ob_close(p, pc->term, ev->date);
	i = ob_new(p, c, SCHED_R_EXPERT_TERM, ev->date,
	    sched_years_from(ev->date, 5), NULL);
	p->centres[c].term = i;
	pc = &p->centres[c];
	if (compliant)
		ob_close(p, pc->composition, ev->date);
	else if (pc->composition == NONE || !pending(&p->obs[pc->composition]))
		pc->composition = ob_new(p, c, SCHED_R_EXPERT_COMPOSITION,
		    ev->date, ev->date, NULL);
}

/* Art. 9(3): the director is at most 60: the last day of 61 years from
 * the birth (DOMAIN rule 1), the day before the 61st birthday. */
static void
start_director(struct planner *p, size_t c, int birth)
{
	size_t	 i = ob_new(p, c, SCHED_R_DIRECTOR_AGE, birth,
		    sched_years_from(birth, 61), NULL);

	p->centres[c].director = i;
}

static bool
is_fail(const struct pcentre *pc, int year)
{
	size_t	 i;

	for (i = 0; i < pc->results.n; i++) {
		if (pc->results.v[i].year == year)
			return pc->results.v[i].value == SCHED_GRADE_FAIL;
	}
	return false;
}

/*
 * Art. 14: a fail must be rectified by the date the bureau set; two
 * consecutive fails (years Y-1 and Y, the latest result of a year
 * counting) revoke.  A new result for a year replaces what the old one
 * opened.
 */
static void
on_result(struct planner *p, size_t c, const struct sched_event *ev)
{
	size_t	 i;
	int	 later;

	marks_add(&p->centres[c].results, ev->year, ev->date, (int)ev->grade);
	if ((i = find_rule(p, c, SCHED_R_RECTIFICATION, ev->year)) != NONE)
		p->obs[i].deleted = true;
	if (ev->grade == SCHED_GRADE_FAIL)
		ob_new_year(p, c, SCHED_R_RECTIFICATION, ev->date,
		    ev->rectify_by, ev->year);
	for (later = ev->year; later <= ev->year + 1; later++) {
		bool both = is_fail(&p->centres[c], later - 1) &&
		    is_fail(&p->centres[c], later);

		i = find_rule(p, c, SCHED_R_REVOCATION, later);
		if (both && i == NONE)
			ob_new_year(p, c, SCHED_R_REVOCATION, ev->date,
			    ev->date, later);
		else if (!both && i != NONE && pending(&p->obs[i]))
			p->obs[i].deleted = true;
	}
}

static void
on_submitted(struct planner *p, size_t c, const struct sched_event *ev)
{
	marks_add(&p->centres[c].submitted, ev->year, ev->date, INT_MIN);
	close_rule(p, c, SCHED_R_EVALUATION, ev->year, ev->date);
	close_rule(p, c, SCHED_R_ABANDONMENT, ev->year, ev->date);
}

/* Art. 17: a legacy centre must meet the new conditions by 2027-12-31,
 * or it is no longer kept from the day after. */
static void
start_transition(struct planner *p, size_t c, int day)
{
	ob_new(p, c, SCHED_R_TRANSITION, day, TRANSITION_END, NULL);
	ob_new(p, c, SCHED_R_TRANSITION_LAPSE, day, TRANSITION_END + 1, NULL);
}

static void
on_registered(struct planner *p, size_t c, const struct sched_event *ev)
{
	struct pcentre	*pc = &p->centres[c];

	set_state(pc, SCHED_C_REGISTERED, ev->date);
	if (ev->legacy) {
		recognize(p, c, ev->date, true);
		start_transition(p, c, ev->date);
	}
	if (ev->director_birth != SCHED_NO_DAY)
		start_director(p, c, ev->director_birth);
}

/*
 * A step of Art. 7's procedure moves an applicant along.  A recognized
 * centre stays recognized; an ended one comes back only by applying
 * again (DOMAIN.md: "an applied or a recognition brings them back").
 */
static void
procedure_step(struct planner *p, size_t c, enum sched_centre_state s,
    int day)
{
	struct pcentre	*pc = &p->centres[c];

	if (pc->recognized || (pc->ended && s != SCHED_C_APPLICANT))
		return;
	pc->ended = false;
	set_state(pc, s, day);
}

static void
on_centre_event(struct planner *p, size_t c, const struct sched_event *ev)
{
	struct pcentre	*pc = &p->centres[c];

	catch_up(p, c, ev->date);
	switch (ev->type) {
	case SCHED_EV_REGISTERED:
		on_registered(p, c, ev);
		break;
	case SCHED_EV_APPLIED:
		procedure_step(p, c, SCHED_C_APPLICANT, ev->date);
		break;
	case SCHED_EV_RECOMMENDED:
		procedure_step(p, c, SCHED_C_RECOMMENDED, ev->date);
		break;
	case SCHED_EV_PUBLICITY_STARTED:
		procedure_step(p, c, SCHED_C_IN_PUBLICITY, ev->date);
		on_publicity(p, c, ev);
		break;
	case SCHED_EV_OBJECTION_RECEIVED:
		procedure_step(p, c, SCHED_C_OBJECTION, ev->date);
		on_objection(p, c, ev);
		break;
	case SCHED_EV_OBJECTION_RESOLVED:
	case SCHED_EV_RECOGNIZED:
	case SCHED_EV_NOT_RECOGNIZED:
		close_rule(p, c, SCHED_R_OBJECTION_REVIEW, 0, ev->date);
		if (ev->type == SCHED_EV_RECOGNIZED || (ev->type ==
		    SCHED_EV_OBJECTION_RESOLVED && ev->outcome_recognized))
			recognize(p, c, ev->date, false);
		else
			end_centre(p, c, ev->date, SCHED_C_NOT_RECOGNIZED);
		break;
	case SCHED_EV_COMMITTEE_FORMED:
		on_committee(p, c, ev);
		break;
	case SCHED_EV_EXPERT_MEETING_HELD:
		marks_add(&pc->meetings, sched_year(ev->date), ev->date,
		    INT_MIN);
		break;
	case SCHED_EV_EVALUATION_SUBMITTED:
		on_submitted(p, c, ev);
		break;
	case SCHED_EV_EVALUATION_RESULT:
		on_result(p, c, ev);
		break;
	case SCHED_EV_RECTIFICATION_COMPLETED:
		close_rule(p, c, SCHED_R_RECTIFICATION, 0, ev->date);
		break;
	case SCHED_EV_REVOKED:
		close_rule(p, c, SCHED_R_REVOCATION, 0, ev->date);
		close_rule(p, c, SCHED_R_ABANDONMENT, 0, ev->date);
		end_centre(p, c, ev->date, SCHED_C_REVOKED);
		start_ban(p, c, ev->date, ev->type);
		break;
	case SCHED_EV_ABANDONED:
		close_rule(p, c, SCHED_R_ABANDONMENT, 0, ev->date);
		end_centre(p, c, ev->date, SCHED_C_ABANDONED);
		if (p->rules->abandonment_bars_reapply)
			start_ban(p, c, ev->date, ev->type);
		break;
	case SCHED_EV_LAPSED:
		close_rule(p, c, SCHED_R_TRANSITION_LAPSE, 0, ev->date);
		end_centre(p, c, ev->date, SCHED_C_LAPSED);
		if (p->rules->lapse_bars_reapply)
			start_ban(p, c, ev->date, ev->type);
		break;
	case SCHED_EV_TRANSITION_MET:
		close_rule(p, c, SCHED_R_TRANSITION, 0, ev->date);
		close_rule(p, c, SCHED_R_TRANSITION_LAPSE, 0, ev->date);
		if (pc->state == SCHED_C_LEGACY)
			set_state(pc, SCHED_C_RECOGNIZED, ev->date);
		break;
	case SCHED_EV_DIRECTOR_CHANGED:
		ob_close(p, pc->director, ev->date);
		start_director(p, c, ev->director_birth);
		break;
	default:
		break;
	}
}

/* Art. 14: every centre recognized at the end of the round's day must
 * submit its evaluation by the round's deadline. */
static void
on_evaluation_round(struct planner *p, size_t c, const struct sched_event *ev)
{
	const struct year_mark	*sub;
	size_t			 i;

	/* Marks, not find_rule: every centre, every round. */
	if (!p->centres[c].recognized ||
	    marks_find(&p->centres[c].evaluations, ev->year) != NULL)
		return;
	marks_add(&p->centres[c].evaluations, ev->year, ev->date, INT_MIN);
	i = ob_new_year(p, c, SCHED_R_EVALUATION, ev->date, ev->deadline,
	    ev->year);
	sub = marks_find(&p->centres[c].submitted, ev->year);
	if (sub != NULL)
		ob_close(p, i, sub->day);
}

/* Art. 7(1)-(3): a round's deadlines are the units' to meet. */
static void
on_round(struct planner *p, const struct sched_event *ev)
{
	if (p->centre != NONE)
		return;
	ob_new(p, NONE, SCHED_R_APPLICATION, ev->date,
	    ev->application_deadline, ev->round);
	if (ev->recommendation_deadline != SCHED_NO_DAY)
		ob_new(p, NONE, SCHED_R_RECOMMENDATION, ev->date,
		    ev->recommendation_deadline, ev->round);
}

/*
 * Art. 10: a meeting every year, from the year after recognition and not
 * before 2026, while recognized; in the year recognition ends (and any
 * earlier year still pending then), done if one was held, else void.
 */
static void
lay_out_meetings(struct planner *p, size_t c)
{
	struct pcentre		*pc = &p->centres[c];
	const struct year_mark	*held;
	struct interval		 iv;
	size_t			 k, i;
	int			 y, first, last;

	for (k = 0; k < pc->niv; k++) {
		iv = pc->iv[k];
		first = sched_year(iv.start) + 1;
		if (first < FIRST_MEETING_YEAR)
			first = FIRST_MEETING_YEAR;
		last = iv.end != SCHED_NO_DAY ? sched_year(iv.end) : INT_MAX;
		for (y = first; y <= last &&
		    sched_day(y, 12, 31) <= p->until; y++) {
			i = ob_new_year(p, c, SCHED_R_EXPERT_MEETING, iv.start,
			    sched_day(y, 12, 31), y);
			/* ob_new voids what opens for an ended centre; the
			 * meetings of a past interval are judged below. */
			p->obs[i].voided = false;
			p->obs[i].o.closed_on = SCHED_NO_DAY;
			pc = &p->centres[c];
			if ((held = marks_find(&pc->meetings, y)) != NULL)
				ob_close(p, i, held->day);
			else if (iv.end != SCHED_NO_DAY) {
				p->obs[i].voided = true;
				p->obs[i].o.closed_on = iv.end;
			}
		}
	}
}

/* ---- the sweep ---- */

static bool
applies(const struct sched_event *ev)
{
	return !ev->retracted && ev->type != SCHED_EV_RETRACTED;
}

/* One event where it falls in the order of application: by day, an
 * evaluation round after the other events of its day, then as recorded
 * (its index in the journal). */
struct step {
	long long		 key;
	size_t			 index;
	const struct sched_event *ev;
};

struct steps {
	struct step	*v;
	size_t		 n;
	size_t		 cap;
};

static int
step_cmp(const void *a, const void *b)
{
	const struct step	*x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The effective events among these journal indexes, in order. */
static void
order_steps(const struct sched_journal *j, const size_t *idx, size_t n,
    struct steps *out)
{
	const struct sched_event	*ev;
	size_t				 i;

	out->n = 0;
	for (i = 0; i < n; i++) {
		ev = sched_journal_event(j, idx[i]);
		if (!applies(ev))
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 64;
			out->v = xreallocarray(out->v, out->cap,
			    sizeof(*out->v));
		}
		out->v[out->n].key = (long long)ev->date * 2 +
		    (ev->type == SCHED_EV_EVALUATION_ROUND);
		out->v[out->n].index = idx[i];
		out->v[out->n++].ev = ev;
	}
	if (out->n > 1)		/* none: v may be NULL, which qsort refuses */
		qsort(out->v, out->n, sizeof(*out->v), step_cmp);
}

/*
 * A round announced twice (or an evaluation round for a year held twice)
 * is taken as amended: the last to apply counts.  Leaves out of the
 * bureau-wide steps the ones that are superseded.
 */
/* Marks step i superseded if an earlier step had the same name. */
static void
keep_last(json_t *last, const char *name, size_t i, bool *skip)
{
	json_t	*prev = json_object_get(last, name);

	if (prev != NULL)
		skip[json_integer_value(prev)] = true;
	json_object_set_new(last, name, json_integer((json_int_t)i));
}

static void
drop_superseded(struct steps *st)
{
	bool	*skip = xcalloc(st->n + 1, sizeof(bool));
	json_t	*rounds = json_object(), *years = json_object();
	char	 year[16];
	size_t	 i, n = 0;

	for (i = 0; i < st->n; i++) {
		const struct sched_event *ev = st->v[i].ev;

		if (ev->type == SCHED_EV_ROUND_ANNOUNCED)
			keep_last(rounds, ev->round, i, skip);
		else if (ev->type == SCHED_EV_EVALUATION_ROUND) {
			snprintf(year, sizeof(year), "%d", ev->year);
			keep_last(years, year, i, skip);
		}
	}
	for (i = 0; i < st->n; i++) {
		if (!skip[i])
			st->v[n++] = st->v[i];
	}
	st->n = n;
	json_decref(rounds);
	json_decref(years);
	free(skip);
}

/* Our centre for the journal's centre number k, or NONE while it has
 * none.  One centre's plan has one centre: no table of the city's. */
static size_t
numbered(const struct planner *p, size_t k)
{
	if (p->centre != NONE)
		return p->ncentres > 0 ? 0 : NONE;
	return p->by_number[k];
}

static size_t
centre_of(struct planner *p, const struct sched_event *ev)
{
	size_t		 c;
	struct pcentre	*pc;

	if ((c = numbered(p, ev->centre_index)) != NONE)
		return c;
	/* The journal put the registration first; it makes the centre. */
	if (p->ncentres == p->capcentres) {
		p->capcentres = p->capcentres ? p->capcentres * 2 : 64;
		p->centres = xreallocarray(p->centres, p->capcentres,
		    sizeof(*p->centres));
	}
	pc = &p->centres[p->ncentres];
	memset(pc, 0, sizeof(*pc));
	pc->reg = ev;
	pc->director = pc->term = pc->composition = NONE;
	pc->ban_until = SCHED_NO_DAY;
	if (p->centre == NONE)
		p->by_number[ev->centre_index] = p->ncentres;
	return p->ncentres++;
}

/*
 * One centre's events, merged with the evaluation rounds (both in order
 * of application), through its state machine.  Nothing of a centre
 * depends on another, so the sweep goes centre by centre: each centre's
 * state and obligations stay in the cache while its events apply, where
 * a sweep of the whole city in date order went from centre to centre at
 * every event.
 */
static void
sweep_centre(struct planner *p, size_t k, const struct steps *mine,
    const struct steps *rounds)
{
	const struct step	*s;
	size_t			 a = 0, b = 0, c;

	while (a < mine->n || b < rounds->n) {
		if (b == rounds->n || (a < mine->n &&
		    step_cmp(&mine->v[a], &rounds->v[b]) < 0)) {
			s = &mine->v[a++];
			on_centre_event(p, centre_of(p, s->ev), s->ev);
		} else if ((c = numbered(p, k)) != NONE)
			on_evaluation_round(p, c, rounds->v[b++].ev);
		else
			b++;	/* no centre (yet) to evaluate */
	}
}

static void
sweep(struct planner *p)
{
	const struct sched_journal *j = p->journal;
	const size_t	*idx;
	struct steps	 bureau = { 0 }, rounds = { 0 }, mine = { 0 };
	size_t		 i, k, n, first, last;

	sched_journal_centre_events(j, NULL, &idx, &n);
	order_steps(j, idx, n, &bureau);
	drop_superseded(&bureau);
	for (i = 0; i < bureau.n; i++) {
		if (bureau.v[i].ev->type == SCHED_EV_ROUND_ANNOUNCED)
			on_round(p, bureau.v[i].ev);
		else if (bureau.v[i].ev->type == SCHED_EV_EVALUATION_ROUND)
			rounds.n++;
	}
	rounds.v = xreallocarray(NULL, rounds.n + 1, sizeof(*rounds.v));
	for (i = 0, k = 0; i < bureau.n; i++) {
		if (bureau.v[i].ev->type == SCHED_EV_EVALUATION_ROUND)
			rounds.v[k++] = bureau.v[i];
	}
	/* Centres exist from their registration, whatever its day. */
	first = p->centre != NONE ? p->centre : 0;
	last = p->centre != NONE ? p->centre + 1 : sched_journal_centres(j);
	if (p->centre == NONE) {
		for (i = 0; i < sched_journal_count(j); i++) {
			const struct sched_event *ev = sched_journal_event(j, i);

			if (ev->type == SCHED_EV_REGISTERED && !ev->retracted)
				centre_of(p, ev);
		}
	}
	for (k = first; k < last; k++) {
		sched_journal_numbered_events(j, k, &idx, &n);
		if (p->centre != NONE) {
			for (i = 0; i < n; i++) {
				const struct sched_event *ev =
				    sched_journal_event(j, idx[i]);

				if (ev->type == SCHED_EV_REGISTERED &&
				    !ev->retracted)
					centre_of(p, ev);
			}
		}
		order_steps(j, idx, n, &mine);
		sweep_centre(p, k, &mine, &rounds);
	}
	free(bureau.v);
	free(rounds.v);
	free(mine.v);
}

/* ---- finishing: states as of the plan's day ---- */

static void
finish_states(struct planner *p)
{
	size_t	 i;

	for (i = 0; i < p->nobs; i++) {
		struct pob	*ob = &p->obs[i];
		struct pcentre	*pc = ob->c != NONE ? &p->centres[ob->c] : NULL;

		if (ob->closed)
			ob->o.state = SCHED_DONE;
		else if (ob->voided)
			ob->o.state = SCHED_VOID;
		else if (pc != NULL && pc->ended && centre_level(ob->o.rule)) {
			ob->o.state = SCHED_VOID;
			ob->o.closed_on = pc->since;
		} else if (ob->o.due >= p->as_of)
			ob->o.state = SCHED_OPEN;
		else if (sched_rule_is_period(ob->o.rule)) {
			ob->o.state = SCHED_DONE;
			ob->o.closed_on = ob->o.due + 1;
		} else
			ob->o.state = SCHED_OVERDUE;
	}
}

static int
ob_cmp(const void *a, const void *b)
{
	const struct sched_obligation	*x = a, *y = b;
	int				 c;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	if ((x->centre == NULL) != (y->centre == NULL))
		return x->centre == NULL ? -1 : 1;
	if (x->centre != NULL && (c = strcmp(x->centre, y->centre)) != 0)
		return c;
	if ((c = strcmp(sched_rule_name(x->rule),
	    sched_rule_name(y->rule))) != 0)
		return c;
	if (x->year != y->year)
		return x->year < y->year ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void
centres_out(struct planner *p, struct sched_plan *plan)
{
	size_t	 c;

	plan->centres = xcalloc(p->ncentres + 1, sizeof(*plan->centres));
	plan->ncentres = p->ncentres;
	for (c = 0; c < p->ncentres; c++) {
		struct pcentre		*pc = &p->centres[c];
		struct sched_centre	*out = &plan->centres[c];

		out->id = pc->reg->centre;
		out->name = pc->reg->name;
		out->unit = pc->reg->unit;
		out->state = pc->state;
		out->since = pc->since;
		out->registered = pc->reg->date;
		out->legacy = pc->reg->legacy;
		out->ban_until = pc->ban_until;
	}
}

/*
 * The live obligations, explained if asked, as the plan's array.  They
 * are not copied: each struct pob begins with its struct sched_obligation,
 * so sliding those down over the planner's array, in order, turns it into
 * the plan's in place (a slot is only written once it has been read, and
 * memmove allows the overlap); realloc then gives the tail back.  At
 * 100,000 centres that is 70 MB not held twice.
 */
static struct sched_obligation *
obligations_out(struct planner *p, size_t *count)
{
	struct sched_obligation	*out = (struct sched_obligation *)p->obs;
	size_t			 i, n = 0;

	for (i = 0; i < p->nobs; i++) {
		if (p->obs[i].deleted) {
			free(p->obs[i].o.key);
			continue;
		}
		if (p->flags & SCHED_PLAN_EXPLAIN)
			p->obs[i].o.explain = sched_explain(p->cal, p->rules,
			    &p->obs[i], p->obs[i].c != NONE ?
			    p->centres[p->obs[i].c].reg : NULL);
		memmove(&out[n++], &p->obs[i].o, sizeof(*out));
	}
	p->obs = NULL;
	*count = n;
	return xreallocarray(out, n + 1, sizeof(*out));
}

static void
planner_free(struct planner *p)
{
	size_t	 c;

	for (c = 0; c < p->ncentres; c++) {
		free(p->centres[c].iv);
		free(p->centres[c].obs);
		free(p->centres[c].unchecked);
		free(p->centres[c].results.v);
		free(p->centres[c].submitted.v);
		free(p->centres[c].evaluations.v);
		free(p->centres[c].meetings.v);
	}
	free(p->centres);
	free(p->by_number);
	buf_free(&p->key);
}

static struct sched_plan *
plan_make(struct planner *p)
{
	struct sched_plan	*plan;
	size_t			 c, n;

	n = p->centre != NONE ? 0 : sched_journal_centres(p->journal);
	p->by_number = xreallocarray(NULL, n + 1, sizeof(*p->by_number));
	for (c = 0; c < n; c++)
		p->by_number[c] = NONE;
	sweep(p);
	for (c = 0; c < p->ncentres; c++) {
		catch_up(p, c, p->as_of);
		lay_out_meetings(p, c);
	}
	if (p->centre == NONE)
		ob_new(p, NONE, SCHED_R_MEASURES_EXPIRY, MEASURES_IN_FORCE,
		    sched_years_from(MEASURES_IN_FORCE, 5), NULL);
	finish_states(p);

	plan = xcalloc(1, sizeof(*plan));
	plan->as_of = p->as_of;
	plan->until = p->until;
	plan->obligations = obligations_out(p, &plan->count);
	qsort(plan->obligations, plan->count, sizeof(*plan->obligations),
	    ob_cmp);
	centres_out(p, plan);
	planner_free(p);
	return plan;
}

struct sched_plan *
sched_plan(const struct sched_journal *j, const struct sched_calendar *cal,
    const struct sched_rules *rules, int as_of, int until, int flags)
{
	struct planner		 p = {
		.journal = j, .cal = cal, .rules = rules, .as_of = as_of,
		.until = until, .flags = flags, .centre = NONE
	};

	return plan_make(&p);
}

/*
 * Nothing of one centre's plan depends on another centre: each handler
 * changes only the centre of its event, and an evaluation round opens
 * each centre's evaluation from that centre's own state.  So the sweep
 * of that centre alone (with the bureau-wide events) is exactly what
 * the whole plan's sweep does for it.
 */
struct sched_plan *
sched_plan_centre(const struct sched_journal *j,
    const struct sched_calendar *cal, const struct sched_rules *rules,
    const char *centre, int as_of, int until, int flags)
{
	struct planner		 p = {
		.journal = j, .cal = cal, .rules = rules, .as_of = as_of,
		.until = until, .flags = flags
	};
	struct sched_plan	*plan;
	const size_t		*mine;
	size_t			 n;

	sched_journal_centre_events(j, centre, &mine, &n);
	if (n == 0) {		/* an unknown centre: an empty plan */
		plan = xcalloc(1, sizeof(*plan));
		plan->as_of = as_of;
		plan->until = until;
		plan->obligations = xcalloc(1, sizeof(*plan->obligations));
		plan->centres = xcalloc(1, sizeof(*plan->centres));
		return plan;
	}
	p.centre = sched_journal_event(j, mine[0])->centre_index;
	return plan_make(&p);
}

void
sched_plan_free(struct sched_plan *plan)
{
	size_t	 i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->count; i++) {
		free(plan->obligations[i].key);
		free(plan->obligations[i].explain);
	}
	free(plan->obligations);
	free(plan->centres);
	free(plan);
}

const char *
sched_state_name(enum sched_state s)
{
	static const char *names[] = { "open", "overdue", "done", "void" };

	return names[s];
}

const char *
sched_centre_state_name(enum sched_centre_state s)
{
	static const char *names[] = {
		"registered", "applicant", "recommended", "in_publicity",
		"objection", "recognized", "legacy", "not_recognized",
		"revoked", "abandoned", "lapsed"
	};

	return names[s];
}

const char *
sched_centre_state_cn(enum sched_centre_state s)
{
	static const char *names[] = {
		"已登记", "申报中", "已推荐", "公示中", "异议核查中", "已认定",
		"旧办法认定（过渡期）", "未予认定", "已取消资格", "视为放弃",
		"不再保留资格"
	};

	return names[s];
}

json_t *
sched_obligation_to_json(const struct sched_obligation *o,
    const struct sched_rules *rules)
{
	json_t	*obj, *to;
	char	 due[SCHED_DATE_LEN];
	int	 bit;

	obj = json_object();
	json_object_set_new(obj, "key", json_string(o->key));
	json_object_set_new(obj, "centre", o->centre ? json_string(o->centre) :
	    json_null());
	json_object_set_new(obj, "rule", json_string(sched_rule_name(o->rule)));
	json_object_set_new(obj, "article",
	    json_string(sched_rule_article(o->rule)));
	json_object_set_new(obj, "due",
	    json_string(sched_date_format(o->due, due)));
	json_object_set_new(obj, "state", json_string(sched_state_name(o->state)));
	json_object_set_new(obj, "provisional", json_boolean(o->provisional));
	if (sched_rule_is_yearly(o->rule))
		json_object_set_new(obj, "year", json_integer(o->year));
	json_object_set_new(obj, "title",
	    json_string(sched_obligation_title(o, rules)));
	to = json_array();
	for (bit = SCHED_TO_CENTRE; bit <= SCHED_TO_BUREAU; bit <<= 1) {
		if (rules->text[o->rule].to & bit)
			json_array_append_new(to,
			    json_string(sched_audience_name(bit)));
	}
	json_object_set_new(obj, "to", to);
	if (o->unit != NULL)
		json_object_set_new(obj, "unit", json_string(o->unit));
	if (o->explain != NULL)
		json_object_set_new(obj, "explain", json_string(o->explain));
	return obj;
}

/* ---- the same, written as text ---- */

/* What goes before a member (or, with no name, an array's element): a
 * comma unless it is the first, then its name. */
static void
dump_name(struct buf *b, bool *first, const char *name)
{
	if (!*first)
		buf_adds(b, ",");
	*first = false;
	if (name != NULL) {
		buf_adds(b, "\"");
		buf_adds(b, name);
		buf_adds(b, "\":");
	}
}

/*
 * A string member.  json_string() refuses text that is not UTF-8, and
 * the object then goes without the member: so does the dump, so that its
 * bytes never differ.  (Rule packs and holiday tables are refused when
 * they are not UTF-8; an event's text is checked when it is recorded.)
 */
static void
dump_string(struct buf *b, bool *first, const char *name, const char *value)
{
	size_t	 mark = b->len;
	bool	 was_first = *first;

	if (value == NULL)
		return;
	dump_name(b, first, name);
	if (buf_add_json_string(b, value) == -1) {
		b->len = mark;
		b->data[mark] = '\0';
		*first = was_first;
	}
}

/* A member whose value is one of our own names or a date: ASCII with
 * nothing to escape, so it is copied as it is. */
static void
dump_plain(struct buf *b, bool *first, const char *name, const char *value)
{
	dump_name(b, first, name);
	buf_adds(b, "\"");
	buf_adds(b, value);
	buf_adds(b, "\"");
}

/*
 * Printing a plan of a million obligations through jansson built and
 * freed a dozen allocations for each; this writes the same text
 * directly.  tests/unit/test_plan.c holds the two to the same bytes.
 */
void
sched_obligation_dump(const struct sched_obligation *o,
    const struct sched_rules *rules, struct buf *b)
{
	char	 due[SCHED_DATE_LEN], year[16];
	bool	 first = true, first_to = true;
	int	 bit;

	buf_adds(b, "{");
	dump_string(b, &first, "key", o->key);
	if (o->centre != NULL)
		dump_string(b, &first, "centre", o->centre);
	else {
		dump_name(b, &first, "centre");
		buf_adds(b, "null");
	}
	dump_plain(b, &first, "rule", sched_rule_name(o->rule));
	dump_plain(b, &first, "article", sched_rule_article(o->rule));
	dump_plain(b, &first, "due", sched_date_format(o->due, due));
	dump_plain(b, &first, "state", sched_state_name(o->state));
	dump_name(b, &first, "provisional");
	buf_adds(b, o->provisional ? "true" : "false");
	if (sched_rule_is_yearly(o->rule)) {
		dump_name(b, &first, "year");
		snprintf(year, sizeof(year), "%d", o->year);
		buf_adds(b, year);
	}
	dump_string(b, &first, "title", sched_obligation_title(o, rules));
	dump_name(b, &first, "to");
	buf_adds(b, "[");
	for (bit = SCHED_TO_CENTRE; bit <= SCHED_TO_BUREAU; bit <<= 1) {
		if (rules->text[o->rule].to & bit)
			dump_plain(b, &first_to, NULL,
			    sched_audience_name(bit));
	}
	buf_adds(b, "]");
	dump_string(b, &first, "unit", o->unit);
	dump_string(b, &first, "explain", o->explain);
	buf_adds(b, "}");
}
