/*
 * fuzz_config.c: ticd.conf through conf_parse, the text entry point of
 * conf/config.c (and common/ini.c, and inih under it).
 *
 * Invariants: a refusal says "source:line: what" on every line of its
 * message; an accepted file gives a configuration whose every value is
 * within its key's bounds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "tests/fuzz/fuzz.h"

#define SOURCE	"fuzz.conf"

static void
check_errors(const char *error)
{
	const char	*line = error;

	if (error == NULL || *error == '\0')
		fuzz_fail("a refusal without a message");
	while (line != NULL && *line != '\0') {
		if (strncmp(line, SOURCE ":", strlen(SOURCE ":")) != 0)
			fuzz_fail("an error line without its place: %.80s",
			    line);
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
}

static void
check_conf(const struct conf *c)
{
	const char	*colon;

	if (c->listen == NULL || (colon = strrchr(c->listen, ':')) == NULL ||
	    colon == c->listen)
		fuzz_fail("listen accepted without host:port");
	if (c->database == NULL || c->database[0] != '/')
		fuzz_fail("database accepted without an absolute path: \"%s\"",
		    c->database ? c->database : "(null)");
	if (strcmp(c->synchronous, "full") != 0 &&
	    strcmp(c->synchronous, "normal") != 0)
		fuzz_fail("synchronous = %s accepted", c->synchronous);
	if (c->max_body < 1024 || c->max_body > 16 * 1024 * 1024)
		fuzz_fail("max_body = %d accepted", c->max_body);
	if (c->rules == NULL || (*c->rules != '\0' && *c->rules != '/'))
		fuzz_fail("rules accepted as a relative path");
	for (const char *u = c->public_url; u != NULL && *u != '\0'; u++) {
		if ((unsigned char)*u <= ' ' || *u == 0x7f)
			fuzz_fail("public_url accepted with a control byte");
	}
	if (c->holidays == NULL || c->log_level == NULL ||
	    c->public_url == NULL)
		fuzz_fail("a string setting left NULL");
	/* Each word daemon/state.c will load, split as it splits them. */
	for (const char *h = c->holidays; *h != '\0'; h++) {
		if ((h == c->holidays || h[-1] == ' ' || h[-1] == '\t') &&
		    *h != ' ' && *h != '\t' && *h != '/')
			fuzz_fail("holidays accepted with a relative path: "
			    "\"%s\"", c->holidays);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	char		*error = NULL;

	memset(&c, 0, sizeof(c));
	if (conf_parse(&c, SOURCE, (const char *)data, size, &error) == 0) {
		check_conf(&c);
		conf_clear(&c);
	} else {
		check_errors(error);
		free(error);
	}
	return 0;
}
