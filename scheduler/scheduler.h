/*
 * scheduler.h: the pure core of ticd.
 *
 * Everything that knows the Yangquan measures lives behind this header:
 * civil dates, the working-day calendar, the events of a centre's life,
 * the journal that validates them, the rule pack, and the planner that
 * turns events into obligations.  Nothing here does I/O or reads a clock:
 * callers pass text in and "today" as an argument, and get values out.
 * That is what lets ticctl, the daemon and the tests share one answer.
 *
 * Days are plain ints: the number of days since 1970-01-01 in the civil
 * (proleptic Gregorian) calendar.  Dates are civil dates in Asia/Shanghai;
 * no time_t and no time zone arithmetic happens anywhere in the core.
 */
#ifndef SCHEDULER_H
#define SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* ---- civil dates (date.c) ---- */

#define SCHED_NO_DAY	(-2147483647 - 1)	/* "no date given" */
#define SCHED_DATE_LEN	11			/* "YYYY-MM-DD" and NUL */
#define SCHED_YEAR_MIN	1900
#define SCHED_YEAR_MAX	2999

int	 sched_day(int year, int month, int mday);
void	 sched_ymd(int day, int *year, int *month, int *mday);
int	 sched_year(int day);
/* Parses exactly YYYY-MM-DD naming a real day; 0 on success, else -1. */
int	 sched_date_parse(const char *, int *day);
/* Writes YYYY-MM-DD into a buffer of at least SCHED_DATE_LEN bytes. */
char	*sched_date_format(int day, char *out);
/* 1 = Monday … 7 = Sunday (ISO 8601). */
int	 sched_weekday(int day);
/* The Chinese name of a weekday: 周一 … 周日. */
const char *sched_weekday_cn(int day);
bool	 sched_is_leap(int year);
int	 sched_days_in_month(int year, int month);
/* DOMAIN rule 1: the last day of a period of N years counted from (and
 * including) day D; 29 Feb's anniversary in a common year is 1 Mar. */
int	 sched_years_from(int day, int years);
/* DOMAIN rule 3: the anniversary N years after an act on day D; with no
 * such day (29 Feb in a common year), the month's last day. */
int	 sched_years_after(int day, int years);

/* ---- the working-day calendar (workcal.c) ---- */

enum sched_daykind {
	SCHED_DAY_WORK,		/* an ordinary Monday-Friday */
	SCHED_DAY_WEEKEND,	/* an ordinary Saturday or Sunday */
	SCHED_DAY_HOLIDAY,	/* a day off of a published schedule */
	SCHED_DAY_MAKEUP,	/* 调休上班: a Saturday or Sunday that is worked */
	SCHED_DAY_STATUTORY,	/* a fixed statutory day off of an unpublished year */
};

struct sched_dayinfo {
	enum sched_daykind	 kind;
	bool			 working;
	const char		*name;	/* the holiday's name, or NULL */
};

/* Owner: whoever calls sched_calendar_new; freed by sched_calendar_free. */
struct sched_calendar;

struct sched_calendar *sched_calendar_new(void);
void	 sched_calendar_free(struct sched_calendar *);
/*
 * Loads one holiday table (date<TAB>holiday|workday<TAB>name lines) from
 * text; "source" names it in errors.  A table that lists any day of
 * January-November of a year is that year's published schedule and
 * replaces every earlier row of that year; its other rows (a December
 * changed by the next year's notice) replace earlier rows of the same
 * date.  On error returns -1 with "file:line: what" in *error (the caller
 * frees it) and leaves the calendar unchanged.
 */
int	 sched_calendar_load(struct sched_calendar *, const char *source,
	    const char *text, size_t len, char **error);
bool	 sched_calendar_published(const struct sched_calendar *, int year);
void	 sched_calendar_dayinfo(const struct sched_calendar *, int day,
	    struct sched_dayinfo *);
bool	 sched_calendar_is_working(const struct sched_calendar *, int day);
/* Why a day's status is a guess (DOMAIN rule 5): 0 if it is not, else
 * the unpublished year that makes it so. */
int	 sched_calendar_provisional_year(const struct sched_calendar *, int day);
/*
 * The Nth working day counting from day D, D included when include_start
 * (DOMAIN rule 1), else from the day after (rule 2).  *provisional is set
 * when any day the count looks at is provisional.
 */
int	 sched_calendar_count(const struct sched_calendar *, int day, int n,
	    bool include_start, bool *provisional);
/* Working days from day "from" (excluded) through "to" (included). */
int	 sched_calendar_working_between(const struct sched_calendar *,
	    int from, int to);
/* Whether a count between two days (either order; the earlier excluded)
 * looks at a provisional day: then it is a guess ("约…，暂定"). */
bool	 sched_calendar_guess_between(const struct sched_calendar *,
	    int from, int to);
/* The first published and last published years, or 0 when none. */
void	 sched_calendar_span(const struct sched_calendar *, int *first,
	    int *last);

/* ---- rules and the rule pack (rules.c) ---- */

enum sched_rule {
	SCHED_R_APPLICATION,
	SCHED_R_RECOMMENDATION,
	SCHED_R_PUBLICITY,
	SCHED_R_OBJECTION_REVIEW,
	SCHED_R_EXPERT_MEETING,
	SCHED_R_EXPERT_TERM,
	SCHED_R_EXPERT_COMPOSITION,
	SCHED_R_EVALUATION,
	SCHED_R_RECTIFICATION,
	SCHED_R_REVOCATION,
	SCHED_R_ABANDONMENT,
	SCHED_R_REAPPLY_BAN,
	SCHED_R_TRANSITION,
	SCHED_R_TRANSITION_LAPSE,
	SCHED_R_DIRECTOR_AGE,
	SCHED_R_MEASURES_EXPIRY,
	SCHED_R_COUNT
};

/* Who must act: a bit set. */
#define SCHED_TO_CENTRE	0x1
#define SCHED_TO_UNIT	0x2
#define SCHED_TO_BUREAU	0x4

/*
 * CONTRACT (issue 5): declared ahead of its implementation so that the
 * reminder planner (scheduler/remind.c, notify/render.c) and the outbox
 * and delivery (notify/, store/) can be built side by side.
 *
 * A rule's reminder schedule: offsets before the due date (in days or
 * working days), a reminder on the day itself, overdue nags every N days
 * up to a limit, and its audience.  Defaults live in conf/rules.ini
 * ([rule] remind = 30d 7d 1wd, remind_on_day, overdue_every, overdue_max,
 * remind_to) and ticd.conf may override them.
 */
#define SCHED_REMIND_MAX_OFFSETS	8

struct sched_remind_offset {
	int	 n;		/* days (or working days) before the due date */
	bool	 working;	/* counted in working days */
};

struct sched_remind_schedule {
	struct sched_remind_offset before[SCHED_REMIND_MAX_OFFSETS];
	size_t	 nbefore;	/* sorted, farthest first, no repeats */
	bool	 on_day;	/* a reminder on the due date */
	int	 overdue_every;	/* days between overdue notices; 0: none */
	int	 overdue_max;	/* overdue notices at most */
	int	 to;		/* SCHED_TO_* bits: who hears, of those the
				 * rule's "to" names; 0: nobody */
};

/* Bounds of a schedule's numbers, as rules.ini and ticd.conf take them. */
#define SCHED_REMIND_MAX_DAYS	1830	/* an offset: about five years */
#define SCHED_REMIND_MAX_EVERY	365
#define SCHED_REMIND_MAX_NAGS	100

/* The tunable text and switches of one rule. */
struct sched_rule_text {
	char	*title;		/* 年度绩效评价资料提交截止 */
	char	*action;	/* what the one who must act does */
	char	*overdue_action; /* what is left once past due (an
				 * annual meeting cannot be held for a
				 * year gone), or NULL: action */
	char	*closed_by;	/* what closes it, for people */
	int	 to;		/* SCHED_TO_* bits */
};

/* Owner: whoever calls sched_rules_new; freed by sched_rules_free. */
struct sched_rules {
	char			*pack;	/* "yangquan-2025" */
	bool			 abandonment_bars_reapply;
	bool			 lapse_bars_reapply;
	struct sched_rule_text	 text[SCHED_R_COUNT];
	struct sched_remind_schedule remind[SCHED_R_COUNT]; /* see remind.c */
};

struct sched_rules *sched_rules_new(void);
struct sched_obligation;
/* What the one who must act does about o now: the rule's action, or once
 * o is past due (overdue, the caller's word) its overdue_action if the
 * pack has one; NULL when the pack says nothing. */
const char *sched_rule_action(const struct sched_rules *,
	    const struct sched_obligation *o, bool overdue);
void	 sched_rules_free(struct sched_rules *);
/* Reads a rule pack (INI, through inih) over the defaults; on error -1
 * with every "source:line: what" in *error and the rules unchanged. */
int	 sched_rules_load(struct sched_rules *, const char *source,
	    const char *text, size_t len, char **error);
const char *sched_rule_name(enum sched_rule);
int	 sched_rule_from_name(const char *, enum sched_rule *);
/* "14", "7(5)": the article as DOMAIN.md writes it. */
const char *sched_rule_article(enum sched_rule);
/* 第十四条, 第七条第（五）项: the article as the regulation writes it. */
const char *sched_rule_article_cn(enum sched_rule);
/* A period closes by running out: done, never overdue. */
bool	 sched_rule_is_period(enum sched_rule);
/* Yearly rules carry a year. */
bool	 sched_rule_is_yearly(enum sched_rule);
const char *sched_audience_name(int bit);
/* Who must act, as the feeds and pages name them: "中心及依托单位、组织管理
 *单位" for SCHED_TO_CENTRE | SCHED_TO_UNIT; NULL for none.  Caller frees. */
char	*sched_audiences_cn(int to);
/* The measures' name, as every text ticd writes cites them. */
#define SCHED_MEASURES_CN	"《阳泉市技术创新中心认定管理办法》"

/* ---- events (event.c) ---- */

enum sched_event_type {
	SCHED_EV_REGISTERED,
	SCHED_EV_ROUND_ANNOUNCED,
	SCHED_EV_APPLIED,
	SCHED_EV_RECOMMENDED,
	SCHED_EV_PUBLICITY_STARTED,
	SCHED_EV_OBJECTION_RECEIVED,
	SCHED_EV_OBJECTION_RESOLVED,
	SCHED_EV_RECOGNIZED,
	SCHED_EV_NOT_RECOGNIZED,
	SCHED_EV_COMMITTEE_FORMED,
	SCHED_EV_EXPERT_MEETING_HELD,
	SCHED_EV_EVALUATION_ROUND,
	SCHED_EV_EVALUATION_SUBMITTED,
	SCHED_EV_EVALUATION_RESULT,
	SCHED_EV_RECTIFICATION_COMPLETED,
	SCHED_EV_REVOKED,
	SCHED_EV_ABANDONED,
	SCHED_EV_LAPSED,
	SCHED_EV_TRANSITION_MET,
	SCHED_EV_DIRECTOR_CHANGED,
	SCHED_EV_RETRACTED,
	SCHED_EV_COUNT
};

enum sched_grade {
	SCHED_GRADE_NONE,
	SCHED_GRADE_EXCELLENT,
	SCHED_GRADE_GOOD,
	SCHED_GRADE_PASS,
	SCHED_GRADE_FAIL
};

/*
 * One event of the journal, as parsed and checked for its own form.
 * Owner: the journal once added; before that, whoever parsed it
 * (sched_event_free).  Unused fields are NULL, SCHED_NO_DAY or 0.
 */
struct sched_event {
	enum sched_event_type	 type;
	int			 date;
	char			*centre;	/* NULL when bureau-wide */
	char			*id;		/* NULL until given or assigned */
	char			*note;
	int			 line;		/* where it was read, for messages */

	char			*name;		/* registered */
	char			*unit;		/* registered */
	bool			 legacy;	/* registered */
	int			 director_birth; /* registered, director_changed */
	char			*round;		/* round_announced */
	int			 application_deadline;
	int			 recommendation_deadline;
	bool			 outcome_recognized; /* objection_resolved */
	int			 members;	/* committee_formed */
	int			 host_members;
	int			 year;		/* evaluation_* */
	int			 deadline;	/* evaluation_round */
	enum sched_grade	 grade;		/* evaluation_result */
	int			 rectify_by;
	int			 article;	/* revoked: 13, 14 or 15 */
	char			*target;	/* retracted: the event's id */
	char			*reason;	/* retracted */

	/* Kept by the journal. */
	bool			 retracted;
	size_t			 target_index;	/* retracted: the event named */
	size_t			 centre_index;	/* its centre's number, below
						 * sched_journal_centres() */
};

const char *sched_event_type_name(enum sched_event_type);
/* True for round_announced, evaluation_round and retracted. */
bool	 sched_event_is_bureau_wide(enum sched_event_type);
/*
 * Builds an event from a decoded JSON object, checking its form: known
 * type, only its fields, each well formed.  Returns NULL with the reason
 * (Chinese, then English) in *error.
 */
struct sched_event *sched_event_from_json(const json_t *, char **error);
/*
 * The same from JSON text, as sched_event_from_json(json_loadb(text, len,
 * flags)) would give it, but most lines never go through jansson (see
 * the quick reader in event.c).  When the text is not JSON, returns NULL
 * with *error NULL and *jerr as json_loadb sets it.
 */
struct sched_event *sched_event_from_text(const char *text, size_t len,
	    size_t flags, json_error_t *jerr, char **error);
/* The event as JSON, the vocabulary of DOMAIN.md; the caller owns it. */
json_t	*sched_event_to_json(const struct sched_event *);
void	 sched_event_free(struct sched_event *);

/* ---- the journal (journal.c) ---- */

/*
 * The events in the order they were recorded, each one checked against
 * the ones before it when added: the journal is always valid.
 * Owner: whoever calls sched_journal_new.
 */
struct sched_journal;

struct sched_journal *sched_journal_new(void);
void	 sched_journal_free(struct sched_journal *);
/*
 * Adds an event recorded on day "today" (events dated after it are
 * refused).  On success the journal owns the event and 0 is returned.
 * On refusal returns -1, *error holds the reason (Chinese, then English,
 * naming fields as spelled in the JSON and dates as YYYY-MM-DD), and the
 * journal is unchanged; the event still belongs to the caller.
 */
int	 sched_journal_add(struct sched_journal *, struct sched_event *,
	    const struct sched_rules *, int today, char **error);
/*
 * Adds an event read back from where the journal was kept (the daemon's
 * store), checked when it was recorded: only what the journal needs to
 * hold it is checked again (a centre's events follow its registration; a
 * retraction names an earlier event still in effect), and ids are taken
 * as unique.  Otherwise as sched_journal_add.
 */
int	 sched_journal_load(struct sched_journal *, struct sched_event *,
	    char **error);
/* Room for n events, so that a load does not grow the journal by steps. */
void	 sched_journal_reserve(struct sched_journal *, size_t n);
/* Undoes the last add (when storing it failed): the caller gets it back. */
struct sched_event *sched_journal_pop(struct sched_journal *);
size_t	 sched_journal_count(const struct sched_journal *);
const struct sched_event *sched_journal_event(const struct sched_journal *,
	    size_t);
/* The index of the event with this id, or -1. */
long	 sched_journal_find_id(const struct sched_journal *, const char *);
/* How many centres the journal has seen: each centre's events carry its
 * number (centre_index), so that the planner never looks a name up. */
size_t	 sched_journal_centres(const struct sched_journal *);
/* The registration of a centre, or NULL when it is not registered. */
const struct sched_event *sched_journal_centre(const struct sched_journal *,
	    const char *centre);
/* The journal indexes of a centre's events (centre NULL: of the
 * bureau-wide ones), in recording order; none for an unknown centre. */
void	 sched_journal_centre_events(const struct sched_journal *,
	    const char *centre, const size_t **events, size_t *n);

/* ---- the plan (plan.c, explain.c) ---- */

enum sched_state {
	SCHED_OPEN,
	SCHED_OVERDUE,
	SCHED_DONE,
	SCHED_VOID
};

/* Where a centre stands in its lifecycle. */
enum sched_centre_state {
	SCHED_C_REGISTERED,
	SCHED_C_APPLICANT,
	SCHED_C_RECOMMENDED,
	SCHED_C_IN_PUBLICITY,
	SCHED_C_OBJECTION,
	SCHED_C_RECOGNIZED,
	SCHED_C_LEGACY,
	SCHED_C_NOT_RECOGNIZED,
	SCHED_C_REVOKED,
	SCHED_C_ABANDONED,
	SCHED_C_LAPSED
};

/*
 * One obligation.  Strings named "borrowed" point into the journal and
 * live as long as it does; the plan owns key and explain.
 */
struct sched_obligation {
	char			*key;
	const char		*centre;	/* borrowed; NULL: bureau-wide */
	const char		*centre_name;	/* borrowed */
	const char		*unit;		/* borrowed */
	enum sched_rule		 rule;
	int			 due;
	enum sched_state	 state;
	bool			 provisional;
	int			 year;		/* yearly rules, else 0 */
	int			 start;		/* the day that started it */
	int			 closed_on;	/* when done or void, else NO_DAY */
	char			*explain;	/* with SCHED_PLAN_EXPLAIN */
	/* reapply_ban: the end that started it (revoked; abandoned or
	 * lapsed only by a rule pack setting, not Art. 16). */
	enum sched_event_type	 cause;
};

/*
 * The rule of an obligation's key ("CENTRE/RULE[/WHAT][#n]", the centre
 * and WHAT %-escaped so that they hold no "/", or "@bureau/RULE..."), as
 * plan.c makes it; -1 when key is not such a key.
 */
int	 sched_key_rule(const char *key, enum sched_rule *);
/*
 * The year an obligation is about, for the titles people read: a yearly
 * rule's own year, or the evaluation year behind a rectification,
 * revocation or abandonment (kept in its key, "C/rectification/2025":
 * the JSON's "year" is the yearly rules' only), else 0.  Two fails'
 * rectifications read apart this way.
 */
int	 sched_key_year(const char *key);
int	 sched_obligation_year(const struct sched_obligation *);
/* The obligation's title: its rule's, from the rule pack, except a ban
 * that a rule pack setting made after an abandonment or a lapse (the
 * rule's title speaks of revocation). */
const char *sched_obligation_title(const struct sched_obligation *,
	    const struct sched_rules *);

struct sched_centre {
	const char		*id;		/* borrowed */
	const char		*name;		/* borrowed */
	const char		*unit;		/* borrowed */
	enum sched_centre_state	 state;
	int			 since;		/* the day it took this state */
	int			 registered;
	bool			 legacy;
	int			 ban_until;	/* last day of a ban, or NO_DAY */
};

/* Owner: whoever calls sched_plan; freed by sched_plan_free. */
struct sched_plan {
	struct sched_obligation	*obligations;
	size_t			 count;
	struct sched_centre	*centres;	/* in order of registration */
	size_t			 ncentres;
	int			 as_of;
	int			 until;
};

#define SCHED_PLAN_EXPLAIN	0x1

/*
 * The obligations of every centre as of day as_of, the yearly ones up to
 * "until", in DOMAIN.md's order (due, centre with bureau-wide first,
 * rule, year).
 */
struct sched_plan *sched_plan(const struct sched_journal *,
	    const struct sched_calendar *, const struct sched_rules *,
	    int as_of, int until, int flags);
/*
 * One centre's part of sched_plan's answer: the same obligations of that
 * centre, in the same order, and the centre as the plan's only centre
 * (none when the journal does not know it); nothing bureau-wide.  It
 * looks at that centre's events and the bureau-wide ones only.
 */
struct sched_plan *sched_plan_centre(const struct sched_journal *,
	    const struct sched_calendar *, const struct sched_rules *,
	    const char *centre, int as_of, int until, int flags);
void	 sched_plan_free(struct sched_plan *);
const char *sched_state_name(enum sched_state);
const char *sched_centre_state_name(enum sched_centre_state);
const char *sched_centre_state_cn(enum sched_centre_state);
/* One obligation as JSON, DOMAIN.md's fields first, in its order. */
json_t	*sched_obligation_to_json(const struct sched_obligation *,
	    const struct sched_rules *);
/*
 * The same as JSON text appended to a buffer (struct buf, common.h): the
 * bytes json_dumps(sched_obligation_to_json(o), JSON_COMPACT |
 * JSON_PRESERVE_ORDER) gives, without building the object.
 */
struct buf;
void	 sched_obligation_dump(const struct sched_obligation *,
	    const struct sched_rules *, struct buf *);
/* The first day an application is accepted, or SCHED_NO_DAY. */
int	 sched_ban_first_allowed(const struct sched_journal *,
	    const struct sched_rules *, const char *centre, int day);

/* ---- reminders (remind.c; the schedule is with the rules) ---- */

enum sched_remind_kind {
	SCHED_REMIND_BEFORE,	/* N days or working days before */
	SCHED_REMIND_DUE,	/* on the due date */
	SCHED_REMIND_OVERDUE	/* after it, while still overdue */
};

/* One obligation in one message. */
struct sched_remind_item {
	const struct sched_obligation *ob;	/* borrowed from the plan */
	enum sched_remind_kind	 kind;
	int			 planned;	/* the working day it was meant
						 * to go (after moving off a
						 * non-working day) */
	int			 days_left;	/* due - message day; < 0 late */
	int			 workdays_left;	/* working days, same sign */
	bool			 workdays_guess; /* counted through a year whose
						  * holidays are not published */
};

/* Whether an item is past its due date as its message says it: overdue
 * in the plan, or due before the message's day (a reminder sent late). */
bool	 sched_remind_item_late(const struct sched_remind_item *);

/*
 * Everything due for one recipient on one day: one message, most urgent
 * first (earliest due, then overdue before open, then key).  Reminders
 * move to the previous working day (never past the due date), overdue
 * notices to the next.  None is planned before its obligation began,
 * except that the due day's reminder of a duty due at once on a
 * non-working day goes on the next working day.  Of two reminders of one
 * obligation on one day, the more pressing kind stays.
 */
struct sched_message {
	int			 to;		/* one SCHED_TO_* bit */
	const char		*scope;		/* centre id or unit; NULL:
						 * the bureau; borrowed */
	int			 day;		/* the working day it goes */
	int			 planned;	/* the earliest day its items
						 * were meant for: < day when
						 * sent late (补发（原定 …）) */
	bool			 catch_up;	/* folds what was missed */
	struct sched_remind_item *items;
	size_t			 nitems;
};

/* Owner: whoever calls sched_reminders; sched_reminders_free. */
struct sched_reminders {
	struct sched_message	*messages;	/* by day, then recipient */
	size_t			 count;
};

/*
 * The messages whose day falls in [from, to], from a plan (only open and
 * overdue obligations are ever reminded).  Pure: the plan, the rules and
 * the calendar in, messages out.
 */
struct sched_reminders *sched_reminders(const struct sched_plan *,
	    const struct sched_rules *, const struct sched_calendar *,
	    int from, int to);
/*
 * What was missed while ticd was down: the reminders planned for
 * [from, today - 1], sent today instead.  Of each obligation only the
 * latest missed reminder per recipient is kept, and none that today's own
 * messages (sched_reminders(…, today, today)) carry.  Per recipient at
 * most two messages, both with day = today: the late one (补发) of what
 * was planned within fold_after days, and a catch_up folding what is
 * older.  Each item keeps its original day in "planned"; the message's
 * "planned" is the earliest of them.  "from" is the first day whose
 * messages were not made.  Across both functions, (to, scope, day,
 * planned, catch_up) identifies a message: the same inputs give the same
 * identities, so an outbox can write each message once.
 */
struct sched_reminders *sched_reminders_missed(const struct sched_plan *,
	    const struct sched_rules *, const struct sched_calendar *,
	    int from, int today, int fold_after);
void	 sched_reminders_free(struct sched_reminders *);
/*
 * The day a plan must list yearly obligations up to (its "until") for
 * sched_reminders(…, to) to see every reminder through "to": to plus the
 * farthest offset of any rule.
 */
int	 sched_reminders_until(const struct sched_rules *, int to);
/* "before", "due", "overdue". */
const char *sched_remind_kind_name(enum sched_remind_kind);
/*
 * Sets one key of a schedule from its text, as both the rule pack's
 * [RULE] sections and ticd.conf's [remind.RULE] sections write it:
 *   remind = 30d 7d 1wd | none	offsets: N days (d) or working days (wd)
 *   remind_on_day = yes | no
 *   overdue_every = DAYS		0: no overdue notices
 *   overdue_max = N
 *   remind_to = centre, unit, bureau | none
 * Returns NULL when done; else why (Chinese, then English; the caller
 * frees it), with the schedule unchanged.  Other names: why, too.
 */
char	*sched_remind_set(struct sched_remind_schedule *, const char *name,
	    const char *value);
/* Whether sched_remind_set knows the name. */
bool	 sched_remind_key(const char *name);
/* The schedule's offsets as "remind =" takes them ("30d 7d 1wd", "none");
 * the caller frees it. */
char	*sched_remind_format(const struct sched_remind_schedule *);

#endif
