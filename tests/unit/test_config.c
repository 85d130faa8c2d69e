/*
 * test_config.c: ticd.conf through the key table: defaults, every error
 * with its file:line, and a failed parse leaving the old settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"
#include "conf/conf.h"

static int
parse(struct conf *c, const char *text, char **error)
{
	return conf_parse(c, "ticd.conf", text, strlen(text), error);
}

static void
test_defaults_listen_on_loopback(void **state)
{
	struct conf	 c;

	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:8470");
	assert_string_equal(c.synchronous, "full");
	assert_int_equal(c.max_body, 65536);
	conf_clear(&c);
}

static void
test_a_good_file_sets_its_keys(void **state)
{
	struct conf	 c;
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	conf_clear(&c);
	assert_int_equal(parse(&c, "# comment\n[ticd]\nlisten = 127.0.0.1:9000"
	    "\nsynchronous = normal\nmax_body = 2048\n", &error), 0);
	assert_string_equal(c.listen, "127.0.0.1:9000");
	assert_string_equal(c.synchronous, "normal");
	assert_int_equal(c.max_body, 2048);
	conf_clear(&c);
	/* A byte order mark (Notepad's UTF-8) is no error. */
	assert_int_equal(parse(&c, "\xef\xbb\xbf[ticd]\nlisten = "
	    "127.0.0.1:9001\n", &error), 0);
	assert_string_equal(c.listen, "127.0.0.1:9001");
	conf_clear(&c);
	/* A setting before any section, or in another: where it belongs. */
	assert_int_equal(parse(&c, "listen = 127.0.0.1:9002\n[mail]\n"
	    "max_body = 4096\n", &error), -1);
	assert_non_null(strstr(error, "ticd.conf:1: 设置项 \"listen\" 应写在 "
	    "[ticd] 之下 / \"listen\" belongs under [ticd]"));
	assert_non_null(strstr(error, "ticd.conf:3: "));
	free(error);
	conf_clear(&c);
	/* IPv6 in brackets, as links are made from it; bare, refused. */
	assert_int_equal(parse(&c, "[ticd]\nlisten = [::1]:9000\n", &error),
	    0);
	conf_clear(&c);
	assert_int_equal(parse(&c, "[ticd]\nlisten = ::1:9000\n", &error),
	    -1);
	assert_non_null(strstr(error, "an IPv6 address is written in "
	    "brackets"));
	free(error);
	conf_clear(&c);
}

static void
test_every_bad_line_is_reported_with_its_line(void **state)
{
	struct conf	 c;
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse(&c, "[ticd]\n"
	    "listen = localhost\n"		/* 2: no port */
	    "max_body = 12\n"			/* 3: below the bound */
	    "colour = blue\n"			/* 4: unknown */
	    "this is not ini\n"			/* 5: syntax */
	    "synchronous = sometimes\n"		/* 6: not a choice */
	    "database = relative.db\n"		/* 7: not absolute */
	    "holidays = /etc/ticd/a.tsv  b.tsv\n",	/* 8: b.tsv */
	    &error), -1);
	assert_non_null(strstr(error, "ticd.conf:2: "));
	assert_non_null(strstr(error, "ticd.conf:3: "));
	assert_non_null(strstr(error, "ticd.conf:4: "));
	assert_non_null(strstr(error, "ticd.conf:5: "));
	assert_non_null(strstr(error, "ticd.conf:6: "));
	assert_non_null(strstr(error, "ticd.conf:7: "));
	assert_non_null(strstr(error, "ticd.conf:8: \"b.tsv\" 应为绝对路径"));
	assert_non_null(strstr(error, "colour"));
	/* The old settings stand. */
	assert_string_equal(c.listen, "127.0.0.1:8470");
	free(error);
	conf_clear(&c);
}

static void
test_a_line_too_long_for_inih_is_an_error_not_a_split(void **state)
{
	struct conf	 c;
	char		*error = NULL, text[400];

	(void)state;
	conf_defaults(&c);
	snprintf(text, sizeof(text), "[ticd]\npublic_url = https://%0250d\n", 0);
	assert_int_equal(parse(&c, text, &error), -1);
	assert_non_null(strstr(error, "ticd.conf:2: "));
	assert_non_null(strstr(error, "too long"));
	free(error);
	conf_clear(&c);
}

static void
test_a_line_that_is_not_utf8_is_an_error(void **state)
{
	struct conf	 c;
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	/* A value in GB 18030 ("默认"), as an editor saving "ANSI" does. */
	assert_int_equal(parse(&c, "[ticd]\nlisten = 127.0.0.1:9000\n"
	    "public_url = https://example.org/\xc4\xac\xc8\xcf\n", &error),
	    -1);
	assert_non_null(strstr(error, "ticd.conf:3: "));
	assert_non_null(strstr(error, "not UTF-8"));
	assert_string_equal(c.listen, "127.0.0.1:8470");
	free(error);
	/* Comments are not read: theirs may be in any encoding. */
	assert_int_equal(parse(&c, "[ticd]\n# \xc4\xac\xc8\xcf\n"
	    "listen = 127.0.0.1:9000\n", &error), 0);
	assert_string_equal(c.listen, "127.0.0.1:9000");
	conf_clear(&c);
}

/* What would lose the store or break a header or a feed (issue 7). */
static void
test_empty_database_and_bad_urls_are_refused(void **state)
{
	static const char *bad[] = {
		"[ticd]\ndatabase =\n",
		"[ticd]\npublic_url = https://a b/\n",
		"[ticd]\npublic_url = https://a/\rX-EVIL: 1\n",
		"[ticd]\npublic_url = https://a/\tb\n",
		"[ticd]\npublic_url = javascript:alert(1)\n",
		"[ticd]\npublic_url = ticd.example.cn\n",
	};
	struct conf	 c;
	char		*error = NULL;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf_defaults(&c);
		if (parse(&c, bad[i], &error) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(error, "ticd.conf:2: "));
		free(error);
		conf_clear(&c);
	}
	conf_defaults(&c);
	assert_int_equal(parse(&c, "[ticd]\npublic_url = https://ticd.example."
	    "cn/feeds\n", &error), 0);
	assert_string_equal(c.public_url, "https://ticd.example.cn/feeds");
	conf_clear(&c);
}

static void
test_public_url_is_a_url_or_empty(void **state)
{
	struct conf	 c;
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.public_url, "");
	assert_int_equal(c.feed_retention, 400);
	conf_clear(&c);
	assert_int_equal(parse(&c, "[ticd]\npublic_url = https://ticd.example."
	    "cn/yq/\nfeed_retention = 0\n", &error), 0);
	assert_string_equal(c.public_url, "https://ticd.example.cn/yq/");
	assert_int_equal(c.feed_retention, 0);
	conf_clear(&c);
	conf_defaults(&c);
	assert_int_equal(parse(&c, "[ticd]\n"
	    "public_url = ftp://x\n"			/* 2: scheme */
	    "public_url = https://x/?a=1\n"		/* 3: a query */
	    "public_url = https://\n"			/* 4: no host */
	    "public_url = http://a b\n"		/* 5: a blank */
	    "feed_retention = -1\n", &error), -1);	/* 6: bound */
	assert_non_null(strstr(error, "ticd.conf:2: "));
	assert_non_null(strstr(error, "ticd.conf:3: "));
	assert_non_null(strstr(error, "ticd.conf:4: "));
	assert_non_null(strstr(error, "ticd.conf:5: "));
	assert_non_null(strstr(error, "ticd.conf:6: "));
	assert_string_equal(c.public_url, "");
	free(error);
	conf_clear(&c);
}

static void
test_shipped_example_is_valid(void **state)
{
	struct conf	 c;
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	conf_clear(&c);
	if (conf_load(&c, "conf/ticd.conf", &error) == -1)
		fail_msg("%s", error);
	conf_clear(&c);
}

static void
test_webhook_hosts_are_checked(void **state)
{
	struct conf	 c;
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.webhook_allow_hosts, "");
	assert_int_equal(c.webhook_timeout, 10);
	assert_int_equal(c.webhook_disable_days, 3);
	conf_clear(&c);		/* a parse replaces c whole */
	assert_int_equal(parse(&c, "[webhooks]\nallow_hosts = qyapi.weixin.qq"
	    ".com  *.example.gov.cn [::1] 127.0.0.1\ndisable_after_days = 5\n",
	    &error), 0);
	assert_string_equal(c.webhook_allow_hosts, "qyapi.weixin.qq.com  "
	    "*.example.gov.cn [::1] 127.0.0.1");
	assert_int_equal(c.webhook_disable_days, 5);
	assert_int_equal(parse(&c, "[webhooks]\nallow_hosts = ok.cn "
	    "https://bad.cn/\ntimeout = 0\n", &error), -1);
	assert_non_null(strstr(error, "ticd.conf:2: \"https://bad.cn/\""));
	assert_non_null(strstr(error, "ticd.conf:3: "));
	assert_int_equal(c.webhook_disable_days, 5);
	free(error);
	conf_clear(&c);
	/* A port may follow any entry; it must be one. */
	assert_int_equal(parse(&c, "[webhooks]\nallow_hosts = h.cn:8443 "
	    "*.example.cn:80 [::1]:9000 127.0.0.1:65535\n", &error), 0);
	conf_clear(&c);
	for (const char **bad = (const char *[]){ "h.cn:0", "h.cn:65536",
	    "h.cn:", ":80", "*.:80", "[]:80", "h.cn:8a", NULL }; *bad != NULL;
	    bad++) {
		char	*text = xasprintf("[webhooks]\nallow_hosts = %s\n",
		    *bad);

		assert_int_equal(parse(&c, text, &error), -1);
		assert_non_null(strstr(error, "is not a host name"));
		free(error);
		free(text);
		conf_clear(&c);
	}
}

/* A setting given twice is an error naming both lines (the later one
 * silently won: "#allow_hosts = …" uncommented above the shipped
 * "allow_hosts =" let webhooks go to any host); holidays alone goes on
 * over several lines, its tables added in order. */
static void
test_a_setting_given_twice_is_an_error_but_holidays_add_up(void **state)
{
	struct conf	 c;
	char		*error = NULL;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse(&c, "[webhooks]\n"
	    "allow_hosts = qyapi.weixin.qq.com\n"
	    "allow_hosts =\n"
	    "[remind.publicity]\n"
	    "remind = 1d\n"
	    "remind = 2d\n", &error), -1);
	assert_non_null(strstr(error, "ticd.conf:3: "));
	assert_non_null(strstr(error, "allow_hosts is already set in "
	    "[webhooks] on line 2"));
	assert_non_null(strstr(error, "ticd.conf:6: "));
	assert_non_null(strstr(error, "remind is already set in "
	    "[remind.publicity] on line 5"));
	free(error);
	error = NULL;
	assert_int_equal(parse(&c, "[ticd]\n"
	    "holidays = /etc/ticd/2027.tsv\n"
	    "holidays =\n"
	    "holidays = /etc/ticd/2028.tsv /etc/ticd/2029.tsv\n", &error), 0);
	assert_string_equal(c.holidays, "/etc/ticd/2027.tsv  "
	    "/etc/ticd/2028.tsv /etc/ticd/2029.tsv");
	conf_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_hosts_are_checked),
		cmocka_unit_test(test_defaults_listen_on_loopback),
		cmocka_unit_test(test_a_good_file_sets_its_keys),
		cmocka_unit_test(test_every_bad_line_is_reported_with_its_line),
		cmocka_unit_test(
		    test_a_line_too_long_for_inih_is_an_error_not_a_split),
		cmocka_unit_test(test_public_url_is_a_url_or_empty),
		cmocka_unit_test(test_a_line_that_is_not_utf8_is_an_error),
		cmocka_unit_test(test_empty_database_and_bad_urls_are_refused),
		cmocka_unit_test(test_shipped_example_is_valid),
		cmocka_unit_test(
		    test_a_setting_given_twice_is_an_error_but_holidays_add_up),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
