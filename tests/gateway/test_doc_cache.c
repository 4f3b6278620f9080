/*
 * test_doc_cache.c - the contract and partner parse cache (gateway/doc_cache.c):
 * a cached document reads back exactly as a fresh parse, a changed text is
 * never served the old struct, an invalid document is refused every time.
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

#include "doc_cache.h"

#ifndef EXAMPLES_DIR
#error "EXAMPLES_DIR must name contracts/examples"
#endif

/* The document as compact text; *doc keeps it as JSON. */
static char *as_text(json_t *j, json_t **doc)
{
	assert_non_null(j);
	*doc = j;
	char *text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	return text;
}

static char *contract_example(json_t **doc)
{
	return as_text(json_load_file(EXAMPLES_DIR "/woonstad-incassonoord.json", 0, NULL), doc);
}

static char *partner_example(size_t index, json_t **doc)
{
	json_t *all = json_load_file(EXAMPLES_DIR "/partners.json", 0, NULL);
	json_t *one = json_incref(json_array_get(all, index));
	json_decref(all);
	return as_text(one, doc);
}

static void assert_same_contract(const struct contract *a, const struct contract *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->partner_id, b->partner_id);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->valid_from, b->valid_from);
	assert_int_equal(a->valid_to, b->valid_to);
	assert_int_equal(a->terms.fee_model, b->terms.fee_model);
	assert_int_equal(a->terms.allowed_actions, b->terms.allowed_actions);
	assert_int_equal(a->terms.max_duration_days, b->terms.max_duration_days);
	assert_int_equal(a->terms.summons_min_principal_cents, b->terms.summons_min_principal_cents);
	assert_int_equal(a->terms.n_templates, b->terms.n_templates);
}

static void test_contract_hit_equals_parse(void **state)
{
	(void)state;
	json_t *doc;
	char *text = contract_example(&doc);
	struct contract direct, first, second;
	struct contract_errors errs;
	assert_true(contract_from_json(doc, &direct, &errs));
	assert_true(doc_cache_contract(text, strlen(text), &first));
	assert_true(doc_cache_contract(text, strlen(text), &second));
	assert_same_contract(&direct, &first);
	assert_same_contract(&direct, &second);
	free(text);
	json_decref(doc);
}

static void test_changed_text_is_parsed_again(void **state)
{
	(void)state;
	json_t *doc;
	char *text = contract_example(&doc);
	struct contract c;
	assert_true(doc_cache_contract(text, strlen(text), &c));
	int version = c.version, days = c.terms.max_duration_days;
	json_object_set_new(doc, "version", json_integer(version + 1));
	json_object_set_new(json_object_get(doc, "terms"), "max_duration_days", json_integer(days - 1));
	char *changed = json_dumps(doc, JSON_COMPACT);
	assert_true(doc_cache_contract(changed, strlen(changed), &c));
	assert_int_equal(c.version, version + 1);
	assert_int_equal(c.terms.max_duration_days, days - 1);
	/* the first text still reads as itself, whether or not it shared the slot */
	assert_true(doc_cache_contract(text, strlen(text), &c));
	assert_int_equal(c.version, version);
	assert_int_equal(c.terms.max_duration_days, days);
	free(changed);
	free(text);
	json_decref(doc);
}

static void test_invalid_is_refused_each_time(void **state)
{
	(void)state;
	json_t *doc;
	char *text = contract_example(&doc);
	struct contract c;
	json_object_set_new(json_object_get(doc, "terms"), "fee_model", json_string("no_cure_no_pay"));
	char *bad = json_dumps(doc, JSON_COMPACT);
	assert_false(doc_cache_contract(bad, strlen(bad), &c));
	assert_false(doc_cache_contract(bad, strlen(bad), &c));
	assert_false(doc_cache_contract("{\"id\":", 6, &c));
	/* a prefix of a valid document is not the document */
	assert_false(doc_cache_contract(text, strlen(text) - 1, &c));
	free(bad);
	free(text);
	json_decref(doc);
}

static void test_partners(void **state)
{
	(void)state;
	struct partner a, b, direct;
	struct contract_errors errs;
	json_t *d0, *d1;
	char *t0 = partner_example(0, &d0), *t1 = partner_example(1, &d1);
	assert_true(partner_from_json(d0, &direct, &errs));
	for (int round = 0; round < 2; round++) {
		assert_true(doc_cache_partner(t0, strlen(t0), &a));
		assert_true(doc_cache_partner(t1, strlen(t1), &b));
		assert_string_equal(a.id, direct.id);
		assert_string_equal(a.wki_number, direct.wki_number);
		assert_int_equal(a.wki_valid_until, direct.wki_valid_until);
		assert_string_not_equal(a.id, b.id);
	}
	free(t0);
	free(t1);
	json_decref(d0);
	json_decref(d1);
}

/* Every test starts from an empty cache, whatever the one before left. */
static int clear(void **state)
{
	(void)state;
	doc_cache_clear();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_contract_hit_equals_parse, clear),
		cmocka_unit_test_teardown(test_changed_text_is_parsed_again, clear),
		cmocka_unit_test_teardown(test_invalid_is_refused_each_time, clear),
		cmocka_unit_test_teardown(test_partners, clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
