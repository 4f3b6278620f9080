/* webhook_sign.c - Stripe-style HMAC-SHA256 webhook signatures (pure: no I/O, no state). */
#include "webhook_sign.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

#define MAC_LEN 32 /* SHA-256 */

/* HMAC-SHA256(secret, "<t>.<body>") streamed, so the body is never copied. */
static bool mac_compute(const char *secret, long long t, const char *body, size_t len,
                        unsigned char mac[MAC_LEN])
{
	char prefix[32];
	int n = snprintf(prefix, sizeof(prefix), "%lld.", t);
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t outlen = 0;
	bool ok =
	    ctx != NULL && n > 0 && (size_t)n < sizeof(prefix) &&
	    EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)n) == 1 &&
	    (len == 0 || EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1) &&
	    EVP_MAC_final(ctx, mac, &outlen, MAC_LEN) == 1 && outlen == MAC_LEN;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(alg);
	return ok;
}

bool webhook_sign(const char *secret, long long t, const char *body, size_t len,
                  char out[static WEBHOOK_SIG_HEX_LEN + 1])
{
	unsigned char mac[MAC_LEN];

	out[0] = '\0';
	if (!mac_compute(secret, t, body, len, mac))
		return false;
	hex_encode(mac, MAC_LEN, out);
	OPENSSL_cleanse(mac, sizeof(mac));
	return true;
}

bool webhook_sign_header(const char *secret, long long t, const char *body, size_t len,
                         char out[static WEBHOOK_SIG_HEADER_MAX])
{
	char hex[WEBHOOK_SIG_HEX_LEN + 1];

	out[0] = '\0';
	if (!webhook_sign(secret, t, body, len, hex))
		return false;
	int n = snprintf(out, WEBHOOK_SIG_HEADER_MAX, "t=%lld,v1=%s", t, hex);
	return n > 0 && n < WEBHOOK_SIG_HEADER_MAX;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly 64 hex digits [s, s+n) into mac; false on any other shape. */
static bool hex_decode(const char *s, size_t n, unsigned char mac[MAC_LEN])
{
	if (n != WEBHOOK_SIG_HEX_LEN)
		return false;
	for (size_t i = 0; i < MAC_LEN; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* Parses "t=<decimal>" (1 to 18 digits, no sign) from [s, s+n). */
static bool parse_t(const char *s, size_t n, long long *t)
{
	if (n < 1 || n > 18)
		return false;
	long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*t = v;
	return true;
}

/* The header split into its t and up to 4 v1 entries (pointers into the header). */
struct sig_header {
	long long t;
	bool have_t;
	int nv1;
	const char *v1[4];
	size_t v1_len[4];
};

/* Splits "k=v,k=v,..." into sig_header; false on a malformed or duplicated t. */
static bool header_parse(const char *header, struct sig_header *h)
{
	memset(h, 0, sizeof(*h));
	for (const char *p = header; *p;) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (!eq)
			return false;
		size_t klen = (size_t)(eq - p), vlen = n - klen - 1;
		if (klen == 1 && p[0] == 't') {
			if (h->have_t || !parse_t(eq + 1, vlen, &h->t))
				return false;
			h->have_t = true;
		} else if (klen == 2 && memcmp(p, "v1", 2) == 0 && h->nv1 < 4) {
			h->v1[h->nv1] = eq + 1;
			h->v1_len[h->nv1++] = vlen;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return h->have_t && h->nv1 > 0;
}

bool webhook_verify(const char *secret, const char *header, const char *body, size_t len,
                    long long now, int tolerance_s)
{
	struct sig_header h;
	unsigned char want[MAC_LEN], got[MAC_LEN];
	bool match = false;

	if (!secret || !header || (!body && len > 0) || !header_parse(header, &h))
		return false;
	if (tolerance_s >= 0 && llabs(now - h.t) > tolerance_s)
		return false;
	if (!mac_compute(secret, h.t, body, len, want))
		return false;
	for (int i = 0; i < h.nv1; i++) {
		if (hex_decode(h.v1[i], h.v1_len[i], got) &&
		    CRYPTO_memcmp(want, got, MAC_LEN) == 0)
			match = true;
	}
	OPENSSL_cleanse(want, sizeof(want));
	return match;
}
