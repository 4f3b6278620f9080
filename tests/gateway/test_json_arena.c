/*
 * test_json_arena.c - gateway/json_arena.c: trees built inside the window equal
 * the same text read outside it, small and larger than a block, window after
 * window; jansson's own malloc and free are back after each window; under
 * AddressSanitizer a node is poisoned once its window has closed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "json_arena.h"
#include "json_fast.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* A dossier's facts as the database returns them (sql/012), n facts long. */
static char *facts_text(int n)
{
	size_t cap = 64 + (size_t)n * 160, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len, "[");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"%s{\"id\":%d,\"reporter\":\"partner\",\"body\":{\"type\":\"payment\","
					"\"occurred_at\":\"2026-11-%02dT10:00:00Z\",\"amount_cents\":%d}}",
					i ? "," : "", i + 1, 1 + i % 28, 1000 + i * 7);
	snprintf(s + len, cap - len, "]");
	return s;
}

static void is_default_alloc(void)
{
	json_malloc_t m;
	json_free_t f;
	json_get_alloc_funcs(&m, &f);
	assert_ptr_equal(m, malloc);
	assert_ptr_equal(f, free);
}

/* The same tree inside the window, for a read within one block and one far beyond it. */
static void test_trees_equal(void **state)
{
	(void)state;
	static const int sizes[] = {0, 1, 6, 40, 2000};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char *text = facts_text(sizes[k]);
		json_t *want = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(want);
		json_arena_begin();
		json_t *got = json_fast_loads(text);
		int equal = got != NULL && json_equal(want, got) && json_array_size(got) == (size_t)sizes[k];
		json_decref(got); /* frees nothing: the window's end drops it */
		json_arena_end();
		assert_true(equal);
		is_default_alloc();
		json_decref(want);
		free(text);
	}
}

/* Window after window, the reused block never hands out a node twice within one. */
static void test_windows_repeat(void **state)
{
	(void)state;
	char *text = facts_text(9);
	json_t *want = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(want);
	for (int i = 0; i < 2000; i++) {
		json_arena_begin();
		json_t *a = json_fast_loads(text), *b = json_fast_loads(text);
		/* two trees alive at once: changing one leaves the other as read */
		int ok = a && b && json_array_clear(a) == 0 && json_array_size(a) == 0 && json_equal(want, b);
		json_arena_end();
		assert_true(ok);
	}
	/* jansson's own allocations afterwards: ASan would catch a node freed by the wrong free */
	json_t *o = json_pack("{s:s, s:i}", "after", "the window", "n", 1);
	assert_non_null(o);
	json_decref(o);
	json_decref(want);
	free(text);
}

/* A node of a closed window is poisoned, so using it is reported (only under ASan). */
static void test_poisoned_after(void **state)
{
	(void)state;
#ifdef TEST_ASAN
	json_arena_begin();
	json_t *v = json_fast_loads("[{\"a\":1}]");
	int read = v != NULL && __asan_address_is_poisoned(v) == 0;
	json_arena_end();
	assert_true(read);
	assert_true(__asan_address_is_poisoned(v));
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trees_equal),
	    cmocka_unit_test(test_windows_repeat),
	    cmocka_unit_test(test_poisoned_after),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	json_arena_release();
	return rc;
}
