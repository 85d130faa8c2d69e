/*
 * test_mail.c: a reminder as an Internet message (notify/mail.c) and the
 * retry schedule (notify/retry.c).  The message is parsed back with
 * GMime's own parser, so what is checked is what a mail reader sees:
 * headers, the decoded Chinese subject, the parts; and no byte of a name
 * or subject breaks a header line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "common/common.h"
#include "notify/notify.h"

#define SUBJECT	"【提醒】阳泉市技术创新中心义务：年度绩效评价材料提交截止 2026-11-30（周一）"

/* struct notify_text's strings are not const (the renderer owns them). */
static char s_subject[] = SUBJECT;
static char s_text[] = "城区科技局：\n\n一、年度绩效评价材料提交截止 第十四条\n";
static char s_html[] = "<p>城区科技局：</p><ol><li>年度绩效评价材料提交截止</li></ol>";
static char s_ics[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ticd//test//\r\n"
    "METHOD:PUBLISH\r\nEND:VCALENDAR\r\n";
static char s_evil[] = "提醒\r\nBcc: victim@evil.example\r\n\r\n<body>\x01\x7f";

static struct notify_text sample = {
	.subject = s_subject, .text = s_text, .html = s_html, .ics = s_ics,
};

static char *
build(const struct notify_text *text, const struct mail_address *to,
    size_t nto, size_t *len)
{
	struct mail_spec	 spec = {
		.text = text, .from = "ticd@kjj.yq.example",
		.from_name = "阳泉市科技局 ticd", .to = to, .nto = nto,
		.message_id = "ticd.0123@kjj.yq.example",
		.date = 1796000400,	/* 2026-11-30 09:00:00 +08:00 */
	};
	char			*error = NULL, *data;

	data = mail_build(&spec, len, &error);
	if (data == NULL)
		fail_msg("mail_build: %s", error);
	return data;
}

/* The header block: everything before the first empty line. */
static char *
headers_of(const char *data)
{
	const char	*end = strstr(data, "\r\n\r\n");

	assert_non_null(end);
	return strndup(data, (size_t)(end - data) + 2);
}

static GMimeMessage *
parse(const char *data, size_t len)
{
	GMimeStream	*s = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser	*p = g_mime_parser_new_with_stream(s);
	GMimeMessage	*m = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(s);
	assert_non_null(m);
	return m;
}

/* Every header line is CRLF-terminated, ASCII, and a new header or a
 * folded continuation; returns the number of header fields. */
static int
check_header_lines(const char *hdr)
{
	const char	*line = hdr, *eol, *p;
	int		 fields = 0;

	while ((eol = strstr(line, "\r\n")) != NULL && eol != line) {
		for (p = line; p < eol; p++) {
			assert_true((unsigned char)*p >= 0x20 || *p == '\t');
			assert_true((unsigned char)*p < 0x7f);
		}
		if (*line != ' ' && *line != '\t') {
			assert_non_null(memchr(line, ':', (size_t)(eol - line)));
			fields++;
		}
		assert_true(eol - line <= 998);
		line = eol + 2;
	}
	return fields;
}

static int
count_field(const char *hdr, const char *name)
{
	const char	*p = hdr;
	size_t		 n = strlen(name);
	int		 count = 0;

	for (;;) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			count++;
		if ((p = strstr(p, "\r\n")) == NULL || p[2] == '\0')
			break;
		p += 2;
	}
	return count;
}

/* A part's type: g_mime_content_type_get_mime_type allocates it. */
static void
assert_type(GMimeObject *obj, const char *want)
{
	char	*type = g_mime_content_type_get_mime_type(
		    g_mime_object_get_content_type(obj));

	assert_string_equal(type, want);
	g_free(type);
}

static void
test_headers_and_parts(void **state)
{
	struct mail_address	 to[] = {
		{ "张三", "zhang@unit.example" }, { "", "li@unit.example" },
	};
	size_t			 len;
	char			*data = build(&sample, to, 2, &len), *hdr;
	GMimeMessage		*m;
	GMimeObject		*body, *alt, *ics;
	GMimeMultipart		*mixed;
	InternetAddressList	*list;
	char			*s;

	(void)state;
	assert_int_equal(strlen(data), len);
	hdr = headers_of(data);
	check_header_lines(hdr);
	/* The subject is encoded, never raw UTF-8 on the wire. */
	assert_non_null(strcasestr(hdr, "Subject: =?UTF-8?b?"));
	assert_non_null(strstr(hdr, "Auto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(hdr, "Content-Language: zh-CN\r\n"));
	assert_non_null(strstr(hdr, "Message-Id: <ticd.0123@kjj.yq.example>"));
	assert_non_null(strstr(hdr, "Date: Mon, 30 Nov 2026 09:00:00 +0800"));
	assert_non_null(strstr(hdr, "MIME-Version: 1.0"));

	m = parse(data, len);
	assert_string_equal(g_mime_message_get_subject(m), SUBJECT);
	assert_string_equal(g_mime_message_get_message_id(m),
	    "ticd.0123@kjj.yq.example");
	list = g_mime_message_get_to(m);
	assert_int_equal(internet_address_list_length(list), 2);
	assert_string_equal(internet_address_get_name(
	    internet_address_list_get_address(list, 0)), "张三");
	s = internet_address_list_to_string(g_mime_message_get_from(m), NULL,
	    FALSE);
	assert_string_equal(s, "阳泉市科技局 ticd <ticd@kjj.yq.example>");
	g_free(s);

	body = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_MULTIPART(body));
	assert_type(body, "multipart/mixed");
	mixed = GMIME_MULTIPART(body);
	assert_int_equal(g_mime_multipart_get_count(mixed), 2);
	alt = g_mime_multipart_get_part(mixed, 0);
	assert_type(alt, "multipart/alternative");
	s = g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_multipart_get_part(
	    GMIME_MULTIPART(alt), 0)));
	assert_string_equal(s, sample.text);
	g_free(s);
	s = g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_multipart_get_part(
	    GMIME_MULTIPART(alt), 1)));
	assert_string_equal(s, sample.html);
	g_free(s);
	ics = g_mime_multipart_get_part(mixed, 1);
	assert_type(ics, "text/calendar");
	assert_string_equal(g_mime_object_get_content_type_parameter(ics,
	    "method"), "PUBLISH");
	assert_string_equal(g_mime_part_get_filename(GMIME_PART(ics)),
	    "reminder.ics");
	assert_string_equal(g_mime_object_get_disposition(ics), "attachment");
	g_object_unref(m);
	free(hdr);
	free(data);
}

/* CR, LF and other controls in a subject or a name end up as spaces:
 * no extra header (Bcc) appears, whatever the data says. */
static void
test_no_header_injection(void **state)
{
	struct notify_text	 evil = sample;
	struct mail_address	 to[] = {
		{ "中心\r\nBcc: victim@evil.example", "a@unit.example" },
		{ "x\nSubject: spoof", "b@unit.example" },
	};
	size_t			 len;
	char			*data, *hdr;
	GMimeMessage		*m;

	(void)state;
	evil.subject = s_evil;
	data = build(&evil, to, 2, &len);
	hdr = headers_of(data);
	check_header_lines(hdr);
	assert_int_equal(count_field(hdr, "Bcc"), 0);
	assert_int_equal(count_field(hdr, "Subject"), 1);
	assert_int_equal(count_field(hdr, "To"), 1);
	m = parse(data, len);
	assert_null(g_mime_message_get_bcc(m) != NULL &&
	    internet_address_list_length(g_mime_message_get_bcc(m)) > 0 ?
	    "bcc" : NULL);
	assert_non_null(strstr(g_mime_message_get_subject(m),
	    "提醒  Bcc: victim@evil.example"));
	assert_int_equal(internet_address_list_length(g_mime_message_get_to(m)),
	    2);
	g_object_unref(m);
	free(hdr);
	free(data);
}

/* The Subject's value as a reader unfolds it: each CRLF taken out. */
static char *
raw_subject_unfolded(const char *hdr)
{
	const char	*p = strstr(hdr, "\r\nSubject: "), *end;
	char		*out, *q;

	assert_non_null(p);
	p += strlen("\r\nSubject: ");
	for (end = p; (end = strstr(end, "\r\n")) != NULL &&
	    (end[2] == ' ' || end[2] == '\t'); end += 2)
		;
	assert_non_null(end);
	out = q = strndup(p, (size_t)(end - p));
	for (; p < end; p++) {
		if (*p != '\r' && *p != '\n')
			*q++ = *p;
	}
	*q = '\0';
	return out;
}

/*
 * A "=?" inside a word: GMime's loose folding cut the rest of the value
 * at column 78 with a TAB ("2026-1<TAB>2-18"), or put a space before the
 * "=?".  ticd has it fold only where there was white space.
 */
static void
test_subject_folds_only_at_spaces(void **state)
{
	static char	 subject[] = "【技术创新中心提醒】【第十四条】中心 evi=?x."
	    "example#Unit</td> / ticd reminder: 1 obligation, first due "
	    "2026-12-18 and evi=?x again";
	struct notify_text	 t = sample;
	struct mail_address	 to = { "中心", "a@centre.example" };
	size_t			 len;
	char			*data, *hdr, *value;

	(void)state;
	t.subject = subject;
	data = build(&t, &to, 1, &len);
	hdr = headers_of(data);
	check_header_lines(hdr);
	value = raw_subject_unfolded(hdr);
	assert_null(strchr(value, '\t'));
	assert_non_null(strstr(value, " evi=?x.example#Unit</td> / ticd "
	    "reminder: 1 obligation, first due 2026-12-18 and evi=?x again"));
	free(value);
	free(hdr);
	free(data);
}

/* The unfolded Subject read as RFC 2047 says: each encoded-word decoded
 * alone, the white space between two adjacent ones dropped. */
static char *
subject_as_read(const char *value)
{
	struct buf	 out;
	const char	*p = value;
	size_t		 n, space;
	bool		 after_word = false;
	char		*word, *text;

	buf_init(&out);
	for (; *p != '\0'; p += n) {
		space = strspn(p, " \t");
		p += space;
		n = strcspn(p, " \t");
		word = strndup(p, n);
		if (n > 4 && strncmp(word, "=?", 2) == 0 &&
		    strcmp(word + n - 2, "?=") == 0) {
			if (!after_word)
				buf_add(&out, p - space, space);
			text = g_mime_utils_header_decode_text(NULL, word);
			buf_adds(&out, text);
			g_free(text);
			after_word = true;
		} else {
			buf_add(&out, p - space, space + n);
			after_word = false;
		}
		free(word);
	}
	return out.data != NULL ? buf_take(&out) : xstrdup("");
}

/*
 * A name that is itself an encoded-word: GMime would write it as it is
 * and a reader would decode it (测, the space before it gone).  The whole
 * subject is then encoded, and reads back as it was.
 */
static void
test_subject_with_an_encoded_word_in_it(void **state)
{
	static char	 subject[] = "【技术创新中心提醒】【第十四条】年度绩效评价"
	    "（2026年度） 30天后到期（2026-12-18 周五） · =?UTF-8?B?5rWL?= "
	    "/ ticd reminder: 1 obligation, first due 2026-12-18";
	struct notify_text	 t = sample;
	struct mail_address	 to = { "中心", "a@centre.example" };
	size_t			 len;
	char			*data, *hdr, *value, *read;

	(void)state;
	t.subject = subject;
	data = build(&t, &to, 1, &len);
	hdr = headers_of(data);
	check_header_lines(hdr);
	value = raw_subject_unfolded(hdr);
	assert_null(strstr(value, " =?UTF-8?B?5rWL?= "));
	read = subject_as_read(value);
	assert_string_equal(read, subject);
	free(read);
	free(value);
	/* An ordinary subject is left to GMime, and reads back too. */
	t.subject = s_subject;
	free(hdr);
	free(data);
	data = build(&t, &to, 1, &len);
	hdr = headers_of(data);
	value = raw_subject_unfolded(hdr);
	read = subject_as_read(value);
	assert_string_equal(read, SUBJECT);
	free(read);
	free(value);
	free(hdr);
	free(data);
}

static void
test_bad_addresses_refused(void **state)
{
	struct mail_spec	 spec = { .text = &sample, .from = "t@x.example",
				    .from_name = "", .message_id = "i@x" };
	struct mail_address	 to = { "n", "a@b.example\r\nRCPT TO:<c@d>" };
	size_t			 len;
	char			*error = NULL;

	(void)state;
	spec.to = &to;
	spec.nto = 1;
	assert_null(mail_build(&spec, &len, &error));
	assert_non_null(strstr(error, "unusable address"));
	free(error);
	assert_true(mail_address_ok("a.b+c@d-e.example"));
	assert_false(mail_address_ok("a@b@c"));
	assert_false(mail_address_ok("@b"));
	assert_false(mail_address_ok("a b@c"));
	assert_false(mail_address_ok("a@b>"));
	/* What the API refuses too: no SMTPUTF8, nothing needing quotes. */
	assert_false(mail_address_ok("张三@公司.中国"));
	assert_false(mail_address_ok("a@b\x7f.example"));
	assert_false(mail_address_ok("a;b@c.example"));
	assert_false(mail_address_ok("a:b@c.example"));
	assert_false(mail_address_ok(NULL));
}

/* No contact yet: the spool's copy says so in RFC 5322's words. */
static void
test_undisclosed_recipients(void **state)
{
	size_t	 len;
	char	*data = build(&sample, NULL, 0, &len), *hdr = headers_of(data);

	(void)state;
	assert_non_null(strstr(hdr, "To: undisclosed-recipients: ;\r\n"));
	free(hdr);
	free(data);
}

static void
test_message_id_is_stable(void **state)
{
	char	*a = mail_message_id("centre:yq-001|email|2026-11-30",
		    "ticd@kjj.yq.example");
	char	*b = mail_message_id("centre:yq-001|email|2026-11-30",
		    "other@kjj.yq.example");
	char	*c = mail_message_id("centre:yq-002|email|2026-11-30",
		    "ticd@kjj.yq.example");
	char	*d = mail_message_id("k", "weird@do\r\nmain");

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), strlen("ticd.") + 32 +
	    strlen("@kjj.yq.example"));
	assert_non_null(strstr(d, "@ticd.invalid"));
	free(a);
	free(b);
	free(c);
	free(d);
}

static void
test_header_clean(void **state)
{
	char	*s = mail_header_clean("a\r\nb\tc\x1b");

	(void)state;
	assert_string_equal(s, "a  b c ");
	free(s);
}

/* 5 s, 5 min, … 24 h, each within ±10%, then no more. */
static void
test_backoff(void **state)
{
	static const long base[] = { 5, 300, 1800, 7200, 18000, 36000,
	    50400, 72000, 86400 };
	unsigned int	 rnds[] = { 0, 1, 0x7fffffffu, 0x80000000u,
			    0xfffffffeu, 0xffffffffu };
	long		 total = 0, d;
	size_t		 i, k;

	(void)state;
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		for (k = 0; k < sizeof(rnds) / sizeof(rnds[0]); k++) {
			d = notify_backoff((int)i + 1, rnds[k]);
			assert_in_range(d, base[i] * 9 / 10,
			    (base[i] * 11 + 9) / 10);
		}
		assert_int_equal(notify_backoff((int)i + 1, 0),
		    base[i] - base[i] / 10);
		total += base[i];
	}
	/* About three days over all. */
	assert_in_range(total, 3 * 86400 - 6 * 3600, 3 * 86400 + 6 * 3600);
	assert_int_equal(notify_backoff(NOTIFY_RETRIES + 1, 0), -1);
	assert_int_equal(notify_backoff(0, 0), -1);
	/* The jitter spreads: not every draw gives the same delay. */
	assert_true(notify_backoff(9, 0) != notify_backoff(9, 0xffffffffu));
}

static void
test_outcomes(void **state)
{
	(void)state;
	assert_int_equal(notify_outcome_of(true, 250), NOTIFY_SENT);
	assert_int_equal(notify_outcome_of(false, 0), NOTIFY_RETRY);
	assert_int_equal(notify_outcome_of(false, 421), NOTIFY_RETRY);
	assert_int_equal(notify_outcome_of(false, 451), NOTIFY_RETRY);
	assert_int_equal(notify_outcome_of(false, 550), NOTIFY_FAILED);
	assert_int_equal(notify_outcome_of(false, 554), NOTIFY_FAILED);
}

/* A notice that dies is never noticed: no loop of notices. */
static void
test_no_notice_of_a_notice(void **state)
{
	struct notify_conf	 c = { .smtp_url = (char *)"smtp://x",
				    .from = (char *)"ticd@example.org" };
	struct notice_dead	 d = { .id = 7,
				    .idem = "bureau|email|2026-12-01|dead:3",
				    .recipient = "bureau", .day = "2026-12-01",
				    .reason = "554" };
	struct notice_row	 p;
	char			*error = NULL;

	(void)state;
	assert_true(notice_is_dead_notice(d.idem));
	assert_false(notice_is_dead_notice("centre:yq-006|email|2026-12-01"));
	/* Returns before the store is looked at. */
	assert_int_equal(notice_dead_row(NULL, &c, &d, 0, &p, &error), 1);
	assert_null(error);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_parts),
		cmocka_unit_test(test_no_header_injection),
		cmocka_unit_test(test_subject_folds_only_at_spaces),
		cmocka_unit_test(test_subject_with_an_encoded_word_in_it),
		cmocka_unit_test(test_bad_addresses_refused),
		cmocka_unit_test(test_undisclosed_recipients),
		cmocka_unit_test(test_message_id_is_stable),
		cmocka_unit_test(test_header_clean),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_no_notice_of_a_notice),
	};
	int	 rc;

	mail_init();
	rc = cmocka_run_group_tests_name("mail", tests, NULL, NULL);
	mail_shutdown();
	return rc;
}
