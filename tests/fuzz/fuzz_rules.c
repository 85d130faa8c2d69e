/*
 * fuzz_rules.c: a rule pack through sched_rules_load, then the words a
 * plan and a feed take from it.
 *
 * Invariants: a refusal leaves the rules as they were (the pack name and
 * every title unchanged) and its every line starts with the source; an
 * accepted pack has a title for every rule and valid reminder schedules.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/scheduler.h"
#include "tests/fuzz/fuzz.h"

#define SOURCE	"fuzz.ini"

static char *
snapshot(const struct sched_rules *r)
{
	size_t	 i, len = 0;
	char	*s;

	for (i = 0; i < SCHED_R_COUNT; i++)
		len += strlen(r->text[i].title ? r->text[i].title : "") + 1;
	len += strlen(r->pack ? r->pack : "") + 1;
	if ((s = calloc(1, len)) == NULL)
		abort();
	strcat(s, r->pack ? r->pack : "");
	for (i = 0; i < SCHED_R_COUNT; i++) {
		strcat(s, "\n");
		strcat(s, r->text[i].title ? r->text[i].title : "");
	}
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sched_rules	*rules = sched_rules_new();
	char			*before, *after, *error = NULL;
	size_t			 i, k;

	before = snapshot(rules);
	if (sched_rules_load(rules, SOURCE, (const char *)data, size,
	    &error) == -1) {
		const char *line = error;

		while (line != NULL && *line != '\0') {
			if (strncmp(line, SOURCE, strlen(SOURCE)) != 0)
				fuzz_fail("an error line without its place: "
				    "%.80s", line);
			if ((line = strchr(line, '\n')) != NULL)
				line++;
		}
		after = snapshot(rules);
		if (strcmp(before, after) != 0)
			fuzz_fail("a refused pack changed the rules");
		free(after);
		free(error);
	} else {
		for (i = 0; i < SCHED_R_COUNT; i++) {
			const struct sched_remind_schedule *rs =
			    &rules->remind[i];

			if (rules->text[i].title == NULL)
				fuzz_fail("rule %zu has no title", i);
			if (rs->nbefore > SCHED_REMIND_MAX_OFFSETS)
				fuzz_fail("rule %zu: %zu offsets", i,
				    rs->nbefore);
			for (k = 0; k < rs->nbefore; k++) {
				if (rs->before[k].n < 0)
					fuzz_fail("a negative offset");
			}
			(void)sched_rule_name((enum sched_rule)i);
			(void)sched_rule_article_cn((enum sched_rule)i);
		}
	}
	free(before);
	sched_rules_free(rules);
	return 0;
}
