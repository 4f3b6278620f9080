/* test_str.c - gateway/str.c: bounded copies and decimal text (against what snprintf writes), the slot hash. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "str.h"

static void test_copy_bounds(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(str_copy(buf, sizeof(buf), "abc"), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(str_copy(buf, sizeof(buf), "1234567"), 7); /* exactly fits */
	assert_string_equal(buf, "1234567");
	assert_int_equal(str_copy(buf, sizeof(buf), "12345678"), 8); /* cut: the result says so */
	assert_string_equal(buf, "1234567");
	assert_int_equal(str_copy(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
	char one[1] = {'x'};
	assert_int_equal(str_copy(one, 1, "abc"), 3);
	assert_int_equal(one[0], '\0');
	/* nothing written past cap */
	char guard[6] = {'x', 'x', 'x', 'x', 'x', 'x'};
	str_copy(guard, 4, "abcdef");
	assert_memory_equal(guard, "abc\0xx", 6);
}

/* A fixed-seed generator for the random cases (xorshift64). */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_add_bounds(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	size_t n = str_add(buf, sizeof(buf), 0, "abc");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "abc");
	n = str_add(buf, sizeof(buf), n, "");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "abc");
	n = str_add(buf, sizeof(buf), n, "defg"); /* exactly fits */
	assert_int_equal(n, 7);
	assert_string_equal(buf, "abcdefg");
	n = str_add(buf, sizeof(buf), n, "h"); /* len == cap - 1: nothing but the NUL fits */
	assert_int_equal(n, 8);
	assert_string_equal(buf, "abcdefg");
	/* len >= cap: nothing written, the length still counts */
	n = str_add(buf, sizeof(buf), n, "ij");
	assert_int_equal(n, 10);
	assert_string_equal(buf, "abcdefg");
	/* cut in the middle of a piece, nothing written past cap */
	char guard[8] = {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'};
	n = str_add(guard, 5, 0, "ab");
	n = str_add(guard, 5, n, "cdef");
	assert_int_equal(n, 6);
	assert_memory_equal(guard, "abcd\0xxx", 8);
	char one[2] = {'x', 'x'};
	assert_int_equal(str_add(one, 1, 0, "abc"), 3);
	assert_memory_equal(one, "\0x", 2);
}

/* A chain of str_add, and str_join, against one snprintf of the whole text, on random pieces and sizes. */
static void test_add_chain(void **state)
{
	(void)state;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	for (int i = 0; i < 100000; i++) {
		char piece[4][16];
		for (int j = 0; j < 4; j++) {
			size_t len = (size_t)(next_random(&x) % sizeof(piece[j]));
			for (size_t k = 0; k < len; k++)
				piece[j][k] = (char)('!' + next_random(&x) % 94);
			piece[j][len] = '\0';
		}
		size_t cap = 1 + (size_t)(next_random(&x) % 64);
		char want[80], got[80];
		memset(want, 'x', sizeof(want));
		memset(got, 'x', sizeof(got));
		int w = snprintf(want, cap, "%s%s%s%s", piece[0], piece[1], piece[2], piece[3]);
		size_t n = 0;
		for (int j = 0; j < 4; j++)
			n = str_add(got, cap, n, piece[j]);
		assert_int_equal(n, (size_t)w);
		assert_string_equal(got, want);
		for (size_t k = cap; k < sizeof(got); k++)
			assert_int_equal(got[k], 'x'); /* the buffer's bound held */
		/* str_join of the same pieces writes the same */
		const char *parts[] = {piece[0], piece[1], piece[2], piece[3]};
		memset(got, 'x', sizeof(got));
		assert_int_equal(str_join(got, cap, parts, 4), (size_t)w);
		assert_string_equal(got, want);
		for (size_t k = cap; k < sizeof(got); k++)
			assert_int_equal(got[k], 'x');
	}
}

/* str_pad3 against "%03d" on every value it takes. */
static void test_pad3(void **state)
{
	(void)state;
	for (int v = 0; v <= 999; v++) {
		char want[8], got[5];
		memset(got, 'x', sizeof(got));
		snprintf(want, sizeof(want), "%03d", v);
		str_pad3(got, v);
		assert_string_equal(got, want);
		assert_int_equal(got[4], 'x'); /* the buffer's bound held */
	}
}

static void check_ll(long long v)
{
	char want[32], got[STR_LL_MAX + 1];
	memset(got, 'x', sizeof(got));
	int n = snprintf(want, sizeof(want), "%lld", v);
	assert_int_equal(str_ll(got, v), (size_t)n);
	assert_string_equal(got, want);
	assert_int_equal(got[STR_LL_MAX], 'x'); /* the buffer's bound held */
}

static void test_decimal(void **state)
{
	(void)state;
	const long long edges[] = {0, 1, -1, 9, 10, -10, 99, 100, 12000, -84000, INT_MAX, INT_MIN,
				   LLONG_MAX, LLONG_MIN, LLONG_MIN + 1, 1000000000000LL};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check_ll(edges[i]);
	/* every length, both signs, from a fixed-seed generator */
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 100000; i++) {
		next_random(&x);
		long long v = (long long)(x >> (x % 64));
		check_ll(i & 1 && v != LLONG_MIN ? -v : v);
	}
}

static void check_hex64(uint64_t v)
{
	char want[32], got[STR_HEX64_MAX + 1];
	memset(got, 'x', sizeof(got));
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)v);
	str_hex64(got, v);
	assert_string_equal(got, want);
	assert_int_equal(got[STR_HEX64_MAX], 'x'); /* the buffer's bound held */
}

static void test_hex64(void **state)
{
	(void)state;
	const uint64_t edges[] = {0, 1, 9, 10, 15, 16, 255, 256, 0xabcdefULL,
				  0x0123456789abcdefULL, 0xfedcba9876543210ULL, 1ULL << 63,
				  (1ULL << 63) - 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
				  UINT64_MAX - 1, UINT64_MAX};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check_hex64(edges[i]);
	/* every count of leading zero digits, from a fixed-seed generator */
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 100000; i++) {
		next_random(&x);
		check_hex64(x >> (x % 64));
	}
}

/* Every bit of the text moves the hash, and the low bits (a slot) spread over similar texts. */
static void test_hash(void **state)
{
	(void)state;
	char text[103]; /* not a multiple of 8: a tail of 7 bytes */
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	uint64_t h = str_hash(text, sizeof(text));
	assert_int_equal(str_hash(text, sizeof(text)), h);
	assert_int_not_equal(str_hash(text, sizeof(text) - 1), h);
	for (size_t i = 0; i < sizeof(text); i++)
		for (int b = 0; b < 8; b++) {
			text[i] ^= (char)(1 << b);
			assert_int_not_equal(str_hash(text, sizeof(text)), h);
			text[i] ^= (char)(1 << b);
		}
	bool used[64] = {false};
	int slots = 0;
	for (int i = 0; i < 1000; i++) {
		char id[32];
		int n = snprintf(id, sizeof(id), "contract-%04d", i);
		unsigned s = (unsigned)(str_hash(id, (size_t)n) & 63);
		slots += !used[s];
		used[s] = true;
	}
	assert_true(slots >= 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_bounds),
		cmocka_unit_test(test_add_bounds),
		cmocka_unit_test(test_add_chain),
		cmocka_unit_test(test_pad3),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_hex64),
		cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
