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
#include "tests/mailread.h"

#define SUBJECT	"【提醒】阳泉市技术创新中心义务：年度绩效评价资料提交截止 2026-11-30（周一）"

/* struct notify_text's strings are not const (the renderer owns them). */
static char s_subject[] = SUBJECT;
static char s_text[] = "城区科技局：\n\n一、年度绩效评价资料提交截止 第十四条\n";
static char s_html[] = "<p>城区科技局：</p><ol><li>年度绩效评价资料提交截止</li></ol>";
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

/* The Subject as a reader shows it (tests/mailread.h); its folded lines
 * are at most max characters each. */
static char *
subject_read(const char *hdr, size_t max)
{
	const char	*p = strstr(hdr, "\r\nSubject:"), *line, *end;
	char		*value, *read;

	assert_non_null(p);
	line = p + 2;
	p += strlen("\r\nSubject: ");
	for (end = p; (end = strstr(end, "\r\n")) != NULL; end += 2) {
		assert_true((size_t)(end - line) <= max);
		line = end + 2;
		if (end[2] != ' ' && end[2] != '\t')
			break;
	}
	assert_non_null(end);
	value = mailread_unfold(p, (size_t)(end - p));
	read = mailread_text(value);
	g_free(value);
	return read;
}

/*
 * Text with a "=?" in it: a name that is, or holds, an encoded-word.
 * GMime wrote it as it was and readers decoded it wherever it stood
 * (测, the space before it gone), and its folding took the "=?" for the
 * start of a word: "2026-1<TAB>2-18", a space before "=?x".  Such a
 * subject or name is written as encoded-words only and reads as it was;
 * its lines stay within RFC 2047's 76.
 */
static void
test_text_with_encoded_words_in_it_reads_as_it_was(void **state)
{
	static const char *const names[] = {
		"=?UTF-8?B?5rWL?=",
		"yq-001=?UTF-8?B?5rWL?=",
		"(=?UTF-8?B?5rWL?=)",
		"=?UTF-8?B?5rWL?=, x",
		"=?UTF-8?Q?=E6=B5=8B x?=",
		"evi=?x.example#Unit</td> / ticd reminder: 1 obligation, first "
		    "due 2026-12-18 and evi=?x again",
	};
	struct notify_text	 t = sample;
	struct mail_address	 to = { NULL, "a@centre.example" };
	InternetAddressList	*got;
	GMimeMessage		*m;
	size_t			 i, len;
	char			*subject, *data, *hdr, *read;

	(void)state;
	for (i = 0; i < nitems(names); i++) {
		subject = xasprintf("【技术创新中心提醒】【第十四条】年度绩效评价"
		    "（2026年度） 30天后到期（2026-12-18 周五） · %s / ticd "
		    "reminder", names[i]);
		t.subject = subject;
		to.name = names[i];
		data = build(&t, &to, 1, &len);
		hdr = headers_of(data);
		check_header_lines(hdr);
		read = subject_read(hdr, 76);
		assert_string_equal(read, subject);
		g_free(read);
		m = parse(data, len);
		got = g_mime_message_get_to(m);
		assert_string_equal(internet_address_get_name(
		    internet_address_list_get_address(got, 0)), names[i]);
		g_object_unref(m);
		free(hdr);
		free(data);
		free(subject);
	}
}

/* The header's encoded-words, each within RFC 2047's 75 characters; how
 * many there are. */
static int
check_encoded_words(const char *hdr)
{
	size_t	 longest;
	int	 words = mailread_words(hdr, &longest);

	assert_true(words >= 0);
	assert_in_range(longest, 0, 75);
	return words;
}

/* The header of a message with this subject and no recipient: its
 * encoded-words within RFC 2047's limit, its Subject read back as it was
 * from lines of at most max characters.  The caller frees it. */
static char *
subject_header(const char *subject, size_t max)
{
	struct notify_text	 t = sample;
	size_t			 len;
	char			*data, *hdr, *read;

	t.subject = xstrdup(subject);
	data = build(&t, NULL, 0, &len);
	hdr = headers_of(data);
	check_header_lines(hdr);
	check_encoded_words(hdr);
	read = subject_read(hdr, max);
	assert_string_equal(read, subject);
	g_free(read);
	free(data);
	free(t.subject);
	return hdr;
}

/*
 * A long Chinese subject and long Chinese names, as the bureau's messages
 * have them.  GMime 3.2 wrote a subject's encoded-words of up to 117
 * octets: a first line of 157 characters, a word of 148, where RFC 2047
 * allows 75 a word and 76 a line.  Now every word and line is within them,
 * and all of it reads back as it was; plain ASCII stays plain.
 */
static void
test_chinese_headers_within_rfc2047_limits(void **state)
{
	char			 subject[] = "【技术创新中心提醒】【第十四条】"
	    "年度绩效评价资料提交截止（2026年度） 30天后到期（2026-12-18 周五）"
	    " · 阳泉市某某新材料技术创新中心 / ticd reminder: 1 obligation, "
	    "first due 2026-12-18";
	char			 ascii[] = "ticd reminder: 1 obligation, first "
	    "due 2026-12-18, a subject long enough to be folded by GMime";
	struct notify_text	 t = sample;
	struct mail_address	 to[] = {
		{ "阳泉市某某新材料技术创新中心 联系人 王某某", "a@centre.example" },
		{ NULL, "b@centre.example" },
		{ "Wang Mou, 山西 (阳泉) =?x", "c@centre.example" },
	};
	char			 long_word[100], long_subject[120];
	InternetAddressList	*got;
	GMimeMessage		*m;
	size_t			 len, i;
	char			*data, *hdr, *read;

	(void)state;
	/* One long ASCII word GMime encoded itself to fold it, its "?" as
	 * "=3F": words of up to 196 characters (found by the mail fuzz). */
	memset(long_word, '?', sizeof(long_word) - 1);
	memcpy(long_word, "rea", 3);
	memcpy(long_word + sizeof(long_word) - 4, "son", 4);
	to[1].name = long_word;
	t.subject = subject;
	data = build(&t, to, nitems(to), &len);
	hdr = headers_of(data);
	check_header_lines(hdr);
	assert_true(check_encoded_words(hdr) >= 8);
	read = subject_read(hdr, 76);
	assert_string_equal(read, subject);
	g_free(read);
	m = parse(data, len);
	got = g_mime_message_get_to(m);
	for (i = 0; i < nitems(to); i++)
		assert_string_equal(internet_address_get_name(
		    internet_address_list_get_address(got, (int)i)), to[i].name);
	assert_string_equal(internet_address_get_name(
	    internet_address_list_get_address(g_mime_message_get_from(m), 0)),
	    "阳泉市科技局 ticd");
	g_object_unref(m);
	free(hdr);
	free(data);

	/* Chinese words short enough to fold: GMime wrote the one of 19
	 * characters (57 octets) as an encoded-word of 92 characters. */
	free(subject_header("提醒 技术创新中心年度绩效评价资料提交截止日 周五", 76));

	/* Plain ASCII is GMime's to write: as it is, folded at a space. */
	hdr = subject_header(ascii, 78);
	assert_non_null(strstr(hdr, "\r\nSubject: ticd reminder: 1 "
	    "obligation, first due 2026-12-18,"));
	free(hdr);

	/* But not a word too long to fold. */
	memset(long_subject, 'a', sizeof(long_subject) - 1);
	long_subject[sizeof(long_subject) - 1] = '\0';
	hdr = subject_header(long_subject, 76);
	assert_true(check_encoded_words(hdr) >= 3);
	free(hdr);
}

static void
test_bad_addresses_refused(void **state)
{
	struct mail_spec	 spec = { .text = &sample, .from = "t@x.example",
				    .from_name = "", .message_id = "i@x" };
	struct mail_address	 to = { "n", "a@b.example\r\nRCPT TO:<c@d>" };
	size_t			 len;
	char			*error = NULL, *data, *hdr;

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
	/* Nor what To: would show otherwise than the envelope has it: an
	 * "xn--" label that is not punycode (GMime wrote xn--kxaki4e), one
	 * IDNA 2008 refuses (GMime wrote UTF-8), a trailing dot (dropped). */
	assert_false(mail_address_ok("zhang@centre.xn--exampl"));
	assert_false(mail_address_ok("a@xn--ls8h.la"));
	assert_false(mail_address_ok("a@b.example."));
	/* Nor an encoded-word, which readers decode even there (测@b). */
	assert_false(mail_address_ok("=?UTF-8?B?5rWL?=@b.example"));
	assert_false(mail_address_ok("a=?b@c.example"));
	assert_true(mail_address_ok("a=b?c@d.example"));
	/* A Chinese domain in its ASCII form is fine, in any case. */
	assert_true(mail_address_ok("li@xn--55qx5d.xn--fiqs8s"));
	assert_true(mail_address_ok("li@XN--55qx5d.xn--FIQS8S"));
	to.email = "li@xn--55qx5d.xn--fiqs8s";
	data = mail_build(&spec, &len, &error);
	assert_non_null(data);
	hdr = headers_of(data);
	assert_non_null(strstr(hdr, "\r\nTo: n <li@xn--55qx5d.xn--fiqs8s>\r\n"));
	free(hdr);
	free(data);
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
		cmocka_unit_test(
		    test_text_with_encoded_words_in_it_reads_as_it_was),
		cmocka_unit_test(test_chinese_headers_within_rfc2047_limits),
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
