/* webhook_sign.h - Stripe-style HMAC-SHA256 webhook signatures (pure: no I/O, no state). */
#ifndef FAIRGATE_WEBHOOK_SIGN_H
#define FAIRGATE_WEBHOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The header a receiver gets is
 *
 *     Fairgate-Signature: t=<unix seconds>,v1=<hex>
 *
 * where <hex> is the lowercase hex HMAC-SHA256, keyed with the shared signing
 * secret, over the bytes "<t>.<body>" (t in decimal, a dot, the exact body).
 * Binding t into the MAC lets a receiver refuse replays of old deliveries.
 */

#if defined(__GNUC__)
#define WEBHOOK_MUSTCHECK __attribute__((warn_unused_result))
#else
#define WEBHOOK_MUSTCHECK
#endif

#define WEBHOOK_SIG_HEX_LEN 64    /* hex digits of one v1 signature */
#define WEBHOOK_SIG_HEADER_MAX 96 /* "t=" + 20 digits + ",v1=" + 64 + NUL, rounded up */

/*
 * Writes the 64 lowercase hex digits (and a NUL) of the v1 signature of body
 * at time t into out. Returns false (and out = "") only if OpenSSL fails.
 */
WEBHOOK_MUSTCHECK bool webhook_sign(const char *secret, long long t, const char *body,
                                    size_t len, char out[static WEBHOOK_SIG_HEX_LEN + 1]);

/* Formats the whole header value "t=<t>,v1=<hex>" into out; false as above. */
WEBHOOK_MUSTCHECK bool webhook_sign_header(const char *secret, long long t, const char *body,
                                           size_t len, char out[static WEBHOOK_SIG_HEADER_MAX]);

/*
 * Checks a Fairgate-Signature header value against body: true only when the
 * header is well formed, one of its v1 entries (several may be present while
 * a secret is being rotated) matches in constant time, and |now - t| <=
 * tolerance_s (a negative tolerance skips the time check). Unknown keys
 * (v0, v2, ...) are ignored, as in Stripe's scheme.
 */
WEBHOOK_MUSTCHECK bool webhook_verify(const char *secret, const char *header, const char *body,
                                      size_t len, long long now, int tolerance_s);

#endif
