/*
 * test_log.c: the daemon's log (daemon/log.c) once the loop runs: info
 * lines gathered and written together before the loop would wait, a
 * warning written at once after what was gathered, nothing lost or out of
 * order, and every line at once again after log_unbatch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "daemon/log.h"

/* stderr goes to a file of the test's while it runs. */
struct fixture {
	char	 path[64];
	int	 saved;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	int		 fd;

	snprintf(f->path, sizeof(f->path), "/tmp/ticd-test-log-XXXXXX");
	if ((fd = mkstemp(f->path)) == -1)
		return -1;
	fflush(stderr);
	f->saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	dup2(f->saved, STDERR_FILENO);
	close(f->saved);
	unlink(f->path);
	free(f);
	return 0;
}

/* What the log has written so far. */
static const char *
written(const struct fixture *f)
{
	static char	 text[512];
	FILE		*fp = fopen(f->path, "r");
	size_t		 n;

	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

static void
test_info_lines_are_written_together_before_the_loop_waits(void **state)
{
	struct fixture		*f = *state;
	struct event_base	*base = event_base_new();

	assert_int_equal(event_base_priority_init(base, 2), 0);
	log_init(2, 0);
	assert_int_equal(log_batch(base, 1), 0);
	log_info("outbox %d sent", 1);
	log_info("outbox %d sent", 2);
	log_debug("not at this verbosity");
	assert_string_equal(written(f), "");
	/* A warning: what was gathered first, then itself, at once. */
	log_warnx("outbox %d failed", 3);
	assert_string_equal(written(f), "<6>outbox 1 sent\n<6>outbox 2 sent\n"
	    "<4>outbox 3 failed\n");
	log_info("outbox %d sent", 4);
	/* One turn of the loop runs the gathered lines' event (and says 1:
	 * nothing is left to wait for). */
	(void)event_base_loop(base, EVLOOP_NONBLOCK);
	assert_string_equal(written(f), "<6>outbox 1 sent\n<6>outbox 2 sent\n"
	    "<4>outbox 3 failed\n<6>outbox 4 sent\n");
	/* Stopped: written at once again. */
	log_info("outbox %d sent", 5);
	log_unbatch();
	log_info("stopped");
	assert_string_equal(written(f), "<6>outbox 1 sent\n<6>outbox 2 sent\n"
	    "<4>outbox 3 failed\n<6>outbox 4 sent\n<6>outbox 5 sent\n"
	    "<6>stopped\n");
	event_base_free(base);
}

/* journald reads the priority per line: a message of several lines (a
 * reload's errors, one a line) has the prefix on each. */
static void
test_every_line_of_a_message_has_its_priority(void **state)
{
	struct fixture	*f = *state;

	log_init(2, 0);
	log_warnx("reload failed, the old configuration stays: %s",
	    "a.conf:3: bad\na.conf:7: worse");
	log_info("one\ntwo");
	log_info("three\n");		/* no empty line after it */
	assert_string_equal(written(f), "<4>reload failed, the old "
	    "configuration stays: a.conf:3: bad\n<4>a.conf:7: worse\n"
	    "<6>one\n<6>two\n<6>three\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_info_lines_are_written_together_before_the_loop_waits,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_line_of_a_message_has_its_priority, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
