/*
 * remote.c: the commands that ask ticd over its HTTP API: centres,
 * centre, record, obligations, upcoming, tokens, contacts, feeds,
 * webhooks, and "ticctl feed" without a journal.
 *
 * Each parses its own options, opens one client (client.c) and prints
 * either a table for people or, with --json, ticd's reply as it came.
 * stdout carries only results, so scripts can read it; every message for
 * people goes to stderr.  Exit status: 0 done, 1 refused or failed, 2 bad
 * usage, as for ticctl plan.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "conf/conf.h"
#include "ctl/ctl.h"

#define UPCOMING_DAYS		30
#define UPCOMING_MAX_DAYS	3660
/* ticd plans yearly rules up to today + 400 days unless told otherwise. */
#define SERVER_HORIZON		400

/* ---- shared ---- */

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void
unexpected(const char *cmd, const char *what)
{
	ctl_warnx(cmd, "ticd 的回复不合预期 / unexpected reply from ticd: %s",
	    what);
}

/* GET, saying why on stderr when there is no 2xx answer. */
static json_t *
remote_get(struct ctl_client *c, const char *path)
{
	json_t	*obj;

	if ((obj = ctl_client_call(c, "GET", path, NULL, 0)) == NULL)
		ctl_client_warn(c, NULL);
	return obj;
}

/* POST a JSON value, saying why on stderr when it is not taken. */
static json_t *
remote_post(struct ctl_client *c, const char *path, json_t *body)
{
	json_t	*obj;
	char	*s;

	/* json_pack refuses a string that is not UTF-8. */
	if (body == NULL || (s = json_dumps(body, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		ctl_warnx(ctl_client_cmd(c), "参数应为 UTF-8 文本 / arguments "
		    "must be UTF-8 text");
		json_decref(body);
		return NULL;
	}
	json_decref(body);
	if ((obj = ctl_client_call(c, "POST", path, s, strlen(s))) == NULL)
		ctl_client_warn(c, NULL);
	else if (jstr(obj, "warning") != NULL)
		ctl_warnx(ctl_client_cmd(c), "注意 / note: %s",
		    jstr(obj, "warning"));
	free(s);
	return obj;
}

/* Appends name=value to a query string being built, encoded. */
static void
query_add(struct buf *q, const char *name, const char *value)
{
	char	*e;

	if (value == NULL)
		return;
	e = ctl_url_escape(value);
	buf_printf(q, "%c%s=%s", q->len == 0 ? '?' : '&', name, e);
	free(e);
}

static bool
parse_date_arg(const char *cmd, const char *opt, const char *value)
{
	int	 day;

	if (sched_date_parse(value, &day) == 0)
		return true;
	ctl_warnx(cmd, "%s \"%s\"：应为 YYYY-MM-DD 格式的真实日期 / must be a "
	    "real day written YYYY-MM-DD", opt, value);
	return false;
}

static bool
parse_id_arg(const char *cmd, const char *value, long long *id)
{
	char	*end;

	errno = 0;
	*id = strtoll(value, &end, 10);
	if (*value != '\0' && *end == '\0' && errno == 0 && *id > 0)
		return true;
	ctl_warnx(cmd, "\"%s\"：编号应为正整数 / an id is a positive integer",
	    value);
	return false;
}

/*
 * The working-day calendar for "days left", read from the data this
 * ticctl ships with.  ticd may have loaded more tables, and ticctl may
 * run where no data is installed: without a calendar the table counts
 * calendar days only, so this is quiet when it fails.
 */
static struct sched_calendar *
local_calendar(void)
{
	struct sched_calendar	*cal = sched_calendar_new();
	char			*path, *error = NULL;

	path = conf_data_path(CONF_HOLIDAYS);
	if (conf_load_calendar(cal, path, &error) == -1) {
		sched_calendar_free(cal);
		cal = NULL;
	}
	free(error);
	free(path);
	return cal;
}

/* ---- obligations as table rows ---- */

static int
state_from_name(const char *name, enum sched_state *state)
{
	int	 s;

	for (s = SCHED_OPEN; name != NULL && s <= SCHED_VOID; s++) {
		if (strcmp(name, sched_state_name((enum sched_state)s)) == 0) {
			*state = (enum sched_state)s;
			return 0;
		}
	}
	return -1;
}

/* One obligation of a reply as a row; its strings are borrowed from the
 * reply and from names (centre id → name, may be NULL). */
static int
row_from_json(const json_t *o, const json_t *names, struct ctl_row *row)
{
	enum sched_rule	 rule;
	const char	*name = jstr(o, "rule");

	memset(row, 0, sizeof(*row));
	if (jstr(o, "due") == NULL ||
	    sched_date_parse(jstr(o, "due"), &row->due) == -1 ||
	    state_from_name(jstr(o, "state"), &row->state) == -1)
		return -1;
	row->provisional = json_is_true(json_object_get(o, "provisional"));
	/* The article as the regulation writes it; a rule this ticctl does
	 * not know (a newer ticd) keeps the article as ticd wrote it. */
	if (name != NULL && sched_rule_from_name(name, &rule) == 0)
		row->article = sched_rule_article_cn(rule);
	else if ((row->article = jstr(o, "article")) == NULL)
		row->article = "?";
	if ((row->title = jstr(o, "title")) == NULL)
		row->title = name != NULL ? name : "?";
	row->year = (int)json_integer_value(json_object_get(o, "year"));
	if (row->year == 0)
		row->year = sched_key_year(jstr(o, "key"));
	row->centre = jstr(o, "centre");
	if (row->centre != NULL && names != NULL)
		row->centre_name = jstr(names, row->centre);
	return 0;
}

/* The "obligations" array of a reply as rows, in its order; NULL (after
 * saying so) when the reply is not what docs/api.md promises. */
static struct ctl_row *
rows_from_json(const char *cmd, const json_t *list, const json_t *names,
    size_t *n)
{
	struct ctl_row	*rows;
	size_t		 i;

	if (!json_is_array(list)) {
		unexpected(cmd, "没有 obligations 列表 / no obligations list");
		return NULL;
	}
	*n = json_array_size(list);
	rows = xcalloc(*n + 1, sizeof(*rows));
	for (i = 0; i < *n; i++) {
		if (row_from_json(json_array_get(list, i), names,
		    &rows[i]) == -1) {
			unexpected(cmd, "义务缺少到期日或状态 / an obligation "
			    "without its due date or state");
			free(rows);
			return NULL;
		}
	}
	return rows;
}

/* ticd's own working-day counts (docs/api.md "workdays"): with the
 * holiday tables it loaded, which this machine may not have.  An older
 * ticd gives none, and the table counts with the shipped calendar. */
static void
workdays_from_json(struct ctl_row *rows, size_t n, const json_t *map)
{
	const json_t	*w;
	char		 d[SCHED_DATE_LEN];
	size_t		 i;

	for (i = 0; json_is_object(map) && i < n; i++) {
		w = json_object_get(map, sched_date_format(rows[i].due, d));
		if (!json_is_integer(json_object_get(w, "left")))
			continue;
		rows[i].workdays_known = true;
		rows[i].workdays = (int)json_integer_value(json_object_get(w,
		    "left"));
		rows[i].workdays_guess = json_is_true(json_object_get(w,
		    "provisional"));
	}
}

/* Centre id → name, for the table's last column; NULL when ticd does not
 * tell (the table then shows ids). */
static json_t *
centre_names(struct ctl_client *c)
{
	json_t	*reply, *names, *centre;
	size_t	 i;

	if ((reply = ctl_client_call(c, "GET", "/api/v1/centres", NULL,
	    0)) == NULL)
		return NULL;
	names = json_object();
	json_array_foreach(json_object_get(reply, "centres"), i, centre) {
		if (jstr(centre, "id") != NULL && jstr(centre, "name") != NULL)
			json_object_set(names, jstr(centre, "id"),
			    json_object_get(centre, "name"));
	}
	json_decref(reply);
	return names;
}

/* Prints the table of a reply's obligations, days counted from its
 * as_of (ticd's today, not this machine's). */
static int
print_obligations(const char *cmd, struct ctl_client *c, const json_t *reply,
    const json_t *list)
{
	struct sched_calendar	*cal;
	struct ctl_row		*rows;
	json_t			*names;
	size_t			 n;
	int			 as_of;

	if (jstr(reply, "as_of") == NULL ||
	    sched_date_parse(jstr(reply, "as_of"), &as_of) == -1) {
		unexpected(cmd, "没有 as_of 日期 / no as_of date");
		return CTL_FAIL;
	}
	names = centre_names(c);
	if ((rows = rows_from_json(cmd, list, names, &n)) == NULL) {
		json_decref(names);
		return CTL_FAIL;
	}
	workdays_from_json(rows, n, json_object_get(reply, "workdays"));
	cal = local_calendar();
	ctl_print_rows(rows, n, cal, as_of);
	sched_calendar_free(cal);
	free(rows);
	json_decref(names);
	return ctl_finish(cmd);
}

/* ---- centres, centre ---- */

static void
centres_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl centres [--json] [connection options]\n"
"       ticctl centre ID [--json] [connection options]\n"
"\n"
"centres 列出令牌可见的中心；centre 显示一个中心及其全部义务。\n"
"centres lists the centres the token sees; centre shows one centre and its\n"
"obligations.\n"
"\n"
"  --json           输出 ticd 的原始回复（JSON）/ print ticd's reply (JSON)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached\n"
"(404 for a centre outside the token's scope); 2 bad usage.\n");
}

/* Parses the options centres and centre share; -1 on bad usage, 1 when
 * --help was answered. */
static int
centres_options(int argc, char **argv, struct ctl_remote *rem, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'j':
			*json = true;
			break;
		case 'h':
			centres_usage(stdout);
			return 1;
		default:
			if (!ctl_remote_option(rem, ch, optarg))
				return -1;
		}
	}
	return 0;
}

static const char *centre_headers[] = {
	"编号", "名称", "组织管理单位", "状态", "起始日", "登记日", "备注"
};

/* What a centre's row notes: the old measures, a ban on applying.
 * ban_until is the ban's last day (Art. 16): the note names it and the
 * first day an application is accepted, as a refusal does ("X 前不得申报"
 * read as "from X on", a day early). */
static char *
centre_note(const json_t *centre)
{
	struct buf	 b;
	const char	*until = jstr(centre, "ban_until");
	char		 next[SCHED_DATE_LEN];
	int		 day;

	buf_init(&b);
	if (json_is_true(json_object_get(centre, "legacy")))
		buf_adds(&b, "按旧办法认定");
	if (until != NULL && sched_date_parse(until, &day) == 0)
		buf_printf(&b, "%s禁止申报至 %s，%s 起可申报", b.len ? "；" : "",
		    until, sched_date_format(day + 1, next));
	return buf_take(&b);
}

static int
print_centres(const char *cmd, const json_t *reply)
{
	struct ctl_table	*t;
	const json_t		*list = json_object_get(reply, "centres");
	json_t			*centre;
	char			**cells;
	size_t			 i;

	if (!json_is_array(list)) {
		unexpected(cmd, "没有 centres 列表 / no centres list");
		return CTL_FAIL;
	}
	t = ctl_table_new(nitems(centre_headers), centre_headers);
	json_array_foreach(list, i, centre) {
		cells = ctl_table_row(t);
		cells[0] = ctl_cell(centre, "id");
		cells[1] = ctl_cell(centre, "name");
		cells[2] = ctl_cell(centre, "unit");
		cells[3] = ctl_cell(centre, jstr(centre, "state_cn") ?
		    "state_cn" : "state");
		cells[4] = ctl_cell(centre, "since");
		cells[5] = ctl_cell(centre, "registered");
		cells[6] = centre_note(centre);
	}
	ctl_table_print(t);
	printf("\n共 %zu 个中心，截至 %s。\n", ctl_table_count(t),
	    jstr(reply, "today") ? jstr(reply, "today") : "?");
	ctl_table_free(t);
	return ctl_finish(cmd);
}

int
ctl_centres(int argc, char **argv)
{
	struct ctl_remote	 rem = { .cmd = "centres" };
	struct ctl_client	*c;
	json_t			*reply;
	bool			 json = false;
	int			 rc = CTL_FAIL;

	switch (centres_options(argc, argv, &rem, &json)) {
	case 1:
		return CTL_OK;
	case -1:
		goto usage;
	}
	if (argc != optind)
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	if ((reply = remote_get(c, "/api/v1/centres")) != NULL) {
		rc = json ? ctl_print_json(rem.cmd, reply) :
		    print_centres(rem.cmd, reply);
		json_decref(reply);
	}
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], centres_usage);
	return CTL_USAGE;
}

static void
print_centre_card(const json_t *centre)
{
	char	*note;

	printf("编号 / id:             %s\n", jstr(centre, "id"));
	printf("名称 / name:           %s\n", jstr(centre, "name") ?
	    jstr(centre, "name") : "—");
	printf("组织管理单位 / unit:   %s\n", jstr(centre, "unit") ?
	    jstr(centre, "unit") : "—");
	printf("状态 / state:          %s（%s）", jstr(centre, "state_cn") ?
	    jstr(centre, "state_cn") : "?", jstr(centre, "state") ?
	    jstr(centre, "state") : "?");
	if (jstr(centre, "since") != NULL)
		printf("，自 %s", jstr(centre, "since"));
	putchar('\n');
	printf("登记日 / registered:   %s\n", jstr(centre, "registered") ?
	    jstr(centre, "registered") : "—");
	note = centre_note(centre);
	if (*note != '\0')
		printf("备注 / note:           %s\n", note);
	free(note);
	putchar('\n');
}

int
ctl_centre(int argc, char **argv)
{
	struct ctl_remote	 rem = { .cmd = "centre" };
	struct ctl_client	*c;
	json_t			*reply, *obs = NULL, *centre;
	char			*id, *path;
	bool			 json = false;
	int			 rc = CTL_FAIL;

	switch (centres_options(argc, argv, &rem, &json)) {
	case 1:
		return CTL_OK;
	case -1:
		goto usage;
	}
	if (argc - optind != 1 || *argv[optind] == '\0')
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	id = ctl_url_escape(argv[optind]);
	path = xasprintf("/api/v1/centres/%s", id);
	if ((reply = remote_get(c, path)) == NULL)
		goto out;
	if (json) {
		rc = ctl_print_json(rem.cmd, reply);
		goto out;
	}
	if (!json_is_object(centre = json_object_get(reply, "centre")) ||
	    jstr(centre, "id") == NULL) {
		unexpected(rem.cmd, "没有 centre 对象 / no centre object");
		goto out;
	}
	/* The centre's reply has no day to count from: the obligations'
	 * has, as_of, so the table is made from that one. */
	free(path);
	path = xasprintf("/api/v1/obligations?centre=%s", id);
	if ((obs = remote_get(c, path)) == NULL)
		goto out;
	print_centre_card(centre);
	rc = print_obligations(rem.cmd, c, obs, json_object_get(obs,
	    "obligations"));
out:
	json_decref(obs);
	json_decref(reply);
	free(path);
	free(id);
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], centres_usage);
	return CTL_USAGE;
}

/* ---- record ---- */

static void
record_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl record [--json] [connection options] [FILE | - | 'JSON']\n"
"\n"
"向 ticd 记录事件：FILE 或标准输入（缺省或 -）每行一个 JSON 事件（空行与 #\n"
"开头的行略过），或直接给出一个 JSON 事件。每记录一个事件，在标准输出打印\n"
"ticd 分配的编号。先检查每行都是 JSON 对象，有一行不是则一个也不记录；遇到\n"
"ticd 拒绝的事件即停止，指出其行号和理由，此前的事件已记录。\n"
"Records events with ticd: one JSON event per line of FILE or stdin\n"
"(default, or -; blank lines and lines starting with # are skipped), or one\n"
"event given inline.  Prints each event's id as ticd acknowledges it.  Every\n"
"line is checked to be a JSON object first (none is sent if one is not);\n"
"the first event ticd refuses stops the run, naming its line and the reason;\n"
"the events before it stay recorded.\n"
"\n"
"  --json           每个事件打印 ticd 的回复（一行一个 JSON：id、seq、\n"
"                   recorded_at、event）/ print ticd's reply for each event,\n"
"                   one JSON object a line (id, seq, recorded_at, event)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 every event recorded; 1 one refused (422) or\n"
"another failure; 2 bad usage.\n");
}

/* One event to send, and where it was read. */
struct record_line {
	char	*text;
	int	 line;
};

static bool
blank_or_comment(const char *s)
{
	s += strspn(s, " \t\r");
	return *s == '\0' || *s == '#';
}

/* Reads every event line, checking each is a JSON object before any is
 * sent: a typo on line 50 must not leave 49 events recorded. */
static struct record_line *
record_read(FILE *in, const char *name, size_t *n)
{
	struct record_line	*lines = NULL;
	json_t			*obj;
	json_error_t		 jerr;
	char			*line = NULL;
	size_t			 cap = 0, ncap = 0, len;
	ssize_t			 got;
	int			 lineno = 0;

	*n = 0;
	while ((got = getline(&line, &cap, in)) != -1) {
		len = (size_t)got;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (memchr(line, '\0', len) == NULL && blank_or_comment(line))
			continue;
		obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		if (obj == NULL || !json_is_object(obj)) {
			ctl_warnx("record", "%s:%d: 不是 JSON 对象 / not a JSON "
			    "object%s%s；未记录任何事件 / nothing was recorded",
			    name, lineno, obj == NULL ? ": " : "",
			    obj == NULL ? jerr.text : "");
			json_decref(obj);
			goto fail;
		}
		json_decref(obj);
		if (*n == ncap) {
			ncap = ncap ? ncap * 2 : 64;
			lines = xreallocarray(lines, ncap, sizeof(*lines));
		}
		lines[*n].text = xstrndup(line, len);
		lines[(*n)++].line = lineno;
	}
	if (ferror(in)) {
		ctl_warnx("record", "%s: 读取失败 / read error: %s", name,
		    strerror(errno));
		goto fail;
	}
	free(line);
	return lines != NULL ? lines : xcalloc(1, sizeof(*lines));
fail:
	free(line);
	while (*n > 0)
		free(lines[--(*n)].text);
	free(lines);
	return NULL;
}

/* Posts one event and prints its id; -1 after saying why (where names
 * its line, or is NULL for an event given inline). */
static int
record_one(struct ctl_client *c, const char *text, const char *where,
    bool json)
{
	json_t	*reply;
	char	*line;
	int	 rc = 0;

	reply = ctl_client_call(c, "POST", "/api/v1/events", text,
	    strlen(text));
	if (reply == NULL) {
		ctl_client_warn(c, where);
		return -1;
	}
	if (jstr(reply, "id") == NULL) {
		unexpected("record", "没有事件编号 / no event id");
		rc = -1;
	} else if (json) {
		/* One line an event, so that a script reads them as they
		 * come (JSON Lines), unlike the other commands' indented
		 * single reply. */
		if ((line = json_dumps(reply, JSON_COMPACT |
		    JSON_PRESERVE_ORDER)) == NULL) {
			unexpected("record", "无法输出回复 / cannot print the "
			    "reply");
			rc = -1;
		} else {
			puts(line);
			free(line);
			fflush(stdout);
		}
	} else {
		puts(jstr(reply, "id"));
		/* The caller sees each id as soon as it is stored. */
		fflush(stdout);
	}
	json_decref(reply);
	return rc;
}

static int
record_lines(struct ctl_client *c, const struct record_line *lines, size_t n,
    const char *name, bool json)
{
	char	*where;
	size_t	 i;
	int	 rc;

	for (i = 0; i < n; i++) {
		where = xasprintf("%s:%d", name, lines[i].line);
		rc = record_one(c, lines[i].text, where, json);
		free(where);
		if (rc == -1) {
			if (i > 0)
				ctl_warnx("record", "此前的 %zu 个事件已记录 / the "
				    "%zu event(s) before it are recorded", i, i);
			return CTL_FAIL;
		}
	}
	if (n == 0)
		ctl_warnx("record", "%s: 没有事件 / no events", name);
	return ctl_finish("record");
}

/* An argument that starts with "{" is an event, not a file name. */
static bool
inline_event(const char *arg)
{
	return arg[strspn(arg, " \t\r\n")] == '{';
}

int
ctl_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "record" };
	struct ctl_client	*c;
	struct record_line	*lines = NULL;
	const char		*arg = NULL, *name = "stdin";
	size_t			 n = 0;
	int			 ch, rc = CTL_FAIL;
	bool			 json = false;
	FILE			*in = stdin;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'h':
			record_usage(stdout);
			return CTL_OK;
		case 'j':
			json = true;
			break;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (argc - optind > 1)
		goto usage;
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		arg = argv[optind];
	if (arg != NULL && inline_event(arg)) {
		if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
			return CTL_FAIL;
		if (record_one(c, arg, NULL, json) == 0)
			rc = ctl_finish(rem.cmd);
		ctl_client_free(c);
		return rc;
	}
	if (arg != NULL && (in = fopen(name = arg, "r")) == NULL) {
		ctl_warnx(rem.cmd, "%s: 无法打开 / cannot open: %s", arg,
		    strerror(errno));
		return CTL_FAIL;
	}
	/* Read and check everything before the first request. */
	lines = record_read(in, name, &n);
	if (in != stdin)
		fclose(in);
	if (lines == NULL)
		return CTL_FAIL;
	if ((c = ctl_client_new(rem.cmd, &rem)) != NULL) {
		rc = record_lines(c, lines, n, name, json);
		ctl_client_free(c);
	}
	while (n > 0)
		free(lines[--n].text);
	free(lines);
	return rc;
usage:
	ctl_short_usage(argv[0], record_usage);
	return CTL_USAGE;
}

/* ---- obligations, upcoming ---- */

static void
obligations_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl obligations [--centre ID] [--unit UNIT] [--rule RULE]\n"
"                   [--state STATE]... [--from DATE] [--to DATE]\n"
"                   [--until DATE] [--json] [connection options]\n"
"\n"
"向 ticd 查询义务，以中文表格显示（到期日及星期、剩余天数按 ticd 的当天计算）。\n"
"Asks ticd for obligations and shows them as a table (due dates with\n"
"weekdays; days left counted from ticd's today).\n"
"\n"
"  --centre ID      只看这个中心 / one centre's only\n"
"  --unit UNIT      只看这个组织管理单位的中心 / one unit's centres only\n"
"  --rule RULE      只看这条规则（如 evaluation）/ one rule's only\n"
"  --state STATE    open、overdue、done、void，可重复或用逗号分隔 / open,\n"
"                   overdue, done, void (repeatable or comma-separated)\n"
"  --from DATE      到期日不早于 / due on or after DATE (YYYY-MM-DD)\n"
"  --to DATE        到期日不晚于 / due on or before DATE\n"
"  --until DATE     逐年义务列到此日 / yearly obligations up to DATE\n"
"                   (ticd's default: today + 400 days)\n"
"  --json           输出 ticd 的原始回复（JSON）/ print ticd's reply (JSON)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached;\n"
"2 bad usage.\n");
}

static void
upcoming_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl upcoming [--days N] [--centre ID] [--unit UNIT]\n"
"                   [--json] [connection options]\n"
"\n"
"未完成的义务中，已逾期的和 N 天内（含第 N 天，按 ticd 的当天计算）到期的，\n"
"逾期的在前。Open obligations due within N days of ticd's today (day N\n"
"included) and overdue ones, overdue first.\n"
"\n"
"  --days N         天数 / days ahead, 0 to %d (default %d)\n"
"  --centre ID      只看这个中心 / one centre's only\n"
"  --unit UNIT      只看这个组织管理单位的中心 / one unit's centres only\n"
"  --json           以 JSON 输出（ticd 回复的格式，只含这些义务）/ as JSON\n"
"                   (ticd's reply, with these obligations only)\n",
	    UPCOMING_MAX_DAYS, UPCOMING_DAYS);
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached;\n"
"2 bad usage.\n");
}

static bool
check_states(const char *value)
{
	char		*copy = xstrdup(value), *w, *save = NULL;
	enum sched_state s;
	bool		 ok = true;

	for (w = strtok_r(copy, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (state_from_name(w, &s) == -1)
			ok = false;
	}
	free(copy);
	if (!ok)
		ctl_warnx("obligations", "--state \"%s\"：应为 open、overdue、"
		    "done、void / must be open, overdue, done or void", value);
	return ok;
}

static bool
check_rule(const char *value)
{
	enum sched_rule	 r;

	if (sched_rule_from_name(value, &r) == 0)
		return true;
	ctl_warnx("obligations", "--rule \"%s\"：没有这条规则（规则名见 "
	    "docs/rules.md，如 evaluation）/ no such rule (see docs/rules.md, "
	    "e.g. evaluation)", value);
	return false;
}

int
ctl_obligations(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "centre", required_argument, NULL, 'c' },
		{ "unit", required_argument, NULL, 'U' },
		{ "rule", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "obligations" };
	struct ctl_client	*c;
	struct buf		 q, states;
	json_t			*reply;
	char			*path;
	bool			 json = false;
	int			 ch, rc = CTL_FAIL;

	buf_init(&q);
	buf_init(&states);
	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			query_add(&q, "centre", optarg);
			break;
		case 'U':
			query_add(&q, "unit", optarg);
			break;
		case 'r':
			if (!check_rule(optarg))
				goto usage;
			query_add(&q, "rule", optarg);
			break;
		case 's':
			if (!check_states(optarg))
				goto usage;
			buf_printf(&states, "%s%s", states.len ? "," : "",
			    optarg);
			break;
		case 'f':
		case 't':
		case 'u':
			if (!parse_date_arg(rem.cmd, ch == 'f' ? "--from" :
			    ch == 't' ? "--to" : "--until", optarg))
				goto usage;
			query_add(&q, ch == 'f' ? "due_from" : ch == 't' ?
			    "due_to" : "until", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			obligations_usage(stdout);
			buf_free(&q);
			buf_free(&states);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (argc != optind)
		goto usage;
	if (states.len > 0)
		query_add(&q, "state", states.data);
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		goto out;
	path = xasprintf("/api/v1/obligations%s", q.data);
	if ((reply = remote_get(c, path)) != NULL) {
		rc = json ? ctl_print_json(rem.cmd, reply) :
		    print_obligations(rem.cmd, c, reply,
		    json_object_get(reply, "obligations"));
		json_decref(reply);
	}
	free(path);
	ctl_client_free(c);
out:
	buf_free(&q);
	buf_free(&states);
	return rc;
usage:
	ctl_short_usage(argv[0], obligations_usage);
	buf_free(&q);
	buf_free(&states);
	return CTL_USAGE;
}

static bool
parse_days(const char *value, int *days)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (*value != '\0' && *end == '\0' && errno == 0 && n >= 0 &&
	    n <= UPCOMING_MAX_DAYS) {
		*days = (int)n;
		return true;
	}
	ctl_warnx("upcoming", "--days \"%s\"：应为 0 到 %d 的整数 / must be a "
	    "whole number from 0 to %d", value, UPCOMING_MAX_DAYS,
	    UPCOMING_MAX_DAYS);
	return false;
}

/*
 * The obligations of a reply due on or before as_of + days, overdue ones
 * first, each group in ticd's order (by due date).  A new array of the
 * same objects, or NULL when the reply is malformed.
 */
static json_t *
upcoming_select(const json_t *reply, int days)
{
	json_t		*list = json_object_get(reply, "obligations"), *o;
	json_t		*overdue = json_array(), *rest = json_array();
	int		 as_of, due;
	size_t		 i;

	if (jstr(reply, "as_of") == NULL ||
	    sched_date_parse(jstr(reply, "as_of"), &as_of) == -1 ||
	    !json_is_array(list))
		goto bad;
	json_array_foreach(list, i, o) {
		if (jstr(o, "due") == NULL ||
		    sched_date_parse(jstr(o, "due"), &due) == -1)
			goto bad;
		if (due > as_of + days)
			continue;
		json_array_append(strcmp(jstr(o, "state") ? jstr(o, "state") :
		    "", "overdue") == 0 ? overdue : rest, o);
	}
	json_array_extend(overdue, rest);
	json_decref(rest);
	return overdue;
bad:
	json_decref(overdue);
	json_decref(rest);
	return NULL;
}

static int
upcoming_print(struct ctl_client *c, json_t *reply, int days, bool json)
{
	json_t	*chosen;
	char	 d[SCHED_DATE_LEN];
	int	 as_of, rc;

	if ((chosen = upcoming_select(reply, days)) == NULL) {
		unexpected("upcoming", "义务缺少 as_of 或到期日 / obligations "
		    "without as_of or due dates");
		return CTL_FAIL;
	}
	if (json) {
		sched_date_parse(jstr(reply, "as_of"), &as_of);
		json_object_set_new(reply, "due_to", json_string(
		    sched_date_format(as_of + days, d)));
		json_object_set(reply, "obligations", chosen);
		rc = ctl_print_json("upcoming", reply);
	} else
		rc = print_obligations("upcoming", c, reply, chosen);
	json_decref(chosen);
	return rc;
}

int
ctl_upcoming(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ "centre", required_argument, NULL, 'c' },
		{ "unit", required_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "upcoming" };
	struct ctl_client	*c;
	struct buf		 q;
	json_t			*reply;
	char			*path, d[SCHED_DATE_LEN];
	bool			 json = false;
	int			 ch, days = UPCOMING_DAYS, rc = CTL_FAIL;

	buf_init(&q);
	query_add(&q, "state", "open,overdue");
	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'd':
			if (!parse_days(optarg, &days))
				goto usage;
			break;
		case 'c':
			query_add(&q, "centre", optarg);
			break;
		case 'U':
			query_add(&q, "unit", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			upcoming_usage(stdout);
			buf_free(&q);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (argc != optind)
		goto usage;
	/* Past ticd's default horizon the yearly obligations must be asked
	 * for; ticd's today is not known yet, so this machine's stands in,
	 * with two days to spare for clocks and midnight. */
	if (days > SERVER_HORIZON - 10)
		query_add(&q, "until", sched_date_format(ctl_today() + days + 2,
		    d));
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		goto out;
	path = xasprintf("/api/v1/obligations%s", q.data);
	if ((reply = remote_get(c, path)) != NULL) {
		rc = upcoming_print(c, reply, days, json);
		json_decref(reply);
	}
	free(path);
	ctl_client_free(c);
out:
	buf_free(&q);
	return rc;
usage:
	ctl_short_usage(argv[0], upcoming_usage);
	buf_free(&q);
	return CTL_USAGE;
}

/* ---- tokens ---- */

static void
tokens_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl tokens [list] [--json]\n"
"       ticctl tokens create ROLE [SCOPE] [--label LABEL] [--json]\n"
"       ticctl tokens revoke ID\n"
"       (and connection options)\n"
"\n"
"管理 API 令牌（需 bureau 令牌）。/ Manages API tokens (a bureau token's\n"
"work).\n"
"\n"
"  list             列出令牌（不含密钥）/ lists tokens (never a secret)\n"
"  create ROLE [SCOPE]\n"
"                   新建令牌：ROLE 为 bureau（无 SCOPE）、unit（SCOPE 为\n"
"                   组织管理单位名）或 centre（SCOPE 为中心编号）；密钥只在\n"
"                   标准输出上显示这一次 / makes a token: ROLE bureau (no\n"
"                   SCOPE), unit (SCOPE: the unit's name) or centre (SCOPE:\n"
"                   the centre's id); its secret is printed on stdout this\n"
"                   once only\n"
"  revoke ID        吊销令牌，立即失效 / revokes a token, at once\n"
"  --label LABEL    create：令牌的说明，如持有人 / create: a note, e.g. who\n"
"                   holds it\n"
"  --json           输出 ticd 的原始回复（JSON）/ print ticd's reply (JSON)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached;\n"
"2 bad usage.\n");
}

/* What a list command shows: its API path and list, the table's columns,
 * how a row fills them, and the noun counted at the end ("个令牌"). */
struct list_view {
	const char	 *cmd;
	const char	 *path;
	const char	 *key;
	const char	**headers;
	size_t		  nheaders;
	void		(*fill)(char **cells, const json_t *row);
	const char	 *counted;
};

/* GET path, then the reply as JSON, or its list as a table. */
static int
remote_list(struct ctl_client *c, const struct list_view *v, bool json)
{
	struct ctl_table	*t;
	json_t			*reply, *list, *row;
	size_t			 i;
	int			 rc;

	if ((reply = remote_get(c, v->path)) == NULL)
		return CTL_FAIL;
	if (json) {
		rc = ctl_print_json(v->cmd, reply);
		json_decref(reply);
		return rc;
	}
	if (!json_is_array(list = json_object_get(reply, v->key))) {
		char *why = xasprintf("没有 %s 列表 / no %s list", v->key,
		    v->key);

		unexpected(v->cmd, why);
		free(why);
		json_decref(reply);
		return CTL_FAIL;
	}
	t = ctl_table_new(v->nheaders, v->headers);
	json_array_foreach(list, i, row)
		v->fill(ctl_table_row(t), row);
	ctl_table_print(t);
	printf("\n共 %zu %s。\n", ctl_table_count(t), v->counted);
	ctl_table_free(t);
	json_decref(reply);
	return ctl_finish(v->cmd);
}

/* "有效", or when it was revoked. */
static char *
revoked_cell(const json_t *row)
{
	return jstr(row, "revoked_at") != NULL ? xasprintf("已吊销 %s",
	    jstr(row, "revoked_at")) : xstrdup("有效");
}

static const char *token_headers[] = {
	"编号", "角色", "范围", "说明", "创建时间", "状态"
};

static void
token_cells(char **cells, const json_t *tok)
{
	cells[0] = ctl_cell(tok, "id");
	cells[1] = ctl_cell(tok, "role");
	cells[2] = ctl_cell(tok, "scope");
	cells[3] = ctl_cell(tok, "label");
	cells[4] = ctl_cell(tok, "created_at");
	cells[5] = revoked_cell(tok);
}

static int
tokens_list(struct ctl_client *c, bool json)
{
	static const struct list_view v = { "tokens", "/api/v1/tokens",
	    "tokens", token_headers, nitems(token_headers), token_cells,
	    "个令牌" };

	return remote_list(c, &v, json);
}

static int
tokens_create(struct ctl_client *c, const char *role, const char *scope,
    const char *label, bool json)
{
	json_t	*body, *reply;
	int	 rc;

	body = json_pack("{s:s, s:s*, s:s*}", "role", role, "scope", scope,
	    "label", label);
	if ((reply = remote_post(c, "/api/v1/tokens", body)) == NULL)
		return CTL_FAIL;
	if (jstr(reply, "token") == NULL) {
		unexpected("tokens", "没有令牌 / no token");
		json_decref(reply);
		return CTL_FAIL;
	}
	/* The secret alone on stdout, so that it can go straight into a
	 * file; what it is goes to stderr. */
	if (json)
		rc = ctl_print_json("tokens", reply);
	else {
		puts(jstr(reply, "token"));
		rc = ctl_finish("tokens");
	}
	if (rc == CTL_OK)
		ctl_warnx("tokens", "已新建令牌 %" JSON_INTEGER_FORMAT "（%s%s%s）"
		    "。密钥只显示这一次，ticd 只保存其散列：请立即妥善保存 / made "
		    "token %" JSON_INTEGER_FORMAT "; its secret is shown this once "
		    "(ticd keeps only its hash): store it now",
		    json_integer_value(json_object_get(reply, "id")), role,
		    scope ? " " : "", scope ? scope : "",
		    json_integer_value(json_object_get(reply, "id")));
	json_decref(reply);
	return rc;
}

static int
remote_delete(struct ctl_client *c, const char *cmd, const char *what,
    long long id)
{
	json_t	*reply;
	char	*path;

	path = xasprintf("/api/v1/%s/%lld", what, id);
	reply = ctl_client_call(c, "DELETE", path, NULL, 0);
	free(path);
	if (reply == NULL) {
		ctl_client_warn(c, NULL);
		return CTL_FAIL;
	}
	json_decref(reply);
	if (strcmp(what, "tokens") == 0)
		printf("已吊销令牌 %lld / token %lld revoked\n", id, id);
	else if (strcmp(what, "webhooks") == 0)
		printf("已删除 webhook %lld / webhook %lld removed\n", id, id);
	else
		printf("已删除联系人 %lld / contact %lld removed\n", id, id);
	return ctl_finish(cmd);
}

/*
 * Whether "KIND [SCOPE] …" has the right number of words after KIND:
 * "then" for the bureau, a SCOPE and "then" for a unit or a centre.  Else
 * says so, with "shape" (the command's own words), and is false.
 */
static bool
scoped_args(const char *cmd, const char *kind, int nargs, int then,
    const char *shape)
{
	if (strcmp(kind, "bureau") == 0 && nargs == then)
		return true;
	if ((strcmp(kind, "unit") == 0 || strcmp(kind, "centre") == 0) &&
	    nargs == then + 1)
		return true;
	ctl_warnx(cmd, "%s", shape);
	return false;
}

int
ctl_tokens(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "tokens" };
	struct ctl_client	*c;
	const char		*verb = "list", *label = NULL;
	long long		 id = 0;
	bool			 json = false;
	int			 ch, nargs, rc;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'l':
			label = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			tokens_usage(stdout);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (optind < argc)
		verb = argv[optind++];
	nargs = argc - optind;
	if (strcmp(verb, "list") == 0) {
		if (nargs != 0 || label != NULL)
			goto usage;
	} else if (strcmp(verb, "create") == 0) {
		if (nargs < 1 || !scoped_args(rem.cmd, argv[optind], nargs - 1,
		    0, "create：ROLE 为 bureau（无 SCOPE）、unit 或 centre（须有 "
		    "SCOPE）/ ROLE is bureau (without SCOPE), unit or centre "
		    "(with a SCOPE)"))
			goto usage;
	} else if (strcmp(verb, "revoke") == 0) {
		if (nargs != 1 || label != NULL || json ||
		    !parse_id_arg(rem.cmd, argv[optind], &id))
			goto usage;
	} else
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	if (strcmp(verb, "list") == 0)
		rc = tokens_list(c, json);
	else if (strcmp(verb, "create") == 0)
		rc = tokens_create(c, argv[optind], nargs == 2 ?
		    argv[optind + 1] : NULL, label, json);
	else
		rc = remote_delete(c, rem.cmd, "tokens", id);
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], tokens_usage);
	return CTL_USAGE;
}

/* ---- contacts ---- */

static void
contacts_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl contacts [list] [--json]\n"
"       ticctl contacts add KIND [SCOPE] EMAIL [--name NAME]\n"
"       ticctl contacts remove ID\n"
"       (and connection options)\n"
"\n"
"提醒邮件的收件人。list 列出令牌可见的联系人；add、remove 需 bureau 令牌。\n"
"The people reminders go to.  list shows those the token sees; add and\n"
"remove need a bureau token.\n"
"\n"
"  add KIND [SCOPE] EMAIL\n"
"                   KIND 为 centre（SCOPE 为中心编号）、unit（SCOPE 为组织\n"
"                   管理单位名）或 bureau（无 SCOPE）/ KIND centre (SCOPE:\n"
"                   a centre's id), unit (SCOPE: a unit's name) or bureau\n"
"                   (no SCOPE)\n"
"  remove ID        删除联系人 / removes a contact\n"
"  --name NAME      add：联系人姓名 / add: the person's name\n"
"  --json           输出 ticd 的原始回复（JSON）/ print ticd's reply (JSON)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached;\n"
"2 bad usage.\n");
}

static const char *contact_headers[] = {
	"编号", "类别", "范围", "邮箱", "姓名"
};

static void
contact_cells(char **cells, const json_t *row)
{
	const char	*email = jstr(row, "email");

	cells[0] = ctl_cell(row, "id");
	cells[1] = ctl_cell(row, "kind");
	cells[2] = ctl_cell(row, "scope");
	/* One no mail can go to (stored by an older ticd) says so. */
	cells[3] = email != NULL && json_is_false(json_object_get(row,
	    "usable")) ? xasprintf("%s（不可用 / unusable）", email) :
	    ctl_cell(row, "email");
	cells[4] = ctl_cell(row, "name");
}

static int
contacts_list(struct ctl_client *c, bool json)
{
	static const struct list_view v = { "contacts", "/api/v1/contacts",
	    "contacts", contact_headers, nitems(contact_headers),
	    contact_cells, "个联系人" };

	return remote_list(c, &v, json);
}

static int
contacts_add(struct ctl_client *c, char **args, int nargs, const char *name,
    bool json)
{
	json_t	*body, *reply;
	int	 rc;

	body = json_pack("{s:s, s:s*, s:s, s:s*}", "kind", args[0], "scope",
	    nargs == 3 ? args[1] : NULL, "email", args[nargs - 1], "name",
	    name);
	if ((reply = remote_post(c, "/api/v1/contacts", body)) == NULL)
		return CTL_FAIL;
	if (json)
		rc = ctl_print_json("contacts", reply);
	else {
		printf("已添加联系人 %" JSON_INTEGER_FORMAT " / contact %"
		    JSON_INTEGER_FORMAT " added\n", json_integer_value(
		    json_object_get(reply, "id")), json_integer_value(
		    json_object_get(reply, "id")));
		rc = ctl_finish("contacts");
	}
	json_decref(reply);
	return rc;
}

int
ctl_contacts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "contacts" };
	struct ctl_client	*c;
	const char		*verb = "list", *name = NULL;
	long long		 id = 0;
	bool			 json = false;
	int			 ch, nargs, rc;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			contacts_usage(stdout);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (optind < argc)
		verb = argv[optind++];
	nargs = argc - optind;
	if (strcmp(verb, "list") == 0) {
		if (nargs != 0 || name != NULL)
			goto usage;
	} else if (strcmp(verb, "add") == 0) {
		if (nargs < 1 || !scoped_args(rem.cmd, argv[optind], nargs - 1,
		    1, "add：KIND 为 bureau（其后只有 EMAIL）、unit 或 centre（其后"
		    "为 SCOPE EMAIL）/ KIND is bureau (then EMAIL), unit or centre "
		    "(then SCOPE EMAIL)"))
			goto usage;
	} else if (strcmp(verb, "remove") == 0) {
		if (nargs != 1 || name != NULL || json ||
		    !parse_id_arg(rem.cmd, argv[optind], &id))
			goto usage;
	} else
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	if (strcmp(verb, "list") == 0)
		rc = contacts_list(c, json);
	else if (strcmp(verb, "add") == 0)
		rc = contacts_add(c, argv + optind, nargs, name, json);
	else
		rc = remote_delete(c, rem.cmd, "contacts", id);
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], contacts_usage);
	return CTL_USAGE;
}

/* ---- feeds ---- */

static void
feeds_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl feeds [list] [--json]\n"
"       ticctl feeds create (--bureau | --unit NAME | --centre ID)\n"
"                   [--label LABEL] [--json]\n"
"       ticctl feeds revoke ID\n"
"       (and connection options; \"ticctl feed-token\" is the same)\n"
"\n"
"日历订阅的令牌。每个订阅地址含一个令牌，决定能看到的范围：全市、一个组织管理\n"
"单位（其中心）或一个中心。API 令牌只能为自己可见的范围建立订阅。\n"
"Calendar feed tokens.  Each feed URL holds one, which decides what the\n"
"feed shows: everything, a unit's centres, or one centre.  An API token\n"
"makes feeds of what it sees itself.\n"
"\n"
"  list             列出订阅（创建时间、最近使用；不含密钥）/ lists feeds\n"
"                   (creation, last use; never a secret)\n"
"  create           新建订阅，在标准输出打印 http(s):// 与 webcal(s):// 地址，\n"
"                   只显示这一次 / makes a feed and prints its http(s)://\n"
"                   and webcal:// links (webcals:// for https) on stdout,\n"
"                   this once only\n"
"  revoke ID        吊销订阅，地址立即失效 / revokes a feed: its URL stops\n"
"                   working at once\n"
"  --bureau | --unit NAME | --centre ID\n"
"                   create：订阅的范围 / create: the feed's scope\n"
"  --label LABEL    create：说明，如使用人 / create: a note, e.g. who uses it\n"
"  --json           输出 ticd 的原始回复（JSON）/ print ticd's reply (JSON)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"订阅地址后加 ?alarms=1 含提前提醒，?todo=1 为待办事项。\n"
"Append ?alarms=1 for reminders, ?todo=1 for tasks (VTODO).\n"
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached;\n"
"2 bad usage.\n");
}

static const char *feed_headers[] = {
	"编号", "范围", "说明", "创建时间", "最近使用", "状态"
};

static char *
feed_scope_cell(const json_t *row)
{
	const char	*kind = jstr(row, "kind"), *scope = jstr(row, "scope");

	if (kind != NULL && strcmp(kind, "bureau") == 0)
		return xstrdup("全市");
	return xasprintf("%s %s", kind != NULL && strcmp(kind, "unit") == 0 ?
	    "单位" : "中心", scope != NULL ? scope : "?");
}

static void
feed_cells(char **cells, const json_t *row)
{
	cells[0] = ctl_cell(row, "id");
	cells[1] = feed_scope_cell(row);
	cells[2] = ctl_cell(row, "label");
	cells[3] = ctl_cell(row, "created_at");
	cells[4] = jstr(row, "last_used_at") != NULL ?
	    xstrdup(jstr(row, "last_used_at")) : xstrdup("从未 / never");
	cells[5] = revoked_cell(row);
}

static int
feeds_list(struct ctl_client *c, bool json)
{
	static const struct list_view v = { "feeds", "/api/v1/feeds", "feeds",
	    feed_headers, nitems(feed_headers), feed_cells, "个订阅" };

	return remote_list(c, &v, json);
}

static int
feeds_create(struct ctl_client *c, const char *kind, const char *scope,
    const char *label, bool json)
{
	json_t	*body, *reply;
	int	 rc;

	body = json_pack("{s:s, s:s*, s:s*}", "kind", kind, "scope", scope,
	    "label", label);
	if ((reply = remote_post(c, "/api/v1/feeds", body)) == NULL)
		return CTL_FAIL;
	if (jstr(reply, "url") == NULL || jstr(reply, "webcal") == NULL) {
		unexpected("feeds", "没有订阅地址 / no feed URL");
		json_decref(reply);
		return CTL_FAIL;
	}
	/* The links alone on stdout, one a line, for a script or a mail;
	 * what they are goes to stderr. */
	if (json)
		rc = ctl_print_json("feeds", reply);
	else {
		printf("%s\n%s\n", jstr(reply, "url"), jstr(reply, "webcal"));
		rc = ctl_finish("feeds");
	}
	if (rc == CTL_OK)
		ctl_warnx("feeds", "已新建订阅 %" JSON_INTEGER_FORMAT "（%s%s%s）。"
		    "地址含密钥，只显示这一次：请只交给该订阅的使用人；加 ?alarms=1 "
		    "含提醒，?todo=1 为待办 / made feed %" JSON_INTEGER_FORMAT "; its "
		    "URL holds the secret and is shown this once: give it only to "
		    "its users; append ?alarms=1 for reminders, ?todo=1 for tasks",
		    json_integer_value(json_object_get(reply, "id")), kind,
		    scope ? " " : "", scope ? scope : "",
		    json_integer_value(json_object_get(reply, "id")));
	json_decref(reply);
	return rc;
}

static int
feeds_revoke(struct ctl_client *c, long long id)
{
	json_t	*reply;
	char	*path;

	path = xasprintf("/api/v1/feeds/%lld", id);
	reply = ctl_client_call(c, "DELETE", path, NULL, 0);
	free(path);
	if (reply == NULL) {
		ctl_client_warn(c, NULL);
		return CTL_FAIL;
	}
	json_decref(reply);
	printf("已吊销订阅 %lld / feed %lld revoked\n", id, id);
	return ctl_finish("feeds");
}

/* One of --bureau, --unit, --centre; false (after saying so) for a
 * second one or an empty name. */
static bool
feeds_scope(const char **kind, const char **scope, const char *k,
    const char *s)
{
	if (*kind != NULL || (s != NULL && *s == '\0')) {
		ctl_warnx("feeds", "--bureau、--unit、--centre 只能给一个，名称不能"
		    "为空 / give one of --bureau, --unit, --centre, not empty");
		return false;
	}
	*kind = k;
	*scope = s;
	return true;
}

int
ctl_feeds(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bureau", no_argument, NULL, 'b' },
		{ "unit", required_argument, NULL, 'U' },
		{ "centre", required_argument, NULL, 'C' },
		{ "label", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "feeds" };
	struct ctl_client	*c;
	const char		*verb = "list", *label = NULL, *kind = NULL;
	const char		*scope = NULL;
	long long		 id = 0;
	bool			 json = false;
	int			 ch, rc;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'b':
		case 'U':
		case 'C':
			if (!feeds_scope(&kind, &scope, ch == 'b' ? "bureau" :
			    ch == 'U' ? "unit" : "centre", ch == 'b' ? NULL :
			    optarg))
				goto usage;
			break;
		case 'l':
			label = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			feeds_usage(stdout);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (optind < argc)
		verb = argv[optind++];
	if (strcmp(verb, "list") == 0) {
		if (optind != argc || label != NULL || kind != NULL)
			goto usage;
	} else if (strcmp(verb, "create") == 0) {
		if (optind != argc || kind == NULL) {
			ctl_warnx(rem.cmd, "create：须给出 --bureau、--unit NAME 或 "
			    "--centre ID / give --bureau, --unit NAME or --centre "
			    "ID");
			goto usage;
		}
	} else if (strcmp(verb, "revoke") == 0) {
		if (argc - optind != 1 || label != NULL || kind != NULL ||
		    json || !parse_id_arg(rem.cmd, argv[optind], &id))
			goto usage;
	} else
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	if (strcmp(verb, "list") == 0)
		rc = feeds_list(c, json);
	else if (strcmp(verb, "create") == 0)
		rc = feeds_create(c, kind, scope, label, json);
	else
		rc = feeds_revoke(c, id);
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], feeds_usage);
	return CTL_USAGE;
}

int
ctl_feed_remote(const struct ctl_remote *rem, const char *path)
{
	struct ctl_client	*c;
	char			*ics;
	size_t			 len;
	int			 rc = CTL_FAIL;

	if ((c = ctl_client_new(rem->cmd, rem)) == NULL)
		return CTL_FAIL;
	if ((ics = ctl_client_get_bytes(c, path, &len)) == NULL)
		ctl_client_warn(c, NULL);
	else if (fwrite(ics, 1, len, stdout) == len)
		rc = ctl_finish(rem->cmd);
	else
		ctl_warnx(rem->cmd, "写入失败 / cannot write: %s",
		    strerror(errno));
	free(ics);
	ctl_client_free(c);
	return rc;
}

/* ---- webhooks ---- */

static void
webhooks_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl webhooks [list] [--json]\n"
"       ticctl webhooks add KIND [SCOPE] URL --format FORMAT\n"
"                       [--secret-file PATH] [--label TEXT]\n"
"       ticctl webhooks remove ID\n"
"       ticctl webhooks enable ID\n"
"       (and connection options)\n"
"\n"
"提醒也发往的 webhook 与群机器人。list 列出令牌可见的目标（URL 中的凭据已\n"
"隐去）；add、remove、enable 需 bureau 令牌。\n"
"Where reminders are also posted: webhooks and chat robots.  list shows\n"
"the targets the token sees (credentials in URLs hidden); add, remove and\n"
"enable need a bureau token.\n"
"\n"
"  add KIND [SCOPE] URL\n"
"                   KIND 为 centre（SCOPE 为中心编号）、unit（SCOPE 为组织\n"
"                   管理单位名）或 bureau（无 SCOPE）/ KIND centre (SCOPE:\n"
"                   a centre's id), unit (SCOPE: a unit's name) or bureau\n"
"  --format FORMAT  standard（Standard Webhooks 签名 JSON）、wecom（企业微信\n"
"                   群机器人）、dingtalk（钉钉）、feishu（飞书）\n"
"  --secret-file PATH\n"
"                   密钥所在文件，ticd 读取它（路径须在 ticd 所在机器上）：\n"
"                   standard 必填（whsec_…），dingtalk、feishu 开启加签时填，\n"
"                   wecom 不用。密钥本身从不经过命令行 / the file holding the\n"
"                   secret, read by ticd (a path on ticd's machine):\n"
"                   required for standard (whsec_…), for dingtalk and feishu\n"
"                   when the robot signs, none for wecom.  The secret itself\n"
"                   never goes on a command line.\n"
"  remove ID        删除目标 / removes a target\n"
"  enable ID        重新启用被停用的目标 / turns a disabled target back on\n"
"  --label TEXT     add：备注 / add: a note\n"
"  --json           输出 ticd 的原始回复（JSON）/ print ticd's reply (JSON)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached;\n"
"2 bad usage.\n");
}

static const char *webhook_headers[] = {
	"编号", "类别", "范围", "格式", "状态", "URL", "备注", "停用原因/最近错误"
};

/* Why a target is disabled, or failing, and since when: what the bureau
 * weighs before "ticctl webhooks enable ID". */
static char *
webhook_trouble(const json_t *row)
{
	const char	*state = jstr(row, "state"), *since;
	char		*why, *out;

	if (state != NULL && strcmp(state, "disabled") == 0) {
		since = jstr(row, "disabled_at");
		why = ctl_cell_short(row, "disabled_reason", 50);
	} else if (state != NULL && strcmp(state, "failing") == 0) {
		since = jstr(row, "failing_since");
		why = ctl_cell_short(row, "last_error", 50);
	} else
		return xstrdup("");
	out = xasprintf("%.10s 起：%s", since != NULL ? since : "?", why);
	free(why);
	return out;
}

static const char *
webhook_state_cn(const char *state)
{
	if (state == NULL)
		return "—";
	if (strcmp(state, "enabled") == 0)
		return "启用";
	if (strcmp(state, "failing") == 0)
		return "失败中";
	if (strcmp(state, "disabled") == 0)
		return "已停用";
	return state;
}

static void
webhook_cells(char **cells, const json_t *row)
{
	cells[0] = ctl_cell(row, "id");
	cells[1] = ctl_cell(row, "kind");
	cells[2] = ctl_cell(row, "scope");
	cells[3] = ctl_cell(row, "format");
	cells[4] = xstrdup(webhook_state_cn(jstr(row, "state")));
	cells[5] = ctl_cell(row, "url");
	cells[6] = ctl_cell(row, "label");
	cells[7] = webhook_trouble(row);
}

static int
webhooks_list(struct ctl_client *c, bool json)
{
	static const struct list_view v = { "webhooks", "/api/v1/webhooks",
	    "webhooks", webhook_headers, nitems(webhook_headers),
	    webhook_cells, "个 webhook" };

	return remote_list(c, &v, json);
}

/*
 * The secret file's path as ticd should read it: absolute paths as
 * given (they name a file on ticd's machine); a relative one is made
 * absolute here, for the common case of ticctl beside ticd.
 */
static char *
secret_path(const char *arg)
{
	char	*abs;

	if (arg == NULL || *arg == '/')
		return arg ? xstrdup(arg) : NULL;
	if ((abs = realpath(arg, NULL)) == NULL) {
		ctl_warnx("webhooks", "%s: %s（相对路径须指向本机的文件；否则请给 "
		    "ticd 所在机器上的绝对路径）/ a relative path must name a "
		    "file here; else give an absolute path on ticd's machine",
		    arg, strerror(errno));
		return NULL;
	}
	return abs;
}

static int
webhooks_add(struct ctl_client *c, char **args, int nargs,
    const char *format, const char *secret_file, const char *label,
    bool json)
{
	json_t	*body, *reply;
	char	*path = NULL;
	int	 rc;

	if (secret_file != NULL && (path = secret_path(secret_file)) == NULL)
		return CTL_FAIL;
	body = json_pack("{s:s, s:s*, s:s, s:s, s:s*, s:s*}", "kind", args[0],
	    "scope", nargs == 3 ? args[1] : NULL, "url", args[nargs - 1],
	    "format", format, "secret_file", path, "label", label);
	free(path);
	if ((reply = remote_post(c, "/api/v1/webhooks", body)) == NULL)
		return CTL_FAIL;
	if (json)
		rc = ctl_print_json("webhooks", reply);
	else {
		printf("已添加 webhook %" JSON_INTEGER_FORMAT "：%s / webhook %"
		    JSON_INTEGER_FORMAT " added\n", json_integer_value(
		    json_object_get(reply, "id")), jstr(reply, "url") ?
		    jstr(reply, "url") : "", json_integer_value(
		    json_object_get(reply, "id")));
		rc = ctl_finish("webhooks");
	}
	json_decref(reply);
	return rc;
}

static int
webhooks_enable(struct ctl_client *c, long long id, bool json)
{
	json_t	*reply;
	char	*path;
	int	 rc;

	path = xasprintf("/api/v1/webhooks/%lld/enable", id);
	/* A body, so that the client posts (it sends a GET without one). */
	reply = ctl_client_call(c, "POST", path, "{}", 2);
	free(path);
	if (reply == NULL) {
		ctl_client_warn(c, NULL);
		return CTL_FAIL;
	}
	if (json)
		rc = ctl_print_json("webhooks", reply);
	else {
		if (jstr(reply, "was") != NULL &&
		    strcmp(jstr(reply, "was"), "enabled") == 0)
			printf("webhook %lld 本就在用，未作改变 / webhook %lld "
			    "was not disabled: nothing changed\n", id, id);
		else
			printf("已重新启用 webhook %lld / webhook %lld enabled\n",
			    id, id);
		rc = ctl_finish("webhooks");
	}
	json_decref(reply);
	return rc;
}

int
ctl_webhooks(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "label", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "webhooks" };
	struct ctl_client	*c;
	const char		*verb = "list", *format = NULL, *secret = NULL;
	const char		*label = NULL;
	long long		 id = 0;
	bool			 json = false, add_opts;
	int			 ch, nargs, rc;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 's':
			secret = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			webhooks_usage(stdout);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (optind < argc)
		verb = argv[optind++];
	nargs = argc - optind;
	add_opts = format != NULL || secret != NULL || label != NULL;
	if (strcmp(verb, "list") == 0) {
		if (nargs != 0 || add_opts)
			goto usage;
	} else if (strcmp(verb, "add") == 0) {
		if (nargs < 1 || !scoped_args(rem.cmd, argv[optind], nargs - 1,
		    1, "add：KIND 为 bureau（其后只有 URL）、unit 或 centre（其后为 "
		    "SCOPE URL）/ KIND is bureau (then URL), unit or centre (then "
		    "SCOPE URL)"))
			goto usage;
		if (format == NULL) {
			ctl_warnx("webhooks", "add 需要 --format（standard、wecom、"
			    "dingtalk 或 feishu）/ add needs --format");
			goto usage;
		}
	} else if (strcmp(verb, "remove") == 0 || strcmp(verb, "enable") == 0) {
		if (nargs != 1 || add_opts || (json && *verb == 'r') ||
		    !parse_id_arg(rem.cmd, argv[optind], &id))
			goto usage;
	} else
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	if (strcmp(verb, "list") == 0)
		rc = webhooks_list(c, json);
	else if (strcmp(verb, "add") == 0)
		rc = webhooks_add(c, argv + optind, nargs, format, secret, label,
		    json);
	else if (strcmp(verb, "enable") == 0)
		rc = webhooks_enable(c, id, json);
	else
		rc = remote_delete(c, rem.cmd, "webhooks", id);
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], webhooks_usage);
	return CTL_USAGE;
}
