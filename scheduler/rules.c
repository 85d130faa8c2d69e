/*
 * rules.c: what each rule of the measures is, and the rule pack.
 *
 * The facts that are law (article, whether a rule is a period or a yearly
 * duty) are in the table below and nowhere else; the words people read
 * and who must act are the rule pack's (conf/rules.ini), read through
 * inih, so a bureau can reword a title without a rebuild.  How each rule
 * opens and closes is plan.c's.  Each rule's reminder schedule is read
 * here too, in remind.c's syntax (sched_remind_set).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "scheduler/scheduler.h"

struct rule_fact {
	const char	*name;
	const char	*article;
	const char	*article_cn;
	bool		 period;	/* closes by running out */
	bool		 yearly;
	int		 to;		/* default audience, DOMAIN.md's table */
};

static const struct rule_fact facts[SCHED_R_COUNT] = {
	[SCHED_R_APPLICATION] = { "application", "7(1)(2)",
	    "第七条第（一）（二）项", true, false, SCHED_TO_UNIT },
	[SCHED_R_RECOMMENDATION] = { "recommendation", "7(3)",
	    "第七条第（三）项", true, false, SCHED_TO_UNIT },
	[SCHED_R_PUBLICITY] = { "publicity", "7(5)", "第七条第（五）项",
	    true, false, SCHED_TO_BUREAU },
	[SCHED_R_OBJECTION_REVIEW] = { "objection_review", "7(6)",
	    "第七条第（六）项", false, false, SCHED_TO_BUREAU },
	[SCHED_R_EXPERT_MEETING] = { "expert_meeting", "10", "第十条",
	    false, true, SCHED_TO_CENTRE },
	[SCHED_R_EXPERT_TERM] = { "expert_term", "10", "第十条",
	    false, false, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
	[SCHED_R_EXPERT_COMPOSITION] = { "expert_composition", "10",
	    "第十条", false, false, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
	[SCHED_R_EVALUATION] = { "evaluation", "14", "第十四条", false, true,
	    SCHED_TO_CENTRE | SCHED_TO_UNIT },
	[SCHED_R_RECTIFICATION] = { "rectification", "14", "第十四条",
	    false, false, SCHED_TO_CENTRE | SCHED_TO_UNIT | SCHED_TO_BUREAU },
	[SCHED_R_REVOCATION] = { "revocation", "14", "第十四条", false, false,
	    SCHED_TO_BUREAU },
	[SCHED_R_ABANDONMENT] = { "abandonment", "14", "第十四条", false,
	    false, SCHED_TO_BUREAU },
	[SCHED_R_REAPPLY_BAN] = { "reapply_ban", "16", "第十六条", true,
	    false, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
	[SCHED_R_TRANSITION] = { "transition", "17", "第十七条", false, false,
	    SCHED_TO_CENTRE | SCHED_TO_UNIT | SCHED_TO_BUREAU },
	[SCHED_R_TRANSITION_LAPSE] = { "transition_lapse", "17", "第十七条",
	    false, false, SCHED_TO_BUREAU },
	[SCHED_R_DIRECTOR_AGE] = { "director_age", "9(3)", "第九条第（三）项",
	    false, false, SCHED_TO_CENTRE | SCHED_TO_BUREAU },
	[SCHED_R_MEASURES_EXPIRY] = { "measures_expiry", "18", "第十八条",
	    true, false, SCHED_TO_BUREAU },
};

const char *
sched_rule_name(enum sched_rule r)
{
	return facts[r].name;
}

int
sched_rule_from_name(const char *name, enum sched_rule *r)
{
	int	 i;

	for (i = 0; i < SCHED_R_COUNT; i++) {
		if (strcmp(facts[i].name, name) == 0) {
			*r = (enum sched_rule)i;
			return 0;
		}
	}
	return -1;
}

const char *
sched_rule_article(enum sched_rule r)
{
	return facts[r].article;
}

const char *
sched_rule_article_cn(enum sched_rule r)
{
	return facts[r].article_cn;
}

bool
sched_rule_is_period(enum sched_rule r)
{
	return facts[r].period;
}

bool
sched_rule_is_yearly(enum sched_rule r)
{
	return facts[r].yearly;
}

const char *
sched_audience_name(int bit)
{
	switch (bit) {
	case SCHED_TO_CENTRE:
		return "centre";
	case SCHED_TO_UNIT:
		return "unit";
	case SCHED_TO_BUREAU:
		return "bureau";
	}
	return "?";
}

char *
sched_audiences_cn(int to)
{
	static const struct {
		int		 bit;
		const char	*name;
	} who[] = {
		{ SCHED_TO_CENTRE, "中心及依托单位" },
		{ SCHED_TO_UNIT, "组织管理单位" },
		{ SCHED_TO_BUREAU, "市科技局" },
	};
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < nitems(who); i++) {
		if (to & who[i].bit)
			buf_printf(&b, "%s%s", b.len > 0 ? "、" : "",
			    who[i].name);
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/*
 * The reminder schedule of a pack that says none: 30 days, 7 days and 1
 * working day before, on the day, then weekly four times, to whoever
 * must act.  A ban is nothing anyone does, so it has none.  The shipped
 * pack (conf/rules.ini) sets every rule's own.
 */
static void
remind_default(enum sched_rule r, struct sched_remind_schedule *s)
{
	static const struct sched_remind_offset before[] = {
		{ 30, false }, { 7, false }, { 1, true }
	};

	memset(s, 0, sizeof(*s));
	if (r == SCHED_R_REAPPLY_BAN)
		return;
	memcpy(s->before, before, sizeof(before));
	s->nbefore = nitems(before);
	s->on_day = true;
	s->overdue_every = 7;
	s->overdue_max = 4;
	s->to = SCHED_TO_CENTRE | SCHED_TO_UNIT | SCHED_TO_BUREAU;
}

/* Defaults: the rule's name as its title and DOMAIN.md's audience; the
 * shipped pack (conf/rules.ini) supplies the Chinese words. */
struct sched_rules *
sched_rules_new(void)
{
	struct sched_rules	*rules;
	int			 i;

	rules = xcalloc(1, sizeof(*rules));
	rules->pack = xstrdup("yangquan-2025");
	for (i = 0; i < SCHED_R_COUNT; i++) {
		rules->text[i].title = xstrdup(facts[i].name);
		rules->text[i].to = facts[i].to;
		remind_default((enum sched_rule)i, &rules->remind[i]);
	}
	return rules;
}

static void
rules_clear(struct sched_rules *rules)
{
	int	 i;

	free(rules->pack);
	for (i = 0; i < SCHED_R_COUNT; i++) {
		free(rules->text[i].title);
		free(rules->text[i].action);
		free(rules->text[i].overdue_action);
		free(rules->text[i].closed_by);
	}
}

const char *
sched_rule_action(const struct sched_rules *rules,
    const struct sched_obligation *o, bool overdue)
{
	const struct sched_rule_text *t = &rules->text[o->rule];

	return overdue && t->overdue_action != NULL ? t->overdue_action :
	    t->action;
}

void
sched_rules_free(struct sched_rules *rules)
{
	if (rules == NULL)
		return;
	rules_clear(rules);
	free(rules);
}

static void
rules_copy(struct sched_rules *to, const struct sched_rules *from)
{
	int	 i;

	*to = *from;
	to->pack = xstrdup(from->pack);
	for (i = 0; i < SCHED_R_COUNT; i++) {
		to->text[i].title = xstrdup(from->text[i].title);
		to->text[i].action = from->text[i].action ?
		    xstrdup(from->text[i].action) : NULL;
		to->text[i].overdue_action = from->text[i].overdue_action ?
		    xstrdup(from->text[i].overdue_action) : NULL;
		to->text[i].closed_by = from->text[i].closed_by ?
		    xstrdup(from->text[i].closed_by) : NULL;
	}
}

static char *
parse_bool(const char *value, bool *out)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
	    strcmp(value, "1") == 0)
		*out = true;
	else if (strcasecmp(value, "no") == 0 ||
	    strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
		*out = false;
	else
		return xasprintf("\"%s\" 应为 yes 或 no / \"%s\" must be yes "
		    "or no", value, value);
	return NULL;
}

/* "centre, unit bureau" → bits. */
static char *
parse_audience(const char *value, int *out)
{
	char	*copy, *word, *save = NULL;
	int	 to = 0;

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
			    "unit 或 bureau / unknown audience \"%s\" (centre, "
			    "unit or bureau)", word, word);
			free(copy);
			return why;
		}
	}
	free(copy);
	if (to == 0)
		return xstrdup("至少要有一个对象 / at least one audience is "
		    "needed");
	*out = to;
	return NULL;
}

static void
set_text(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static char *
pack_setting(struct sched_rules *rules, const char *name, const char *value)
{
	if (strcmp(name, "name") == 0) {
		set_text(&rules->pack, value);
		return NULL;
	}
	if (strcmp(name, "abandonment_bars_reapply") == 0)
		return parse_bool(value, &rules->abandonment_bars_reapply);
	if (strcmp(name, "lapse_bars_reapply") == 0)
		return parse_bool(value, &rules->lapse_bars_reapply);
	return xasprintf("[pack] 中没有设置项 \"%s\" / unknown setting \"%s\" "
	    "in [pack]", name, name);
}

static char *
rule_setting(struct sched_rules *rules, enum sched_rule r, const char *section,
    const char *name, const char *value)
{
	struct sched_rule_text	*text = &rules->text[r];

	if (*value == '\0')
		return xasprintf("\"%s\" 不能为空 / \"%s\" must not be empty",
		    name, name);
	if (strcmp(name, "title") == 0)
		set_text(&text->title, value);
	else if (strcmp(name, "action") == 0)
		set_text(&text->action, value);
	else if (strcmp(name, "overdue_action") == 0)
		set_text(&text->overdue_action, value);
	else if (strcmp(name, "closed_by") == 0)
		set_text(&text->closed_by, value);
	else if (strcmp(name, "to") == 0)
		return parse_audience(value, &text->to);
	else if (sched_remind_key(name))
		return sched_remind_set(&rules->remind[r], name, value);
	else
		return xasprintf("[%s] 中没有设置项 \"%s\" / unknown setting "
		    "\"%s\" in [%s]", section, name, name, section);
	return NULL;
}

static char *
rules_line_cb(void *user, const char *section, const char *name,
    const char *value, int line)
{
	struct sched_rules	*rules = user;
	enum sched_rule		 r;

	(void)line;
	if (strcmp(section, "pack") == 0)
		return pack_setting(rules, name, value);
	if (sched_rule_from_name(section, &r) == 0)
		return rule_setting(rules, r, section, name, value);
	if (*section == '\0')
		return xasprintf("设置项 \"%s\" 不在任何 [节] 中 / \"%s\" is "
		    "outside any [section]", name, name);
	return xasprintf("未知的节 [%s]，应为 [pack] 或规则名 / unknown "
	    "section [%s]: [pack] or a rule's name", section, section);
}

int
sched_rules_load(struct sched_rules *rules, const char *source,
    const char *text, size_t len, char **error)
{
	struct sched_rules	 next;
	struct buf		 errors = { 0 };

	rules_copy(&next, rules);
	if (ini_text_parse(source, text, len, rules_line_cb, &next,
	    &errors) > 0) {
		rules_clear(&next);
		*error = buf_take(&errors);
		return -1;
	}
	buf_free(&errors);
	rules_clear(rules);
	*rules = next;
	return 0;
}
