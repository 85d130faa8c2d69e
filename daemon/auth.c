/*
 * auth.c: bearer tokens and what each may see.
 *
 * A token is "tic_" and 256 random bits (base64url).  Only its SHA-256 is
 * stored; a request's token is hashed and looked up by that hash, so the
 * secret is never compared byte by byte (and so never in time that
 * depends on how much of it matches).  Valid tokens are kept in memory;
 * a revocation takes effect at once.  Feed tokens (feedtok.c) are made
 * and hashed the same way, with their own prefix and table.
 *
 * Why that is constant-time enough (issue 7): SHA-256 takes time that
 * depends on the secret's length only.  The lookup picks a bucket by
 * jansson's string hash, seeded at random per process, and compares the
 * keys in it with strcmp: what its timing can tell is how many leading
 * hex digits of SHA-256(guess) equal a stored digest.  Knowing that
 * brings a guesser no closer to a token (it would take a preimage of
 * SHA-256), so nothing about a secret leaks.  No secret is compared
 * anywhere (the "tic_" prefix checked first is public), so there is no
 * comparison to make CRYPTO_memcmp; one that compares secrets (a
 * webhook's signature, say) must use it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

#define TOKEN_BYTES	32
#define TOKEN_PREFIX	"tic_"

static const char *role_names[] = { "bureau", "unit", "centre" };

const char *
auth_role_name(enum role r)
{
	return role_names[r];
}

int
auth_role_from_name(const char *name, enum role *r)
{
	size_t	 i;

	for (i = 0; i < nitems(role_names); i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*r = (enum role)i;
			return 0;
		}
	}
	return -1;
}

char *
auth_hash_secret(const char *secret)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0, i;
	char		*hex;

	if (EVP_Digest(secret, strlen(secret), md, &len, EVP_sha256(),
	    NULL) != 1)
		return NULL;
	hex = xmalloc((size_t)len * 2 + 1);
	for (i = 0; i < len; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	return hex;
}

static void
remember(struct ticd *t, const char *hash, long long id, enum role role,
    const char *scope)
{
	struct token	*tok = xcalloc(1, sizeof(*tok));

	size_t		 i;

	tok->id = id;
	tok->role = role;
	tok->scope = scope != NULL ? xstrdup(scope) : NULL;
	/* A revoked token's slot is taken again, so that making and
	 * revoking tokens for years does not grow the list (the soak found
	 * it growing by one slot and one token each time). */
	for (i = 0; i < t->ntokens && t->token_list[i] != NULL; i++)
		;
	if (i == t->ntokens) {
		t->token_list = xreallocarray(t->token_list, t->ntokens + 1,
		    sizeof(*t->token_list));
		t->ntokens++;
	}
	t->token_list[i] = tok;
	json_object_set_new(t->tokens, hash, json_integer((json_int_t)i));
}

/* Forgets the token in slot i; its slot is free for the next one. */
static void
forget(struct ticd *t, size_t i)
{
	if (t->token_list[i] == NULL)
		return;
	free(t->token_list[i]->scope);
	free(t->token_list[i]);
	t->token_list[i] = NULL;
}

static int
load_token_cb(const struct db_token *row, void *arg)
{
	struct ticd	*t = arg;
	enum role	 role;

	if (row->revoked_at != NULL || auth_role_from_name(row->role,
	    &role) == -1)
		return 0;
	remember(t, row->hash, row->id, role, row->scope);
	return 0;
}

void
auth_clear(struct ticd *t)
{
	size_t	 i;

	for (i = 0; i < t->ntokens; i++)
		forget(t, i);
	free(t->token_list);
	t->token_list = NULL;
	t->ntokens = 0;
	json_decref(t->tokens);
	t->tokens = NULL;
}

/* The tokens ticd holds, moved out of it (leaving none) or back in. */
struct token_set {
	json_t		*tokens;
	struct token	**list;
	size_t		 n;
};

static void
tokens_take(struct ticd *t, struct token_set *s)
{
	s->tokens = t->tokens;
	s->list = t->token_list;
	s->n = t->ntokens;
	t->tokens = NULL;
	t->token_list = NULL;
	t->ntokens = 0;
}

static void
tokens_put(struct ticd *t, struct token_set *s)
{
	auth_clear(t);
	t->tokens = s->tokens;
	t->token_list = s->list;
	t->ntokens = s->n;
}

/* Reads the valid tokens from the store (at start, and on SIGHUP so
 * that one made with "ticd -T" beside a running ticd takes effect).  A
 * read that fails leaves the tokens as they were: cleared first, a reload
 * during a store error locked everyone out until the next one. */
int
auth_load(struct ticd *t, char **error)
{
	struct token_set	 old, fresh;

	tokens_take(t, &old);
	t->tokens = json_object();
	if (db_foreach_token(t->db, load_token_cb, t, error) == -1) {
		tokens_put(t, &old);	/* frees what was read */
		return -1;
	}
	/* The old set goes back in only to be freed as the new one takes
	 * its place (auth_clear frees what ticd holds). */
	tokens_take(t, &fresh);
	tokens_put(t, &old);
	tokens_put(t, &fresh);
	return 0;
}

const struct token *
auth_lookup(struct ticd *t, const char *secret)
{
	char	*hash;
	json_t	*v;

	if (strncmp(secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
	    (hash = auth_hash_secret(secret)) == NULL)
		return NULL;
	v = json_object_get(t->tokens, hash);
	free(hash);
	return v != NULL ? t->token_list[json_integer_value(v)] : NULL;
}

char *
auth_new_secret(const char *prefix)
{
	unsigned char	 raw[TOKEN_BYTES];
	char		 b64[((TOKEN_BYTES + 2) / 3) * 4 + 1], *p;
	size_t		 got = 0;
	ssize_t		 n;

	while (got < sizeof(raw)) {
		if ((n = getrandom(raw + got, sizeof(raw) - got, 0)) < 0)
			fatal("getrandom");
		got += (size_t)n;
	}
	EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
	/* base64url without padding: safe in URLs and headers. */
	for (p = b64; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	return xasprintf("%s%s", prefix, b64);
}

int
auth_create(struct ticd *t, enum role role, const char *scope,
    const char *label, long long *id, char **secret, char **error)
{
	struct db_token	 row = { 0 };
	char		*hash;

	*secret = auth_new_secret(TOKEN_PREFIX);
	if ((hash = auth_hash_secret(*secret)) == NULL) {
		*error = xstrdup("SHA-256 failed");
		free(*secret);
		return -1;
	}
	row.hash = hash;
	row.role = auth_role_name(role);
	row.scope = role == ROLE_BUREAU ? NULL : scope;
	row.label = label != NULL ? label : "";
	row.created_at = state_timestamp();
	if (db_token_insert(t->db, &row, error) == -1) {
		free(hash);
		free((char *)row.created_at);
		free(*secret);
		return -1;
	}
	remember(t, hash, row.id, role, row.scope);
	*id = row.id;
	free(hash);
	free((char *)row.created_at);
	log_info("token %lld created (%s%s%s)", row.id, row.role,
	    row.scope ? " " : "", row.scope ? row.scope : "");
	return 0;
}

/*
 * Is id the only bureau token in force?  Revoking it would leave nobody
 * able to make tokens through the API: only root on the host, with
 * ticd -T and a reload, could.
 */
static bool
last_bureau_token(struct ticd *t, long long id)
{
	size_t	 i, n = 0;
	bool	 is = false;

	for (i = 0; i < t->ntokens; i++) {
		if (t->token_list[i] == NULL ||
		    t->token_list[i]->role != ROLE_BUREAU)
			continue;
		n++;
		if (t->token_list[i]->id == id)
			is = true;
	}
	return is && n == 1;
}

int
auth_revoke(struct ticd *t, long long id, char **revoked_at, char **error)
{
	const char	*hash;
	json_t		*v;
	char		*when;
	int		 rc;

	if (last_bureau_token(t, id))
		return 2;
	when = state_timestamp();
	rc = db_token_revoke(t->db, id, when, error);
	if (rc != 0) {
		free(when);
		return rc;
	}
	*revoked_at = when;
	json_object_foreach(t->tokens, hash, v) {
		size_t	 i = (size_t)json_integer_value(v);

		if (t->token_list[i]->id == id) {
			forget(t, i);
			json_object_del(t->tokens, hash);
			break;
		}
	}
	log_info("token %lld revoked", id);
	return 0;
}

bool
auth_sees_centre(struct ticd *t, const struct token *tok, const char *centre)
{
	const char	*unit;

	switch (tok->role) {
	case ROLE_BUREAU:
		return true;
	case ROLE_CENTRE:
		return strcmp(tok->scope, centre) == 0;
	case ROLE_UNIT:
		unit = auth_centre_unit(t, centre);
		return unit != NULL && strcmp(unit, tok->scope) == 0;
	}
	return false;
}

const char *
auth_centre_unit(struct ticd *t, const char *centre)
{
	const struct sched_event	*reg;

	/* The centre's unit is in its registration, somewhere in the
	 * journal. */
	load_finish(t);
	reg = sched_journal_centre(t->journal, centre);
	return reg != NULL ? reg->unit : NULL;
}
