/*
 * remind.c: which reminders go out, on which day and to whom.
 *
 * A pure transform, like the planner: a plan, the rule pack's schedules
 * and the working-day calendar in, messages out.  It owns the schedule's
 * syntax (rules.ini and ticd.conf share it), the candidate days of each
 * obligation, moving them onto working days (DOMAIN.md, "Reminders"),
 * the recipients, and the grouping into one message per recipient and
 * day.  What a message says is notify/render.c's; when and how it is
 * sent, the outbox's.
 *
 * The work is one flat list of entries (a day, a recipient, an item)
 * sorted once and cut into messages, so a plan of 100k obligations costs
 * one sort, whatever the window.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "scheduler/scheduler.h"

/* No holiday run in China is this long; a calendar that says otherwise
 * is broken, and a reminder then stays where it is rather than loop. */
#define SHIFT_LIMIT	60

/* One item on its way into a message. */
struct entry {
	int			 day;	/* the message's day */
	int			 to;	/* one SCHED_TO_* bit */
	const char		*scope;
	bool			 fold;	/* into a catch-up message */
	struct sched_remind_item item;
};

struct entries {
	struct entry		*v;
	size_t			 n;
	size_t			 cap;
};

/* A day on which an obligation is reminded, before recipients. */
struct cand {
	int			 day;
	enum sched_remind_kind	 kind;
};

/* ---- the schedule's syntax ---- */

const char *
sched_remind_kind_name(enum sched_remind_kind kind)
{
	switch (kind) {
	case SCHED_REMIND_BEFORE:
		return "before";
	case SCHED_REMIND_DUE:
		return "due";
	case SCHED_REMIND_OVERDUE:
		return "overdue";
	}
	return "?";
}

static char *
parse_count(const char *name, const char *value, int max, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < 0 || v > max)
		return xasprintf("\"%s\" 应为 0 到 %d 的整数：\"%s\" / \"%s\" "
		    "must be an integer from 0 to %d: \"%s\"", name, max,
		    value, name, max, value);
	*out = (int)v;
	return NULL;
}

/* "7d", "3wd": one offset. */
static char *
parse_offset(const char *word, struct sched_remind_offset *off)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(word, &end, 10);
	if (errno == 0 && end != word && *word != '-' && *word != '+' &&
	    v >= 1 && v <= SCHED_REMIND_MAX_DAYS &&
	    (strcmp(end, "d") == 0 || strcmp(end, "wd") == 0)) {
		off->n = (int)v;
		off->working = strcmp(end, "wd") == 0;
		return NULL;
	}
	return xasprintf("提醒时点 \"%s\" 应写作 N 天（如 7d）或 N 个工作日（如 "
	    "3wd），N 为 1-%d / offset \"%s\" must be N days (7d) or N working "
	    "days (3wd), N from 1 to %d", word, SCHED_REMIND_MAX_DAYS, word,
	    SCHED_REMIND_MAX_DAYS);
}

/* Farthest first; working days after days for the same number, since a
 * working-day count reaches further back. */
static int
offset_cmp(const void *a, const void *b)
{
	const struct sched_remind_offset *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return (int)y->working - (int)x->working;
}

static char *
parse_offsets(const char *value, struct sched_remind_schedule *s)
{
	/* Zeroed, padding too: the schedule is copied and compared whole
	 * (a refused setting must leave it byte for byte as it was). */
	struct sched_remind_offset v[SCHED_REMIND_MAX_OFFSETS] = { 0 };
	char	*copy, *word, *save = NULL, *why = NULL;
	size_t	 n = 0, i, k;

	if (strcasecmp(value, "none") == 0) {
		s->nbefore = 0;
		return NULL;
	}
	copy = xstrdup(value);
	for (word = strtok_r(copy, ", \t", &save); word != NULL && why == NULL;
	    word = strtok_r(NULL, ", \t", &save)) {
		if (n == SCHED_REMIND_MAX_OFFSETS)
			why = xasprintf("提醒时点最多 %d 个 / at most %d offsets",
			    SCHED_REMIND_MAX_OFFSETS, SCHED_REMIND_MAX_OFFSETS);
		else
			why = parse_offset(word, &v[n++]);
	}
	free(copy);
	if (why != NULL)
		return why;
	if (n == 0)
		return xstrdup("remind 应为提醒时点列表或 none / remind must list "
		    "offsets, or be none");
	qsort(v, n, sizeof(v[0]), offset_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (k == 0 || offset_cmp(&v[k - 1], &v[i]) != 0)
			v[k++] = v[i];
	}
	memcpy(s->before, v, k * sizeof(v[0]));
	s->nbefore = k;
	return NULL;
}

static char *
parse_yesno(const char *name, const char *value, bool *out)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
	    strcmp(value, "1") == 0)
		*out = true;
	else if (strcasecmp(value, "no") == 0 ||
	    strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
		*out = false;
	else
		return xasprintf("\"%s\" 应为 yes 或 no：\"%s\" / \"%s\" must be "
		    "yes or no: \"%s\"", name, value, name, value);
	return NULL;
}

static char *
parse_to(const char *value, int *out)
{
	char	*copy, *word, *save = NULL;
	int	 to = 0;

	if (strcasecmp(value, "none") == 0) {
		*out = 0;
		return NULL;
	}
	copy = xstrdup(value);
	for (word = strtok_r(copy, ", \t", &save); word != NULL;
	    word = strtok_r(NULL, ", \t", &save)) {
		if (strcmp(word, "centre") == 0)
			to |= SCHED_TO_CENTRE;
		else if (strcmp(word, "unit") == 0)
			to |= SCHED_TO_UNIT;
		else if (strcmp(word, "bureau") == 0)
			to |= SCHED_TO_BUREAU;
		else {
			char *why = xasprintf("未知的对象 \"%s\"，应为 centre、"
			    "unit、bureau 或 none / unknown audience \"%s\" "
			    "(centre, unit, bureau or none)", word, word);
			free(copy);
			return why;
		}
	}
	free(copy);
	if (to == 0)
		return xstrdup("remind_to 应列出对象或为 none / remind_to must "
		    "list an audience, or be none");
	*out = to;
	return NULL;
}

static const char *const remind_keys[] = {
	"remind", "remind_on_day", "overdue_every", "overdue_max", "remind_to"
};

bool
sched_remind_key(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(remind_keys); i++) {
		if (strcmp(remind_keys[i], name) == 0)
			return true;
	}
	return false;
}

char *
sched_remind_set(struct sched_remind_schedule *s, const char *name,
    const char *value)
{
	struct sched_remind_schedule next = *s;
	char	*why;

	/* Parsed into a copy: a bad value leaves the schedule as it was. */
	if (strcmp(name, "remind") == 0)
		why = parse_offsets(value, &next);
	else if (strcmp(name, "remind_on_day") == 0)
		why = parse_yesno(name, value, &next.on_day);
	else if (strcmp(name, "overdue_every") == 0)
		why = parse_count(name, value, SCHED_REMIND_MAX_EVERY,
		    &next.overdue_every);
	else if (strcmp(name, "overdue_max") == 0)
		why = parse_count(name, value, SCHED_REMIND_MAX_NAGS,
		    &next.overdue_max);
	else if (strcmp(name, "remind_to") == 0)
		why = parse_to(value, &next.to);
	else
		why = xasprintf("没有提醒设置项 \"%s\" / no reminder setting "
		    "\"%s\"", name, name);
	if (why == NULL)
		*s = next;
	return why;
}

char *
sched_remind_format(const struct sched_remind_schedule *s)
{
	struct buf	 b;
	size_t		 i;

	if (s->nbefore == 0)
		return xstrdup("none");
	buf_init(&b);
	for (i = 0; i < s->nbefore; i++)
		buf_printf(&b, "%s%d%s", i ? " " : "", s->before[i].n,
		    s->before[i].working ? "wd" : "d");
	return buf_take(&b);
}

int
sched_reminders_until(const struct sched_rules *rules, int to)
{
	size_t	 i;
	int	 r, far = 0, n;

	for (r = 0; r < SCHED_R_COUNT; r++) {
		for (i = 0; i < rules->remind[r].nbefore; i++) {
			n = rules->remind[r].before[i].n;
			/* N working days span at most about 2N + 30 days
			 * (weekends and the longest holiday run). */
			if (rules->remind[r].before[i].working)
				n = 2 * n + 30;
			if (n > far)
				far = n;
		}
	}
	return to + far;
}

/* ---- days ---- */

/* The working day on or before "day" (or after it, forward). */
static int
shift(const struct sched_calendar *cal, int day, int step)
{
	int	 d = day, i;

	for (i = 0; i < SHIFT_LIMIT; i++, d += step) {
		if (sched_calendar_is_working(cal, d))
			return d;
	}
	return day;
}

/* The Nth working day before "due" (due itself not counted).  Bounded,
 * like shift(), so that a calendar without working days cannot hang us. */
static int
workdays_before(const struct sched_calendar *cal, int due, int n)
{
	int	 d = due, limit = due - 7 * n - SHIFT_LIMIT;

	while (n > 0 && d > limit) {
		d--;
		n -= sched_calendar_is_working(cal, d);
	}
	return d;
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand	*x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (int)y->kind - (int)x->kind;
}

/*
 * The days in [from, to] on which an obligation is reminded, each once
 * (the most pressing kind when two fall on one day), in order.  Returns
 * how many were written to out (room for nbefore + 1 + overdue_max).
 */
static size_t
candidates(const struct sched_obligation *o,
    const struct sched_remind_schedule *s, const struct sched_calendar *cal,
    int from, int to, struct cand *out)
{
	size_t	 n = 0, i, k;
	int	 d, j;

	for (i = 0; i < s->nbefore; i++) {
		d = s->before[i].working ?
		    workdays_before(cal, o->due, s->before[i].n) :
		    o->due - s->before[i].n;
		out[n].day = shift(cal, d, -1);
		out[n++].kind = SCHED_REMIND_BEFORE;
	}
	if (s->on_day) {
		/* Backwards: never later than the deadline itself.  But a
		 * duty due at once on a holiday (a committee formed on a
		 * Saturday) did not exist on the working day before: it is
		 * told on the first working day of its existence instead of
		 * not at all. */
		d = shift(cal, o->due, -1);
		if (d < o->start)
			d = shift(cal, o->start, +1);
		out[n].day = d;
		out[n++].kind = SCHED_REMIND_DUE;
	}
	/* A period runs out and is done: it is never overdue. */
	if (s->overdue_every > 0 && !sched_rule_is_period(o->rule)) {
		for (j = 1; j <= s->overdue_max; j++) {
			d = o->due + j * s->overdue_every;
			if (d > to + SHIFT_LIMIT)
				break;
			out[n].day = shift(cal, d, +1);
			out[n++].kind = SCHED_REMIND_OVERDUE;
		}
	}
	qsort(out, n, sizeof(out[0]), cand_cmp);
	/* Not before the obligation existed: a round announced ten days
	 * before its deadline has no "30 days before". */
	for (i = 0, k = 0; i < n; i++) {
		if (out[i].day < from || out[i].day > to ||
		    out[i].day < o->start)
			continue;
		if (k > 0 && out[k - 1].day == out[i].day)
			continue;
		out[k++] = out[i];
	}
	return k;
}

static void
fill_left(struct sched_remind_item *it, const struct sched_calendar *cal,
    int day)
{
	int	 due = it->ob->due;

	it->days_left = due - day;
	it->workdays_left = day <= due ?
	    sched_calendar_working_between(cal, day, due) :
	    -sched_calendar_working_between(cal, due, day);
	/* Every message and preview says "about, provisional" alike. */
	it->workdays_guess = sched_calendar_guess_between(cal, day, due);
}

/* ---- recipients ---- */

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The units of the plan's centres, sorted, once each: who hears of a
 * bureau-wide obligation addressed to units.  The caller frees the array
 * (the strings are the plan's). */
static const char **
plan_units(const struct sched_plan *plan, size_t *np)
{
	const char	**v;
	size_t		 i, n = 0, k;

	v = xcalloc(plan->ncentres + 1, sizeof(*v));
	for (i = 0; i < plan->ncentres; i++) {
		if (plan->centres[i].unit != NULL)
			v[n++] = plan->centres[i].unit;
	}
	qsort(v, n, sizeof(*v), str_ptr_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	}
	*np = k;
	return v;
}

static void
entry_add(struct entries *e, int day, int to, const char *scope,
    const struct sched_remind_item *it)
{
	struct entry	*x;

	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 256;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
	}
	x = &e->v[e->n++];
	x->day = day;
	x->to = to;
	x->scope = scope;
	x->fold = false;
	x->item = *it;
}

/* One item to each recipient of the obligation that the audience names:
 * a centre's own id, its unit, the bureau.  A bureau-wide obligation has
 * no centre to tell, and goes to every unit when units are named. */
static void
add_recipients(struct entries *e, const struct sched_remind_item *it,
    int audience, const char *const *units, size_t nunits)
{
	const struct sched_obligation *o = it->ob;
	size_t	 i;

	if ((audience & SCHED_TO_CENTRE) && o->centre != NULL)
		entry_add(e, it->planned, SCHED_TO_CENTRE, o->centre, it);
	if (audience & SCHED_TO_UNIT) {
		if (o->centre != NULL) {
			if (o->unit != NULL)
				entry_add(e, it->planned, SCHED_TO_UNIT,
				    o->unit, it);
		} else {
			for (i = 0; i < nunits; i++)
				entry_add(e, it->planned, SCHED_TO_UNIT,
				    units[i], it);
		}
	}
	if (audience & SCHED_TO_BUREAU)
		entry_add(e, it->planned, SCHED_TO_BUREAU, NULL, it);
}

/* Every reminder of the plan planned for a day in [from, to]. */
static void
collect(const struct sched_plan *plan, const struct sched_rules *rules,
    const struct sched_calendar *cal, int from, int to, struct entries *e)
{
	const struct sched_remind_schedule *s;
	const struct sched_obligation *o;
	struct sched_remind_item it;
	struct cand	*cands = NULL;
	const char	**units;
	size_t		 i, c, n, nunits, cap = 0, need;
	int		 audience;

	units = plan_units(plan, &nunits);
	for (i = 0; i < plan->count; i++) {
		o = &plan->obligations[i];
		if (o->state != SCHED_OPEN && o->state != SCHED_OVERDUE)
			continue;
		s = &rules->remind[o->rule];
		if ((audience = s->to & rules->text[o->rule].to) == 0)
			continue;
		need = s->nbefore + 1 + (size_t)s->overdue_max;
		if (need > cap) {
			cap = need;
			cands = xreallocarray(cands, cap, sizeof(*cands));
		}
		n = candidates(o, s, cal, from, to, cands);
		for (c = 0; c < n; c++) {
			memset(&it, 0, sizeof(it));
			it.ob = o;
			it.kind = cands[c].kind;
			it.planned = cands[c].day;
			add_recipients(e, &it, audience, units, nunits);
		}
	}
	free(cands);
	free(units);
}

/* ---- messages ---- */

static int
scope_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Recipient: the bit, then the scope (the bureau's NULL first). */
static int
recipient_cmp(const struct entry *x, const struct entry *y)
{
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return scope_cmp(x->scope, y->scope);
}

/* Which message an entry belongs to: its day and recipient, and
 * whether it is folded (a catch-up comes first). */
static int
message_cmp(const struct entry *x, const struct entry *y)
{
	int	 c;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if ((c = recipient_cmp(x, y)) != 0)
		return c;
	if (x->fold != y->fold)
		return x->fold ? -1 : 1;
	return 0;
}

/* Most urgent first: earliest due, overdue before open, then key. */
static int
item_cmp(const struct sched_remind_item *x, const struct sched_remind_item *y)
{
	int	 c;

	if (x->ob->due != y->ob->due)
		return x->ob->due < y->ob->due ? -1 : 1;
	if (x->ob->state != y->ob->state)
		return x->ob->state == SCHED_OVERDUE ? -1 : 1;
	if ((c = strcmp(x->ob->key, y->ob->key)) != 0)
		return c;
	return (x->planned > y->planned) - (x->planned < y->planned);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry	*x = a, *y = b;
	int			 c;

	if ((c = message_cmp(x, y)) != 0)
		return c;
	return item_cmp(&x->item, &y->item);
}

/* Cuts sorted entries into messages; each item's days left are counted
 * from its message's day. */
static struct sched_reminders *
build(struct entries *e, const struct sched_calendar *cal)
{
	struct sched_reminders	*r = xcalloc(1, sizeof(*r));
	struct sched_message	*m;
	size_t			 i, j, k, n = 0;

	if (e->n > 0)
		qsort(e->v, e->n, sizeof(*e->v), entry_cmp);
	for (i = 0; i < e->n; i++)
		n += i == 0 || message_cmp(&e->v[i - 1], &e->v[i]) != 0;
	r->messages = xcalloc(n + 1, sizeof(*r->messages));
	for (i = 0; i < e->n; i = j) {
		for (j = i + 1; j < e->n && message_cmp(&e->v[i],
		    &e->v[j]) == 0; j++)
			;
		m = &r->messages[r->count++];
		m->to = e->v[i].to;
		m->scope = e->v[i].scope;
		m->day = e->v[i].day;
		m->catch_up = e->v[i].fold;
		m->planned = e->v[i].item.planned;
		m->nitems = j - i;
		m->items = xcalloc(m->nitems, sizeof(*m->items));
		for (k = 0; k < m->nitems; k++) {
			m->items[k] = e->v[i + k].item;
			fill_left(&m->items[k], cal, m->day);
			if (m->items[k].planned < m->planned)
				m->planned = m->items[k].planned;
		}
	}
	return r;
}

struct sched_reminders *
sched_reminders(const struct sched_plan *plan,
    const struct sched_rules *rules, const struct sched_calendar *cal,
    int from, int to)
{
	struct entries		 e = { 0 };
	struct sched_reminders	*r;

	if (from <= to)
		collect(plan, rules, cal, from, to, &e);
	r = build(&e, cal);
	free(e.v);
	return r;
}

/* The same obligation for the same recipient. */
static int
who_cmp(const struct entry *x, const struct entry *y)
{
	int	 c;

	if ((c = recipient_cmp(x, y)) != 0)
		return c;
	return strcmp(x->item.ob->key, y->item.ob->key);
}

/* By recipient and obligation, the latest planned first. */
static int
latest_cmp(const void *a, const void *b)
{
	const struct entry	*x = a, *y = b;
	int			 c;

	if ((c = who_cmp(x, y)) != 0)
		return c;
	return (x->item.planned < y->item.planned) -
	    (x->item.planned > y->item.planned);
}

/*
 * Of the missed entries, keeps for each recipient and obligation only the
 * latest (an older reminder of the same thing says nothing the latest
 * does not, with staler numbers), and none that today's own messages
 * carry; re-dates the rest to "day" and marks those to fold.
 */
static void
prune_missed(struct entries *missed, struct entries *now, int day,
    int fold_after)
{
	struct entry	*kept, *x;
	size_t		 i, j = 0, k = 0;
	int		 c = 1;

	/* qsort wants a real array even for none (C11 7.22.5). */
	if (missed->n > 0)
		qsort(missed->v, missed->n, sizeof(*missed->v), latest_cmp);
	if (now->n > 0)
		qsort(now->v, now->n, sizeof(*now->v), latest_cmp);
	kept = xcalloc(missed->n + 1, sizeof(*kept));
	for (i = 0; i < missed->n; i++) {
		x = &missed->v[i];
		if (i > 0 && who_cmp(&missed->v[i - 1], x) == 0)
			continue;
		while (j < now->n && (c = who_cmp(&now->v[j], x)) < 0)
			j++;
		if (j < now->n && c == 0)
			continue;
		kept[k] = *x;
		kept[k].day = day;
		kept[k].fold = (long)x->item.planned < (long)day - fold_after;
		k++;
	}
	free(missed->v);
	missed->v = kept;
	missed->n = k;
	missed->cap = k + 1;
}

struct sched_reminders *
sched_reminders_missed(const struct sched_plan *plan,
    const struct sched_rules *rules, const struct sched_calendar *cal,
    int from, int today, int fold_after)
{
	struct entries		 missed = { 0 }, now = { 0 };
	struct sched_reminders	*r;

	if (from <= today - 1) {
		collect(plan, rules, cal, from, today - 1, &missed);
		collect(plan, rules, cal, today, today, &now);
		prune_missed(&missed, &now, today, fold_after);
	}
	r = build(&missed, cal);
	free(missed.v);
	free(now.v);
	return r;
}

bool
sched_remind_item_late(const struct sched_remind_item *it)
{
	return it->ob->state == SCHED_OVERDUE || it->days_left < 0;
}

void
sched_reminders_free(struct sched_reminders *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->count; i++)
		free(r->messages[i].items);
	free(r->messages);
	free(r);
}
