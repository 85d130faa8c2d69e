/*
 * sign.c: the signatures of webhook deliveries, all HMAC-SHA256 with
 * OpenSSL's one-shot HMAC() and base64 (EVP_EncodeBlock):
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
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/common.h"
#include "notify/notify.h"

#define SHA256_LEN	32
#define B64_LEN(n)	(((n) + 2) / 3 * 4)

/* Base64 of n bytes, NUL-terminated, in a new string. */
static char *
b64(const unsigned char *data, size_t n)
{
	char	*out = xmalloc(B64_LEN(n) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

/* HMAC-SHA256 into md (SHA256_LEN bytes); -1 only if OpenSSL fails. */
static int
hmac256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char *md)
{
	/* HMAC() wants a non-NULL key and message even of length 0. */
	static const unsigned char nothing[1];
	unsigned int	 mdlen = 0;

	if (HMAC(EVP_sha256(), keylen ? key : nothing, (int)keylen,
	    len ? data : nothing, len, md, &mdlen) == NULL ||
	    mdlen != SHA256_LEN)
		return -1;
	return 0;
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
	struct buf	 msg;
	int		 klen, rc;

	if ((klen = notify_whsec_decode(secret, key)) < 0 || id == NULL ||
	    strchr(id, '.') != NULL)
		return -1;
	buf_init(&msg);
	buf_printf(&msg, "%s.%lld.", id, timestamp);
	buf_add(&msg, body, len);
	rc = hmac256(key, (size_t)klen, msg.data, msg.len, md);
	OPENSSL_cleanse(key, sizeof(key));
	buf_free(&msg);
	return rc;
}

char *
notify_sign_standard(const char *secret, const char *id, long long timestamp,
    const char *body, size_t len)
{
	unsigned char	 md[SHA256_LEN];
	char		*sig, *out;

	if (standard_mac(secret, id, timestamp, body, len, md) == -1)
		return NULL;
	sig = b64(md, sizeof(md));
	out = xasprintf("v1,%s", sig);
	free(sig);
	return out;
}

char *
notify_sign_dingtalk(const char *secret, long long timestamp_ms)
{
	unsigned char	 md[SHA256_LEN];
	char		*msg;
	int		 rc;

	msg = xasprintf("%lld\n%s", timestamp_ms, secret);
	rc = hmac256(secret, strlen(secret), msg, strlen(msg), md);
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
	rc = hmac256(key, strlen(key), "", 0, md);
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
