/* test_openapi.c - the served OpenAPI document and the routing table describe the same API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

extern const char openapi_doc[];
extern const size_t openapi_doc_len;

/* "/v1/dossiers/{id}/events" -> "/v1/dossiers/ * /events" (without spaces). */
static void to_pattern(const char *path, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = path; *p && n + 1 < len; p++) {
		if (*p == '{') {
			out[n++] = '*';
			p = strchr(p, '}');
			if (!p)
				break;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static const char *method_name(enum evhttp_cmd_type m)
{
	return m == EVHTTP_REQ_GET ? "get" : m == EVHTTP_REQ_POST ? "post" : "other";
}

static json_t *load(void)
{
	json_error_t err;
	json_t *doc = json_loadb(openapi_doc, openapi_doc_len, 0, &err);
	if (!doc)
		fail_msg("openapi.json does not parse: %s (line %d)", err.text, err.line);
	return doc;
}

static void test_document_is_openapi_31(void **state)
{
	json_t *doc = load();
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	assert_true(json_object_size(json_object_get(doc, "paths")) > 10);
	json_decref(doc);
}

static void test_every_route_is_documented(void **state)
{
	json_t *doc = load(), *paths = json_object_get(doc, "paths");
	for (size_t i = 0; i < n_routes; i++) {
		const char *key;
		json_t *item;
		bool found = false;
		json_object_foreach(paths, key, item) {
			char pat[256];
			to_pattern(key, pat, sizeof(pat));
			if (strcmp(pat, routes[i].pattern) == 0 &&
			    json_object_get(item, method_name(routes[i].method)))
				found = true;
		}
		if (!found)
			fail_msg("route %s %s is not in openapi.json", method_name(routes[i].method),
				 routes[i].pattern);
	}
	json_decref(doc);
}

static void test_every_documented_operation_exists(void **state)
{
	json_t *doc = load(), *paths = json_object_get(doc, "paths");
	const char *key;
	json_t *item;
	json_object_foreach(paths, key, item) {
		char pat[256];
		const char *method;
		json_t *op;
		to_pattern(key, pat, sizeof(pat));
		json_object_foreach(item, method, op) {
			bool found = false;
			for (size_t i = 0; i < n_routes; i++)
				if (strcmp(routes[i].pattern, pat) == 0 &&
				    strcmp(method_name(routes[i].method), method) == 0)
					found = true;
			if (!found)
				fail_msg("openapi.json documents %s %s, which no route serves", method, key);
		}
	}
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_is_openapi_31),
		cmocka_unit_test(test_every_route_is_documented),
		cmocka_unit_test(test_every_documented_operation_exists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
