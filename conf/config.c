/*
 * config.c: ticd.conf, read through one table of keys.
 *
 * Every setting is one row of config_keys: its section and name, its
 * type, default, bounds, whether SIGHUP may change it, and the help that
 * conf/ticd.conf and ticd.conf(5) repeat.  Loading parses into a fresh
 * struct conf, checks every line (all errors, each "file:line: what"),
 * and only then hands it over: a reload that fails keeps the old one.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "conf/conf.h"

enum key_type {
	KEY_STRING,
	KEY_PATH,
	KEY_INT,
	KEY_BOOL,
	KEY_ENUM,
	KEY_LISTEN,
	KEY_PATHS
};

struct config_key {
	const char	*section;
	const char	*name;
	enum key_type	 type;
	const char	*def;
	long		 min;
	long		 max;
	const char	*choices;	/* KEY_ENUM: "a|b|c" */
	bool		 reloadable;
	size_t		 offset;
	const char	*help;
};

#define K(sec, n, t, d, lo, hi, ch, rl, member, h) \
	{ sec, n, t, d, lo, hi, ch, rl, offsetof(struct conf, member), h }

static const struct config_key config_keys[] = {
	K("ticd", "listen", KEY_LISTEN, "127.0.0.1:8470", 0, 0, NULL, false,
	    listen, "HTTP 监听地址 / where the API and feeds listen (host:port)"),
	K("ticd", "database", KEY_PATH, "/var/lib/ticd/ticd.db", 0, 0, NULL,
	    false, database, "sqlite 数据库文件 / the sqlite store"),
	K("ticd", "synchronous", KEY_ENUM, "full", 0, 0, "full|normal", false,
	    synchronous, "full：每次提交都落盘 / full: every commit reaches the "
	    "disk; normal: faster, may lose the last commits on power loss"),
	K("ticd", "holidays", KEY_PATHS, "", 0, 0, NULL, true, holidays,
	    "在内置放假安排之上再加载的表，空格分隔 / further holiday tables, "
	    "space-separated, loaded over the shipped one"),
	K("ticd", "rules", KEY_PATH, "", 0, 0, NULL, true, rules,
	    "规则包；空为内置 / the rule pack; empty for the shipped one"),
	K("ticd", "log_level", KEY_ENUM, "info", 0, 0,
	    "error|warning|info|debug", true, log_level,
	    "日志级别 / the least important messages logged"),
	K("ticd", "max_body", KEY_INT, "65536", 1024, 16 * 1024 * 1024, NULL,
	    true, max_body, "请求体上限（字节）/ the largest request body, bytes"),
	K("ticd", "public_url", KEY_STRING, "", 0, 0, NULL, true, public_url,
	    "对外地址（用于日历链接）/ the public base URL, for links"),
};

static char *
parse_int(const char *value, long min, long max, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0')
		return xasprintf("\"%s\" 不是整数 / \"%s\" is not an integer",
		    value, value);
	if (v < min || v > max)
		return xasprintf("%ld 超出范围 %ld-%ld / %ld is outside %ld-%ld",
		    v, min, max, v, min, max);
	*out = (int)v;
	return NULL;
}

static char *
parse_enum(const char *value, const char *choices)
{
	size_t	 n = strlen(value);
	const char *p = choices, *bar;

	for (;;) {
		bar = strchr(p, '|');
		if ((size_t)((bar ? bar : p + strlen(p)) - p) == n &&
		    strncmp(p, value, n) == 0)
			return NULL;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return xasprintf("\"%s\" 应为 %s 之一 / \"%s\" must be one of %s",
	    value, choices, value, choices);
}

/* host:port with a port 1-65535; the host is checked when binding. */
static char *
parse_listen(const char *value)
{
	const char	*colon = strrchr(value, ':');
	int		 port;
	char		*why;

	if (colon == NULL || colon == value)
		return xasprintf("\"%s\" 应为 主机:端口 / \"%s\" must be "
		    "host:port", value, value);
	if ((why = parse_int(colon + 1, 1, 65535, &port)) != NULL) {
		free(why);
		return xasprintf("\"%s\" 的端口应为 1-65535 / the port of \"%s\" "
		    "must be 1-65535", value, value);
	}
	return NULL;
}

static char *
set_value(struct conf *c, const struct config_key *k, const char *value)
{
	char	*at = (char *)c + k->offset, *why = NULL;
	bool	*flag = (bool *)(void *)at;

	switch (k->type) {
	case KEY_INT:
		return parse_int(value, k->min, k->max, (int *)(void *)at);
	case KEY_BOOL:
		if (strcasecmp(value, "yes") == 0 || strcmp(value, "true") == 0)
			*flag = true;
		else if (strcasecmp(value, "no") == 0 ||
		    strcmp(value, "false") == 0)
			*flag = false;
		else
			return xasprintf("\"%s\" 应为 yes 或 no / \"%s\" must be "
			    "yes or no", value, value);
		return NULL;
	case KEY_ENUM:
		why = parse_enum(value, k->choices);
		break;
	case KEY_LISTEN:
		why = parse_listen(value);
		break;
	case KEY_PATH:
		if (*value != '\0' && *value != '/')
			why = xasprintf("\"%s\" 应为绝对路径 / \"%s\" must be an "
			    "absolute path", value, value);
		break;
	default:
		break;
	}
	if (why == NULL) {
		free(*(char **)(void *)at);
		*(char **)(void *)at = xstrdup(value);
	}
	return why;
}

static const struct config_key *
find_key(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(config_keys); i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

static char *
config_line_cb(void *user, const char *section, const char *name,
    const char *value, int line)
{
	const struct config_key	*k = find_key(section, name);

	(void)line;
	if (k == NULL)
		return xasprintf("[%s] 中没有设置项 \"%s\" / unknown setting "
		    "\"%s\" in [%s]", section, name, name, section);
	return set_value(user, k, value);
}

void
conf_defaults(struct conf *c)
{
	size_t	 i;
	char	*why;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < nitems(config_keys); i++) {
		why = set_value(c, &config_keys[i], config_keys[i].def);
		if (why != NULL)	/* the table is wrong: a build bug */
			abort();
	}
}

void
conf_clear(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < nitems(config_keys); i++) {
		if (config_keys[i].type != KEY_INT &&
		    config_keys[i].type != KEY_BOOL)
			free(*(char **)(void *)((char *)c +
			    config_keys[i].offset));
	}
	memset(c, 0, sizeof(*c));
}

int
conf_parse(struct conf *c, const char *source, const char *text, size_t len,
    char **error)
{
	struct conf	 next;
	struct buf	 errors = { 0 };

	conf_defaults(&next);
	if (ini_text_parse(source, text, len, config_line_cb, &next,
	    &errors) > 0) {
		conf_clear(&next);
		*error = buf_take(&errors);
		return -1;
	}
	buf_free(&errors);
	*c = next;
	return 0;
}

int
conf_load(struct conf *c, const char *path, char **error)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if (conf_read_file(path, &text, &len, error) == -1)
		return -1;
	rc = conf_parse(c, path, text, len, error);
	free(text);
	return rc;
}

bool
conf_key_reloadable(const char *section, const char *name)
{
	const struct config_key	*k = find_key(section, name);

	return k != NULL && k->reloadable;
}

void
conf_print_help(FILE *f)
{
	size_t	 i;

	for (i = 0; i < nitems(config_keys); i++)
		fprintf(f, "[%s] %s = %s\n    %s%s\n", config_keys[i].section,
		    config_keys[i].name, config_keys[i].def, config_keys[i].help,
		    config_keys[i].reloadable ? "" : "（改后需重启 / restart "
		    "to change）");
}

/* Text for an mdoc text line: no request or macro may start it, and a
 * backslash is the escape character. */
static void
mdoc_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
}

/* A macro argument, quoted, so that no word of it is read as a macro. */
static void
mdoc_arg(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputs("\\(dq", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
mdoc_type(FILE *f, const struct config_key *k)
{
	const char	*p, *bar;

	switch (k->type) {
	case KEY_STRING:
		fputs("A string.\n", f);
		break;
	case KEY_PATH:
		fputs("An absolute path, or empty.\n", f);
		break;
	case KEY_PATHS:
		fputs("Absolute paths separated by spaces, or empty.\n", f);
		break;
	case KEY_INT:
		fprintf(f, "An integer from %ld to %ld.\n", k->min, k->max);
		break;
	case KEY_BOOL:
		fputs(".Cm yes\nor\n.Cm no .\n", f);
		break;
	case KEY_LISTEN:
		fputs(".Ar host : Ns Ar port ,\nthe port from 1 to 65535.\n",
		    f);
		break;
	case KEY_ENUM:
		fputs("One of\n", f);
		for (p = k->choices; p != NULL; p = bar != NULL ? bar + 1 :
		    NULL) {
			bar = strchr(p, '|');
			fprintf(f, ".Cm %.*s%s\n", (int)(bar != NULL ?
			    (size_t)(bar - p) : strlen(p)), p, bar != NULL ?
			    " ," : " .");
		}
		break;
	}
}

/*
 * The key table as the body of an mdoc(7) section: one tag list per
 * [section], each key with its help, type, default and whether SIGHUP
 * changes it.  The build puts it into ticd.conf(5) (ticd -K), so the
 * manual always lists exactly the keys this binary accepts.
 */
void
conf_print_mdoc(FILE *f)
{
	const struct config_key	*k;
	const char		*section = NULL;
	size_t			 i;

	for (i = 0; i < nitems(config_keys); i++) {
		k = &config_keys[i];
		if (section == NULL || strcmp(section, k->section) != 0) {
			if (section != NULL)
				fputs(".El\n", f);
			section = k->section;
			fputs(".Ss \"[", f);
			mdoc_text(f, k->section);
			fputs("]\"\n.Bl -tag -width Ds\n", f);
		}
		fputs(".It Ic ", f);
		mdoc_arg(f, k->name);
		fputc('\n', f);
		mdoc_text(f, k->help);
		fputs("\n.Pp\n", f);
		mdoc_type(f, k);
		if (*k->def == '\0')
			fputs("Default: empty.\n", f);
		else {
			fputs("Default:\n.Ql ", f);
			mdoc_arg(f, k->def);
			fputs(" .\n", f);
		}
		fputs(k->reloadable ? "Changed by a reload\n.Pq Dv SIGHUP .\n" :
		    "Changed only by a restart.\n", f);
	}
	if (section != NULL)
		fputs(".El\n", f);
}
