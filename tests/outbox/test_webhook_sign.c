/* test_webhook_sign.c - unit tests of the webhook signature scheme against fixed vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "webhook_sign.h"

/*
 * Vectors computed independently at authoring time with OpenSSL's command line:
 *   printf '%s' '1767225600.{"event":"dossier.handed_over","dossier_id":"d-1"}' \
 *     | openssl dgst -sha256 -hmac 'whsec_test_fairgate'
 *   printf '%s' '1700000000.' | openssl dgst -sha256 -hmac 'k'
 */
#define SECRET "whsec_test_fairgate"
#define BODY "{\"event\":\"dossier.handed_over\",\"dossier_id\":\"d-1\"}"
#define T 1767225600LL
#define HEX "64d155841162dc3f340d921c245720d0759a67f5af00e5678a8b04da6965a47e"
#define HEX_EMPTY "5c2999a43333a6877f49c8003f235c4f6de40f85b1b7414b70bd470a8db53d97"

static void test_sign_known_vector(void **state)
{
	char hex[WEBHOOK_SIG_HEX_LEN + 1];
	assert_true(webhook_sign(SECRET, T, BODY, strlen(BODY), hex));
	assert_string_equal(hex, HEX);
	assert_true(webhook_sign("k", 1700000000LL, "", 0, hex));
	assert_string_equal(hex, HEX_EMPTY);
}

static void test_sign_header_format(void **state)
{
	char h[WEBHOOK_SIG_HEADER_MAX];
	assert_true(webhook_sign_header(SECRET, T, BODY, strlen(BODY), h));
	assert_string_equal(h, "t=1767225600,v1=" HEX);
}

static void test_verify_accepts(void **state)
{
	const char *h = "t=1767225600,v1=" HEX;
	assert_true(webhook_verify(SECRET, h, BODY, strlen(BODY), T, 300));
	assert_true(webhook_verify(SECRET, h, BODY, strlen(BODY), T + 300, 300));
	assert_true(webhook_verify(SECRET, h, BODY, strlen(BODY), T - 300, 300));
	assert_true(webhook_verify(SECRET, h, BODY, strlen(BODY), 0, -1)); /* no time check */
	/* uppercase hex, unknown keys and a second (rotated) signature are fine */
	assert_true(
	    webhook_verify(SECRET, "t=1767225600,v0=zz,v1=" HEX, BODY, strlen(BODY), T, 5));
	assert_true(
	    webhook_verify(SECRET, "v1=00,t=1767225600,v1=" HEX, BODY, strlen(BODY), T, 5));
	assert_true(
	    webhook_verify(SECRET,
	                   "t=1767225600,v1="
	                   "64D155841162DC3F340D921C245720D0759A67F5AF00E5678A8B04DA6965A47E",
	                   BODY, strlen(BODY), T, 5));
	assert_true(webhook_verify("k", "t=1700000000,v1=" HEX_EMPTY, "", 0, 1700000000LL, 0));
}

static void test_verify_refuses(void **state)
{
	const char *h = "t=1767225600,v1=" HEX;
	size_t len = strlen(BODY);
	assert_false(webhook_verify("wrong", h, BODY, len, T, 300));
	assert_false(webhook_verify(SECRET, h, BODY, len - 1, T, 300)); /* truncated body */
	char body[sizeof(BODY)];
	memcpy(body, BODY, sizeof(BODY));
	body[10] ^= 1; /* one bit flipped */
	assert_false(webhook_verify(SECRET, h, body, len, T, 300));
	assert_false(webhook_verify(SECRET, h, BODY, len, T + 301, 300)); /* too old */
	assert_false(webhook_verify(SECRET, h, BODY, len, T - 301, 300)); /* from the future */
	assert_false(webhook_verify(SECRET, "t=1767225601,v1=" HEX, BODY, len, T, 300));
	assert_false(webhook_verify(SECRET, "v1=" HEX, BODY, len, T, 300));      /* no t */
	assert_false(webhook_verify(SECRET, "t=1767225600", BODY, len, T, 300)); /* no v1 */
	assert_false(webhook_verify(SECRET, "t=1767225600,v1=" HEX "0", BODY, len, T, 300));
	assert_false(webhook_verify(SECRET, "t=-1767225600,v1=" HEX, BODY, len, T, -1));
	assert_false(webhook_verify(SECRET, "t=1,t=1767225600,v1=" HEX, BODY, len, T, -1));
	assert_false(webhook_verify(SECRET, "garbage", BODY, len, T, -1));
	assert_false(webhook_verify(SECRET, "", BODY, len, T, -1));
	assert_false(webhook_verify(SECRET, NULL, BODY, len, T, -1));
}

static void test_roundtrip_binary_body(void **state)
{
	char body[256], h[WEBHOOK_SIG_HEADER_MAX];
	for (int i = 0; i < 256; i++)
		body[i] = (char)i; /* embedded NULs: the length counts, not strlen */
	assert_true(webhook_sign_header("s", 42, body, sizeof(body), h));
	assert_true(webhook_verify("s", h, body, sizeof(body), 42, 0));
	assert_false(webhook_verify("s", h, body, sizeof(body) - 1, 42, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_known_vector),
	    cmocka_unit_test(test_sign_header_format),
	    cmocka_unit_test(test_verify_accepts),
	    cmocka_unit_test(test_verify_refuses),
	    cmocka_unit_test(test_roundtrip_binary_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
