/*
 * ini.c: INI files through inih, with line numbers and every error.
 *
 * Debian's inih (r55) is built without INI_HANDLER_LINENO and cuts lines
 * at 200 bytes, so the handler cannot say where a bad setting is and a
 * long line is silently split.  We feed inih through ini_parse_stream with
 * our own reader: it counts lines, reports a line that is too long or not
 * INI at all (inih would only return the first such line), and hands
 * inih an empty line in its place so that parsing goes on.  A setting
 * or section that is not UTF-8 is refused the same way.
 */
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "common/common.h"

struct ini_reader {
	const char	*source;
	const char	*p;
	const char	*end;
	int		 line;
	ini_line_cb	 cb;
	void		*user;
	struct buf	*errors;
	int		 nerrors;
};

static void
ini_error(struct ini_reader *r, int line, const char *what)
{
	buf_printf(r->errors, "%s%s:%d: %s", r->errors->len ? "\n" : "",
	    r->source, line, what);
	r->nerrors++;
}

/* Where a line's text starts, after its indentation. */
static size_t
indent(const char *s, size_t len)
{
	size_t	 i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Whether a line is blank or a comment: nothing of it is read. */
static bool
line_unread(const char *s, size_t len)
{
	size_t	 i = indent(s, len);

	return i == len || s[i] == '#' || s[i] == ';';
}

/* What inih accepts: blank, comment, [section], name = value, or (with
 * INI_ALLOW_MULTILINE) an indented continuation line. */
static const char *
line_problem(const char *s, size_t len)
{
	size_t	 i = indent(s, len);

	if (line_unread(s, len))
		return NULL;
	if (s[i] == '[')
		return memchr(s + i, ']', len - i) ? NULL :
		    "缺少 ] / missing ] after the section name";
	if (memchr(s + i, '=', len - i) == NULL &&
	    memchr(s + i, ':', len - i) == NULL)
		return "应为 名称 = 值 / expected name = value";
	if (s[i] == '=' || s[i] == ':')
		return "等号前缺少名称 / missing the name before =";
	return NULL;
}

/* A control character other than a tab: a typing accident that mail,
 * robots and calendar clients show differently or drop (a rule title of
 * a backspace made an empty CATEGORIES, which libical refuses). */
static bool
has_control(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return true;
	return false;
}

static char *
ini_reader_cb(char *str, int num, void *stream)
{
	struct ini_reader	*r = stream;
	const char		*nl, *problem;
	size_t			 len, room = (size_t)num - 2;

	if (r->p >= r->end)
		return NULL;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	len = (size_t)((nl != NULL ? nl : r->end) - r->p);
	r->line++;
	if (len > 0 && r->p[len - 1] == '\r')
		len--;
	problem = line_problem(r->p, len);
	if (problem == NULL && len > room)
		problem = "行太长（最多 198 字节）/ line too long (198 bytes "
		    "at most)";
	if (problem == NULL && memchr(r->p, '\0', len) != NULL)
		problem = "含有 NUL 字节 / contains a NUL byte";
	/* Values reach JSON, mail and feeds, which take UTF-8 only (jansson
	 * drops a string that is not; a feed would carry the bytes).  A
	 * comment may be in any encoding: a file saved as GB 18030 with
	 * ASCII settings worked before and still does. */
	if (problem == NULL && !line_unread(r->p, len) &&
	    !utf8_valid(r->p, len))
		problem = "不是 UTF-8 编码 / not UTF-8 (save the file as UTF-8)";
	if (problem == NULL && !line_unread(r->p, len) &&
	    has_control(r->p, len))
		problem = "含有控制字符 / contains a control character (a tab "
		    "is the only one allowed)";
	if (problem != NULL) {
		ini_error(r, r->line, problem);
		len = 0;
	}
	memcpy(str, r->p, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	r->p = nl != NULL ? nl + 1 : r->end;
	return str;
}

static int
ini_handler_cb(void *user, const char *section, const char *name,
    const char *value)
{
	struct ini_reader	*r = user;
	char			*problem;

	problem = r->cb(r->user, section, name, value, r->line);
	if (problem != NULL) {
		ini_error(r, r->line, problem);
		free(problem);
	}
	return 1;
}

int
ini_text_parse(const char *source, const char *text, size_t len,
    ini_line_cb cb, void *user, struct buf *errors)
{
	struct ini_reader	 r = {
		.source = source, .p = text, .end = text + len,
		.cb = cb, .user = user, .errors = errors
	};
	int			 rc;

	if (errors->data == NULL)
		buf_init(errors);
	/* Windows' Notepad starts a UTF-8 file with a byte order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r.p += 3;
	rc = ini_parse_stream(ini_reader_cb, &r, ini_handler_cb, &r);
	/* Our reader already reported every line inih could refuse; a
	 * positive rc here is one we did not foresee, so say it too. */
	if (rc > 0 && r.nerrors == 0)
		ini_error(&r, rc, "无法解析 / cannot be parsed");
	else if (rc < 0)
		ini_error(&r, 0, "内存不足 / out of memory");
	return r.nerrors;
}
