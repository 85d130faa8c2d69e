/*
 * common.h: the few helpers every part of ticd shares.
 *
 * xmalloc and friends never return NULL: running out of memory is one of
 * the impossible states after which a daemon may stop (see STYLE.md), and
 * checking every small allocation would bury the logic that matters.
 * The buffer (struct buf) is a growing string with a bound-checked append,
 * used wherever text of unknown length is built.
 */
#ifndef COMMON_H
#define COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

struct event_base;

/* A libevent loop with epoll's changes batched (evbase.c); NULL if
 * libevent cannot make one. */
struct event_base *evbase_new(void);

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

/* A growing, always NUL-terminated string. Owner: whoever declared it. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
/* Empties the buffer and keeps its memory for what comes next. */
void	 buf_reset(struct buf *);
void	 buf_add(struct buf *, const char *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hands the string to the caller (who frees it) and resets the buffer. */
char	*buf_take(struct buf *);

/*
 * JSON string text as jansson reads and writes it (jsontext.c).
 * utf8_valid: whether jansson takes these bytes as UTF-8 (no overlong
 * form, no surrogate, nothing past U+10FFFF).  buf_add_json_string:
 * appends s quoted and escaped exactly as json_dumps writes it; -1 and
 * nothing appended when s is not UTF-8 (json_string refuses it).
 */
bool	 utf8_valid(const char *, size_t);
/* Appends text a peer sent (an answer's body, a server's reply line) as
 * valid UTF-8 on one line: each byte that is not UTF-8 as U+FFFD, each
 * control character as a space; at most max bytes, never half a
 * character.  Returns the bytes of s taken.  A GBK error page, kept raw,
 * made the JSON of a notice and of the API's listings unencodable. */
size_t	 buf_add_text(struct buf *, const char *, size_t len, size_t max);
int	 buf_add_json_string(struct buf *, const char *s);

/*
 * A map from strings to indexes below 2^32 - 1 (strmap.c).  Keys are
 * borrowed: each must stay alive and unchanged while it is mapped.
 * Owner: whoever declared it; strmap_clear frees the table, never the
 * keys.
 */
#define STRMAP_NONE	((size_t)-1)

struct strmap_slot {
	const char	*key;		/* NULL: empty */
	uint32_t	 hash;
	uint32_t	 value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t		 nslots;	/* 0 or a power of two */
	size_t		 count;
};

void	 strmap_init(struct strmap *);
void	 strmap_clear(struct strmap *);
/* The value mapped to key, or STRMAP_NONE. */
size_t	 strmap_get(const struct strmap *, const char *key);
/* Maps key to value, replacing what it mapped to. */
void	 strmap_put(struct strmap *, const char *key, size_t value);
/* Room for n keys without growing. */
void	 strmap_reserve(struct strmap *, size_t n);
void	 strmap_del(struct strmap *, const char *key);

/*
 * INI text through inih, with what Debian's inih lacks: every handler call
 * knows its line, every malformed or over-long line is reported (not only
 * the first), and each problem reads "source:line: what".  The handler
 * returns NULL when the setting is fine, else the problem (freed here).
 */
typedef char *(*ini_line_cb)(void *user, const char *section,
    const char *name, const char *value, int line);
/* Returns the number of problems, each appended to *errors on its line. */
int	 ini_text_parse(const char *source, const char *text, size_t len,
	    ini_line_cb, void *user, struct buf *errors);

#endif
