/*
 * deliveries.c: ticctl deliveries and ticctl redeliver: the outbox as ticd
 * keeps it (GET /api/v1/deliveries), and sending a message again (POST
 * /api/v1/deliveries/ID/redeliver).  Both need a bureau token.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctl/ctl.h"

static void
deliveries_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl deliveries [--state STATE] [--limit N] [--json]\n"
"       (and connection options)\n"
"\n"
"发件箱：每条提醒消息（邮件与 webhook）的状态、尝试次数、下次尝试时间和最近的错误\n"
"（最新的在前）。\n"
"需 bureau 令牌。/ The outbox: each reminder message's state, attempts,\n"
"next attempt and last error, newest first.  Needs a bureau token.\n"
"\n"
"  --state STATE    只列此状态 / only this state: pending, sending, sent,\n"
"                   retrying, dead, dropped\n"
"  --limit N        最多列出 N 条（缺省 200，至多 10000）/ at most N rows\n"
"                   (default 200, at most 10000)\n"
"  --json           输出 ticd 的原始回复（JSON）/ print ticd's reply (JSON)\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused or could not be reached;\n"
"2 bad usage.\n");
}

static const char *headers[] = {
	"编号", "状态", "次数", "下次尝试", "收件人", "渠道", "日期", "条目",
	"最近错误/回复"
};

/* How a row goes: 邮件, or webhook and its target's id. */
static char *
channel_cell(const json_t *r)
{
	const char	*ch = json_string_value(json_object_get(r, "channel"));

	if (ch == NULL)
		return xstrdup("");
	if (strcmp(ch, "email") == 0)
		return xstrdup("邮件");
	if (strncmp(ch, "webhook:", 8) == 0)
		return xasprintf("webhook %s", ch + 8);
	return xstrdup(ch);
}

/* The day a row is for, and what the message says of it: 补发 (late, with
 * the day it was planned for) or 补发汇总 (missed days folded in one). */
static char *
day_cell(const json_t *r)
{
	const char	*day = json_string_value(json_object_get(r, "day"));
	const char	*planned = json_string_value(json_object_get(r,
			    "planned"));

	if (day == NULL)
		return xstrdup("");
	if (json_is_true(json_object_get(r, "catch_up")))
		return xasprintf("%s 补发汇总", day);
	if (planned != NULL && strcmp(planned, day) != 0)
		return xasprintf("%s 补发（原定 %s）", day, planned);
	return xstrdup(day);
}

/* How many obligations it names; a notice to the bureau names none. */
static char *
items_cell(const json_t *r)
{
	size_t	 n = json_array_size(json_object_get(r, "items"));

	return n > 0 ? xasprintf("%zu", n) : xstrdup("通知");
}

static int
deliveries_print(const json_t *reply)
{
	struct ctl_table	*t;
	json_t			*list = json_object_get(reply, "deliveries"), *r;
	char			**cells;
	size_t			 i;

	if (!json_is_array(list)) {
		ctl_warnx("deliveries", "ticd 的回复不合预期 / unexpected reply "
		    "from ticd: no deliveries list");
		return CTL_FAIL;
	}
	t = ctl_table_new(nitems(headers), headers);
	json_array_foreach(list, i, r) {
		cells = ctl_table_row(t);
		cells[0] = ctl_cell(r, "id");
		cells[1] = ctl_cell(r, "state");
		cells[2] = ctl_cell(r, "attempts");
		cells[3] = ctl_cell(r, "next_attempt");
		cells[4] = ctl_cell(r, "recipient");
		cells[5] = channel_cell(r);
		cells[6] = day_cell(r);
		cells[7] = items_cell(r);
		cells[8] = json_is_string(json_object_get(r, "last_error")) ?
		    ctl_cell_short(r, "last_error", 60) :
		    ctl_cell_short(r, "last_response", 60);
	}
	ctl_table_print(t);
	printf("\n共 %zu 封。/ %zu message(s).\n", ctl_table_count(t),
	    ctl_table_count(t));
	ctl_table_free(t);
	return ctl_finish("deliveries");
}

/* An outbox state as the API knows it (store/db.c's CHECK): checked here,
 * so that a mistyped one is bad usage, as for ticctl obligations. */
static bool
outbox_state_known(const char *s)
{
	static const char *const states[] = { "pending", "sending", "sent",
	    "retrying", "dead", "dropped" };
	size_t	 i;

	for (i = 0; i < nitems(states); i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

int
ctl_deliveries(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "deliveries" };
	struct ctl_client	*c;
	struct buf		 path;
	const char		*state = NULL, *limit = NULL;
	char			*end;
	long			 n;
	json_t			*reply;
	char			*esc;
	bool			 json = false;
	int			 ch, rc;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 's':
			if (!outbox_state_known(optarg)) {
				ctl_warnx(rem.cmd, "--state 应为 pending、sending、"
				    "sent、retrying、dead 或 dropped / must be "
				    "one of pending, sending, sent, retrying, "
				    "dead, dropped");
				goto usage;
			}
			state = optarg;
			break;
		case 'l':
			/* ticd's own bounds, checked before any request:
			 * bad usage is exit 2, as for --state. */
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 1 || n > 10000) {
				ctl_warnx(rem.cmd, "--limit 应为 1 至 10000 的整数 "
				    "/ must be a whole number from 1 to 10000");
				goto usage;
			}
			limit = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			deliveries_usage(stdout);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	buf_init(&path);
	buf_adds(&path, "/api/v1/deliveries");
	if (state != NULL) {
		esc = ctl_url_escape(state);
		buf_printf(&path, "?state=%s", esc);
		free(esc);
	}
	if (limit != NULL) {
		esc = ctl_url_escape(limit);
		buf_printf(&path, "%slimit=%s", state ? "&" : "?", esc);
		free(esc);
	}
	if ((reply = ctl_client_call(c, "GET", path.data, NULL, 0)) == NULL) {
		ctl_client_warn(c, NULL);
		rc = CTL_FAIL;
	} else
		rc = json ? ctl_print_json(rem.cmd, reply) : deliveries_print(reply);
	json_decref(reply);
	buf_free(&path);
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], deliveries_usage);
	return CTL_USAGE;
}

static void
redeliver_usage(FILE *f)
{
	fprintf(f,
"用法 / usage: ticctl redeliver ID [--json]\n"
"       (and connection options)\n"
"\n"
"重新发送发件箱中的一条消息（邮件或 webhook，如已 dead 的），内容与 Message-ID\n"
"不变（其后已办结、作废的义务不再列入）。需 bureau 令牌。\n"
"Sends a message of the outbox (mail or webhook; a dead one, say) again,\n"
"with the same bytes and Message-ID (obligations closed or voided since\n"
"are left out).  Needs a bureau token.\n");
	ctl_remote_usage(f);
	fprintf(f,
"\n"
"退出状态 / exit status: 0 ok; 1 ticd refused (404 no such message; 409\n"
"being sent now, or nothing left to send: every obligation it named closed\n"
"since, or its webhook target removed, disabled or no longer in\n"
"allow_hosts) or could not be reached; 2 bad usage.\n");
}

int
ctl_redeliver(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CTL_REMOTE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_remote	 rem = { .cmd = "redeliver" };
	struct ctl_client	*c;
	json_t			*reply;
	char			*path, *end;
	bool			 json = false;
	long long		 id;
	int			 ch, rc;

	optind = 1;
	while ((ch = ctl_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			redeliver_usage(stdout);
			return CTL_OK;
		default:
			if (!ctl_remote_option(&rem, ch, optarg))
				goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	errno = 0;
	id = strtoll(argv[optind], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[optind] || id <= 0)
		goto usage;
	if ((c = ctl_client_new(rem.cmd, &rem)) == NULL)
		return CTL_FAIL;
	path = xasprintf("/api/v1/deliveries/%lld/redeliver", id);
	if ((reply = ctl_client_call(c, "POST", path, "{}", 2)) == NULL) {
		ctl_client_warn(c, NULL);
		rc = CTL_FAIL;
	} else if (json)
		rc = ctl_print_json(rem.cmd, reply);
	else {
		printf("消息 %lld 将重新发送 / message %lld will be sent again\n",
		    id, id);
		rc = ctl_finish(rem.cmd);
	}
	json_decref(reply);
	free(path);
	ctl_client_free(c);
	return rc;
usage:
	ctl_short_usage(argv[0], redeliver_usage);
	return CTL_USAGE;
}
