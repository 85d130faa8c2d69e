/*
 * log.h: ticd's log, after OpenBSD's log.c.
 *
 * Lines go to stderr with a "<N>" priority prefix that journald reads
 * (sd-daemon(3)), or to syslog once ticd has left its terminal.
 * log_warn adds strerror(errno); fatal and fatalx are for start-up, out
 * of memory and impossible states only.  Never log a secret or a token.
 * Only the daemon's loop logs: the mail and webhook threads report to it.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_ATTR(a, b) __attribute__((format(printf, a, b)))

struct event_base;

/* verbose: 0 error, 1 warning, 2 info, 3 debug. */
void	 log_init(int verbose, int to_syslog);
/* From now on, info and debug lines are written together once the loop
 * has run what it had to (an event of that priority), a warning at once
 * after them; 0, or -1 if libevent cannot.  log_flush writes what is
 * gathered; log_unbatch too, and stops gathering. */
int	 log_batch(struct event_base *, int priority);
void	 log_flush(void);
void	 log_unbatch(void);
void	 log_setverbose(int);
void	 log_warn(const char *, ...) LOG_ATTR(1, 2);
void	 log_warnx(const char *, ...) LOG_ATTR(1, 2);
void	 log_info(const char *, ...) LOG_ATTR(1, 2);
void	 log_debug(const char *, ...) LOG_ATTR(1, 2);
void	 fatal(const char *, ...) LOG_ATTR(1, 2) __attribute__((noreturn));
void	 fatalx(const char *, ...) LOG_ATTR(1, 2) __attribute__((noreturn));

#endif
