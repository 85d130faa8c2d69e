/*
 * client.c: ticctl's HTTP client of ticd (docs/api.md), with libcurl's
 * easy interface: a command line may block while it waits.
 *
 * It owns where ticd is and who we are: the URL and the token are each
 * taken from the first place that gives them (the command line, then
 * TICD_URL and TICD_TOKEN, then ticctl.conf), and the token only ever
 * travels in the Authorization header: no message prints it, only where
 * it came from.  A reply is decoded here too, so that every command sees
 * either the JSON of a 2xx answer or one error message to show, the
 * server's own when it sent one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/common.h"
#include "conf/conf.h"
#include "ctl/ctl.h"

#define CLIENT_DEFAULT_URL	"http://127.0.0.1:8470"
#define CLIENT_MAX_REPLY	(64 * 1024 * 1024)
#define CLIENT_MAX_TOKEN	4096		/* bytes of a token file */
#define CLIENT_CONNECT_TIMEOUT	5L		/* seconds */
#define CLIENT_TIMEOUT		60L		/* seconds, a whole request */
#define CLIENT_USER_CONFIG	".config/ticctl.conf"	/* under $HOME */
#define CLIENT_SYSTEM_CONFIG	"/etc/ticd/ticctl.conf"

/* Owner: whoever calls ctl_client_new (ctl_client_free). */
struct ctl_client {
	const char		*cmd;		/* for messages */
	char			*base;		/* the URL, no trailing slash */
	char			*base_from;	/* where the URL was found */
	char			*token;
	char			*token_from;	/* where the token was found */
	CURL			*curl;
	struct curl_slist	*headers;	/* with Authorization */
	struct curl_slist	*body_headers;	/* the same, for a body */
	struct curl_slist	*cal_headers;	/* the same, for a calendar */
	char			 errbuf[CURL_ERROR_SIZE];
	struct buf		 reply;
	bool			 too_large;
	long			 status;	/* of the last call, or 0 */
	bool			 bureau_only;	/* its path is for the bureau */
	char			*message;	/* why the last call failed */
};

/* What ticctl.conf says; only [ticctl] url and token_file. */
struct client_config {
	char	*path;
	char	*url;
	char	*token_file;	/* made absolute against the file's folder */
};

static int	curl_ready;

static char	*client_check_url(const char *, const char *, const char *);

/* ---- the command line ---- */

bool
ctl_remote_option(struct ctl_remote *r, int ch, const char *arg)
{
	char	*checked;

	switch (ch) {
	case CTL_OPT_URL:
		/* Checked here, so that a wrong one is bad usage (exit 2)
		 * like any other option, before any request. */
		if ((checked = client_check_url(r->cmd, arg, "--url")) == NULL)
			return false;
		free(checked);
		r->url = arg;
		return true;
	case CTL_OPT_TOKEN:
	case CTL_OPT_TOKEN_FILE:
		if ((ch == CTL_OPT_TOKEN ? r->token_file : r->token) != NULL) {
			ctl_warnx(r->cmd, "--token 与 --token-file 只能给一个 / "
			    "give --token or --token-file, not both");
			return false;
		}
		if (ch == CTL_OPT_TOKEN)
			r->token = arg;
		else
			r->token_file = arg;
		return true;
	}
	return false;
}

void
ctl_remote_usage(FILE *f)
{
	fprintf(f,
"\n"
"连接 ticd / reaching ticd (each taken from the first place that gives it):\n"
"  --url URL          ticd 的地址 / ticd's address; then $TICD_URL, then\n"
"                     url in ticctl.conf (default " CLIENT_DEFAULT_URL ")\n"
"  --token-file FILE  从文件读取 API 令牌 / read the API token from FILE\n"
"  --token TOKEN      API 令牌（其他用户可在进程列表中看到，宜用\n"
"                     --token-file）/ the token (visible to other users in\n"
"                     ps: prefer --token-file); then $TICD_TOKEN, then\n"
"                     token_file in ticctl.conf\n"
"  ticctl.conf: $TICCTL_CONFIG, else ~/" CLIENT_USER_CONFIG ", else\n"
"  " CLIENT_SYSTEM_CONFIG "; INI, section [ticctl], keys url and token_file\n"
"  (the token itself never goes in the configuration).\n");
}

/* ---- ticctl.conf ---- */

static void
client_config_clear(struct client_config *cfg)
{
	free(cfg->path);
	free(cfg->url);
	free(cfg->token_file);
	memset(cfg, 0, sizeof(*cfg));
}

/* A token_file relative to the configuration is read beside it, so that
 * the same file works whatever the current directory; ~/ is $HOME. */
static char *
config_path_value(const char *config, const char *value)
{
	const char	*home = getenv("HOME"), *slash;

	if (value[0] == '/')
		return xstrdup(value);
	if (value[0] == '~' && value[1] == '/' && home != NULL && *home != '\0')
		return xasprintf("%s/%s", home, value + 2);
	if ((slash = strrchr(config, '/')) == NULL)
		return xstrdup(value);
	return xasprintf("%.*s/%s", (int)(slash - config), config, value);
}

static char *
config_line_cb(void *user, const char *section, const char *name,
    const char *value, int line)
{
	struct client_config	*cfg = user;

	(void)line;
	if (strcmp(section, "ticctl") != 0)
		return xasprintf("\"%s\" 不在 [ticctl] 节中 / \"%s\" is not in "
		    "the [ticctl] section", name, name);
	if (strcmp(name, "token") == 0)
		return xstrdup("令牌不应写在配置文件中：请把它存入只有你能读的"
		    "文件，用 token_file 指向该文件 / a token does not belong in "
		    "the configuration: keep it in a file only you can read and "
		    "name that file with token_file");
	if (*value == '\0')
		return xasprintf("%s 不能为空 / %s must not be empty", name,
		    name);
	if (strcmp(name, "url") == 0) {
		free(cfg->url);
		cfg->url = xstrdup(value);
	} else if (strcmp(name, "token_file") == 0) {
		free(cfg->token_file);
		cfg->token_file = config_path_value(cfg->path, value);
	} else
		return xasprintf("未知的键 \"%s\"（可用 url、token_file）/ "
		    "unknown key \"%s\" (known: url, token_file)", name, name);
	return NULL;
}

/* Prints each "file:line: what" of a multi-line error on its own line. */
static void
warn_lines(const char *cmd, const char *text)
{
	const char	*nl;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		ctl_warnx(cmd, "%.*s", nl ? (int)(nl - text) : (int)strlen(text),
		    text);
		if (nl == NULL)
			break;
		text = nl + 1;
	}
}

/* The configuration file in force: the first that is named or exists.
 * NULL when there is none, which is fine. */
static char *
config_find(void)
{
	const char	*env = getenv("TICCTL_CONFIG"), *home = getenv("HOME");
	char		*path;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (home != NULL && *home != '\0') {
		path = xasprintf("%s/%s", home, CLIENT_USER_CONFIG);
		if (access(path, F_OK) == 0)
			return path;
		free(path);
	}
	if (access(CLIENT_SYSTEM_CONFIG, F_OK) == 0)
		return xstrdup(CLIENT_SYSTEM_CONFIG);
	return NULL;
}

/* Reads the configuration in force into cfg; -1 after saying why. */
static int
config_load(const char *cmd, struct client_config *cfg)
{
	struct buf	 errors = { 0 };
	char		*text, *error;
	size_t		 len;

	if ((cfg->path = config_find()) == NULL)
		return 0;
	if (conf_read_file(cfg->path, &text, &len, &error) == -1) {
		ctl_warnx(cmd, "%s", error);
		free(error);
		return -1;
	}
	if (ini_text_parse(cfg->path, text, len, config_line_cb, cfg,
	    &errors) > 0) {
		warn_lines(cmd, errors.data);
		buf_free(&errors);
		free(text);
		return -1;
	}
	buf_free(&errors);
	free(text);
	return 0;
}

/* ---- the URL and the token ---- */

/* Checks a URL and keeps it without its trailing slashes: paths of the
 * API are appended to it, so ticd may sit under a prefix of a proxy. */
static char *
client_check_url(const char *cmd, const char *url, const char *from)
{
	CURLU		*u;
	char		*scheme = NULL, *part = NULL, *base = NULL;
	const char	*why = NULL;
	size_t		 len;

	if ((u = curl_url()) == NULL) {
		ctl_warnx(cmd, "内存不足 / out of memory");
		return NULL;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		why = "应为 http:// 或 https:// 开头的地址 / must be an http:// "
		    "or https:// URL";
	else if (curl_url_get(u, CURLUPART_USER, &part, 0) != CURLUE_NO_USER)
		why = "地址中不能有用户名或密码（令牌另行给出）/ must not carry a "
		    "user or password (the token is given apart)";
	else if (curl_url_get(u, CURLUPART_QUERY, &part, 0) != CURLUE_NO_QUERY ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) != CURLUE_NO_FRAGMENT)
		why = "地址中不能有 ? 或 # 部分 / must not have a ? or # part";
	curl_free(part);
	curl_free(scheme);
	curl_url_cleanup(u);
	if (why != NULL) {
		ctl_warnx(cmd, "%s \"%s\"：%s", from, url, why);
		return NULL;
	}
	base = xstrdup(url);
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	return base;
}

/* A token goes into a header line: printable ASCII without blanks, so
 * that nothing in it can end the header or start another. */
static bool
token_valid(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++) {
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	}
	return n > 0 && n <= 512;
}

/* Reads a token file: one token, blanks and newlines around it ignored.
 * Messages name the file, never its content. */
static char *
token_read(const char *cmd, const char *path)
{
	char	*text, *error, *start, *end;
	size_t	 len;

	if (conf_read_file(path, &text, &len, &error) == -1) {
		ctl_warnx(cmd, "令牌文件 / token file %s", error);
		free(error);
		return NULL;
	}
	if (len > CLIENT_MAX_TOKEN || memchr(text, '\0', len) != NULL)
		goto bad;
	start = text;
	while (*start == ' ' || *start == '\t' || *start == '\n' ||
	    *start == '\r')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	if (!token_valid(start)) {
bad:
		ctl_warnx(cmd, "令牌文件 %s 中应只有一个令牌（一行，无空格）/ "
		    "token file %s must hold one token (one line, no blanks)",
		    path, path);
		free(text);
		return NULL;
	}
	memmove(text, start, strlen(start) + 1);
	return text;
}

static int
client_resolve_token(struct ctl_client *c, const struct ctl_remote *r,
    const struct client_config *cfg)
{
	const char	*env = getenv("TICD_TOKEN");

	if (r->token != NULL) {
		c->token = xstrdup(r->token);
		c->token_from = xstrdup("--token");
	} else if (r->token_file != NULL) {
		if ((c->token = token_read(c->cmd, r->token_file)) == NULL)
			return -1;
		c->token_from = xasprintf("--token-file %s", r->token_file);
	} else if (env != NULL && *env != '\0') {
		c->token = xstrdup(env);
		c->token_from = xstrdup("TICD_TOKEN");
	} else if (cfg->token_file != NULL) {
		if ((c->token = token_read(c->cmd, cfg->token_file)) == NULL)
			return -1;
		c->token_from = xasprintf("token_file %s (%s)",
		    cfg->token_file, cfg->path);
	} else {
		ctl_warnx(c->cmd, "没有 API 令牌：用 --token-file、TICD_TOKEN 或 "
		    "ticctl.conf 的 token_file 给出 / no API token: give "
		    "--token-file, TICD_TOKEN or token_file in ticctl.conf");
		return -1;
	}
	if (!token_valid(c->token)) {
		ctl_warnx(c->cmd, "%s 给出的不是令牌（应为一行，无空格）/ what %s "
		    "gives is not a token (one line, no blanks)", c->token_from,
		    c->token_from);
		return -1;
	}
	return 0;
}

static int
client_resolve_url(struct ctl_client *c, const struct ctl_remote *r,
    const struct client_config *cfg)
{
	const char	*env = getenv("TICD_URL");
	char		*from;

	if (r->url != NULL) {
		from = xstrdup("--url");
		c->base = client_check_url(c->cmd, r->url, from);
	} else if (env != NULL && *env != '\0') {
		from = xstrdup("TICD_URL");
		c->base = client_check_url(c->cmd, env, from);
	} else if (cfg->url != NULL) {
		from = xasprintf("%s: url", cfg->path);
		c->base = client_check_url(c->cmd, cfg->url, from);
	} else {
		from = xstrdup("缺省 / the default");
		c->base = xstrdup(CLIENT_DEFAULT_URL);
	}
	c->base_from = from;
	return c->base != NULL ? 0 : -1;
}

/* ---- the connection ---- */

static size_t
client_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct ctl_client	*c = arg;
	size_t			 len = size * n;	/* size is 1 */

	/* Bounded, so that a wrong URL serving an endless stream cannot eat
	 * the machine's memory; returning short makes curl stop. */
	if (len > CLIENT_MAX_REPLY - c->reply.len) {
		c->too_large = true;
		return 0;
	}
	buf_add(&c->reply, data, len);
	return len;
}

static struct curl_slist *
client_headers(const struct ctl_client *c, bool body, const char *accept)
{
	struct curl_slist	*list = NULL, *next;
	char			*auth;
	const char		*fixed[] = {
		accept,
		/* evhttp answers at once; no 100-continue round trip. */
		"Expect:",
		body ? "Content-Type: application/json" : NULL
	};
	size_t			 i;

	auth = xasprintf("Authorization: Bearer %s", c->token);
	list = curl_slist_append(list, auth);
	free(auth);
	for (i = 0; list != NULL && i < nitems(fixed); i++) {
		if (fixed[i] == NULL)
			continue;
		if ((next = curl_slist_append(list, fixed[i])) == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

struct ctl_client *
ctl_client_new(const char *cmd, const struct ctl_remote *r)
{
	struct ctl_client	*c = xcalloc(1, sizeof(*c));
	struct client_config	 cfg = { 0 };
	const char		*env_url = getenv("TICD_URL");
	const char		*env_token = getenv("TICD_TOKEN");
	bool			 need_config;

	c->cmd = cmd;
	buf_init(&c->reply);
	/* The configuration is read only when flags and environment leave
	 * something open: first found wins, item by item. */
	need_config = (r->url == NULL && (env_url == NULL || *env_url == '\0')) ||
	    (r->token == NULL && r->token_file == NULL &&
	    (env_token == NULL || *env_token == '\0'));
	if ((need_config && config_load(cmd, &cfg) == -1) ||
	    client_resolve_url(c, r, &cfg) == -1 ||
	    client_resolve_token(c, r, &cfg) == -1)
		goto fail;
	client_config_clear(&cfg);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			ctl_warnx(cmd, "libcurl 初始化失败 / cannot start libcurl");
			goto fail;
		}
		curl_ready = 1;
	}
	if ((c->curl = curl_easy_init()) == NULL ||
	    (c->headers = client_headers(c, false,
	    "Accept: application/json")) == NULL ||
	    (c->body_headers = client_headers(c, true,
	    "Accept: application/json")) == NULL ||
	    (c->cal_headers = client_headers(c, false,
	    "Accept: text/calendar")) == NULL) {
		ctl_warnx(cmd, "libcurl 初始化失败 / cannot start libcurl");
		goto fail;
	}
	return c;
fail:
	client_config_clear(&cfg);
	ctl_client_free(c);
	return NULL;
}

void
ctl_client_free(struct ctl_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	curl_slist_free_all(c->body_headers);
	curl_slist_free_all(c->cal_headers);
	/* One client at a time: the last one out closes libcurl. */
	if (curl_ready) {
		curl_global_cleanup();
		curl_ready = 0;
	}
	free(c->base);
	free(c->base_from);
	free(c->token);
	free(c->token_from);
	free(c->message);
	buf_free(&c->reply);
	free(c);
}

const char *
ctl_client_cmd(const struct ctl_client *c)
{
	return c->cmd;
}

char *
ctl_url_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 b;
	char			 pct[3];
	unsigned char		 ch;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		/* RFC 3986's unreserved characters go as they are. */
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			buf_add(&b, s, 1);
			continue;
		}
		pct[0] = '%';
		pct[1] = hex[ch >> 4];
		pct[2] = hex[ch & 0xf];
		buf_add(&b, pct, 3);
	}
	return buf_take(&b);
}

static void
client_fail(struct ctl_client *c, char *message)
{
	free(c->message);
	c->message = message;
}

/* Options are set afresh for every request (curl_easy_reset keeps the
 * connection alive), so that nothing of a DELETE leaks into a GET. */
static CURLcode
client_setup(struct ctl_client *c, const char *method, const char *url,
    const char *body, size_t len, struct curl_slist *headers)
{
	CURLcode	 rc;

	curl_easy_reset(c->curl);
	if ((rc = curl_easy_setopt(c->curl, CURLOPT_URL, url)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR,
	    "http,https")) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER,
	    headers)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_USERAGENT,
	    "ticctl")) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT,
	    CLIENT_CONNECT_TIMEOUT)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_TIMEOUT,
	    CLIENT_TIMEOUT)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER,
	    c->errbuf)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION,
	    client_write_cb)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c)) != CURLE_OK)
		return rc;
	if (strcmp(method, "GET") == 0)
		return curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	/* A POST without a body is still a POST (without POSTFIELDS curl
	 * would send a GET). */
	if (body != NULL || strcmp(method, "POST") == 0) {
		if (body == NULL) {
			body = "";
			len = 0;
		}
		/* Not copied by curl: body lives until the call returns. */
		if ((rc = curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len)) != CURLE_OK ||
		    (rc = curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS,
		    body)) != CURLE_OK)
			return rc;
	}
	if (strcmp(method, "POST") == 0)
		return CURLE_OK;
	return curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
}

/* Why a transfer failed, naming the URL and never the token (curl's
 * messages know nothing of our headers). */
static char *
client_transport_error(struct ctl_client *c, CURLcode rc)
{
	const char	*detail = c->errbuf[0] != '\0' ? c->errbuf :
			    curl_easy_strerror(rc);
	curl_off_t	 connected = 0;

	if (c->too_large)
		return xasprintf("%s 的回复超过 %d MiB，已放弃 / the reply from %s "
		    "is over %d MiB: given up", c->base, CLIENT_MAX_REPLY >> 20,
		    c->base, CLIENT_MAX_REPLY >> 20);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		/* What to look at next: the daemon, or where the address
		 * came from (the default when nothing names one). */
		return xasprintf("无法连接 ticd / cannot reach ticd at %s: %s"
		    "（地址来自 / address from %s；ticd 是否在运行？/ is ticd "
		    "running? systemctl status ticd）", c->base, detail,
		    c->base_from);
	case CURLE_OPERATION_TIMEDOUT:
		/* Timed out before a connection: unreachable, not slow. */
		if (curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME_T,
		    &connected) != CURLE_OK || connected == 0)
			return xasprintf("无法连接 ticd / cannot reach ticd at "
			    "%s: %s", c->base, detail);
		return xasprintf("ticd 未在时限内回复 / no answer in time from "
		    "ticd at %s: %s", c->base, detail);
	default:
		return xasprintf("与 ticd 通信失败 / talking to ticd at %s "
		    "failed: %s", c->base, detail);
	}
}

/* The message of a reply that is not 2xx: the server's own when it is
 * docs/api.md's error body, else the status. */
static char *
client_http_error(struct ctl_client *c)
{
	json_t		*obj, *message;
	char		*s;

	obj = json_loadb(c->reply.data, c->reply.len, 0, NULL);
	message = json_object_get(json_object_get(obj, "error"), "message");
	if (json_is_string(message)) {
		s = xstrdup(json_string_value(message));
		json_decref(obj);
		return s;
	}
	json_decref(obj);
	if (c->status == 413)
		return xasprintf("请求体超过 ticd 的上限（max_body）/ the request "
		    "body is over ticd's limit (max_body) (HTTP 413)");
	return xasprintf("%s 回复 HTTP %ld，不是 ticd 的 API / %s answered HTTP "
	    "%ld, not as ticd's API does", c->base, c->status, c->base,
	    c->status);
}

/* One request; 0 when it was answered 2xx (the body in c->reply), else
 * -1 with the reason kept for ctl_client_warn. */
static int
client_perform(struct ctl_client *c, const char *method, const char *path,
    const char *body, size_t len, struct curl_slist *headers)
{
	char		*url;
	CURLcode	 rc;

	c->status = 0;
	c->too_large = false;
	c->bureau_only = strncmp(path, "/api/v1/tokens", 14) == 0 ||
	    strncmp(path, "/api/v1/deliveries", 18) == 0;
	c->errbuf[0] = '\0';
	buf_free(&c->reply);
	buf_init(&c->reply);
	url = xasprintf("%s%s", c->base, path);
	rc = client_setup(c, method, url, body, len, headers);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c->curl);
	free(url);
	if (rc != CURLE_OK) {
		client_fail(c, client_transport_error(c, rc));
		return -1;
	}
	if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
	    &c->status) != CURLE_OK || c->status == 0) {
		client_fail(c, xasprintf("%s 没有给出 HTTP 状态 / %s gave no "
		    "HTTP status", c->base, c->base));
		return -1;
	}
	if (c->status < 200 || c->status > 299) {
		client_fail(c, client_http_error(c));
		return -1;
	}
	return 0;
}

char *
ctl_client_get_bytes(struct ctl_client *c, const char *path, size_t *len)
{
	if (client_perform(c, "GET", path, NULL, 0, c->cal_headers) == -1)
		return NULL;
	*len = c->reply.len;
	return buf_take(&c->reply);
}

json_t *
ctl_client_call(struct ctl_client *c, const char *method, const char *path,
    const char *body, size_t len)
{
	json_t		*obj;
	json_error_t	 jerr;

	if (client_perform(c, method, path, body, len, body != NULL ?
	    c->body_headers : c->headers) == -1)
		return NULL;
	obj = json_loadb(c->reply.data, c->reply.len, 0, &jerr);
	if (obj == NULL || !json_is_object(obj)) {
		client_fail(c, xasprintf("%s 的回复不是 JSON 对象 / the reply "
		    "from %s is not a JSON object%s%s", c->base, c->base,
		    obj == NULL ? ": " : "", obj == NULL ? jerr.text : ""));
		json_decref(obj);
		return NULL;
	}
	return obj;
}

void
ctl_client_warn(const struct ctl_client *c, const char *where)
{
	const char	*message = c->message ? c->message : "?";
	const char	*sep = where != NULL ? ": " : "";

	if (where == NULL)
		where = "";
	/* A refused token is most often the wrong one of several places:
	 * say which place (never what it holds). */
	if (c->status == 401)
		ctl_warnx(c->cmd, "%s%s%s（令牌来自 / token from %s）", where,
		    sep, message, c->token_from);
	else if (c->status == 404)
		/* ticd answers 404 alike for what does not exist and what
		 * the token may not see (docs/api.md): say both. */
		ctl_warnx(c->cmd, "%s%s%s（%s）", where, sep, message,
		    c->bureau_only ? "或令牌不是 bureau 令牌：此命令只对科技局开放 "
		    "/ or the token is not the bureau's: this command is the "
		    "bureau's only" : "或不在令牌的范围内 / or outside the "
		    "token's scope");
	else
		ctl_warnx(c->cmd, "%s%s%s", where, sep, message);
}

/* The end of a command's output: 0, or a warning when stdout failed
 * (a full disk, a closed pipe), shared by every remote command. */
int
ctl_finish(const char *cmd)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return CTL_OK;
	ctl_warnx(cmd, "写入失败 / cannot write: %s", strerror(errno));
	return CTL_FAIL;
}

/* ticd's reply as it came, indented, for --json. */
int
ctl_print_json(const char *cmd, const json_t *obj)
{
	if (json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ==
	    -1 || putchar('\n') == EOF) {
		ctl_warnx(cmd, "写入失败 / cannot write: %s", strerror(errno));
		return CTL_FAIL;
	}
	return ctl_finish(cmd);
}
