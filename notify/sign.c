/*
 * sign.c: the signatures of webhook deliveries, all HMAC-SHA256 through
 * OpenSSL's EVP_MAC, and base64 (EVP_EncodeBlock):
 *
 *   Standard Webhooks	keyed by the base64-decoded whsec_ secret, over
 *			"webhook-id.webhook-timestamp.body"; "v1," + base64
 *   DingTalk 加签	keyed by the secret, over "timestamp_ms\nsecret"
 *   Feishu 签名校验	keyed by "timestamp\nsecret", over nothing
 *
 * The DingTalk and Feishu schemes differ only in which string is the key:
 * the vectors (tests/unit/test_webhook.c) pin both down.  No
 * secret is ever copied into an error message.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/common.h"
#include "notify/notify.h"

#define SHA256_LEN	32
#define B64_LEN(n)	(((n) + 2) / 3 * 4)

/* Bytes signed one after the other, without copying them together. */
struct piece {
	const void	*data;
	size_t		 len;
};

/* Base64 of n bytes, NUL-terminated, in a new string. */
static char *
b64(const unsigned char *data, size_t n)
{
	char	*out = xmalloc(B64_LEN(n) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

/*
 * HMAC-SHA256 with one context per thread, keyed again for each
 * signature.  OpenSSL 3's one-shot HMAC() looks up the HMAC and SHA-256
 * implementations by name at every call, under the library's lock, and
 * allocates and frees a context with three digest contexts in it: a
 * tenth of the webhook thread's CPU in a burst.  A context is made once
 * on each thread that signs (the webhook thread; a test's main thread)
 * and freed when that thread ends.  Between two signatures it holds the
 * last key's inner and outer digest states, in memory that already holds
 * the secrets themselves (hook.c's cache).
 */
static pthread_key_t	 hmac_key;
static bool		 hmac_key_made;
static pthread_once_t	 hmac_once = PTHREAD_ONCE_INIT;

static void
hmac_ctx_free(void *ctx)
{
	EVP_MAC_CTX_free(ctx);
}

static void
hmac_key_make(void)
{
	hmac_key_made = pthread_key_create(&hmac_key, hmac_ctx_free) == 0;
}

/* The calling thread's context, made on its first use; NULL if OpenSSL
 * cannot make one. */
static EVP_MAC_CTX *
hmac_ctx(void)
{
	char		 digest[] = "SHA256";
	OSSL_PARAM	 params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest,
		    0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;

	(void)pthread_once(&hmac_once, hmac_key_make);
	if (!hmac_key_made)
		return NULL;
	if ((ctx = pthread_getspecific(hmac_key)) != NULL)
		return ctx;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context keeps a reference of its own */
	if (ctx == NULL || EVP_MAC_CTX_set_params(ctx, params) != 1 ||
	    pthread_setspecific(hmac_key, ctx) != 0) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* HMAC-SHA256 over the n pieces in turn into md (SHA256_LEN bytes); -1
 * only if OpenSSL fails. */
static int
hmac256(const void *key, size_t keylen, const struct piece *pieces,
    size_t n, unsigned char *md)
{
	static const unsigned char	 nothing[1];
	EVP_MAC_CTX			*ctx;
	size_t				 i, mdlen = 0;
	int				 ok;

	if ((ctx = hmac_ctx()) == NULL)
		return -1;
	/* A NULL key would keep the last signature's: never given. */
	ok = EVP_MAC_init(ctx, key != NULL ? key : nothing, keylen, NULL);
	for (i = 0; ok == 1 && i < n; i++)
		if (pieces[i].len > 0)
			ok = EVP_MAC_update(ctx, pieces[i].data, pieces[i].len);
	if (ok == 1)
		ok = EVP_MAC_final(ctx, md, &mdlen, SHA256_LEN);
	return ok == 1 && mdlen == SHA256_LEN ? 0 : -1;
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict base64 (RFC 4648, with padding) into out, which has room for
 * max bytes.  EVP_DecodeBlock alone would accept whitespace and count
 * the padding as data; a secret is either exactly right or refused.
 */
static int
b64_decode(const char *s, unsigned char *out, size_t max)
{
	size_t		 len = strlen(s), i, n = 0, pad = 0;
	unsigned int	 acc = 0;
	int		 v, bits = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++) {
		if ((v = b64_value((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, or two encodings would decode alike. */
	if (acc != 0)
		return -1;
	return (int)n;
}

int
notify_whsec_decode(const char *secret, unsigned char *key)
{
	size_t	 plen = strlen(NOTIFY_WHSEC_PREFIX);
	int	 n;

	if (secret == NULL || strncmp(secret, NOTIFY_WHSEC_PREFIX, plen) != 0)
		return -1;
	n = b64_decode(secret + plen, key, NOTIFY_WHSEC_MAX);
	if (n < NOTIFY_WHSEC_MIN)
		return -1;
	return n;
}

/* The raw standard signature into md. */
static int
standard_mac(const char *secret, const char *id, long long timestamp,
    const char *body, size_t len, unsigned char *md)
{
	unsigned char	 key[NOTIFY_WHSEC_MAX];
	char		 ts[24];
	struct piece	 signed_bytes[] = {
		{ id, 0 }, { ".", 1 }, { ts, 0 }, { ".", 1 }, { body, len },
	};
	int		 klen, rc;

	if ((klen = notify_whsec_decode(secret, key)) < 0 || id == NULL ||
	    strchr(id, '.') != NULL)
		return -1;
	signed_bytes[0].len = strlen(id);
	signed_bytes[2].len = (size_t)snprintf(ts, sizeof(ts), "%lld",
	    timestamp);
	rc = hmac256(key, (size_t)klen, signed_bytes, nitems(signed_bytes),
	    md);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/*
 * secret may hold several whsec_ secrets separated by white space (one a
 * line in the file): while a secret is rotated the message is signed with
 * each, "v1,… v1,…", as the specification has receivers accept any that
 * matches.  NULL if any of them is not a whsec_ secret.
 */
char *
notify_sign_standard(const char *secret, const char *id, long long timestamp,
    const char *body, size_t len)
{
	static const char	 space[] = " \t\r\n";
	unsigned char		 md[SHA256_LEN];
	struct buf		 out;
	char			*one, *sig;
	size_t			 n;

	buf_init(&out);
	for (secret += strspn(secret, space); *secret != '\0';
	    secret += strspn(secret, space)) {
		n = strcspn(secret, space);
		one = xstrndup(secret, n);
		secret += n;
		if (standard_mac(one, id, timestamp, body, len, md) == -1) {
			notify_secret_free(one);
			buf_free(&out);
			return NULL;
		}
		notify_secret_free(one);
		sig = b64(md, sizeof(md));
		buf_printf(&out, "%sv1,%s", out.len > 0 ? " " : "", sig);
		free(sig);
	}
	if (out.len == 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_take(&out);
}

char *
notify_sign_dingtalk(const char *secret, long long timestamp_ms)
{
	unsigned char	 md[SHA256_LEN];
	char		*msg;
	int		 rc;

	msg = xasprintf("%lld\n%s", timestamp_ms, secret);
	rc = hmac256(secret, strlen(secret), &(struct piece){ msg,
	    strlen(msg) }, 1, md);
	OPENSSL_cleanse(msg, strlen(msg));
	free(msg);
	return rc == 0 ? b64(md, sizeof(md)) : NULL;
}

char *
notify_sign_feishu(const char *secret, long long timestamp)
{
	unsigned char	 md[SHA256_LEN];
	char		*key;
	int		 rc;

	key = xasprintf("%lld\n%s", timestamp, secret);
	rc = hmac256(key, strlen(key), NULL, 0, md);
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	return rc == 0 ? b64(md, sizeof(md)) : NULL;
}

char *
notify_webhook_id(const char *idempotency_key)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		*enc, *p, *out;

	if (EVP_Digest(idempotency_key, strlen(idempotency_key), md, &mdlen,
	    EVP_sha256(), NULL) != 1)
		return NULL;
	/* 24 bytes are 32 base64 characters, no padding; base64url keeps
	 * the id safe in a header and a file name alike. */
	enc = b64(md, 24);
	for (p = enc; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	out = xasprintf("msg_%s", enc);
	free(enc);
	return out;
}
