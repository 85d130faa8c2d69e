/*
 * table.c: obligations as a table for people, in Chinese, aligned on a
 * terminal where each Chinese character takes two columns.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/common.h"
#include "ctl/ctl.h"

#define NCOLS	6

static const char *headers[NCOLS] = {
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

static char *
days_left(const struct sched_obligation *o, const struct sched_calendar *cal,
    int as_of)
{
	int	 work, day;

	if (o->state == SCHED_DONE || o->state == SCHED_VOID)
		return xstrdup("—");
	if (o->due < as_of)
		return xasprintf("逾期%d天", as_of - o->due);
	if (o->due == as_of)
		return xstrdup("今天到期");
	work = sched_calendar_working_between(cal, as_of, o->due);
	/* Counted through a year whose schedule is not loaded: a guess. */
	for (day = as_of + 1; day <= o->due; day++) {
		if (sched_calendar_provisional_year(cal, day) != 0)
			return xasprintf("%d天（约%d个工作日，暂定）",
			    o->due - as_of, work);
	}
	return xasprintf("%d天（%d个工作日）", o->due - as_of, work);
}

static void
print_row(char **cells, const int *widths)
{
	int	 i, pad;

	for (i = 0; i < NCOLS; i++) {
		fputs(cells[i], stdout);
		if (i == NCOLS - 1)
			break;
		pad = widths[i] - display_width(cells[i]) + 2;
		while (pad-- > 0)
			putchar(' ');
	}
	putchar('\n');
}

void
ctl_print_table(const struct sched_plan *plan, const struct sched_rules *rules,
    const struct sched_calendar *cal, int as_of)
{
	char	***rows, d[SCHED_DATE_LEN];
	int	 widths[NCOLS], i;
	size_t	 r;

	setlocale(LC_CTYPE, "C.UTF-8");
	rows = xcalloc(plan->count + 1, sizeof(*rows));
	for (i = 0; i < NCOLS; i++)
		widths[i] = display_width(headers[i]);
	for (r = 0; r < plan->count; r++) {
		const struct sched_obligation *o = &plan->obligations[r];

		rows[r] = xcalloc(NCOLS, sizeof(char *));
		rows[r][0] = xasprintf("%s %s%s", sched_date_format(o->due, d),
		    sched_weekday_cn(o->due), o->provisional ? "（暂定）" : "");
		rows[r][1] = days_left(o, cal, as_of);
		rows[r][2] = xstrdup(state_cn(o->state));
		rows[r][3] = xstrdup(sched_rule_article_cn(o->rule));
		rows[r][4] = o->year != 0 ? xasprintf("%s（%d年度）",
		    rules->text[o->rule].title, o->year) :
		    xstrdup(rules->text[o->rule].title);
		rows[r][5] = o->centre == NULL ? xstrdup("全市") :
		    xasprintf("%s（%s）", o->centre_name, o->centre);
		for (i = 0; i < NCOLS; i++) {
			int w = display_width(rows[r][i]);

			if (w > widths[i])
				widths[i] = w;
		}
	}
	print_row((char **)headers, widths);
	for (r = 0; r < plan->count; r++) {
		print_row(rows[r], widths);
		for (i = 0; i < NCOLS; i++)
			free(rows[r][i]);
		free(rows[r]);
	}
	free(rows);
	printf("\n共 %zu 项义务，截至 %s（%s）。\n", plan->count,
	    sched_date_format(as_of, d), sched_weekday_cn(as_of));
}
