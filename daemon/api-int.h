/*
 * api-int.h: what the HTTP API's files inside daemon/ share.
 *
 *   api.c		a request's call (its path, query and token), the
 *			helpers every route answers with, the routing, and the
 *			routes of events, centres, obligations, tokens and the
 *			outbox
 *   recipients.c	where reminders go, the bureau's to change:
 *			/api/v1/contacts (mail) and /api/v1/webhooks (webhook
 *			and chat-robot targets, issue 6)
 */
#ifndef API_INT_H
#define API_INT_H

#include <stdbool.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "daemon/daemon.h"

/* One request, from its routing to its reply. */
struct call {
	struct ticd		*t;
	struct evhttp_request	*req;
	enum evhttp_cmd_type	 method;
	char			*segs[5];	/* the decoded path */
	int			 nsegs;
	struct evkeyvalq	 query;
	const struct token	*tok;
	bool			 bad_query;
};

/* ---- api.c: replies and reading a request ---- */

void	 api_not_found(struct call *);
void	 api_forbidden(struct call *, const char *);
void	 api_bad_request(struct call *, const char *);
/* A JSON object of text fields, each one of "fields" (NULL ended); on
 * failure replies 400 and returns NULL.  The caller json_decref()s. */
json_t	*api_read_fields(struct call *, const char *const *fields);
/* A positive row id written in decimal, and nothing else. */
bool	 api_parse_id(const char *, long long *);

/* ---- recipients.c: the routes ---- */

void	 api_get_contacts(struct call *);
void	 api_post_contact(struct call *);
void	 api_delete_contact(struct call *, const char *id);
void	 api_get_webhooks(struct call *);
void	 api_post_webhook(struct call *);
void	 api_delete_webhook(struct call *, const char *id);
void	 api_enable_webhook(struct call *, const char *id);

#endif /* API_INT_H */
