/* test_headers.c - unit tests: the header readers (gateway/headers.c), both sides of every
 * edge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "headers.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct header_case {
	const char *value; /* NULL: the header is absent */
	bool ok;
};

static const struct header_case bearer_cases[] = {
    {"Bearer fg_" HEX64, true},
    {"Bearer fg_" HEX64 " ", false}, /* nothing after the token */
    {"Bearer fg_" HEX64 "0", false},
    {"Bearer fg_"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
     false},
    {"Bearer fg_"
     "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
     false},
    {"Bearer fg_"
     "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef",
     false},
    {"Bearer xx_" HEX64, false},
    {"Bearer FG_" HEX64, false},
    {"Bearer  fg_" HEX64, false},
    {"Bearer\tfg_" HEX64, false},
    {"bearer fg_" HEX64, false},
    {"Basic fg_" HEX64, false},
    {"fg_" HEX64, false},
    {"Bearer ", false},
    {"Bearer", false},
    {"", false},
    {NULL, false},
};

static void test_bearer(void **state)
{
	for (size_t i = 0; i < sizeof(bearer_cases) / sizeof(bearer_cases[0]); i++) {
		const struct header_case *c = &bearer_cases[i];
		const char *token = "unset";
		bool ok = header_bearer(c->value, &token);
		if (ok != c->ok)
			fail_msg("\"%s\": %s", c->value ? c->value : "(absent)",
			         ok ? "accepted" : "refused");
		if (!ok) {
			assert_null(token);
			continue;
		}
		assert_ptr_equal(token, c->value + strlen("Bearer "));
		assert_int_equal(strlen(token), HEADER_TOKEN_LEN);
	}
}

static void test_idempotency_key(void **state)
{
	char longest[HEADER_IDEM_KEY_MAX + 2];
	memset(longest, 'k', sizeof(longest) - 1);
	longest[HEADER_IDEM_KEY_MAX] = '\0';
	assert_true(header_idempotency_key(longest));
	longest[HEADER_IDEM_KEY_MAX] = 'k';
	longest[HEADER_IDEM_KEY_MAX + 1] = '\0';
	assert_false(header_idempotency_key(longest));

	static const struct header_case cases[] = {
	    {"k", true},
	    {"!", true},
	    {"~", true},
	    {"\"quoted\"", true},
	    {"order-42:retry", true},
	    {"", false},
	    {NULL, false},
	    {"a b", false},
	    {"a\tb", false},
	    {"a\x7f", false},
	    {"\x1f", false},
	    {"caf\xc3\xa9", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (header_idempotency_key(cases[i].value) != cases[i].ok)
			fail_msg("\"%s\": expected %s",
			         cases[i].value ? cases[i].value : "(absent)",
			         cases[i].ok ? "accepted" : "refused");
}

static const struct header_case json_cases[] = {
    {"application/json", true},
    {"application/json; charset=utf-8", true},
    {"application/json;charset=UTF-8", true},
    {"application/json ; charset=utf-8", true},
    {"application/json\t;x=y", true},
    {"Application/JSON", true},
    {"application/json ", true},
    {"application/jsonx", false},
    {"application/json-seq", false},
    {"application/json+x", false},
    {"application/problem+json", false},
    {"application/jso", false},
    {"text/json", false},
    {" application/json", false},
    {"", false},
    {NULL, false},
};

static void test_is_json(void **state)
{
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++)
		if (header_is_json(json_cases[i].value) != json_cases[i].ok)
			fail_msg("\"%s\": expected %s",
			         json_cases[i].value ? json_cases[i].value : "(absent)",
			         json_cases[i].ok ? "accepted" : "refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bearer),
	    cmocka_unit_test(test_idempotency_key),
	    cmocka_unit_test(test_is_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
