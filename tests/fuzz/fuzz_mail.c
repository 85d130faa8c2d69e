/*
 * fuzz_mail.c: reminder mail (notify/render.c, notify/mail.c) of journals
 * whose every free text is hostile, and of a hostile contact.
 *
 * The input is fields separated by 0x1f, each made valid UTF-8 without
 * NUL (as any JSON the daemon reads is): the texts of hostile.h, a rule
 * title, the contact's name and address, the sender's display name; then
 * a byte choosing the day the reminders are planned from and whether the
 * contact's name greets the reader.
 *
 * Invariants, for each message of the 60 days from that day: the render
 * succeeds; the subject is UTF-8 with no control character; the text and
 * HTML are UTF-8; the HTML has only the tags render.c writes (a text's
 * "<" always escaped); the .ics passes the feed's checks with one VEVENT
 * per item.  The mail (built when the address is one ticd accepts) has
 * CRLF lines only, a header section of 7-bit lines of at most 998 octets
 * whose every field is one ticd writes and whose every encoded-word is
 * within RFC 2047's 75 characters; GMime reads it back with the
 * subject, the recipient's address and the Message-ID it was given.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "common/common.h"
#include "notify/notify.h"
#include "notify/render.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/hostile.h"
#include "tests/mailread.h"

#define SEP		0x1f
#define DAYS		60
#define MAX_MESSAGES	8
#define FROM		"ticd@kjj.yq.example"

enum {
	F_CENTRE, F_NAME, F_UNIT, F_NOTE, F_ROUND, F_REASON, F_TITLE,
	F_CONTACT, F_EMAIL, F_FROM_NAME, F_COUNT
};

static struct sched_calendar	*cal;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mail_init();
	cal = fuzz_calendar();
	return 0;
}

static void
check_utf8(const char *what, const char *s)
{
	size_t	 i, k, n = strlen(s);

	for (i = 0; i < n; i += k) {
		if ((k = fuzz_utf8_len((const unsigned char *)s + i,
		    n - i)) == 0)
			fuzz_fail("%s is not UTF-8 at %zu", what, i);
	}
}

static void
check_subject(const char *s)
{
	const unsigned char	*p;

	check_utf8("the subject", s);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fuzz_fail("a control character 0x%02x in the subject",
			    *p);
	}
}

/* Every "<" opens a tag render.c writes: a text's own "<" was escaped. */
static void
check_html(const char *html)
{
	static const char *const tags[] = { "!DOCTYPE", "html", "head",
	    "meta", "title", "body", "div", "p", "ol", "li", "small",
	    "strong", "table", "tr", "th", "td", "hr", NULL };
	const char	*p = html;
	size_t		 n, i;

	check_utf8("the HTML", html);
	while ((p = strchr(p, '<')) != NULL) {
		p += p[1] == '/' ? 2 : 1;
		n = strspn(p, "!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
		for (i = 0; tags[i] != NULL; i++) {
			if (strlen(tags[i]) == n && strncmp(p, tags[i], n) == 0)
				break;
		}
		if (tags[i] == NULL || (p[n] != '>' && p[n] != ' '))
			fuzz_fail("an unknown tag in the HTML: %.40s", p);
	}
}

static void
check_text(const struct sched_message *m, const struct notify_text *t)
{
	size_t	 n;

	check_subject(t->subject);
	check_utf8("the text", t->text);
	check_html(t->html);
	if (t->ics == NULL)
		return;
	if (strlen(t->ics) != t->ics_len)
		fuzz_fail("a NUL inside the .ics");
	ical_check_lines(t->ics, t->ics_len);
	n = ical_count_components(t->ics, t->ics_len, "VEVENT");
	if (n != m->nitems)
		fuzz_fail("%zu VEVENTs for %zu items", n, m->nitems);
	ical_check_parse(t->ics);
}

/* Each "=?" of the header section (n octets at p) starts an encoded-word
 * of at most 75 characters, RFC 2047's limit: ticd writes none of its
 * data's "=?" as it is. */
static void
check_encoded_words(const char *p, size_t n)
{
	char	*hdr = g_strndup(p, n);
	size_t	 longest;

	if (mailread_words(hdr, &longest) == -1)
		fuzz_fail("a \"=?\" that starts no encoded-word: %s", hdr);
	if (longest > 75)
		fuzz_fail("an encoded-word of %zu characters: %s", longest, hdr);
	g_free(hdr);
}

/* The header section: 7-bit lines of at most 998 octets, CRLF only, each
 * a continuation or a field ticd writes, with encoded-words within RFC
 * 2047's limit. */
static void
check_header_lines(const char *data, size_t len)
{
	static const char *const fields[] = { "From", "To", "Subject",
	    "Date", "Message-Id", "Auto-Submitted", "Content-Language",
	    "MIME-Version", "Content-Type", NULL };
	const char	*p = data, *end = data + len, *crlf;
	size_t		 n, i;

	for (;;) {
		if ((crlf = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			fuzz_fail("the headers do not end");
		n = (size_t)(crlf - p);
		if (n == 0)
			break;
		if (n > 998)
			fuzz_fail("a header line of %zu octets", n);
		for (i = 0; i < n; i++) {
			if ((unsigned char)p[i] >= 0x80 || p[i] == '\r' ||
			    p[i] == '\n' || (p[i] < 0x20 && p[i] != '\t'))
				fuzz_fail("byte 0x%02x in a header: %.*s",
				    (unsigned char)p[i], (int)n, p);
		}
		if (*p != ' ' && *p != '\t') {
			for (i = 0; fields[i] != NULL; i++) {
				size_t k = strlen(fields[i]);

				if (n > k && strncasecmp(p, fields[i], k) == 0 &&
				    p[k] == ':')
					break;
			}
			if (fields[i] == NULL)
				fuzz_fail("a header ticd does not write: %.*s",
				    (int)n, p);
		}
		p = crlf + 2;
	}
	check_encoded_words(data, (size_t)(p - data));
	for (p = data; p < end; p++) {
		if ((*p == '\r' && (p + 1 == end || p[1] != '\n')) ||
		    (*p == '\n' && (p == data || p[-1] != '\r')))
			fuzz_fail("a bare CR or LF at %zu", (size_t)(p - data));
	}
}

/* Whether a and b are one address: the same local part, and domains
 * alike but for their case. */
static bool
same_address(const char *a, const char *b)
{
	const char	*at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');

	return at_a != NULL && at_b != NULL && at_a - a == at_b - b &&
	    strncmp(a, b, (size_t)(at_a - a)) == 0 &&
	    strcasecmp(at_a, at_b) == 0;
}

/* The Subject as a reader shows it (tests/mailread.h), but for the one
 * space GMime writes after "Subject:". */
static char *
subject_as_read(GMimeMessage *msg)
{
	GMimeHeaderList	*hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	GMimeHeader	*h = g_mime_header_list_get_header(hl, "Subject");
	const char	*raw = h != NULL ? g_mime_header_get_raw_value(h) : NULL;
	char		*unfolded, *read, *text;

	if (raw == NULL)
		fuzz_fail("no Subject read back");
	unfolded = mailread_unfold(raw, strlen(raw));
	read = mailread_text(unfolded);
	text = xstrdup(read + (read[0] == ' '));
	g_free(read);
	g_free(unfolded);
	return text;
}

static void
check_parsed(const char *data, size_t len, const char *subject,
    const char *email, const char *message_id)
{
	GMimeStream	*in = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser	*parser = g_mime_parser_new_with_stream(in);
	GMimeMessage	*msg = g_mime_parser_construct_message(parser, NULL);
	InternetAddressList *to;
	InternetAddress	*a;
	const char	*got;
	char		*want = mail_header_clean(subject), *read;

	if (msg == NULL)
		fuzz_fail("GMime cannot read the message back");
	read = subject_as_read(msg);
	if (strcmp(read, want) != 0)
		fuzz_fail("subject read back as \"%s\", not \"%s\"", read,
		    want);
	free(read);
	/* As written (a domain's IDNA form), its domain's case aside. */
	to = g_mime_message_get_to(msg);
	if (internet_address_list_length(to) != 1 ||
	    !INTERNET_ADDRESS_IS_MAILBOX(a = internet_address_list_get_address(
	    to, 0)) || !same_address(internet_address_mailbox_get_idn_addr(
	    INTERNET_ADDRESS_MAILBOX(a)), email))
		fuzz_fail("the recipient is not <%s>", email);
	got = g_mime_message_get_message_id(msg);
	if (got == NULL || strcmp(got, message_id) != 0)
		fuzz_fail("Message-ID read back as %s", got ? got : "(none)");
	free(want);
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(in);
}

static void
check_mail(const struct notify_text *t, char **f, const char *email,
    size_t n)
{
	struct mail_address	 to = { f[F_CONTACT], email };
	struct mail_spec	 spec = { 0 };
	char			*idem, *id, *data, *error = NULL;
	size_t			 len;

	idem = xasprintf("%s|email|2026-12-01|%zu", f[F_CENTRE], n);
	id = mail_message_id(idem, FROM);
	spec.text = t;
	spec.from = FROM;
	spec.from_name = f[F_FROM_NAME];
	spec.to = &to;
	spec.nto = 1;
	spec.message_id = id;
	spec.date = 1764550800;
	if ((data = mail_build(&spec, &len, &error)) == NULL)
		fuzz_fail("the mail was not built: %s", error);
	if (getenv("FUZZ_DUMP") != NULL)	/* to look at one message */
		fwrite(data, 1, len, stderr);
	check_header_lines(data, len);
	check_parsed(data, len, t->subject, email, id);
	free(data);
	free(id);
	free(idem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t		*p = data, *end = data + size;
	char			*f[F_COUNT], *error = NULL;
	const char		*email;
	struct sched_rules	*rules;
	struct sched_journal	*j;
	struct sched_plan	*plan;
	struct sched_reminders	*rs;
	struct notify_text	 text;
	struct hostile		 h;
	size_t			 i;
	uint8_t			 sw;
	int			 from;

	for (i = 0; i < F_COUNT; i++)
		f[i] = fuzz_field(&p, end, SEP);
	sw = p < end ? *p : 0;
	h = (struct hostile){ f[F_CENTRE], f[F_NAME], f[F_UNIT], f[F_NOTE],
	    f[F_ROUND], f[F_REASON], f[F_TITLE] };
	rules = hostile_rules(&h);
	email = mail_address_ok(f[F_EMAIL]) ? f[F_EMAIL] : "a@centre.example";
	/* From 2026-11-16 (the round's start) to two months later. */
	from = sched_day(2026, 11, 16) + (sw >> 1) % 64;
	j = hostile_journal(&h, rules);
	plan = sched_plan(j, cal, rules, from, from + 400, SCHED_PLAN_EXPLAIN);
	rs = sched_reminders(plan, rules, cal, from, from + DAYS);
	for (i = 0; i < rs->count && i < MAX_MESSAGES; i++) {
		memset(&text, 0, sizeof(text));
		if (notify_render(&rs->messages[i], rules, cal,
		    rs->messages[i].day, (sw & 1) ? f[F_CONTACT] : NULL, &text,
		    &error) == -1)
			fuzz_fail("the message was not rendered: %s", error);
		check_text(&rs->messages[i], &text);
		check_mail(&text, f, email, i);
		notify_text_free(&text);
	}
	sched_reminders_free(rs);
	sched_plan_free(plan);
	sched_journal_free(j);
	sched_rules_free(rules);
	for (i = 0; i < F_COUNT; i++)
		free(f[i]);
	return 0;
}
