/*
 * table.c: tables for people, aligned on a terminal where each Chinese
 * character takes two columns: a small table of text cells, and on top of
 * it the obligations table that ticctl plan and the remote commands share.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/common.h"
#include "ctl/ctl.h"

/* Owner: whoever calls ctl_table_new; it owns every row and cell. */
struct ctl_table {
	const char	*const *headers;	/* borrowed */
	size_t		 ncols;
	char		***rows;
	size_t		 nrows;
	size_t		 caprows;
};

static const char *obligation_headers[] = {
	"到期日", "剩余", "状态", "条款", "义务", "中心"
};

static const char *
state_cn(enum sched_state s)
{
	static const char *names[] = { "未到期", "已逾期", "已完成", "已失效" };

	return names[s];
}

/* Terminal columns of a UTF-8 string (wcwidth, under a UTF-8 locale). */
static int
display_width(const char *s)
{
	mbstate_t	 st;
	wchar_t		 wc;
	size_t		 n, len = strlen(s);
	int		 w = 0, cw;

	memset(&st, 0, sizeof(st));
	while (len > 0) {
		n = mbrtowc(&wc, s, len, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			/* Not UTF-8: count the byte and resynchronise. */
			memset(&st, 0, sizeof(st));
			n = 1;
			cw = 1;
		} else {
			if (n == 0)
				n = 1;
			cw = wcwidth(wc);
			if (cw < 0)
				cw = 1;
		}
		w += cw;
		s += n;
		len -= n;
	}
	return w;
}

struct ctl_table *
ctl_table_new(size_t ncols, const char *const *headers)
{
	struct ctl_table	*t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->headers = headers;
	return t;
}

void
ctl_table_free(struct ctl_table *t)
{
	size_t	 r, i;

	if (t == NULL)
		return;
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	free(t->rows);
	free(t);
}

char **
ctl_table_row(struct ctl_table *t)
{
	if (t->nrows == t->caprows) {
		t->caprows = t->caprows ? t->caprows * 2 : 16;
		t->rows = xreallocarray(t->rows, t->caprows, sizeof(*t->rows));
	}
	t->rows[t->nrows] = xcalloc(t->ncols, sizeof(char *));
	return t->rows[t->nrows++];
}

size_t
ctl_table_count(const struct ctl_table *t)
{
	return t->nrows;
}

static void
print_row(const struct ctl_table *t, char *const *cells, const int *widths)
{
	const char	*cell;
	size_t		 i;
	int		 pad;

	for (i = 0; i < t->ncols; i++) {
		cell = cells[i] != NULL ? cells[i] : "";
		fputs(cell, stdout);
		/* No padding after the last column: no trailing blanks. */
		if (i == t->ncols - 1)
			break;
		pad = widths[i] - display_width(cell) + 2;
		while (pad-- > 0)
			putchar(' ');
	}
	putchar('\n');
}

void
ctl_table_print(const struct ctl_table *t)
{
	int	*widths, w;
	size_t	 r, i;

	setlocale(LC_CTYPE, "C.UTF-8");
	widths = xcalloc(t->ncols, sizeof(int));
	for (i = 0; i < t->ncols; i++)
		widths[i] = display_width(t->headers[i]);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			if (t->rows[r][i] == NULL)
				continue;
			w = display_width(t->rows[r][i]);
			if (w > widths[i])
				widths[i] = w;
		}
	}
	print_row(t, (char *const *)t->headers, widths);
	for (r = 0; r < t->nrows; r++)
		print_row(t, t->rows[r], widths);
	free(widths);
}

static char *
days_left(const struct ctl_row *o, const struct sched_calendar *cal,
    int as_of)
{
	int	 work;
	bool	 guess;

	if (o->state == SCHED_DONE || o->state == SCHED_VOID)
		return xstrdup("—");
	if (o->due < as_of)
		return xasprintf("逾期%d天", as_of - o->due);
	if (o->due == as_of)
		return xstrdup("今天到期");
	/* ticd's own count when it gave one, else this machine's. */
	if (o->workdays_known) {
		work = o->workdays;
		guess = o->workdays_guess;
	} else if (cal != NULL) {
		work = sched_calendar_working_between(cal, as_of, o->due);
		guess = sched_calendar_guess_between(cal, as_of, o->due);
	} else
		return xasprintf("%d天", o->due - as_of);
	return xasprintf(guess ? "%d天（约%d个工作日，暂定）" :
	    "%d天（%d个工作日）", o->due - as_of, work);
}

void
ctl_print_rows(const struct ctl_row *rows, size_t n,
    const struct sched_calendar *cal, int as_of)
{
	struct ctl_table	*t;
	char			**cells, d[SCHED_DATE_LEN];
	size_t			 r;

	t = ctl_table_new(nitems(obligation_headers), obligation_headers);
	for (r = 0; r < n; r++) {
		const struct ctl_row *o = &rows[r];

		cells = ctl_table_row(t);
		cells[0] = xasprintf("%s %s%s", sched_date_format(o->due, d),
		    sched_weekday_cn(o->due), o->provisional ? "（暂定）" : "");
		cells[1] = days_left(o, cal, as_of);
		cells[2] = xstrdup(state_cn(o->state));
		cells[3] = xstrdup(o->article);
		cells[4] = o->year != 0 ? xasprintf("%s（%d年度）", o->title,
		    o->year) : xstrdup(o->title);
		if (o->centre == NULL)
			cells[5] = xstrdup("全市");
		else if (o->centre_name == NULL)
			cells[5] = xstrdup(o->centre);
		else
			cells[5] = xasprintf("%s（%s）", o->centre_name,
			    o->centre);
	}
	ctl_table_print(t);
	ctl_table_free(t);
	printf("\n共 %zu 项义务，截至 %s（%s）。\n", n,
	    sched_date_format(as_of, d), sched_weekday_cn(as_of));
}

void
ctl_print_table(const struct sched_plan *plan, const struct sched_rules *rules,
    const struct sched_calendar *cal, int as_of)
{
	struct ctl_row	*rows;
	size_t		 r;

	rows = xcalloc(plan->count + 1, sizeof(*rows));
	for (r = 0; r < plan->count; r++) {
		const struct sched_obligation *o = &plan->obligations[r];

		rows[r].due = o->due;
		rows[r].provisional = o->provisional;
		rows[r].state = o->state;
		rows[r].article = sched_rule_article_cn(o->rule);
		rows[r].title = sched_obligation_title(o, rules);
		rows[r].year = sched_obligation_year(o);
		rows[r].centre = o->centre;
		rows[r].centre_name = o->centre_name;
	}
	ctl_print_rows(rows, plan->count, cal, as_of);
	free(rows);
}

char *
ctl_cell(const json_t *obj, const char *key)
{
	const json_t	*v = json_object_get(obj, key);

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	return xstrdup("—");
}

char *
ctl_cell_short(const json_t *obj, const char *key, size_t max)
{
	char	*s = ctl_cell(obj, key), *cut;
	size_t	 n = 0, i;

	/* Cut at max characters, never inside a UTF-8 sequence; the cut
	 * text is made anew ("…" is 3 bytes, and may be longer than what
	 * it replaces). */
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == max) {
			cut = xasprintf("%.*s…", (int)i, s);
			free(s);
			return cut;
		}
	}
	return s;
}
