/* test_table.c - runs a table of documents against the validators and compares the exact
 * errors. */
#include "contract.h"
#include "exception.h"
#include "partner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Which reader a table exercises: "contract", "partner" or "exception". */
struct table {
	const char *kind;
	const char *path;
};

/* RFC 7386 merge patch: a new value, target (if any) with patch applied. */
static json_t *merge_patch(const json_t *target, const json_t *patch)
{
	const char *key;
	json_t *value, *out;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	assert_non_null(out);
	json_object_foreach((json_t *)patch, key, value)
	{
		if (json_is_null(value))
			json_object_del(out, key);
		else
			assert_int_equal(
			    json_object_set_new(out, key,
			                        merge_patch(json_object_get(out, key), value)),
			    0);
	}
	return out;
}

/* A valid contract writes out to a document that reads back to the same. */
static bool read_contract(const json_t *doc, struct contract_errors *errs)
{
	struct contract c, c2;
	json_t *out, *back;

	if (!contract_from_json(doc, &c, errs))
		return false;
	out = contract_to_json(&c);
	assert_true(contract_from_json(out, &c2, NULL));
	back = contract_to_json(&c2);
	assert_true(json_equal(out, back));
	json_decref(out);
	json_decref(back);
	return true;
}

/* The same for a partner. */
static bool read_partner(const json_t *doc, struct contract_errors *errs)
{
	struct partner p, p2;
	json_t *out, *back;

	if (!partner_from_json(doc, &p, errs))
		return false;
	out = partner_to_json(&p);
	assert_true(partner_from_json(out, &p2, NULL));
	back = partner_to_json(&p2);
	assert_true(json_equal(out, back));
	json_decref(out);
	json_decref(back);
	return true;
}

/* The same for an exception. */
static bool read_exception(const json_t *doc, struct contract_errors *errs)
{
	struct contract_exception e, e2;
	json_t *out, *back;

	if (!exception_from_json(doc, &e, errs))
		return false;
	out = exception_to_json(&e);
	assert_true(exception_from_json(out, &e2, NULL));
	back = exception_to_json(&e2);
	assert_true(json_equal(out, back));
	json_decref(out);
	json_decref(back);
	return true;
}

/* Reads doc with the table's reader; the errors as JSON. */
static json_t *validate(const char *kind, const json_t *doc)
{
	struct contract_errors errs;
	bool ok = false;

	if (strcmp(kind, "contract") == 0)
		ok = read_contract(doc, &errs);
	else if (strcmp(kind, "partner") == 0)
		ok = read_partner(doc, &errs);
	else if (strcmp(kind, "exception") == 0)
		ok = read_exception(doc, &errs);
	else
		fail_msg("unknown kind %s", kind);
	assert_true(ok == (errs.count == 0));
	return contract_errors_to_json(&errs);
}

/* True when item (pointer, message) is in list and not yet used; marks it used. */
static bool take(const json_t *item, const json_t *list, bool *used)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		if (!used[i] && json_equal(json_array_get(list, i), (json_t *)item)) {
			used[i] = true;
			return true;
		}
	}
	return false;
}

/* Prints the differences between expected and actual errors; true when they are equal sets. */
static bool same_errors(const char *name, const json_t *want, const json_t *got)
{
	bool used[CONTRACT_ERRORS_MAX + 1] = {false};
	bool same = json_array_size(want) == json_array_size(got);
	size_t i;
	json_t *item;

	json_array_foreach(want, i, item)
	{
		if (!take(item, got, used)) {
			same = false;
			printf("[%s] missing %s: %s\n", name,
			       json_string_value(json_object_get(item, "pointer")),
			       json_string_value(json_object_get(item, "message")));
		}
	}
	json_array_foreach(got, i, item)
	{
		if (!used[i])
			printf("[%s] unexpected %s: %s\n", name,
			       json_string_value(json_object_get(item, "pointer")),
			       json_string_value(json_object_get(item, "message")));
	}
	return same;
}

/* Runs one case: builds its document, validates it, compares the errors. */
static bool run_case(const char *kind, const json_t *base, const json_t *c)
{
	const json_t *patch = json_object_get(c, "patch");
	json_t *doc = patch ? merge_patch(base, patch) : json_incref(json_object_get(c, "doc"));
	json_t *got;
	bool same;

	assert_non_null(doc);
	got = validate(kind, doc);
	assert_non_null(got);
	same = same_errors(json_string_value(json_object_get(c, "name")),
	                   json_object_get(c, "errors"), got);
	json_decref(got);
	json_decref(doc);
	return same;
}

/* Every case of the table file; counts and reports the failures. */
static void test_table(void **state)
{
	const struct table *t = *state;
	json_error_t jerr;
	json_t *data = json_load_file(t->path, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *cases, *c;
	size_t i;
	int failed = 0;

	if (data == NULL)
		fail_msg("%s: %s (line %d)", t->path, jerr.text, jerr.line);
	cases = json_object_get(data, "cases");
	assert_true(json_array_size(cases) > 0);
	json_array_foreach(cases, i, c)
	{
		if (!run_case(t->kind, json_object_get(data, "base"), c))
			failed++;
	}
	printf("%s: %zu cases, %d failed\n", t->path, json_array_size(cases), failed);
	json_decref(data);
	assert_int_equal(failed, 0);
}

int main(int argc, char **argv)
{
	struct table t;

	if (argc != 3) {
		fprintf(stderr, "usage: %s contract|partner|exception CASES.json\n", argv[0]);
		return 2;
	}
	t.kind = argv[1];
	t.path = argv[2];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate(test_table, &t),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
