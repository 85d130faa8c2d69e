/*
 * event.c: the journal's vocabulary (DOMAIN.md, "Events").
 *
 * Each event type lists its fields in one table; parsing walks the table,
 * so "a field its type does not have", "a required field is missing" and
 * "a field is malformed" are each decided in one place.  Whether an event
 * fits the journal (its centre registered, no ban, …) is journal.c's.
 *
 * The fields are read from a list of members (struct member), which
 * either a decoded jansson object or the quick reader of plain JSON text
 * (sched_event_from_text) provides: both give the same event, or the same
 * refusal, for the same text.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scheduler/scheduler.h"

enum field_kind {
	F_TEXT,		/* a non-empty string */
	F_NOTE,		/* any string */
	F_DATE,
	F_BOOL,
	F_COUNT,	/* a non-negative integer */
	F_YEAR,
	F_GRADE,
	F_OUTCOME,
	F_ARTICLE
};

struct field {
	const char	*name;
	enum field_kind	 kind;
	size_t		 offset;
	bool		 required;
};

#define FIELD(n, k, member, req) \
	{ n, k, offsetof(struct sched_event, member), req }
#define END { NULL, F_TEXT, 0, false }

static const struct field f_registered[] = {
	FIELD("name", F_TEXT, name, true),
	FIELD("unit", F_TEXT, unit, true),
	FIELD("legacy", F_BOOL, legacy, false),
	FIELD("director_birth", F_DATE, director_birth, false),
	END
};
static const struct field f_round[] = {
	FIELD("round", F_TEXT, round, true),
	FIELD("application_deadline", F_DATE, application_deadline, true),
	FIELD("recommendation_deadline", F_DATE, recommendation_deadline,
	    false),
	END
};
static const struct field f_none[] = { END };
static const struct field f_resolved[] = {
	FIELD("outcome", F_OUTCOME, outcome_recognized, true),
	END
};
static const struct field f_committee[] = {
	FIELD("members", F_COUNT, members, true),
	FIELD("host_members", F_COUNT, host_members, true),
	END
};
static const struct field f_eval_round[] = {
	FIELD("year", F_YEAR, year, true),
	FIELD("deadline", F_DATE, deadline, true),
	END
};
static const struct field f_year[] = {
	FIELD("year", F_YEAR, year, true),
	END
};
static const struct field f_result[] = {
	FIELD("year", F_YEAR, year, true),
	FIELD("grade", F_GRADE, grade, true),
	FIELD("rectify_by", F_DATE, rectify_by, false),
	END
};
static const struct field f_revoked[] = {
	FIELD("article", F_ARTICLE, article, true),
	END
};
static const struct field f_director[] = {
	FIELD("director_birth", F_DATE, director_birth, true),
	END
};
static const struct field f_retracted[] = {
	FIELD("event", F_TEXT, target, true),
	FIELD("reason", F_TEXT, reason, true),
	END
};

static const struct {
	const char		*name;
	bool			 bureau_wide;
	const struct field	*fields;
} types[SCHED_EV_COUNT] = {
	[SCHED_EV_REGISTERED] = { "registered", false, f_registered },
	[SCHED_EV_ROUND_ANNOUNCED] = { "round_announced", true, f_round },
	[SCHED_EV_APPLIED] = { "applied", false, f_none },
	[SCHED_EV_RECOMMENDED] = { "recommended", false, f_none },
	[SCHED_EV_PUBLICITY_STARTED] = { "publicity_started", false, f_none },
	[SCHED_EV_OBJECTION_RECEIVED] = { "objection_received", false,
	    f_none },
	[SCHED_EV_OBJECTION_RESOLVED] = { "objection_resolved", false,
	    f_resolved },
	[SCHED_EV_RECOGNIZED] = { "recognized", false, f_none },
	[SCHED_EV_NOT_RECOGNIZED] = { "not_recognized", false, f_none },
	[SCHED_EV_COMMITTEE_FORMED] = { "committee_formed", false,
	    f_committee },
	[SCHED_EV_EXPERT_MEETING_HELD] = { "expert_meeting_held", false,
	    f_none },
	[SCHED_EV_EVALUATION_ROUND] = { "evaluation_round", true,
	    f_eval_round },
	[SCHED_EV_EVALUATION_SUBMITTED] = { "evaluation_submitted", false,
	    f_year },
	[SCHED_EV_EVALUATION_RESULT] = { "evaluation_result", false,
	    f_result },
	[SCHED_EV_RECTIFICATION_COMPLETED] = { "rectification_completed",
	    false, f_none },
	[SCHED_EV_REVOKED] = { "revoked", false, f_revoked },
	[SCHED_EV_ABANDONED] = { "abandoned", false, f_none },
	[SCHED_EV_LAPSED] = { "lapsed", false, f_none },
	[SCHED_EV_TRANSITION_MET] = { "transition_met", false, f_none },
	[SCHED_EV_DIRECTOR_CHANGED] = { "director_changed", false,
	    f_director },
	[SCHED_EV_RETRACTED] = { "retracted", true, f_retracted },
};

static const char *grades[] = { NULL, "excellent", "good", "pass", "fail" };

/* One member of an event's object, whichever reader found it. */
enum member_kind {
	M_STRING,
	M_INTEGER,
	M_TRUE,
	M_FALSE,
	M_OTHER		/* null, a real number, an array, an object */
};

struct member {
	const char		*name;
	enum member_kind	 kind;
	const char		*s;	/* M_STRING: NUL-terminated… */
	size_t			 len;	/* …but may hold a NUL before len */
	long long		 n;	/* M_INTEGER */
};

const char *
sched_event_type_name(enum sched_event_type t)
{
	return types[t].name;
}

bool
sched_event_is_bureau_wide(enum sched_event_type t)
{
	return types[t].bureau_wide;
}

static struct sched_event *
event_new(void)
{
	struct sched_event	*ev;

	ev = xcalloc(1, sizeof(*ev));
	ev->date = ev->director_birth = SCHED_NO_DAY;
	ev->application_deadline = ev->recommendation_deadline = SCHED_NO_DAY;
	ev->deadline = ev->rectify_by = SCHED_NO_DAY;
	return ev;
}

void
sched_event_free(struct sched_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->centre);
	free(ev->id);
	free(ev->note);
	free(ev->name);
	free(ev->unit);
	free(ev->round);
	free(ev->target);
	free(ev->reason);
	free(ev);
}

/* The common fields every event may carry, beside its type's own. */
static const struct field f_common[] = {
	FIELD("date", F_DATE, date, true),
	FIELD("centre", F_TEXT, centre, true),
	FIELD("id", F_TEXT, id, false),
	FIELD("note", F_NOTE, note, false),
	END
};

/* "field X must be …", in Chinese and in English. */
static char *
bad_type(const char *name, const char *cn, const char *en)
{
	/* A space before Latin words, as Chinese text sets them apart. */
	return xasprintf("字段 \"%s\" 应为%s%s / field \"%s\" must be %s",
	    name, (unsigned char)cn[0] < 0x80 ? " " : "", cn, name, en);
}

static char *
parse_string(const struct member *v, const struct field *f, char **out)
{
	if (v->kind != M_STRING)
		return bad_type(f->name, f->kind == F_TEXT ?
		    "非空字符串" : "字符串", f->kind == F_TEXT ?
		    "a non-empty string" : "a string");
	if (f->kind == F_TEXT && v->len == 0)
		return bad_type(f->name, "非空字符串", "a non-empty string");
	if (memchr(v->s, '\0', v->len))
		return bad_type(f->name, "不含 NUL 字符的字符串",
		    "a string without NUL characters");
	*out = xstrndup(v->s, v->len);
	return NULL;
}

static char *
parse_date(const struct member *v, const struct field *f, int *out)
{
	if (v->kind != M_STRING)
		return bad_type(f->name, "YYYY-MM-DD 格式的日期",
		    "a date written YYYY-MM-DD");
	if (sched_date_parse(v->s, out) == -1)
		return xasprintf("字段 \"%s\" 的值 \"%s\" 不是有效日期（应为 "
		    "YYYY-MM-DD 格式的真实日期，%d-%d 年之间）/ field \"%s\": "
		    "\"%s\" is not a real day written YYYY-MM-DD (years %d-%d)",
		    f->name, v->s, SCHED_YEAR_MIN, SCHED_YEAR_MAX, f->name,
		    v->s, SCHED_YEAR_MIN, SCHED_YEAR_MAX);
	return NULL;
}

static char *
parse_count(const struct member *v, const struct field *f, int *out)
{
	if (v->kind != M_INTEGER || v->n < 0 || v->n > 100000)
		return bad_type(f->name, "非负整数", "a non-negative integer");
	*out = (int)v->n;
	return NULL;
}

static char *
parse_year(const struct member *v, const struct field *f, int *out)
{
	long long	 n;

	if (v->kind != M_INTEGER)
		return bad_type(f->name, "整数年份（如 2025）",
		    "an integer year such as 2025");
	n = v->n;
	if (n < SCHED_YEAR_MIN || n > SCHED_YEAR_MAX)
		return xasprintf("字段 \"%s\" 的年份 %lld 超出范围 %d-%d / "
		    "field \"%s\": year %lld is outside %d-%d", f->name,
		    (long long)n, SCHED_YEAR_MIN, SCHED_YEAR_MAX, f->name,
		    (long long)n, SCHED_YEAR_MIN, SCHED_YEAR_MAX);
	*out = (int)n;
	return NULL;
}

static char *
parse_grade(const struct member *v, const struct field *f,
    enum sched_grade *out)
{
	size_t	 i;

	for (i = 1; i < nitems(grades); i++) {
		if (v->kind == M_STRING && strcmp(v->s, grades[i]) == 0) {
			*out = (enum sched_grade)i;
			return NULL;
		}
	}
	return bad_type(f->name, "excellent、good、pass、fail 之一",
	    "one of excellent, good, pass, fail");
}

static char *
parse_outcome(const struct member *v, const struct field *f, bool *out)
{
	if (v->kind == M_STRING && strcmp(v->s, "recognized") == 0)
		*out = true;
	else if (v->kind == M_STRING && strcmp(v->s, "not_recognized") == 0)
		*out = false;
	else
		return bad_type(f->name, "recognized 或 not_recognized",
		    "recognized or not_recognized");
	return NULL;
}

/* Art. 13, 14 or 15, as a number or a string. */
static char *
parse_article(const struct member *v, const struct field *f, int *out)
{
	const char	*s;

	if (v->kind == M_INTEGER) {
		*out = (int)v->n;
		if (v->n >= 13 && v->n <= 15)
			return NULL;
	} else if (v->kind == M_STRING) {
		s = v->s;
		if (strcmp(s, "13") == 0 || strcmp(s, "14") == 0 ||
		    strcmp(s, "15") == 0) {
			*out = atoi(s);
			return NULL;
		}
	}
	return bad_type(f->name, "13、14 或 15（数字或字符串）",
	    "13, 14 or 15 (a number or a string)");
}

static char *
parse_field(const struct member *v, const struct field *f,
    struct sched_event *ev)
{
	char	*at = (char *)ev + f->offset;

	switch (f->kind) {
	case F_TEXT:
	case F_NOTE:
		return parse_string(v, f, (char **)(void *)at);
	case F_DATE:
		return parse_date(v, f, (int *)(void *)at);
	case F_BOOL:
		if (v->kind != M_TRUE && v->kind != M_FALSE)
			return bad_type(f->name, "true 或 false", "true or false");
		*(bool *)(void *)at = v->kind == M_TRUE;
		return NULL;
	case F_COUNT:
		return parse_count(v, f, (int *)(void *)at);
	case F_YEAR:
		return parse_year(v, f, (int *)(void *)at);
	case F_GRADE:
		return parse_grade(v, f, (enum sched_grade *)(void *)at);
	case F_OUTCOME:
		return parse_outcome(v, f, (bool *)(void *)at);
	case F_ARTICLE:
		return parse_article(v, f, (int *)(void *)at);
	}
	return NULL;
}

static const struct field *
find_field(const struct field *fields, const char *name)
{
	for (; fields->name != NULL; fields++) {
		if (strcmp(fields->name, name) == 0)
			return fields;
	}
	return NULL;
}

/* Checks that hold between fields of one event. */
static char *
check_together(const struct sched_event *ev)
{
	if (ev->type == SCHED_EV_COMMITTEE_FORMED &&
	    ev->host_members > ev->members)
		return xasprintf("host_members（%d）不能大于 members（%d）/ "
		    "host_members (%d) must not exceed members (%d)",
		    ev->host_members, ev->members, ev->host_members,
		    ev->members);
	if (ev->type != SCHED_EV_EVALUATION_RESULT)
		return NULL;
	if (ev->grade == SCHED_GRADE_FAIL && ev->rectify_by == SCHED_NO_DAY)
		return xstrdup("评价结果为 fail 时必须给出 rectify_by（整改期限）"
		    " / \"rectify_by\" is required when grade is fail");
	if (ev->grade != SCHED_GRADE_FAIL && ev->rectify_by != SCHED_NO_DAY)
		return xasprintf("只有 grade 为 fail 时才可有 rectify_by（此处 "
		    "grade 为 %s）/ \"rectify_by\" is only allowed when grade is "
		    "fail (grade is %s)", grades[ev->grade], grades[ev->grade]);
	return NULL;
}

static const struct member *
find_member(const struct member *m, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(m[i].name, name) == 0)
			return &m[i];
	}
	return NULL;
}

static char *
parse_fields(const struct member *m, size_t n, struct sched_event *ev)
{
	const struct field	*fields = types[ev->type].fields, *f;
	char			*why;
	size_t			 i;
	int			 pass;

	for (i = 0; i < n; i++) {
		if (strcmp(m[i].name, "type") == 0)
			continue;
		f = find_field(f_common, m[i].name);
		if (f != NULL && strcmp(m[i].name, "centre") == 0 &&
		    types[ev->type].bureau_wide)
			f = NULL;
		if (f == NULL)
			f = find_field(fields, m[i].name);
		if (f == NULL)
			return xasprintf("%s 事件没有字段 \"%s\" / type %s has "
			    "no field \"%s\"", types[ev->type].name, m[i].name,
			    types[ev->type].name, m[i].name);
		if ((why = parse_field(&m[i], f, ev)) != NULL)
			return why;
	}
	for (pass = 0; pass < 2; pass++) {
		for (f = pass ? fields : f_common; f->name != NULL; f++) {
			if (!f->required || find_member(m, n, f->name))
				continue;
			if (strcmp(f->name, "centre") == 0 &&
			    types[ev->type].bureau_wide)
				continue;
			return xasprintf("缺少必填字段 \"%s\" / missing "
			    "required field \"%s\"", f->name, f->name);
		}
	}
	return check_together(ev);
}

/* An event from the members of its object, in their order. */
static struct sched_event *
event_from_members(const struct member *m, size_t n, char **error)
{
	struct sched_event	*ev;
	const struct member	*type;
	int			 t;

	type = find_member(m, n, "type");
	if (type == NULL) {
		*error = xstrdup("缺少必填字段 \"type\" / missing required "
		    "field \"type\"");
		return NULL;
	}
	for (t = 0; t < SCHED_EV_COUNT; t++) {
		if (type->kind == M_STRING &&
		    strcmp(type->s, types[t].name) == 0)
			break;
	}
	if (t == SCHED_EV_COUNT) {
		*error = type->kind == M_STRING ? xasprintf("未知的事件类型 "
		    "\"%s\" / unknown event type \"%s\"", type->s, type->s) :
		    bad_type("type", "事件类型名称",
		    "a string naming an event type");
		return NULL;
	}
	ev = event_new();
	ev->type = (enum sched_event_type)t;
	if ((*error = parse_fields(m, n, ev)) != NULL) {
		sched_event_free(ev);
		return NULL;
	}
	return ev;
}

struct sched_event *
sched_event_from_json(const json_t *obj, char **error)
{
	struct sched_event	*ev;
	struct member		*m;
	const char		*name;
	json_t			*v;
	size_t			 n = 0;

	if (!json_is_object(obj)) {
		*error = xstrdup("事件应为一个 JSON 对象 / an event must be a "
		    "JSON object");
		return NULL;
	}
	m = xcalloc(json_object_size(obj) + 1, sizeof(*m));
	json_object_foreach((json_t *)obj, name, v) {
		m[n].name = name;
		if (json_is_string(v)) {
			m[n].kind = M_STRING;
			m[n].s = json_string_value(v);
			m[n].len = json_string_length(v);
		} else if (json_is_integer(v)) {
			m[n].kind = M_INTEGER;
			m[n].n = json_integer_value(v);
		} else if (json_is_boolean(v))
			m[n].kind = json_is_true(v) ? M_TRUE : M_FALSE;
		else
			m[n].kind = M_OTHER;
		n++;
	}
	ev = event_from_members(m, n, error);
	free(m);
	return ev;
}

/* ---- the quick reader ---- */

/*
 * Reading a journal through jansson decoded each line into a tree of
 * allocations only to copy a few fields out of it: a quarter to a third
 * of the time of planning 10,000 centres.  Nearly every line is plain: one flat object
 * whose values are strings without escapes, small integers and booleans.
 * The quick reader takes exactly those, in place, and gives up on
 * anything else (an escape, a control character, bytes that are not
 * UTF-8, a real number, null, nesting, a repeated name, more members than
 * QUICK_MEMBERS), which then goes to jansson.  So whatever jansson would
 * refuse, or read differently, jansson still reads.
 */
#define QUICK_MEMBERS	16
#define QUICK_LINE	1024	/* bytes of a line copied on the stack */
#define QUICK_DIGITS	18	/* never past long long */

static char *
skip_ws(char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* A string without escapes; its closing quote becomes its NUL.  Returns
 * what follows it, or NULL to give up. */
static char *
quick_string(char *p, const char *end, const char **s, size_t *len)
{
	char	*q;

	if (p == end || *p != '"')
		return NULL;
	for (q = ++p; q < end && *q != '"'; q++) {
		if ((unsigned char)*q < 0x20 || *q == '\\')
			return NULL;
	}
	if (q == end || !utf8_valid(p, (size_t)(q - p)))
		return NULL;
	*q = '\0';
	*s = p;
	*len = (size_t)(q - p);
	return q + 1;
}

/* An integer as JSON writes it (no leading zero), short enough that it
 * cannot overflow, and not the start of a real number. */
static char *
quick_integer(char *p, const char *end, long long *n)
{
	bool	 neg = false;
	size_t	 digits = 0;

	*n = 0;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p < end && *p == '0') {
		digits = 1;
		p++;
	} else {
		for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits == QUICK_DIGITS)
				return NULL;
			*n = *n * 10 + (*p - '0');
		}
	}
	if (digits == 0 || (p < end && ((*p >= '0' && *p <= '9') ||
	    *p == '.' || *p == 'e' || *p == 'E')))
		return NULL;
	if (neg)
		*n = -*n;
	return p;
}

static char *
quick_word(char *p, const char *end, const char *word)
{
	size_t	 len = strlen(word);

	if ((size_t)(end - p) < len || memcmp(p, word, len) != 0)
		return NULL;
	return p + len;
}

static char *
quick_value(char *p, const char *end, struct member *m)
{
	if (p == end)
		return NULL;
	if (*p == '"') {
		m->kind = M_STRING;
		return quick_string(p, end, &m->s, &m->len);
	}
	if (*p == 't') {
		m->kind = M_TRUE;
		return quick_word(p, end, "true");
	}
	if (*p == 'f') {
		m->kind = M_FALSE;
		return quick_word(p, end, "false");
	}
	m->kind = M_INTEGER;
	return quick_integer(p, end, &m->n);
}

/* The members of a plain object filling text[0..len), read in place
 * (text is changed); -1 to give up. */
static int
quick_read(char *text, size_t len, struct member *m, size_t *n)
{
	char		*p = text;
	const char	*end = text + len;
	size_t		 i, k;

	*n = 0;
	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return -1;
	p = skip_ws(p, end);
	for (i = 0; p < end && *p != '}'; i++) {
		if (i == QUICK_MEMBERS || (i > 0 && *p++ != ','))
			return -1;
		p = skip_ws(p, end);
		if ((p = quick_string(p, end, &m[i].name, &k)) == NULL)
			return -1;
		p = skip_ws(p, end);
		if (p == end || *p++ != ':')
			return -1;
		p = skip_ws(p, end);
		if ((p = quick_value(p, end, &m[i])) == NULL)
			return -1;
		p = skip_ws(p, end);
		for (k = 0; k < i; k++) {
			if (strcmp(m[k].name, m[i].name) == 0)
				return -1;
		}
	}
	if (p == end || skip_ws(p + 1, end) != end)
		return -1;
	*n = i;
	return 0;
}

struct sched_event *
sched_event_from_text(const char *text, size_t len, size_t flags,
    json_error_t *jerr, char **error)
{
	struct member		 m[QUICK_MEMBERS];
	struct sched_event	*ev;
	char			 line[QUICK_LINE], *copy = line;
	json_t			*obj;
	size_t			 n;
	int			 rc;

	/*
	 * The reader writes into its copy, and keeps nothing of it (fields
	 * are copied out).  On the stack for a usual line: a copy from the
	 * heap for each of two million stored events, freed at once among
	 * the events kept, left malloc sorting its bins.
	 */
	if (len >= sizeof(line))
		copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	*error = NULL;
	rc = quick_read(copy, len, m, &n);
	ev = rc == 0 ? event_from_members(m, n, error) : NULL;
	if (copy != line)
		free(copy);
	if (rc == 0)
		return ev;
	if ((obj = json_loadb(text, len, flags, jerr)) == NULL)
		return NULL;
	ev = sched_event_from_json(obj, error);
	json_decref(obj);
	return ev;
}

static void
put_date(json_t *obj, const char *name, int day)
{
	char	 buf[SCHED_DATE_LEN];

	if (day != SCHED_NO_DAY)
		json_object_set_new(obj, name,
		    json_string(sched_date_format(day, buf)));
}

static void
put_text(json_t *obj, const char *name, const char *s)
{
	if (s != NULL)
		json_object_set_new(obj, name, json_string(s));
}

json_t *
sched_event_to_json(const struct sched_event *ev)
{
	const struct field	*f;
	json_t			*obj;
	const char		*at;

	obj = json_object();
	json_object_set_new(obj, "type", json_string(types[ev->type].name));
	for (f = f_common; f->name != NULL; f++) {
		at = (const char *)ev + f->offset;
		if (f->kind == F_DATE)
			put_date(obj, f->name, *(const int *)(const void *)at);
		else
			put_text(obj, f->name, *(char *const *)(const void *)at);
	}
	for (f = types[ev->type].fields; f->name != NULL; f++) {
		at = (const char *)ev + f->offset;
		switch (f->kind) {
		case F_TEXT:
		case F_NOTE:
			put_text(obj, f->name, *(char *const *)(const void *)at);
			break;
		case F_DATE:
			put_date(obj, f->name, *(const int *)(const void *)at);
			break;
		case F_BOOL:
			if (*(const bool *)(const void *)at)
				json_object_set_new(obj, f->name, json_true());
			break;
		case F_COUNT:
		case F_YEAR:
		case F_ARTICLE:
			json_object_set_new(obj, f->name, json_integer(
			    *(const int *)(const void *)at));
			break;
		case F_GRADE:
			json_object_set_new(obj, f->name,
			    json_string(grades[ev->grade]));
			break;
		case F_OUTCOME:
			json_object_set_new(obj, f->name, json_string(
			    ev->outcome_recognized ? "recognized" :
			    "not_recognized"));
			break;
		}
	}
	return obj;
}
