/*
 * log.c: leveled logging to stderr (with journald's <N> prefixes, unless
 * stderr is a terminal: a person running ticd -T or -n reads it) or
 * syslog.
 *
 * Once the loop runs (log_batch), info and debug lines to stderr are
 * gathered and written together when the loop has nothing else to do
 * before it waits: in a burst of reminders there is a line per message,
 * and a write each was 5,000 system calls for 5,000 posts (on journald's
 * stream, as many wake-ups of journald).  A warning or worse writes what
 * is gathered first, then itself, at once; so does the exit.  A crash
 * loses at most the info lines of the loop's current turn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/common.h"
#include "daemon/log.h"

#define GATHER_MAX	16384	/* bytes gathered before a write anyway */

static int		 log_verbose = 2;
static int		 log_syslog;
static int		 log_prefixed = -1;	/* -1: not yet looked at */
static struct event	*gather_ev;	/* NULL: every line written at once */
static struct buf	 gathered;

void
log_init(int verbose, int to_syslog)
{
	log_verbose = verbose;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog("ticd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* Everything in gathered to stderr; a short write is continued, and a
 * failing stderr loses the lines (nothing better to tell it to). */
void
log_flush(void)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < gathered.len) {
		n = write(STDERR_FILENO, gathered.data + off, gathered.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf_reset(&gathered);
}

static void
gather_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush();
}

int
log_batch(struct event_base *base, int priority)
{
	if ((gather_ev = event_new(base, -1, 0, gather_cb, NULL)) == NULL ||
	    event_priority_set(gather_ev, priority) != 0)
		return -1;
	if (atexit(log_flush) != 0)
		return -1;
	return 0;
}

void
log_unbatch(void)
{
	log_flush();
	if (gather_ev != NULL)
		event_free(gather_ev);
	gather_ev = NULL;
	buf_free(&gathered);
}

/*
 * A message (and its suffix) as lines, each with the priority's prefix:
 * journald reads the prefix per line, so the second error of a failed
 * reload was filed as info, and `journalctl -p warning` showed only the
 * first.
 */
static void
add_lines(const char *prefix, const char *msg, const char *suffix)
{
	const char	*p, *nl;
	char		*text;

	text = suffix != NULL ? xasprintf("%s: %s", msg, suffix) :
	    xstrdup(msg);
	for (p = text; ; p = nl + 1) {
		buf_adds(&gathered, prefix);
		if ((nl = strchr(p, '\n')) == NULL || nl[1] == '\0') {
			/* The last line; a final newline adds none. */
			buf_add(&gathered, p, nl != NULL ? (size_t)(nl - p) :
			    strlen(p));
			break;
		}
		buf_add(&gathered, p, (size_t)(nl - p + 1));
	}
	buf_adds(&gathered, "\n");
	free(text);
}

static void __attribute__((format(printf, 2, 0)))
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char	*msg, prefix[16];

	msg = xvasprintf(fmt, ap);
	if (log_syslog)
		syslog(pri, "%s%s%s", msg, suffix ? ": " : "", suffix ? suffix :
		    "");
	else {
		if (log_prefixed == -1)
			log_prefixed = !isatty(STDERR_FILENO);
		if (log_prefixed)
			snprintf(prefix, sizeof(prefix), "<%d>", pri);
		else
			prefix[0] = '\0';
		add_lines(prefix, msg, suffix);
		if (gather_ev == NULL || pri <= LOG_WARNING ||
		    gathered.len >= GATHER_MAX)
			log_flush();
		else
			event_active(gather_ev, EV_TIMEOUT, 1);
	}
	free(msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 3)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
