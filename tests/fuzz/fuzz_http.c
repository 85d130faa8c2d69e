/*
 * fuzz_http.c: HTTP requests through the daemon's real server: evhttp
 * listening on 127.0.0.1, its parser, http.c's limits and replies, and
 * api.c's router and handlers over state.c, auth.c and a store in memory.
 *
 * Each input is the bytes a client sends on one connection: one request
 * or several (pipelined), any method, path, query, headers and body.  A
 * first byte '!' makes a client that half-closes at once, before any
 * reply (the other sends, waits until ticd has nothing left to do, then
 * closes).  Three tokens are in the store, "tic_fuzzbureau",
 * "tic_fuzzunit" (unit u1) and "tic_fuzzcentre" (centre c1), and a few
 * centres in the journal.
 *
 * Invariants, after every input: the connection ends (no hang); every
 * header line of every reply is one ticd or evhttp writes, so nothing the
 * client sent can add a header; the journal in memory and the store hold
 * the same number of events and nothing is left queued.  An input that
 * changed the store rebuilds the daemon, so inputs stay independent.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "tests/fuzz/fuzz.h"

#define GUARD_SECONDS	5
#define MAX_REPLY	(4 * 1024 * 1024)

static const char *base_events[] = {
	"{\"type\":\"registered\",\"date\":\"2025-09-01\",\"centre\":\"c1\","
	"\"name\":\"一号中心\",\"unit\":\"u1\",\"id\":\"ev-r1\"}",
	"{\"type\":\"registered\",\"date\":\"2025-09-02\",\"centre\":\"c2\","
	"\"name\":\"二号中心\",\"unit\":\"u2\",\"id\":\"ev-r2\"}",
	"{\"type\":\"registered\",\"date\":\"2020-01-02\",\"centre\":\"c3\","
	"\"name\":\"三号中心\",\"unit\":\"u1\",\"legacy\":true,\"id\":\"ev-r3\"}",
	"{\"type\":\"applied\",\"date\":\"2025-10-10\",\"centre\":\"c1\","
	"\"id\":\"ev-a1\"}",
};

static const struct {
	const char	*secret;
	const char	*role;
	const char	*scope;
} base_tokens[] = {
	{ "tic_fuzzbureau", "bureau", NULL },
	{ "tic_fuzzunit", "unit", "u1" },
	{ "tic_fuzzcentre", "centre", "c1" },
};

/* The header names a reply may carry. */
static const char *allowed_headers[] = {
	"Content-Type", "Cache-Control", "X-Content-Type-Options",
	"Content-Length", "Date", "Connection", "Allow", "WWW-Authenticate",
	"Transfer-Encoding", "Keep-Alive", "Content-Security-Policy",
	"Referrer-Policy",
};

static struct ticd	 t;
static bool		 up;
static unsigned short	 port;

static char *
hash_hex(const char *secret)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0, i;
	char		*hex;

	if (EVP_Digest(secret, strlen(secret), md, &len, EVP_sha256(),
	    NULL) != 1)
		fuzz_fail("SHA-256");
	hex = xmalloc((size_t)len * 2 + 1);
	for (i = 0; i < len; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	return hex;
}

static void
daemon_up(void)
{
	static const char table[] = "2026-01-01\tholiday\t元旦\n"
	    "2026-10-01\tholiday\t国庆节\n";
	struct db_event	 rows[nitems(base_events)];
	struct sockaddr_in sin;
	socklen_t	 slen = sizeof(sin);
	char		*error = NULL;
	size_t		 i;

	memset(&t, 0, sizeof(t));
	conf_defaults(&t.conf);
	free(t.conf.listen);
	t.conf.listen = xstrdup("127.0.0.1:0");
	free(t.conf.database);
	t.conf.database = xstrdup(":memory:");
	t.cal = sched_calendar_new();
	t.rules = sched_rules_new();
	if (sched_calendar_load(t.cal, "t", table, strlen(table),
	    &error) == -1)
		fuzz_fail("table: %s", error);
	if ((t.db = db_open(t.conf.database, DB_SYNC_NORMAL, &error)) == NULL)
		fuzz_fail("db_open: %s", error);
	for (i = 0; i < nitems(base_tokens); i++) {
		struct db_token	 row = { 0 };
		char		*hash = hash_hex(base_tokens[i].secret);

		row.hash = hash;
		row.role = base_tokens[i].role;
		row.scope = base_tokens[i].scope;
		row.label = "fuzz";
		row.created_at = "2026-01-01T00:00:00+08:00";
		if (db_token_insert(t.db, &row, &error) == -1)
			fuzz_fail("token: %s", error);
		free(hash);
	}
	for (i = 0; i < nitems(base_events); i++) {
		rows[i].id = strstr(base_events[i], "\"id\":\"") + 6;
		rows[i].recorded_at = "2026-01-01T00:00:00+08:00";
		rows[i].json = base_events[i];
	}
	/* The ids above run to the closing quote; store them cut. */
	for (i = 0; i < nitems(base_events); i++)
		rows[i].id = xstrndup(rows[i].id, strcspn(rows[i].id, "\""));
	if (db_append_events(t.db, rows, nitems(rows), &error) == -1)
		fuzz_fail("events: %s", error);
	for (i = 0; i < nitems(base_events); i++)
		free((char *)rows[i].id);
	if (auth_load(&t, &error) == -1)
		fuzz_fail("load: %s", error);
	if ((t.base = event_base_new()) == NULL ||
	    event_base_priority_init(t.base, 3) != 0)
		fuzz_fail("event base");
	load_start(&t, 2);
	load_rest(&t);
	t.today = sched_day(2026, 6, 1);
	event_assign(&t.commit_ev, t.base, -1, 0, state_commit_cb, &t);
	event_priority_set(&t.commit_ev, 2);
	if (http_start(&t, &error) == -1)
		fuzz_fail("http_start: %s", error);
	feeds_start(&t);	/* /feeds/ and /api/v1/feed(s), as in ticd */
	if (getsockname(evhttp_bound_socket_get_fd(t.listener),
	    (struct sockaddr *)&sin, &slen) == -1)
		fuzz_fail("getsockname");
	port = ntohs(sin.sin_port);
	up = true;
}

static void
daemon_down(void)
{
	state_commit_cb(-1, 0, &t);
	feeds_stop(&t);
	http_stop(&t);
	db_close(t.db);
	state_invalidate(&t);
	sched_journal_free(t.journal);
	state_free_stored(&t);
	sched_calendar_free(t.cal);
	sched_rules_free(t.rules);
	auth_clear(&t);
	free(t.pending);
	event_base_free(t.base);
	conf_clear(&t.conf);
	up = false;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(0, 0);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

struct client {
	int		 fd;
	struct event	 read_ev;
	struct event	 guard_ev;
	struct buf	 reply;
	bool		 eof;
	bool		 hung;
};

static void
client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	char		 chunk[16384];
	ssize_t		 n;

	(void)what;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (c->reply.len < MAX_REPLY)
			buf_add(&c->reply, chunk, (size_t)n);
	}
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		c->eof = true;
		event_base_loopbreak(t.base);
	}
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)what;
	c->hung = true;
	event_base_loopbreak(t.base);
}

static bool
header_allowed(const char *line, size_t len)
{
	const char	*colon = memchr(line, ':', len);
	size_t		 i, n;

	if (colon == NULL)
		return false;
	n = (size_t)(colon - line);
	for (i = 0; i < nitems(allowed_headers); i++) {
		if (strlen(allowed_headers[i]) == n &&
		    strncasecmp(line, allowed_headers[i], n) == 0)
			return true;
	}
	return false;
}

/* "HTTP/V NNN reason", alone or after the body of the reply before
 * (which ends with a newline).  evhttp answers with the version the
 * client sent as sscanf("%d.%d") read it, even HTTP/0.1 or HTTP/-1.0,
 * so V is digits, '-' and '.'. */
static bool
is_status_line(const char *p, size_t n)
{
	const char	*h = p, *end = p + n, *v, *nl;

	while ((nl = memchr(h, '\n', (size_t)(end - h))) != NULL)
		h = nl + 1;
	if (end - h < 5 || memcmp(h, "HTTP/", 5) != 0)
		return false;
	for (v = h + 5; v < end && (*v == '-' || *v == '.' ||
	    (*v >= '0' && *v <= '9')); v++)
		;
	return v > h + 5 && end - v >= 5 && v[0] == ' ' && v[1] >= '1' &&
	    v[1] <= '5' && v[4] == ' ';
}

/*
 * Every CRLF-terminated line of the replies is blank, a status line
 * (perhaps after the previous reply's body, which never holds a CR), or
 * a header ticd or evhttp writes.  Bytes after the last CRLF are a body.
 */
static void
check_reply(const char *s, size_t len)
{
	const char	*p = s, *end = s + len, *crlf;
	bool		 in_headers = false;

	while (p < end && (crlf = memmem(p, (size_t)(end - p), "\r\n", 2)) !=
	    NULL) {
		size_t	 n = (size_t)(crlf - p);

		if (n == 0)
			in_headers = false;
		else if (is_status_line(p, n)) {
			if (in_headers)
				fuzz_fail("a status line inside headers: %.*s",
				    (int)n, p);
			in_headers = true;
		} else if (!in_headers)
			fuzz_fail("a CRLF line outside headers: %.*s", (int)n,
			    p);
		else if (!header_allowed(p, n))
			fuzz_fail("a header ticd never writes: %.*s",
			    (int)(n > 200 ? 200 : n), p);
		p = crlf + 2;
	}
}

/* Runs the loop without blocking until ticd has nothing left to do. */
static void
settle(struct client *c)
{
	size_t	 last = (size_t)-1;
	int	 quiet = 0, i;

	for (i = 0; i < 200 && quiet < 3 && !c->eof; i++) {
		event_base_loop(t.base, EVLOOP_NONBLOCK);
		if (c->reply.len == last && t.npending == 0)
			quiet++;
		else
			quiet = 0;
		last = c->reply.len;
	}
}

static int
count_contact_cb(const struct db_contact *row, void *arg)
{
	(void)row;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
count_contacts(void)
{
	size_t	 n = 0;
	char	*error = NULL;

	if (db_foreach_contact(t.db, count_contact_cb, &n, &error) == -1)
		fuzz_fail("contacts: %s", error);
	return n;
}

/* libFuzzer's timer (SIGALRM) may interrupt connect(2), which then goes
 * on by itself: wait for it and take its result. */
static void
connect_interrupted(int fd)
{
	struct pollfd	 pfd = { fd, POLLOUT, 0 };
	socklen_t	 len = sizeof(int);
	int		 err = errno;

	if (err == EINTR) {
		while (poll(&pfd, 1, 5000) == -1 && errno == EINTR)
			;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
	}
	if (err != 0)
		fuzz_fail("connect: %s", strerror(err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client		 c;
	struct sockaddr_in	 sin;
	struct timeval		 guard = { GUARD_SECONDS, 0 };
	struct linger		 lin = { 1, 0 };
	size_t			 events, tokens, live, contacts, off = 0;
	bool			 hasty = size > 0 && data[0] == '!';
	ssize_t			 n;

	if (!up)
		daemon_up();
	events = sched_journal_count(t.journal);
	tokens = t.ntokens;
	live = json_object_size(t.tokens);
	contacts = count_contacts();

	memset(&c, 0, sizeof(c));
	buf_init(&c.reply);
	if ((c.fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fuzz_fail("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		connect_interrupted(c.fd);
	if (hasty)
		off = 1;
	while (off < size) {
		if ((n = write(c.fd, data + off, size - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* ticd closed early: fine */
		off += (size_t)n;
	}
	fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
	event_assign(&c.read_ev, t.base, c.fd, EV_READ | EV_PERSIST,
	    client_read_cb, &c);
	event_add(&c.read_ev, NULL);
	evtimer_assign(&c.guard_ev, t.base, guard_cb, &c);
	evtimer_add(&c.guard_ev, &guard);
	if (!hasty)
		settle(&c);
	shutdown(c.fd, SHUT_WR);
	while (!c.eof && !c.hung)
		event_base_loop(t.base, EVLOOP_ONCE);
	event_del(&c.read_ev);
	event_del(&c.guard_ev);
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(c.fd);
	if (c.hung)
		fuzz_fail("the connection did not end within %d s",
		    GUARD_SECONDS);
	/* Let ticd see the close and finish what it had queued. */
	for (int i = 0; i < 5; i++)
		event_base_loop(t.base, EVLOOP_NONBLOCK);
	check_reply(c.reply.data, c.reply.len);
	buf_free(&c.reply);

	if (t.npending != 0)
		fuzz_fail("%zu event(s) still queued", t.npending);
	if ((long long)sched_journal_count(t.journal) != db_event_count(t.db) ||
	    sched_journal_count(t.journal) != t.nstored)
		fuzz_fail("memory holds %zu events, the store %lld",
		    sched_journal_count(t.journal), db_event_count(t.db));
	if (sched_journal_count(t.journal) != events || t.ntokens != tokens ||
	    json_object_size(t.tokens) != live || count_contacts() != contacts)
		daemon_down();
	return 0;
}
