/*
 * fuzz_json_fast.c - libFuzzer target: gateway/json_fast.c against jansson on any input.
 * Both readers accept it or both refuse it; accepted, the trees are equal, keys in the
 * same order. As a C string (json_fast_loads) and as bytes (json_fast_loadb, which refuses
 * any NUL byte, where json_loadb skips some).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, so the fuzzer keeps the input. */
static void require(int ok)
{
	if (!ok)
		abort();
}

static void same(json_t *want, json_t *got)
{
	require(!want == !got);
	if (want) {
		require(json_equal(want, got));
		char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
		require(a && b && strcmp(a, b) == 0);
		free(a);
		free(b);
	}
	json_decref(want);
	json_decref(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	require(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	same(json_loads(text, JSON_REJECT_DUPLICATES, NULL), json_fast_loads(text));
	/* bytes with a NUL: json_fast_loadb refuses them (json_loadb skips some NULs) */
	if (memchr(data, 0, size)) {
		json_t *got = json_fast_loadb((const char *)data, size);
		require(got == NULL);
	} else {
		same(json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL),
		     json_fast_loadb((const char *)data, size));
	}
	free(text);
	return 0;
}
