/*
 * smtp.c: SMTP transfers with libcurl's multi interface, on the mail
 * thread's loop (mailer.c) through curlev.c's glue.
 *
 * The message's bytes are built once (mail.c) and read by curl through
 * CURLOPT_READFUNCTION; curl adds SMTP's dot-stuffing and final dot.
 *
 * libcurl 7.88 waits for the answer to the final "." in blocking mode
 * (smtp_done → smtp_block_statemach, inside curl_multi_socket_action):
 * that is why mail has a thread and a loop of its own, so a server that
 * sits on its answer holds up other mail, never the daemon's loop.
 * smtp_done also ignores "premature": a transfer taken out of the multi
 * handle mid-message would be ended with the final "." (a truncated
 * message delivered) and the answer waited for.  So the connections are
 * kept in a list that any thread may shut down (smtp_shutdown): nothing
 * more leaves, and a wait inside curl returns at once.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/common.h"
#include "notify/notify-int.h"

#define REPLY_MAX	256	/* of the server's last reply we keep */
/*
 * The wait for the answer to the final "." (CURLOPT_SERVER_RESPONSE_TIMEOUT,
 * at most this many seconds): it blocks the mail thread, so every other
 * message in flight waits with it.  Real servers answer in milliseconds;
 * one that does not is retried later, like a timeout.
 */
#define FINAL_REPLY_WAIT 10

struct smtp_transfer {
	TAILQ_ENTRY(smtp_transfer) entry;
	struct smtp		*smtp;
	CURL			*easy;
	struct curl_slist	*rcpt;		/* curl does not copy it */
	char			*from;		/* nor these strings' users */
	const char		*data;
	size_t			 len;
	size_t			 off;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 reply[REPLY_MAX];
	smtp_done_cb		 cb;
	void			*arg;
};

struct smtp {
	struct curlev		*cev;
	TAILQ_HEAD(, smtp_transfer) transfers;
	/* The connections' sockets: the one thing another thread touches
	 * (smtp_shutdown), so opened, closed and shut under the lock. */
	pthread_mutex_t		 lock;
	curl_socket_t		*fds;
	size_t			 nfds, fds_cap;
	bool			 shut;
};

static void
transfer_free(struct smtp_transfer *tr)
{
	curl_easy_cleanup(tr->easy);
	curl_slist_free_all(tr->rcpt);
	free(tr->from);
	free(tr);
}

/* A finished transfer, out of the multi handle: reported, then freed. */
static void
done_cb(CURL *easy, CURLcode result, void *arg)
{
	struct smtp		*s = arg;
	struct smtp_transfer	*tr;
	long			 code = 0;
	char			*error = NULL;
	enum notify_outcome	 outcome;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &tr);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	outcome = notify_outcome_of(result == CURLE_OK, code);
	/* A refusal in the server's words (curl calls a 550 to DATA a
	 * "Weird server reply", in English, which it is not); curl's own
	 * words when the server said nothing of the kind. */
	if (outcome != NOTIFY_SENT && code >= 400 && tr->reply[0])
		error = xasprintf("邮件服务器答复 / the mail server answered: %s",
		    tr->reply);
	else if (outcome != NOTIFY_SENT)
		error = xasprintf("%s%s%s%s%s", curl_easy_strerror(result),
		    tr->errbuf[0] ? ": " : "", tr->errbuf,
		    tr->reply[0] ? " / server: " : "", tr->reply);
	TAILQ_REMOVE(&s->transfers, tr, entry);
	tr->cb(outcome, error, tr->reply[0] ? tr->reply : NULL, tr->arg);
	free(error);
	transfer_free(tr);
}

/* CURLOPT_OPENSOCKETFUNCTION: the socket, in the list; none once shut. */
static curl_socket_t
open_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct smtp	*s = arg;
	curl_socket_t	 fd = CURL_SOCKET_BAD;

	(void)purpose;
	pthread_mutex_lock(&s->lock);
	if (!s->shut && (fd = socket(a->family, a->socktype | SOCK_CLOEXEC,
	    a->protocol)) != -1) {
		if (s->nfds == s->fds_cap) {
			s->fds_cap = s->fds_cap ? s->fds_cap * 2 : 8;
			s->fds = xreallocarray(s->fds, s->fds_cap,
			    sizeof(*s->fds));
		}
		s->fds[s->nfds++] = fd;
	}
	pthread_mutex_unlock(&s->lock);
	return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: out of the list and closed under the lock,
 * so smtp_shutdown never reaches a number the system gave out again. */
static int
close_cb(void *arg, curl_socket_t fd)
{
	struct smtp	*s = arg;
	size_t		 i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nfds; i++)
		if (s->fds[i] == fd) {
			s->fds[i] = s->fds[--s->nfds];
			break;
		}
	close(fd);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

struct smtp *
smtp_new(struct event_base *base, char **error)
{
	struct smtp	*s = xcalloc(1, sizeof(*s));

	if ((s->cev = curlev_new(base, done_cb, s, error)) == NULL) {
		free(s);
		return NULL;
	}
	TAILQ_INIT(&s->transfers);
	pthread_mutex_init(&s->lock, NULL);
	/* SMTP has no multiplexing: a transfer never waits for another's
	 * connection to find out whether it could share it. */
	curl_multi_setopt(curlev_multi(s->cev), CURLMOPT_PIPELINING,
	    (long)CURLPIPE_NOTHING);
	return s;
}

void
smtp_shutdown(struct smtp *s)
{
	size_t	 i;

	pthread_mutex_lock(&s->lock);
	s->shut = true;
	for (i = 0; i < s->nfds; i++)
		shutdown(s->fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&s->lock);
}

/* Stops a transfer without calling its callback. */
static void
smtp_cancel(struct smtp *s, struct smtp_transfer *tr)
{
	curlev_remove(s->cev, tr->easy);
	TAILQ_REMOVE(&s->transfers, tr, entry);
	transfer_free(tr);
}

void
smtp_free(struct smtp *s)
{
	struct smtp_transfer	*tr;

	if (s == NULL)
		return;
	while ((tr = TAILQ_FIRST(&s->transfers)) != NULL)
		smtp_cancel(s, tr);
	/* Closes the cached connections through close_cb. */
	curlev_free(s->cev);
	pthread_mutex_destroy(&s->lock);
	free(s->fds);
	free(s);
}

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct smtp_transfer	*tr = arg;
	size_t			 n = size * nmemb;

	if (n > tr->len - tr->off)
		n = tr->len - tr->off;
	memcpy(buf, tr->data + tr->off, n);
	tr->off += n;
	return n;
}

/* Keeps the server's last reply line (what /api/v1/deliveries shows as
 * the response), but for the 221 that answers curl's QUIT: after a
 * refused RCPT it replaced the "550 no such user" the bureau is told.
 * (A first refusal is not kept either: curl goes on after some, an EHLO
 * refused for HELO, a STARTTLS refused under "try".)  What we send, AUTH
 * included, is never looked at. */
static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp_transfer	*tr = arg;
	struct buf		 line;
	size_t			 n;

	(void)easy;
	if (type != CURLINFO_HEADER_IN || size == 0 || (size >= 4 &&
	    memcmp(data, "221", 3) == 0 && (data[3] == ' ' || data[3] == '-')))
		return 0;
	for (n = 0; n < size && data[n] != '\r' && data[n] != '\n'; n++)
		;
	/* As UTF-8 (a server may answer in GBK): the API lists it. */
	buf_init(&line);
	buf_add_text(&line, data, n, sizeof(tr->reply) - 1);
	memcpy(tr->reply, line.data, line.len);
	tr->reply[line.len] = '\0';
	buf_free(&line);
	return 0;
}

static long
tls_mode(const struct notify_conf *c)
{
	if (strncmp(c->smtp_url, "smtps://", 8) == 0 ||
	    strcmp(c->starttls, "required") == 0)
		return CURLUSESSL_ALL;
	return strcmp(c->starttls, "try") == 0 ? CURLUSESSL_TRY :
	    CURLUSESSL_NONE;
}

static void
set_options(struct smtp_transfer *tr, const struct notify_conf *c)
{
	CURL	*e = tr->easy;

	curl_easy_setopt(e, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, tr->from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, tr->rcpt);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, tr);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)tr->len);
	curl_easy_setopt(e, CURLOPT_USE_SSL, tls_mode(c));
	if (*c->username != '\0') {
		curl_easy_setopt(e, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->password != NULL ?
		    c->password : "");
	}
	if (*c->ca_file != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)(c->timeout < 30 ?
	    c->timeout : 30));
	curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (long)(c->timeout < FINAL_REPLY_WAIT ? c->timeout :
	    FINAL_REPLY_WAIT));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, tr->smtp);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, tr->smtp);
	curl_easy_setopt(e, CURLOPT_PRIVATE, tr);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, tr->errbuf);
	/* Verbose output goes to debug_cb only. */
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, tr);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
}

struct smtp_transfer *
smtp_send(struct smtp *s, const struct notify_conf *c,
    const char *const *rcpt, size_t nrcpt, const char *data, size_t len,
    smtp_done_cb cb, void *arg, char **error)
{
	struct smtp_transfer	*tr = xcalloc(1, sizeof(*tr));
	struct curl_slist	*l;
	char			*addr;
	size_t			 i;

	if ((tr->easy = curl_easy_init()) == NULL) {
		free(tr);
		*error = xstrdup("curl_easy_init failed");
		return NULL;
	}
	tr->smtp = s;
	tr->data = data;
	tr->len = len;
	tr->cb = cb;
	tr->arg = arg;
	tr->from = xasprintf("<%s>", c->from);
	for (i = 0; i < nrcpt; i++) {
		addr = xasprintf("<%s>", rcpt[i]);
		/* curl_slist_append fails only when out of memory. */
		if ((l = curl_slist_append(tr->rcpt, addr)) == NULL)
			abort();
		tr->rcpt = l;
		free(addr);
	}
	set_options(tr, c);
	curl_multi_setopt(curlev_multi(s->cev), CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)c->parallel);
	if (curlev_add(s->cev, tr->easy) == -1) {
		*error = xstrdup("curl_multi_add_handle failed");
		transfer_free(tr);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&s->transfers, tr, entry);
	return tr;
}
