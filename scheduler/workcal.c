/*
 * workcal.c: China's working-day calendar, by year.
 *
 * A working day is Monday to Friday, minus the State Council's days off,
 * plus its make-up working days (调休上班).  The schedule of a year is
 * published in the preceding autumn; a year without one is counted with
 * only its fixed statutory days off (全国年节及纪念日放假办法, 2024) and
 * every date counted through it is provisional (DOMAIN rule 5).
 *
 * The table is a sorted array of the listed days; a plan looks up a few
 * days per working-day count, so a binary search is all it needs.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scheduler/scheduler.h"

enum row_kind {
	ROW_HOLIDAY,
	ROW_WORKDAY
};

struct row {
	int		 day;
	enum row_kind	 kind;
	char		*name;
	int		 line;		/* while loading only */
};

struct sched_calendar {
	struct row	*rows;		/* sorted by day, one per day */
	size_t		 nrows;
	bool		 published[SCHED_YEAR_MAX - SCHED_YEAR_MIN + 1];
};

struct sched_calendar *
sched_calendar_new(void)
{
	return xcalloc(1, sizeof(struct sched_calendar));
}

static void
rows_free(struct row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
}

void
sched_calendar_free(struct sched_calendar *cal)
{
	if (cal == NULL)
		return;
	rows_free(cal->rows, cal->nrows);
	free(cal);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row	*ra = a, *rb = b;

	return (ra->day > rb->day) - (ra->day < rb->day);
}

/* Splits off the next line; returns its length without the newline. */
static size_t
next_line(const char **p, const char *end, const char **line)
{
	const char	*nl;
	size_t		 len;

	*line = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	len = (size_t)((nl != NULL ? nl : end) - *p);
	*p = nl != NULL ? nl + 1 : end;
	if (len > 0 && (*line)[len - 1] == '\r')
		len--;
	return len;
}

/* Parses "date<TAB>kind<TAB>name"; returns the problem, or NULL. */
static char *
parse_row(const char *line, size_t len, struct row *row)
{
	const char	*t1, *t2, *end = line + len;
	char		 date[16], *kind;
	int		 y, m, d;

	/* Checked first, so that no error below quotes bytes that are not
	 * text: a holiday's name reaches feeds and mail. */
	if (!utf8_valid(line, len))
		return xstrdup("不是 UTF-8 编码 / not UTF-8 (save the table as "
		    "UTF-8)");
	t1 = memchr(line, '\t', len);
	t2 = t1 != NULL ? memchr(t1 + 1, '\t', (size_t)(end - t1 - 1)) : NULL;
	if (t1 == NULL || t2 == NULL)
		return xstrdup("应为三列：日期、类型、名称，以制表符分隔 / "
		    "expected three tab-separated columns: date, kind, name");
	if ((size_t)(t1 - line) >= sizeof(date))
		return xstrdup("日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD");
	memcpy(date, line, (size_t)(t1 - line));
	date[t1 - line] = '\0';
	if (sched_date_parse(date, &row->day) == -1)
		return xasprintf("\"%s\" 不是有效日期 / \"%s\" is not a real "
		    "day in YYYY-MM-DD form", date, date);
	kind = xstrndup(t1 + 1, (size_t)(t2 - t1 - 1));
	if (strcmp(kind, "holiday") == 0)
		row->kind = ROW_HOLIDAY;
	else if (strcmp(kind, "workday") == 0)
		row->kind = ROW_WORKDAY;
	else {
		char *why = xasprintf("类型应为 holiday 或 workday，而不是 "
		    "\"%s\" / kind must be holiday or workday, not \"%s\"",
		    kind, kind);
		free(kind);
		return why;
	}
	free(kind);
	if (t2 + 1 >= end || memchr(t2 + 1, '\t', (size_t)(end - t2 - 1)))
		return xstrdup("名称为空或多出一列 / the name is empty or "
		    "there is a fourth column");
	sched_ymd(row->day, &y, &m, &d);
	if (row->kind == ROW_WORKDAY && sched_weekday(row->day) < 6)
		return xasprintf("%s 是工作日（%s），调休上班日应是周六或周日 / "
		    "a make-up working day must be a Saturday or Sunday",
		    date, sched_weekday_cn(row->day));
	row->name = xstrndup(t2 + 1, (size_t)(end - t2 - 1));
	return NULL;
}

static bool
is_header(const char *line, size_t len)
{
	return len >= 5 && strncmp(line, "date\t", 5) == 0;
}

/* Reads every row of a table; on error returns -1 with all problems. */
static int
parse_table(const char *source, const char *text, size_t len,
    struct row **out, size_t *nout, char **error)
{
	const char	*p = text, *end = text + len, *line;
	struct row	*rows = NULL, row;
	size_t		 n = 0, cap = 0, i, l;
	struct buf	 errs = { 0 };
	int		 lineno = 0;
	char		*why;

	while (p < end) {
		l = next_line(&p, end, &line);
		lineno++;
		if (l == 0 || line[0] == '#' || (lineno == 1 &&
		    is_header(line, l)))
			continue;
		memset(&row, 0, sizeof(row));
		if ((why = parse_row(line, l, &row)) != NULL) {
			buf_printf(&errs, "%s%s:%d: %s", errs.len ? "\n" : "",
			    source, lineno, why);
			free(why);
			continue;
		}
		row.line = lineno;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		rows[n++] = row;
	}
	/* qsort and bsearch want a non-NULL array even for zero rows. */
	if (n > 0)
		qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 1; i < n; i++) {
		char	 date[SCHED_DATE_LEN];
		int	 first = rows[i - 1].line, again = rows[i].line;

		if (rows[i].day != rows[i - 1].day)
			continue;
		if (again < first) {
			first = rows[i].line;
			again = rows[i - 1].line;
		}
		sched_date_format(rows[i].day, date);
		buf_printf(&errs, "%s%s:%d: %s 重复（已见于第 %d 行）/ %s is "
		    "listed twice (first on line %d)", errs.len ? "\n" : "",
		    source, again, date, first, date, first);
	}
	if (errs.len > 0) {
		rows_free(rows, n);
		*error = buf_take(&errs);
		return -1;
	}
	*out = rows;
	*nout = n;
	return 0;
}

static bool
in_published_part(int day)
{
	int	 y, m, d;

	sched_ymd(day, &y, &m, &d);
	return m <= 11;
}

int
sched_calendar_load(struct sched_calendar *cal, const char *source,
    const char *text, size_t len, char **error)
{
	struct row	*rows, *merged;
	size_t		 nrows, i, j, n;
	bool		 replaces[nitems(cal->published)] = { false };
	int		 y;

	if (parse_table(source, text, len, &rows, &nrows, error) == -1)
		return -1;
	for (i = 0; i < nrows; i++) {
		if (in_published_part(rows[i].day))
			replaces[sched_year(rows[i].day) - SCHED_YEAR_MIN] =
			    true;
	}
	/* Keep the old rows that the new table neither replaces by year
	 * nor names by date; then merge and sort. */
	merged = xreallocarray(NULL, cal->nrows + nrows + 1, sizeof(*merged));
	n = 0;
	for (i = 0; i < cal->nrows; i++) {
		struct row	 key = { .day = cal->rows[i].day };

		y = sched_year(cal->rows[i].day) - SCHED_YEAR_MIN;
		if ((replaces[y] && in_published_part(cal->rows[i].day)) ||
		    (nrows > 0 && bsearch(&key, rows, nrows, sizeof(*rows), row_cmp))) {
			free(cal->rows[i].name);
			continue;
		}
		merged[n++] = cal->rows[i];
	}
	for (j = 0; j < nrows; j++)
		merged[n++] = rows[j];
	free(rows);
	free(cal->rows);
	if (n > 0)
		qsort(merged, n, sizeof(*merged), row_cmp);
	cal->rows = merged;
	cal->nrows = n;
	for (y = 0; y < (int)nitems(replaces); y++) {
		if (replaces[y])
			cal->published[y] = true;
	}
	return 0;
}

bool
sched_calendar_published(const struct sched_calendar *cal, int year)
{
	if (year < SCHED_YEAR_MIN || year > SCHED_YEAR_MAX)
		return false;
	return cal->published[year - SCHED_YEAR_MIN];
}

void
sched_calendar_span(const struct sched_calendar *cal, int *first, int *last)
{
	int	 y;

	*first = *last = 0;
	for (y = SCHED_YEAR_MIN; y <= SCHED_YEAR_MAX; y++) {
		if (!sched_calendar_published(cal, y))
			continue;
		if (*first == 0)
			*first = y;
		*last = y;
	}
}

/* The fixed statutory days off, the only ones known before a year's
 * schedule is published. */
static const char *
statutory_day_off(int day)
{
	int	 y, m, d;

	sched_ymd(day, &y, &m, &d);
	if (m == 1 && d == 1)
		return "元旦";
	if (m == 5 && d <= 2)
		return "劳动节";
	if (m == 10 && d <= 3)
		return "国庆节";
	return NULL;
}

void
sched_calendar_dayinfo(const struct sched_calendar *cal, int day,
    struct sched_dayinfo *info)
{
	struct row	 key = { .day = day }, *row;
	bool		 weekend = sched_weekday(day) >= 6;

	info->name = NULL;
	row = cal->nrows == 0 ? NULL :
	    bsearch(&key, cal->rows, cal->nrows, sizeof(*row), row_cmp);
	if (row != NULL) {
		info->name = row->name;
		info->kind = row->kind == ROW_HOLIDAY ? SCHED_DAY_HOLIDAY :
		    SCHED_DAY_MAKEUP;
		info->working = row->kind == ROW_WORKDAY;
		return;
	}
	if (!sched_calendar_published(cal, sched_year(day)) &&
	    (info->name = statutory_day_off(day)) != NULL) {
		info->kind = SCHED_DAY_STATUTORY;
		info->working = false;
		return;
	}
	info->kind = weekend ? SCHED_DAY_WEEKEND : SCHED_DAY_WORK;
	info->working = !weekend;
}

bool
sched_calendar_is_working(const struct sched_calendar *cal, int day)
{
	struct sched_dayinfo	 info;

	sched_calendar_dayinfo(cal, day, &info);
	return info.working;
}

int
sched_calendar_provisional_year(const struct sched_calendar *cal, int day)
{
	int	 y, m, d;

	sched_ymd(day, &y, &m, &d);
	if (!sched_calendar_published(cal, y))
		return y;
	/* The next year's notice may still change this December. */
	if (m == 12 && !sched_calendar_published(cal, y + 1))
		return y + 1;
	return 0;
}

int
sched_calendar_count(const struct sched_calendar *cal, int day, int n,
    bool include_start, bool *provisional)
{
	int	 counted = 0, d = include_start ? day : day + 1;

	*provisional = false;
	/* Every year has far more than 100 working days: the bound only
	 * keeps a corrupt table from looping forever. */
	for (; d < day + 366 + n * 7; d++) {
		if (sched_calendar_provisional_year(cal, d) != 0)
			*provisional = true;
		if (sched_calendar_is_working(cal, d) && ++counted == n)
			return d;
	}
	*provisional = true;
	return d;
}

bool
sched_calendar_guess_between(const struct sched_calendar *cal, int from,
    int to)
{
	int	 d, hi = from < to ? to : from;

	for (d = (from < to ? from : to) + 1; d <= hi; d++)
		if (sched_calendar_provisional_year(cal, d) != 0)
			return true;
	return false;
}

int
sched_calendar_working_between(const struct sched_calendar *cal, int from,
    int to)
{
	int	 d, n = 0;

	for (d = from + 1; d <= to; d++)
		n += sched_calendar_is_working(cal, d);
	return n;
}
