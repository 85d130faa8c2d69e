/*
 * journal.c: reading a journal file (JSON Lines, DOMAIN.md's events) into
 * the scheduler's journal, for ticctl plan and ticd's first import.
 *
 * Blank lines and lines starting with "#" are skipped, so a journal can
 * carry comments.  The first refused line stops the reading: the message
 * names the file and line, quotes the event as given, and says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "conf/conf.h"

#define QUOTE_MAX	400	/* bytes of a refused event quoted back */

/* The event as the user gave it, safe to print on one line. */
static char *
quote_line(const char *line, size_t len)
{
	struct buf	 b = { 0 };
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)line[i];

		buf_add(&b, c < 0x20 || c == 0x7f ? "?" : &line[i], 1);
	}
	if (len > QUOTE_MAX)
		buf_adds(&b, "…");
	return buf_take(&b);
}

static char *
refusal(const char *name, int lineno, const char *line, size_t len,
    const char *why)
{
	char	*q = quote_line(line, len), *msg;

	msg = xasprintf("%s:%d: 拒绝 / refused %s: %s", name, lineno, q, why);
	free(q);
	return msg;
}

static bool
blank_or_comment(const char *line, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (line[i] == '#')
			return true;
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	}
	return true;
}

int
conf_read_journal(FILE *f, const char *name, struct sched_journal *j,
    const struct sched_rules *rules, int today, char **error)
{
	char			*line = NULL, *why;
	size_t			 cap = 0, len;
	ssize_t			 n;
	int			 lineno = 0, rc = 0;
	json_error_t		 jerr;
	struct sched_event	*ev;

	while ((n = getline(&line, &cap, f)) != -1) {
		len = (size_t)n;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (blank_or_comment(line, len))
			continue;
		ev = sched_event_from_text(line, len, JSON_REJECT_DUPLICATES,
		    &jerr, &why);
		if (ev == NULL && why == NULL) {
			why = xasprintf("不是有效的 JSON / not valid JSON: %s "
			    "(column %d)", jerr.text, jerr.column);
			*error = refusal(name, lineno, line, len, why);
			free(why);
			rc = -1;
			break;
		}
		if (ev != NULL) {
			ev->line = lineno;
			if (sched_journal_add(j, ev, rules, today, &why) == 0)
				continue;
			sched_event_free(ev);
		}
		*error = refusal(name, lineno, line, len, why);
		free(why);
		rc = -1;
		break;
	}
	if (rc == 0 && ferror(f)) {
		*error = xasprintf("%s: 读取失败 / read error", name);
		rc = -1;
	}
	free(line);
	return rc;
}

