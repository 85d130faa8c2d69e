/*
 * config.c: ticd.conf, read through one table of keys.
 *
 * Every setting is one row of config_keys: its section and name, its
 * type, default, bounds, whether SIGHUP may change it, and the help that
 * conf/ticd.conf and ticd.conf(5) repeat.  Loading parses into a fresh
 * struct conf, checks every line (all errors, each "file:line: what"),
 * and only then hands it over: a reload that fails keeps the old one.
 *
 * Sections [remind.RULE] are not in the table: they override one rule's
 * reminder schedule with the rule pack's own keys (remind, remind_on_day,
 * overdue_every, overdue_max, remind_to).  Each line is checked here,
 * with scheduler/remind.c's parser, and kept as text; conf_apply_remind
 * puts them over the rule pack once that is loaded.
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
	KEY_PATHS,
	KEY_TIME,	/* HH:MM, kept as minutes after midnight */
	KEY_SMTP_URL,	/* "", smtp://… or smtps://… */
	KEY_ADDRESS,	/* an email address */
	KEY_FILE,	/* an absolute path, never empty */
	KEY_URL,	/* "" or http(s)://host… */
	KEY_HOSTS	/* host names and *.suffixes */
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
	K("ticd", "database", KEY_FILE, "/var/lib/ticd/ticd.db", 0, 0, NULL,
	    false, database, "sqlite 数据库文件；随附的 systemd 单元只允许写 "
	    "/var/lib/ticd 之下 / the sqlite store; the shipped systemd unit "
	    "lets ticd write under /var/lib/ticd only"),
	K("ticd", "synchronous", KEY_ENUM, "full", 0, 0, "full|normal", false,
	    synchronous, "full：每次提交都落盘 / full: every commit reaches the "
	    "disk; normal: faster, may lose the last commits on power loss"),
	K("ticd", "holidays", KEY_PATHS, "", 0, 0, NULL, true, holidays,
	    "在内置放假安排之上再加载的表，空格分隔，可分多行 / further "
	    "holiday tables, space-separated, loaded over the shipped one; "
	    "may go on over several lines"),
	K("ticd", "rules", KEY_PATH, "", 0, 0, NULL, true, rules,
	    "规则包；空为内置 / the rule pack; empty for the shipped one"),
	K("ticd", "log_level", KEY_ENUM, "info", 0, 0,
	    "error|warning|info|debug", true, log_level,
	    "日志级别 / the least important messages logged"),
	K("ticd", "max_body", KEY_INT, "65536", 1024, 16 * 1024 * 1024, NULL,
	    true, max_body, "请求体上限（字节）/ the largest request body, bytes"),
	K("ticd", "public_url", KEY_URL, "", 0, 0, NULL, true, public_url,
	    "对外地址，用于日历订阅链接及其中每项义务的说明页链接；空则由 "
	    "listen 得出 / the public base URL of feed links and of each "
	    "entry's page (http:// or https://); empty: from listen"),
	K("ticd", "feed_retention", KEY_INT, "400", 0, 100000, NULL, true,
	    feed_retention, "已完成、已失效的义务在日历订阅中保留的天数（自到期日"
	    "起）/ days done and void obligations stay in feeds after their "
	    "due date"),
	K("remind", "send_time", KEY_TIME, "09:00", 0, 0, NULL, true,
	    remind_send_time, "提醒在工作日的几点发出（北京时间，HH:MM）/ when "
	    "reminders go out on a working day (Asia/Shanghai, HH:MM)"),
	K("remind", "fold_after", KEY_INT, "7", 0, 366, NULL, true,
	    remind_fold_after, "停机期间错过的提醒，原定日早于此天数的合并为一封"
	    "补发汇总 / missed reminders planned more than this many days ago "
	    "are folded into one catch-up message"),
	K("mail", "smtp_url", KEY_SMTP_URL, "", 0, 0, NULL, true, smtp_url,
	    "SMTP 服务器，如 smtp://mail.example:587 或 smtps://mail.example；"
	    "空则写入 spool 目录 / the SMTP server; empty: .eml files in the "
	    "spool"),
	K("mail", "starttls", KEY_ENUM, "required", 0, 0, "required|try|no",
	    true, starttls, "smtp:// 的 STARTTLS：required 必须、try 尽量、no 不用 "
	    "/ STARTTLS on smtp://: required, try or no"),
	K("mail", "username", KEY_STRING, "", 0, 0, NULL, true, smtp_username,
	    "SMTP AUTH 用户名；空则不认证 / the SMTP AUTH user; empty: no AUTH"),
	K("mail", "password_file", KEY_PATH, "", 0, 0, NULL, true,
	    smtp_password_file, "存放 SMTP 密码的文件（密码不写在本配置中）/ the "
	    "file holding the SMTP password (never this file)"),
	K("mail", "ca_file", KEY_PATH, "", 0, 0, NULL, true, smtp_ca_file,
	    "校验服务器证书的 CA 文件；空用系统的 / CA certificates to verify the "
	    "server with; empty: the system's"),
	K("mail", "from", KEY_ADDRESS, "ticd@localhost", 0, 0, NULL, true,
	    mail_from, "发件地址 / the sender's address (From: and MAIL FROM)"),
	K("mail", "from_name", KEY_STRING, "阳泉市技术创新中心义务提醒", 0, 0, NULL,
	    true, mail_from_name, "发件人名称 / the sender's display name"),
	K("mail", "spool", KEY_PATH, "", 0, 0, NULL, true, spool,
	    "未配置 SMTP 时 .eml 文件的目录；空为数据库旁的 spool / where .eml "
	    "files go without SMTP; empty: spool beside the database"),
	K("mail", "timeout", KEY_INT, "60", 5, 600, NULL, true, smtp_timeout,
	    "一次发送的时限（秒）/ seconds one send may take"),
	K("mail", "parallel", KEY_INT, "4", 1, 32, NULL, true, smtp_parallel,
	    "同时发送的邮件数 / messages sent at once"),
	K("mail", "stop_wait", KEY_INT, "5", 0, 60, NULL, true, stop_wait,
	    "停止时等待发送中邮件的秒数，其余留在发件箱 / seconds a stop waits "
	    "for sends in flight; the rest stay in the outbox"),
	K("webhooks", "allow_hosts", KEY_HOSTS, "", 0, 0, NULL, true,
	    webhook_allow_hosts, "webhook 只能发往这些主机（空格分隔，"
	    "*.example.cn 含其子域；不写端口只限 80、443，其他端口写作 主机:端口）"
	    "；空为不限 / the only hosts webhooks may go to (space-separated; "
	    "*.example.cn covers its subdomains; without a port only 80 and "
	    "443, another port is written host:port); empty: any"),
	K("webhooks", "timeout", KEY_INT, "10", 1, 120, NULL, true,
	    webhook_timeout, "一次投递的超时（秒）/ seconds one post may take"),
	K("webhooks", "parallel", KEY_INT, "16", 1, 64, NULL, true,
	    webhook_parallel, "同时进行的投递数（每个主机也以此为限）/ posts at "
	    "once (and to one host)"),
	K("webhooks", "disable_after_days", KEY_INT, "3", 1, 30, NULL, true,
	    webhook_disable_days, "连续失败这么多天的目标停用并通知市科技局 / "
	    "a target failing this many days is disabled and the bureau "
	    "told"),
};

/* [remind.RULE]: a rule's reminder schedule. */
#define REMIND_SECTION	"remind."


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
	/* "::1:8470" would bind, but the links made from it would not
	 * parse: an IPv6 address is written in brackets, as in URLs. */
	if (value[0] != '[' && memchr(value, ':', (size_t)(colon - value)))
		return xasprintf("\"%s\": IPv6 地址应加方括号，如 [::1]:8470 / "
		    "\"%s\": an IPv6 address is written in brackets, as in "
		    "[::1]:8470", value, value);
	if ((why = parse_int(colon + 1, 1, 65535, &port)) != NULL) {
		free(why);
		return xasprintf("\"%s\" 的端口应为 1-65535 / the port of \"%s\" "
		    "must be 1-65535", value, value);
	}
	return NULL;
}

/* "HH:MM" (00:00-23:59) as minutes after midnight. */
static char *
parse_time(const char *value, int *out)
{
	const char	*p;
	int		 h, m;

	for (p = value; *p != '\0' && p - value < 5; p++) {
		if (p - value == 2 ? *p != ':' : (*p < '0' || *p > '9'))
			break;
	}
	if (p - value == 5 && *p == '\0') {
		h = (value[0] - '0') * 10 + (value[1] - '0');
		m = (value[3] - '0') * 10 + (value[4] - '0');
		if (h <= 23 && m <= 59) {
			*out = h * 60 + m;
			return NULL;
		}
	}
	return xasprintf("\"%s\" 应为 HH:MM（00:00-23:59）/ \"%s\" must be "
	    "HH:MM (00:00-23:59)", value, value);
}

static char *
parse_smtp_url(const char *value)
{
	const char	*p;

	if (*value == '\0')
		return NULL;
	if (strncmp(value, "smtp://", 7) != 0 &&
	    strncmp(value, "smtps://", 8) != 0)
		return xasprintf("\"%s\" 应以 smtp:// 或 smtps:// 开头 / \"%s\" "
		    "must start with smtp:// or smtps://", value, value);
	for (p = value; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return xstrdup("地址中不能有空白或控制字符 / no space or "
			    "control character in the URL");
	}
	return NULL;
}

/* ":PORT" (1-65535) at the end of an allow_hosts entry, or NULL. */
static const char *
port_suffix(const char *p, const char *end)
{
	const char	*q = end;
	long		 port = 0;

	while (q > p && q[-1] >= '0' && q[-1] <= '9')
		q--;
	if (q == end || q == p || q[-1] != ':' || end - q > 5)
		return NULL;
	for (const char *d = q; d < end; d++)
		port = port * 10 + (*d - '0');
	return port >= 1 && port <= 65535 ? q - 1 : NULL;
}

/* A host name (letters, digits, '-', '.') or an IPv6 address in
 * brackets (curl checks the address itself), from p to end. */
static bool
host_name_ok(const char *p, const char *end)
{
	if (p == end)
		return false;
	if (*p == '[')
		return end - p > 2 && end[-1] == ']';
	for (; p < end; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	}
	return true;
}

/* Host names, "*." and a name, or IPv6 addresses in brackets, each with
 * an optional ":port", separated by spaces. */
static char *
parse_hosts(const char *value)
{
	const char	*p = value, *end, *name_end;
	size_t		 n;

	while (*p != '\0') {
		if (*p == ' ') {
			p++;
			continue;
		}
		end = p + strcspn(p, " ");
		n = (size_t)(end - p);
		if ((name_end = port_suffix(p, end)) == NULL)
			name_end = end;
		if (!host_name_ok(n > 2 && p[0] == '*' && p[1] == '.' ? p + 2 :
		    p, name_end))
			return xasprintf("\"%.*s\" 不是主机名（可加 :端口）/ "
			    "\"%.*s\" is not a host name (with an optional "
			    ":port)", (int)n, p, (int)n, p);
		p = end;
	}
	return NULL;
}

/* A path that is not absolute: ticd runs from "/" under systemd, so a
 * path that worked for "ticd -n" in /etc/ticd would not load there. */
static char *
not_absolute(const char *path, size_t len)
{
	return xasprintf("\"%.*s\" 应为绝对路径 / \"%.*s\" must be an "
	    "absolute path", (int)len, path, (int)len, path);
}

/* Absolute paths separated by blanks (state.c splits them at " \t"). */
static char *
parse_paths(const char *value)
{
	const char	*p = value;
	size_t		 n;

	for (p += strspn(p, " \t"); *p != '\0'; p += strspn(p, " \t")) {
		n = strcspn(p, " \t");
		if (*p != '/')
			return not_absolute(p, n);
		p += n;
	}
	return NULL;
}

/* What may stand in From: and MAIL FROM: local@domain, nothing to
 * quote, no space or control character. */
static char *
parse_address(const char *value)
{
	const char	*at = strchr(value, '@'), *p;

	for (p = value; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f ||
		    strchr("<>,;:\"()[]\\", *p) != NULL)
			break;
	}
	if (at == NULL || at == value || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || *p != '\0')
		return xasprintf("\"%s\" 不是可用的邮件地址 / \"%s\" is not a "
		    "usable address", value, value);
	return NULL;
}

/* Empty, or http(s)://host[:port][/path] with nothing a link could not
 * carry as it is: no blanks or controls, no query, no fragment. */
static char *
parse_url(const char *value)
{
	const char	*p, *host;

	if (*value == '\0')
		return NULL;
	if (strncmp(value, "http://", 7) == 0)
		host = value + 7;
	else if (strncmp(value, "https://", 8) == 0)
		host = value + 8;
	else
		return xasprintf("\"%s\" 应以 http:// 或 https:// 开头 / \"%s\" "
		    "must start with http:// or https://", value, value);
	for (p = value; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' ||
		    *p == '#' || *p == '"' || *p == '<' || *p == '>' ||
		    *p == '\\')
			return xasprintf("\"%s\" 中不能有空白、控制字符、引号、尖括号、"
			    "反斜杠、? 或 # / \"%s\" must not hold blanks, controls, "
			    "quotes, angle brackets, backslashes, ? or #", value,
			    value);
	}
	if (*host == '\0' || *host == '/')
		return xasprintf("\"%s\" 缺少主机名 / \"%s\" has no host", value,
		    value);
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
	case KEY_TIME:
		return parse_time(value, (int *)(void *)at);
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
	case KEY_SMTP_URL:
		why = parse_smtp_url(value);
		break;
	case KEY_ADDRESS:
		why = parse_address(value);
		break;
	case KEY_URL:
		why = parse_url(value);
		break;
	case KEY_HOSTS:
		why = parse_hosts(value);
		break;
	case KEY_PATH:
	case KEY_FILE:
		/* An empty database would be sqlite's private temporary
		 * file, gone at exit with every event. */
		if ((*value != '\0' || k->type == KEY_FILE) && *value != '/')
			why = not_absolute(value, strlen(value));
		break;
	case KEY_PATHS:
		why = parse_paths(value);
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

/* A setting no section has, or one in the wrong section (or before any):
 * the sections that have it are named ("timeout" is [mail]'s and
 * [webhooks]'). */
static char *
unknown_key(const char *section, const char *name)
{
	struct buf	 cn, en;
	char		*msg;
	size_t		 i;

	buf_init(&cn);
	buf_init(&en);
	for (i = 0; i < nitems(config_keys); i++) {
		if (strcmp(config_keys[i].name, name) != 0)
			continue;
		buf_printf(&cn, "%s[%s]", cn.len ? " 或 " : "",
		    config_keys[i].section);
		buf_printf(&en, "%s[%s]", en.len ? " or " : "",
		    config_keys[i].section);
	}
	if (cn.len == 0)
		msg = xasprintf("[%s] 中没有设置项 \"%s\" / unknown setting "
		    "\"%s\" in [%s]", section, name, name, section);
	else
		msg = xasprintf("设置项 \"%s\" 应写在 %s 之下 / \"%s\" belongs "
		    "under %s", name, cn.data, name, en.data);
	buf_free(&cn);
	buf_free(&en);
	return msg;
}

/* Checks one line of a [remind.RULE] section and keeps it. */
static char *
remind_line(struct conf *c, const char *section, const char *name,
    const char *value, int line)
{
	const char			*rule = section + strlen(REMIND_SECTION);
	struct sched_remind_schedule	 scratch;
	struct conf_remind		*o;
	enum sched_rule			 r;
	char				*why;
	size_t				 i;

	if (sched_rule_from_name(rule, &r) == -1)
		return xasprintf("[%s]：没有名为 \"%s\" 的规则 / no rule named "
		    "\"%s\"", section, rule, rule);
	if (!sched_remind_key(name))
		return xasprintf("[%s] 中没有设置项 \"%s\"（应为 remind、"
		    "remind_on_day、overdue_every、overdue_max、remind_to）/ "
		    "unknown setting \"%s\" in [%s]", section, name, name,
		    section);
	for (i = 0; i < c->nremind; i++)
		if (c->remind[i].rule == r && strcmp(c->remind[i].name,
		    name) == 0)
			return xasprintf("[%s] 的 %s 已在第 %d 行设置过，每项只能"
			    "设置一次 / %s is already set in [%s] on line %d: a "
			    "setting is given once", section, name,
			    c->remind[i].line, name, section,
			    c->remind[i].line);
	memset(&scratch, 0, sizeof(scratch));
	if ((why = sched_remind_set(&scratch, name, value)) != NULL)
		return why;
	c->remind = xreallocarray(c->remind, c->nremind + 1,
	    sizeof(*c->remind));
	o = &c->remind[c->nremind++];
	o->rule = r;
	o->name = xstrdup(name);
	o->value = xstrdup(value);
	o->line = line;
	return NULL;
}

/* A file being read: the settings, and the line that set each key. */
struct parse {
	struct conf	*c;
	int		 line[nitems(config_keys)];
};

/*
 * A key given twice.  The later line silently won: the shipped file's
 * "#holidays = …" uncommented above "holidays =" loaded no table, and
 * "allow_hosts =" under an uncommented list let webhooks go to any host.
 * holidays alone may go on over several lines (a line holds about 200
 * bytes): its tables are added in order.
 */
static char *
again(struct parse *p, const struct config_key *k, const char *value)
{
	size_t	 i = (size_t)(k - config_keys);
	char	*joined, *why, **at;

	if (strcmp(k->name, "holidays") == 0) {
		at = (char **)(void *)((char *)p->c + k->offset);
		joined = xasprintf("%s %s", *at, value);
		why = set_value(p->c, k, joined);
		free(joined);
		return why;
	}
	return xasprintf("[%s] 的 %s 已在第 %d 行设置过，每项只能设置一次 / "
	    "%s is already set in [%s] on line %d: a setting is given once",
	    k->section, k->name, p->line[i], k->name, k->section,
	    p->line[i]);
}

static char *
config_line_cb(void *user, const char *section, const char *name,
    const char *value, int line)
{
	struct parse		*p = user;
	const struct config_key	*k = find_key(section, name);
	size_t			 i;

	if (k == NULL && strncmp(section, REMIND_SECTION,
	    strlen(REMIND_SECTION)) == 0)
		return remind_line(p->c, section, name, value, line);
	if (k == NULL)
		return unknown_key(section, name);
	i = (size_t)(k - config_keys);
	if (p->line[i] != 0)
		return again(p, k, value);
	p->line[i] = line;
	return set_value(p->c, k, value);
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
		    config_keys[i].type != KEY_BOOL &&
		    config_keys[i].type != KEY_TIME)
			free(*(char **)(void *)((char *)c +
			    config_keys[i].offset));
	}
	for (i = 0; i < c->nremind; i++) {
		free(c->remind[i].name);
		free(c->remind[i].value);
	}
	free(c->remind);
	memset(c, 0, sizeof(*c));
}

void
conf_apply_remind(const struct conf *c, struct sched_rules *rules)
{
	size_t	 i;
	char	*why;

	for (i = 0; i < c->nremind; i++) {
		why = sched_remind_set(&rules->remind[c->remind[i].rule],
		    c->remind[i].name, c->remind[i].value);
		if (why != NULL)	/* checked when parsed: a bug */
			abort();
	}
}

int
conf_parse(struct conf *c, const char *source, const char *text, size_t len,
    char **error)
{
	struct conf	 next;
	struct parse	 p = { .c = &next };
	struct buf	 errors = { 0 };

	conf_defaults(&next);
	if (ini_text_parse(source, text, len, config_line_cb, &p,
	    &errors) > 0) {
		conf_clear(&next);
		*error = buf_take(&errors);
		return -1;
	}
	buf_free(&errors);
	conf_clear(c);		/* what it held before (zeroed or loaded) */
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

char *
conf_spool_dir(const struct conf *c)
{
	const char	*slash;

	if (c->spool != NULL && *c->spool != '\0')
		return xstrdup(c->spool);
	slash = strrchr(c->database, '/');
	if (slash == NULL)
		return xstrdup("spool");
	return xasprintf("%.*sspool", (int)(slash - c->database + 1),
	    c->database);
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
	fprintf(f, "[remind.RULE] remind, remind_on_day, overdue_every, "
	    "overdue_max, remind_to\n    覆盖规则包中该规则的提醒安排 / "
	    "override a rule's reminder schedule (docs/reminders.md)\n");
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
	case KEY_FILE:
		fputs("An absolute path; never empty.\n", f);
		break;
	case KEY_TIME:
		fputs("A time of day,\n.Ar HH : Ns Ar MM ,\nAsia/Shanghai.\n", f);
		break;
	case KEY_SMTP_URL:
		fputs("Empty, or a URL starting\n.Li smtp://\nor\n.Li smtps:// .\n",
		    f);
		break;
	case KEY_ADDRESS:
		fputs("An email address,\n.Ar local Ns @ Ns Ar domain .\n", f);
		break;
	case KEY_URL:
		fputs("Empty, or a URL starting\n.Li http://\nor\n.Li https://\n"
		    "with no query or fragment.\n", f);
		break;
	case KEY_HOSTS:
		fputs("Host names separated by spaces;\n.Li *. Ns Ar domain\n"
		    "covers every name under\n.Ar domain .\nA name covers "
		    "its scheme's own port\n(80 for http, 443 for https);\n"
		    "another port is listed with it, as\n.Ar host : Ns Ar "
		    "port .\nEmpty: any host.\n", f);
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
