/*
 * ticd.c: the daemon's entry point: options, start-up, signals, timers,
 * systemd notification, and a clean stop.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <systemd/sd-daemon.h>

#include "common/common.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "version.h"	/* written by the build: $(BUILD)/version.h */

#define DEFAULT_CONF	"/etc/ticd/ticd.conf"
#define TICK_SECONDS	30	/* at least once a minute, the issue says */
#define PRIORITIES	3	/* events default to 1; commits run at 2 */

/* How long a stopping ticd keeps delivering replies already due. */
static const struct timeval flush_time = { 0, 200000 };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"用法 / usage: ticd [-dnV] [-c FILE] [-i JOURNAL] [-T | -F]\n"
"\n"
"  -c FILE     配置文件 / the configuration (default " DEFAULT_CONF ")\n"
"  -n          只检查配置：打印 configuration OK 或每个错误 / check the\n"
"              configuration and exit: \"configuration OK\" or every error\n"
"  -d          输出调试日志（ticd 从不转入后台）/ log debug messages (ticd\n"
"              never forks)\n"
"  -i JOURNAL  数据库为空时导入此日志（JSON Lines）/ import this journal\n"
"              into an empty store at start (make run's demo)\n"
"  -T          新建一个 bureau 令牌，打印后退出（首次部署用）/ create a\n"
"              bureau API token, print it once and exit (first set-up)\n"
"  -F          新建一个科技局日历订阅，打印其链接后退出 / create a feed of\n"
"              the bureau's calendar, print its link once and exit\n"
"  -V          打印版本后退出 / print the version and exit\n");
	exit(status);
}

static int
print_version(void)
{
	puts("ticd " TICD_VERSION);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
verbosity(const char *level)
{
	static const char *levels[] = { "error", "warning", "info", "debug" };
	int	 i;

	for (i = 0; i < (int)nitems(levels); i++) {
		if (strcmp(level, levels[i]) == 0)
			return i;
	}
	return 2;
}

/* Where systemd's LoadCredential= puts a service's credentials. */
#define CREDENTIALS_DIR	"/run/credentials/"

/*
 * Whether the files [mail] names can be read (the password), as the
 * reminders will read them once the journal is loaded: a start would
 * otherwise fail after telling systemd it is ready.  A credential exists
 * only while the service runs: ticd -n beside it ("checking") says it was
 * not read instead of failing.
 */
static int
mail_conf_readable(const struct conf *c, bool checking, char **error)
{
	struct notify_conf	 nc;
	const char		*pw = c->smtp_password_file;

	if (checking && pw != NULL && strncmp(pw, CREDENTIALS_DIR,
	    strlen(CREDENTIALS_DIR)) == 0 && access(pw, F_OK) == -1) {
		fprintf(stderr, "ticd: [mail] password_file %s 是服务运行时才有的"
		    "凭据，未读取 / is a credential the service has while it "
		    "runs: not read\n", pw);
		return 0;
	}
	if (remind_mail_conf(c, &nc, error) == -1)
		return -1;
	notify_conf_clear(&nc);
	return 0;
}

/* ticd -n: the configuration and the data files it names. */
static int
check_config(const char *path)
{
	struct conf		 conf;
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	char			*error = NULL;

	int			 rc = 0;

	memset(&conf, 0, sizeof(conf));
	if (conf_load(&conf, path, &error) == -1) {
		/* Its lines' errors, all of them; the files they name wait
		 * for the lines to be right. */
		fprintf(stderr, "%s\n", error);
		free(error);
		conf_clear(&conf);
		return 1;
	}
	/* Every file's error at once, not the first only. */
	if (mail_conf_readable(&conf, true, &error) == -1) {
		fprintf(stderr, "%s\n", error);
		free(error);
		error = NULL;
		rc = 1;
	}
	if (state_load_data(&conf, &cal, &rules, &error) == -1) {
		fprintf(stderr, "%s\n", error);
		free(error);
		rc = 1;
	} else {
		sched_calendar_free(cal);
		sched_rules_free(rules);
	}
	conf_clear(&conf);
	if (rc == 0)
		printf("configuration OK\n");
	return rc;
}

/* A setting a reload cannot change: said, with the value that stays. */
static void
restart_only(const char *next, const char *now, const char *key)
{
	if (strcmp(next, now) != 0)
		log_warnx("%s changes only on a restart: \"%s\" stays in force "
		    "until then, not \"%s\"", key, now, next);
}

static void
reload(struct ticd *t)
{
	struct conf		 next;
	struct sched_calendar	*cal;
	struct sched_rules	*rules;
	struct notify_conf	 mail;
	json_t			*before;
	char			*error = NULL, *stamp;
	bool			 tokens_ok;

	sd_notify(0, "RELOADING=1");
	/* What moved is told against the whole journal's plan. */
	load_finish(t);
	/* A reload before the start's first reminder check: the start's
	 * comparison first, or the reload would keep its dates over it. */
	remind_dates_check_start(t);
	memset(&next, 0, sizeof(next));
	memset(&mail, 0, sizeof(mail));
	if (conf_load(&next, t->conf_path, &error) == -1 ||
	    remind_mail_conf(&next, &mail, &error) == -1 ||
	    state_load_data(&next, &cal, &rules, &error) == -1) {
		log_warnx("reload failed, the old configuration stays: %s",
		    error);
		free(error);
		conf_clear(&next);
		notify_conf_clear(&mail);
		/* systemctl reload says nothing of it (kill -HUP went):
		 * systemctl status does. */
		stamp = state_timestamp();
		sd_notifyf(0, "READY=1\nSTATUS=reload failed at %s, the old "
		    "configuration stays: journalctl -u ticd", stamp);
		free(stamp);
		return;
	}
	before = remind_dates_snapshot(t);
	notify_set_conf(t->notify, &mail);
	notify_conf_clear(&mail);
	/* What a restart changes stays as it is until then. */
	restart_only(next.listen, t->conf.listen, "listen");
	restart_only(next.database, t->conf.database, "database");
	restart_only(next.synchronous, t->conf.synchronous, "synchronous");
	free(next.listen);
	free(next.database);
	free(next.synchronous);
	next.listen = xstrdup(t->conf.listen);
	next.database = xstrdup(t->conf.database);
	next.synchronous = xstrdup(t->conf.synchronous);
	conf_clear(&t->conf);
	t->conf = next;
	sched_calendar_free(t->cal);
	sched_rules_free(t->rules);
	t->cal = cal;
	t->rules = rules;
	if (!t->debug)
		log_setverbose(verbosity(t->conf.log_level));
	tokens_ok = auth_load(t, &error) == 0;
	if (!tokens_ok) {
		log_warnx("reloading tokens failed, those loaded before stay: "
		    "%s", error);
		free(error);
	}
	evhttp_set_max_body_size(t->http, (ev_ssize_t)t->conf.max_body);
	state_invalidate(t);
	remind_dates_moved(t, before, NULL);
	json_decref(before);
	remind_dates_keep(t);
	remind_rearm(t);
	feeds_reload(t);
	if (tokens_ok)
		log_info("configuration, holiday tables, rule pack and tokens "
		    "reloaded");
	else
		log_info("configuration, holiday tables and rule pack "
		    "reloaded; not the tokens (above)");
	stamp = state_timestamp();
	sd_notifyf(0, "READY=1\nSTATUS=%lld events, listening on %s; "
	    "reloaded at %s%s", db_event_last_seq(t->db), t->conf.listen, stamp,
	    tokens_ok ? "" : ", not the tokens: journalctl -u ticd");
	free(stamp);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ticd	*t = arg;
	size_t		 inflight;

	(void)what;
	if (sig == SIGHUP) {
		reload(t);
		return;
	}
	if (t->stopping)
		return;
	log_info("stopping on signal %d", (int)sig);
	t->stopping = true;
	sd_notify(0, "STOPPING=1");
	/* Stop accepting, commit what was already checked, and give the
	 * loop a moment to deliver those replies before it ends. */
	http_stop_accepting(t);
	state_commit_cb(-1, 0, t);
	remind_stop(t);
	/* Mail in flight gets a few seconds to finish (hook_drained ends the
	 * loop sooner); what is still going then stays in the outbox. */
	if (t->notify != NULL && (inflight = notify_stop(t->notify)) > 0 &&
	    t->conf.stop_wait > 0) {
		struct timeval	 wait = { t->conf.stop_wait, 0 };

		log_info("waiting up to %d s for %zu message(s) in flight",
		    t->conf.stop_wait, inflight);
		event_base_loopexit(t->base, &wait);
	} else
		event_base_loopexit(t->base, &flush_time);
}

/*
 * The next tick: in TICK_SECONDS, or just after midnight in Asia/Shanghai
 * (UTC+8, as state_today) if that comes first, so that the day turns at
 * 00:00 rather than up to a tick later: an obligation due yesterday is
 * overdue from midnight in the API and the feeds.  A tick that comes a
 * little early (the timer runs on the monotonic clock) finds the old day
 * and arms the next for the milliseconds left.
 */
static void
arm_tick(struct ticd *t)
{
	struct timeval	 now, tv = { TICK_SECONDS, 0 };
	long long	 ms;

	gettimeofday(&now, NULL);
	ms = (86400LL - state_seconds_of_day(now.tv_sec)) * 1000 -
	    now.tv_usec / 1000 + 100;
	if (ms < TICK_SECONDS * 1000LL) {
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	}
	evtimer_add(&t->tick_ev, &tv);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	state_tick(arg);
	arm_tick(arg);
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

static void
add_timer(struct ticd *t, struct event *ev, event_callback_fn cb,
    long long usec)
{
	struct timeval	 tv = { (time_t)(usec / 1000000),
			    (suseconds_t)(usec % 1000000) };

	event_assign(ev, t->base, -1, EV_PERSIST, cb, t);
	evtimer_add(ev, &tv);
}

static void
add_signal(struct ticd *t, struct event *ev, int sig)
{
	evsignal_assign(ev, t->base, sig, signal_cb, t);
	evsignal_add(ev, NULL);
}

/*
 * The soft limit on open files raised to the hard one.  systemd starts a
 * service with 1024 (for select()'s sake) under a far higher hard limit,
 * and asks programs that use no select() to raise it themselves
 * (systemd.exec(5), LimitNOFILE=): libevent waits with epoll, libcurl
 * with poll.  Each API client, feed reader and delivery holds one.
 */
static void
raise_open_files(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE");
	else
		log_debug("open files: up to %llu",
		    (unsigned long long)rl.rlim_cur);
}

static void
start_loop(struct ticd *t)
{
	uint64_t	 usec;
	char		*error = NULL;

	if ((t->base = evbase_new()) == NULL ||
	    event_base_priority_init(t->base, PRIORITIES) != 0 ||
	    log_batch(t->base, PRIORITIES - 1) == -1)
		fatalx("cannot set up the event loop");
	/* The commit runs after every request read in the same turn of the
	 * loop, so that requests arriving together share a transaction. */
	event_assign(&t->commit_ev, t->base, -1, 0, state_commit_cb, t);
	event_priority_set(&t->commit_ev, PRIORITIES - 1);
	raise_open_files();
	if (http_start(t, &error) == -1)
		fatalx("%s", error);
	add_signal(t, &t->sighup_ev, SIGHUP);
	add_signal(t, &t->sigterm_ev, SIGTERM);
	add_signal(t, &t->sigint_ev, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	evtimer_assign(&t->tick_ev, t->base, tick_cb, t);
	arm_tick(t);
	feeds_start(t);
	load_start(t, PRIORITIES - 1);
	if (sd_watchdog_enabled(0, &usec) > 0) {
		add_timer(t, &t->watchdog_ev, watchdog_cb, (long long)usec / 2);
		/* First in its turn of the loop, even after a long turn. */
		event_priority_set(&t->watchdog_ev, 0);
		log_info("watchdog every %llu ms", (unsigned long long)usec /
		    2000);
	}
}

/* What ticd -T or -F makes before it exits, if anything. */
enum make_first {
	MAKE_NOTHING,
	MAKE_TOKEN,		/* -T: a bureau API token */
	MAKE_FEED		/* -F: a bureau feed, its link */
};

/* ticd -T or -F: made, printed once, and ticd exits. */
static void __attribute__((noreturn))
make_first(struct ticd *t, enum make_first what)
{
	char		*error = NULL, *out;
	long long	 id;

	if (what == MAKE_TOKEN) {
		if (auth_create(t, ROLE_BUREAU, NULL, "ticd -T", &id, &out,
		    &error) == -1)
			fatalx("%s", error);
	} else if ((out = feedtok_create_bureau(t, "ticd -F", &error)) ==
	    NULL)
		fatalx("%s", error);
	printf("%s\n", out);
	free(out);
	db_close(t->db);
	exit(fflush(stdout) == 0 ? 0 : 1);
}

/*
 * A store this start made, taken away again when the journal to import
 * does not load: the admin mends the file and starts again, and is not
 * left with an empty store that the next start would keep (it imports
 * only into an empty one, but an empty store looks like a lost one).
 */
static void
discard_new_store(struct ticd *t)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
	    "-journal" };
	size_t		 i;
	char		*path;

	db_close(t->db);
	t->db = NULL;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		path = xasprintf("%s%s", t->conf.database, suffixes[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("%s", path);
		free(path);
	}
}

static void
open_store(struct ticd *t, const char *import, enum make_first what)
{
	char		*error = NULL;
	bool		 fresh;

	fresh = access(t->conf.database, F_OK) == -1 && errno == ENOENT;
	t->db = db_open(t->conf.database, strcmp(t->conf.synchronous,
	    "full") == 0 ? DB_SYNC_FULL : DB_SYNC_NORMAL, &error);
	if (t->db == NULL)
		fatalx("%s", error);
	/* Said, so that an upgrade's log shows when the store changed (an
	 * older ticd then refuses it). */
	if (db_upgraded_from(t->db) > 0)
		log_info("%s: store upgraded from schema version %d to %d",
		    t->conf.database, db_upgraded_from(t->db),
		    db_schema_version());
	if (auth_load(t, &error) == -1)
		fatalx("%s: %s", t->conf.database, error);
	if (what != MAKE_NOTHING)
		make_first(t, what);
	t->today = state_today();
	if (import != NULL && state_import(t, import, &error) == -1) {
		if (fresh)
			discard_new_store(t);
		fatalx("%s", error);
	}
}

static void
shut_down(struct ticd *t)
{
	state_commit_cb(-1, 0, t);	/* nothing should be left; be sure */
	http_stop(t);
	remind_stop(t);
	/* The plan as it stands, if there is one: planning the city again
	 * would only delay the stop (the start's snapshot stays then). */
	if (t->plan != NULL && t->remind_dates_checked)
		remind_dates_keep(t);
	/* Before the store closes and the loop goes: it writes back what was
	 * cut off, and curl's sockets are events of this loop. */
	notify_free(t->notify);
	t->notify = NULL;
	feeds_stop(t);
	if (event_initialized(&t->load_ev))
		event_del(&t->load_ev);
	event_del(&t->tick_ev);
	if (event_initialized(&t->watchdog_ev))
		event_del(&t->watchdog_ev);
	evsignal_del(&t->sighup_ev);
	evsignal_del(&t->sigterm_ev);
	evsignal_del(&t->sigint_ev);
	db_close(t->db);
	state_invalidate(t);
	sched_journal_free(t->journal);
	state_free_stored(t);
	sched_calendar_free(t->cal);
	sched_rules_free(t->rules);
	auth_clear(t);
	free(t->pending);
	log_unbatch();		/* its event goes before the loop */
	event_base_free(t->base);
	conf_clear(&t->conf);
	log_info("stopped");
}

int
main(int argc, char **argv)
{
	struct ticd	 t;
	const char	*import = NULL;
	char		*error = NULL;
	bool		 check = false, debug = false;
	enum make_first	 what = MAKE_NOTHING;
	int		 ch;

	memset(&t, 0, sizeof(t));
	t.conf_path = DEFAULT_CONF;
	/* The store holds token hashes and contacts' addresses, the spool
	 * whole messages: nobody else's to read, run by hand as under the
	 * unit (UMask=0077). */
	umask(077);
	/* The long forms people try first, as other programs take them. */
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage(0);
	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		return print_version();
	opterr = 0;	/* getopt's complaint is English only: ours below */
	while ((ch = getopt(argc, argv, ":c:dFhi:KnTV")) != -1) {
		switch (ch) {
		case ':':
			fprintf(stderr, "ticd: 选项 -%c 需要一个值 / option -%c "
			    "needs a value\n", optopt, optopt);
			usage(2);
		case '?':
			if (optopt > ' ' && optopt < 0x7f)
				fprintf(stderr, "ticd: 没有选项 -%c / no option "
				    "-%c\n", optopt, optopt);
			usage(2);
		case 'K':
			/* Not in usage: the build writes ticd.conf(5)'s list
			 * of keys with it (Makefile, man/ticd.conf.5.in). */
			conf_print_mdoc(stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'c':
			t.conf_path = optarg;
			break;
		case 'd':
			debug = t.debug = true;
			break;
		case 'i':
			import = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'T':
		case 'F':
			if (what != MAKE_NOTHING) {
				fprintf(stderr, "ticd: -T 与 -F 只能选一个 / -T "
				    "and -F go one at a time\n");
				usage(2);
			}
			what = ch == 'T' ? MAKE_TOKEN : MAKE_FEED;
			break;
		case 'h':
			usage(0);
		case 'V':
			return print_version();
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (check && (what != MAKE_NOTHING || import != NULL)) {
		fprintf(stderr, "ticd: -n 只检查配置，不与 -T、-F、-i 同用 / -n "
		    "checks the configuration alone, without -T, -F or -i\n");
		usage(2);
	}
	if (check)
		return check_config(t.conf_path);
	log_init(debug ? 3 : 2, 0);
	if (conf_load(&t.conf, t.conf_path, &error) == -1)
		fatalx("%s", error);
	/* -T and -F make a token or a feed: the mail settings are not
	 * theirs to check. */
	if (what == MAKE_NOTHING && mail_conf_readable(&t.conf, false,
	    &error) == -1)
		fatalx("%s", error);
	if (!debug)
		log_setverbose(verbosity(t.conf.log_level));
	if (state_load_data(&t.conf, &t.cal, &t.rules, &error) == -1)
		fatalx("%s", error);
	open_store(&t, import, what);
	start_loop(&t);
	sd_notifyf(0, "READY=1\nSTATUS=%lld events, listening on %s",
	    db_event_last_seq(t.db), t.conf.listen);
	log_info("ticd %s ready", TICD_VERSION);
	event_base_dispatch(t.base);
	shut_down(&t);
	return 0;
}
