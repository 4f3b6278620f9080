/* test_hex.c - gateway/hex.c against digests published with their algorithms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"

/* FIPS 180-2, appendix B.1: SHA-256("abc"), as bytes and as the text it is always quoted in. */
static const unsigned char ABC_SHA256[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

static void test_digest_text(void **state)
{
	(void)state;
	char out[65];
	memset(out, 'x', sizeof(out));
	hex_encode(ABC_SHA256, sizeof(ABC_SHA256), out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_every_byte_and_bounds(void **state)
{
	(void)state;
	unsigned char all[256];
	char out[2 * 256 + 2];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	memset(out, 'x', sizeof(out));
	hex_encode(all, sizeof(all), out);
	assert_int_equal(strlen(out), 512);
	assert_memory_equal(out, "000102", 6);
	assert_memory_equal(out + 2 * 0x7f, "7f80", 4);
	assert_memory_equal(out + 2 * 0xfe, "feff", 4);
	assert_int_equal(out[513], 'x'); /* nothing written past the NUL */
	hex_encode(all, 0, out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_text),
		cmocka_unit_test(test_every_byte_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
