/*
 * mail.c: one reminder as an Internet message, built with GMime.
 *
 * The message is built once, when it is queued, and its bytes are what
 * both SMTP and the spool send: so a retry, a redelivery and a restart
 * after a crash send exactly what was first built, Message-ID included.
 * GMime does the MIME structure and folds the headers; this file adds
 * what GMime cannot know or does not do: that no byte of the data may
 * break a header line, whatever a centre's or a contact's name holds, and
 * RFC 2047's encoded-words for a Subject or a name that is not plain
 * ASCII, within their limits (header_text); and that To: shows each
 * address as the envelope has it.  The only file of ticd that includes
 * <gmime/gmime.h>.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "common/common.h"
#include "notify/notify.h"

#define ICS_FILENAME	"reminder.ics"

void
mail_init(void)
{
	g_mime_init();
}

void
mail_shutdown(void)
{
	g_mime_shutdown();
}

char *
mail_header_clean(const char *s)
{
	char	*out = xstrdup(s != NULL ? s : ""), *p;

	/* CR and LF would end the header (injection); the other controls
	 * have no business in a name or a subject either. */
	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return out;
}

/* Whether readers would decode part of s: they take any "=?" for the start
 * of an encoded-word, wherever it stands, even inside an address. */
static bool
reads_as_encoded(const char *s)
{
	return strstr(s, "=?") != NULL;
}

/*
 * Whether To: would show the address the envelope gets: GMime writes a
 * mailbox's domain through IDNA, and so changes one whose "xn--" label is
 * not valid punycode into another ("centre.xn--exampl" became
 * "centre.xn--kxaki4e"), writes one IDNA 2008 refuses in UTF-8
 * ("xn--ls8h.la" became "💩.la"), and drops a trailing dot.  Only a
 * domain's case may change: it means nothing.
 */
static bool
written_as_is(const char *addr, const char *at)
{
	InternetAddress	*ia = internet_address_mailbox_new(NULL, addr);
	const char	*w = internet_address_mailbox_get_idn_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)), *wat;
	size_t		 local = (size_t)(at - addr);
	bool		 same;

	wat = w != NULL ? strrchr(w, '@') : NULL;
	same = wat != NULL && (size_t)(wat - w) == local &&
	    strncmp(w, addr, local) == 0 && strcasecmp(wat, at) == 0;
	g_object_unref(ia);
	return same;
}

bool
mail_address_ok(const char *s)
{
	const char	*at, *p;

	if (s == NULL || (at = strchr(s, '@')) == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL || strlen(s) > 254)
		return false;
	for (p = s; *p != '\0'; p++) {
		/* Nothing that could end an SMTP command or a header, and
		 * nothing that would need quoting.  ASCII only: an address in
		 * UTF-8 needs SMTPUTF8 of every server on its way, and a
		 * header that is not 7-bit, which ticd does not send. */
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("<>,;:\"()[]\\", *p) != NULL)
			return false;
	}
	/* "=?UTF-8?B?5rWL?=@b.example" reads as 测@b.example. */
	return !reads_as_encoded(s) && written_as_is(s, at);
}

char *
mail_message_id(const char *idem, const char *from)
{
	const char	*at = from != NULL ? strrchr(from, '@') : NULL;
	const char	*domain = "ticd.invalid", *p;
	gchar		*sum;
	char		*id;

	if (at != NULL && at[1] != '\0') {
		domain = at + 1;
		for (p = domain; *p != '\0'; p++) {
			if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-') {
				domain = "ticd.invalid";
				break;
			}
		}
	}
	/* A digest, not the key itself: the key holds a centre's id, which
	 * may be any text. */
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, idem, -1);
	id = xasprintf("ticd.%.32s@%s", sum, domain);
	g_free(sum);
	return id;
}

static GMimeObject *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart	*part = g_mime_text_part_new_with_subtype(subtype);

	g_mime_text_part_set_text(part, text != NULL ? text : "");
	/* set_text would say us-ascii for ASCII text; one charset for all. */
	g_mime_text_part_set_charset(part, "utf-8");
	/* Chinese text: base64 is a third longer, quoted-printable three
	 * times; and base64 lines never exceed 76 characters. */
	g_mime_part_set_content_encoding(GMIME_PART(part),
	    GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

static GMimeObject *
ics_part(const char *ics, size_t len)
{
	GMimePart		*part = g_mime_part_new_with_type("text",
				    "calendar");
	GMimeContentType	*ct = g_mime_object_get_content_type(
				    GMIME_OBJECT(part));
	GMimeStream		*stream;
	GMimeDataWrapper	*content;

	g_mime_content_type_set_parameter(ct, "charset", "utf-8");
	g_mime_content_type_set_parameter(ct, "method", "PUBLISH");
	stream = g_mime_stream_mem_new_with_buffer(ics, len);
	content = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_object_unref(stream);
	g_mime_part_set_content(part, content);
	g_object_unref(content);
	g_mime_object_set_disposition(GMIME_OBJECT(part),
	    GMIME_DISPOSITION_ATTACHMENT);
	g_mime_part_set_filename(part, ICS_FILENAME);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

static GMimeObject *
body_parts(const struct notify_text *text)
{
	GMimeMultipart	*alt = g_mime_multipart_new_with_subtype("alternative");
	GMimeMultipart	*mixed;
	GMimeObject	*part;

	part = text_part("plain", text->text);
	g_mime_multipart_add(alt, part);
	g_object_unref(part);
	part = text_part("html", text->html);
	g_mime_multipart_add(alt, part);
	g_object_unref(part);
	if (text->ics == NULL)
		return GMIME_OBJECT(alt);
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
	g_object_unref(alt);
	part = ics_part(text->ics, text->ics_len != 0 ? text->ics_len :
	    strlen(text->ics));
	g_mime_multipart_add(mixed, part);
	g_object_unref(part);
	return GMIME_OBJECT(mixed);
}

#define WORD_OCTETS	39	/* octets of text in one encoded-word, at most */
#define PLAIN_WORD_MAX	60	/* octets of a word GMime writes as it is */

/*
 * Whether GMime may write s as it is: plain ASCII, with nothing in it that
 * reads as an encoded-word and no word so long that GMime would encode it
 * to fold it (as quoted-printable words of up to 196 characters).
 */
static bool
plain_text(const char *s)
{
	size_t	 word = 0;

	if (reads_as_encoded(s))
		return false;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return false;
		word = *s == ' ' ? 0 : word + 1;
		if (word > PLAIN_WORD_MAX)
			return false;
	}
	return true;
}

/* The octets of s (len of them) that the next encoded-word takes: whole
 * UTF-8 characters, at most WORD_OCTETS. */
static size_t
word_octets(const char *s, size_t len)
{
	size_t	 n;

	if (len <= WORD_OCTETS)
		return len;
	/* Back to a character's first octet (10xxxxxx continue one). */
	for (n = WORD_OCTETS; n > 1 && ((unsigned char)s[n] & 0xc0) == 0x80;
	    n--)
		;
	return n;
}

/*
 * A Subject or a display name (data: cleaned first, mail_header_clean) as
 * RFC 2047 wants it: plain text as it is
 * (GMime folds it), anything else as base64 encoded-words only, each of at
 * most 39 octets of whole UTF-8 characters: 52 of base64, 64 with its
 * frame, so even the Subject's first line stays within RFC 2047's 76 (39
 * octets are 13 Chinese characters).
 *
 * By hand, because GMime 3.2 gets two things wrong that no setting
 * changes.  Its words are too long: a Chinese subject's first line was 157
 * characters, its word 148, where RFC 2047 allows 75 a word and 76 a line;
 * a name of one long ASCII word became words of up to 196.  And it writes
 * text that reads as an encoded-word as it is, while readers decode one
 * anywhere it stands, even inside a word: a centre named
 * "=?UTF-8?B?5rWL?=" showed as 测.  Given encoded-words only, GMime leaves
 * them as they are and folds between them.
 */
static char *
header_text(const char *data)
{
	struct buf	 b;
	char		*clean = mail_header_clean(data);
	const char	*s = clean;
	size_t		 len = strlen(s), n;
	gchar		*b64;

	if (plain_text(s))
		return clean;
	buf_init(&b);
	while (len > 0) {
		n = word_octets(s, len);
		b64 = g_base64_encode((const guchar *)s, n);
		buf_printf(&b, "%s=?UTF-8?B?%s?=", b.len > 0 ? " " : "", b64);
		g_free(b64);
		s += n;
		len -= n;
	}
	free(clean);
	return buf_take(&b);
}

/* Adds a mailbox whose display name is data (header_text). */
static int
add_mailbox(GMimeMessage *msg, GMimeAddressType type, const char *name,
    const char *email, char **error)
{
	char	*text;

	if (!mail_address_ok(email)) {
		*error = xasprintf("地址不可用 / an unusable address: %s",
		    email != NULL ? email : "(none)");
		return -1;
	}
	text = header_text(name);
	g_mime_message_add_mailbox(msg, type, *text ? text : NULL, email);
	free(text);
	return 0;
}

static void
set_headers(GMimeMessage *msg, const struct mail_spec *spec)
{
	GTimeZone	*tz = g_time_zone_new_offset(8 * 3600);
	GDateTime	*utc = g_date_time_new_from_unix_utc((gint64)spec->date);
	GDateTime	*local = g_date_time_to_timezone(utc, tz);
	char		*subject = header_text(spec->text->subject);
	char		*id = mail_header_clean(spec->message_id);

	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, local);
	g_mime_message_set_message_id(msg, id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
	    "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Content-Language",
	    "zh-CN", NULL);
	g_date_time_unref(local);
	g_date_time_unref(utc);
	g_time_zone_unref(tz);
	free(subject);
	free(id);
}

static char *
serialise(GMimeMessage *msg, size_t *len)
{
	GMimeFormatOptions	*fo = g_mime_format_options_new();
	GMimeStream		*out = g_mime_stream_mem_new();
	GByteArray		*bytes;
	char			*data;

	/* SMTP wants CRLF; libcurl sends the bytes as they are. */
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, out);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	data = xmalloc(bytes->len + 1);
	memcpy(data, bytes->data, bytes->len);
	data[bytes->len] = '\0';
	*len = bytes->len;
	g_object_unref(out);
	g_mime_format_options_free(fo);
	return data;
}

char *
mail_build(const struct mail_spec *spec, size_t *len, char **error)
{
	GMimeMessage	*msg;
	GMimeObject	*body;
	char		*data;
	size_t		 i;

	msg = g_mime_message_new(TRUE);
	if (add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, spec->from_name,
	    spec->from, error) == -1) {
		g_object_unref(msg);
		return NULL;
	}
	for (i = 0; i < spec->nto; i++) {
		if (add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, spec->to[i].name,
		    spec->to[i].email, error) == -1) {
			g_object_unref(msg);
			return NULL;
		}
	}
	/* RFC 5322's form for a message with no address to show (the
	 * spool's copy for a recipient with no contact yet). */
	if (spec->nto == 0)
		g_mime_object_set_header(GMIME_OBJECT(msg), "To",
		    "undisclosed-recipients:;", NULL);
	set_headers(msg, spec);
	body = body_parts(spec->text);
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	data = serialise(msg, len);
	g_object_unref(msg);
	return data;
}
