/* test_sha256.c - gateway/sha256.c against the published SHA-256 test vectors (FIPS 180-2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sha256.h"

/* FIPS 180-2, appendix B: one block, two blocks; and the empty message. */
static const char *const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char *const TWO_BLOCKS =
	"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char *const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char *const TWO_BLOCK_TEXT = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static void test_vectors(void **state)
{
	char out[SHA256_HEX];
	sha256_hex_str("abc", out);
	assert_string_equal(out, ABC);
	sha256_hex_str(TWO_BLOCK_TEXT, out);
	assert_string_equal(out, TWO_BLOCKS);
	sha256_hex_str("", out);
	assert_string_equal(out, EMPTY);
	sha256_hex(NULL, 0, out);
	assert_string_equal(out, EMPTY);
}

/* The parts are one message: any split, empty parts included, gives the whole's hash. */
static void test_parts_are_one_message(void **state)
{
	char out[SHA256_HEX];
	const char *t = TWO_BLOCK_TEXT;
	size_t n = strlen(t);
	for (size_t cut = 0; cut <= n; cut++) {
		const struct sha256_part parts[] = {{t, cut}, {"", 0}, {t + cut, n - cut}};
		sha256_hex(parts, 3, out);
		assert_string_equal(out, TWO_BLOCKS);
	}
	const struct sha256_part abc[] = {{"a", 1}, {"b", 1}, {"c", 1}};
	sha256_hex(abc, 3, out);
	assert_string_equal(out, ABC);
}

/* Bytes after a NUL count: "a\0b" is not "a" (the NUL-terminated form would stop there). */
static void test_nul_bytes_count(void **state)
{
	char with_nul[SHA256_HEX], plain[SHA256_HEX];
	const struct sha256_part p = {"a\0b", 3};
	sha256_hex(&p, 1, with_nul);
	sha256_hex_str("a", plain);
	assert_string_not_equal(with_nul, plain);
	assert_int_equal(strlen(with_nul), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_parts_are_one_message),
		cmocka_unit_test(test_nul_bytes_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
