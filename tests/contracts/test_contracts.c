/* test_contracts.c - the example files, defaults, accessors and helpers of contracts/. */
#include "caldate.h"
#include "contract.h"
#include "exception.h"
#include "partner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define D(y, m, d) caldate_from_ymd(y, m, d)

/* Loads examples/<name> from the directory given on the command line. */
static json_t *load_example(void **state, const char *name)
{
	char path[512];
	json_error_t jerr;
	json_t *doc;

	snprintf(path, sizeof path, "%s/%s", (const char *)*state, name);
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
	return doc;
}

/* Reads a contract example; it must be valid, in canonical form, with every term written. */
static void read_example(void **state, const char *name, struct contract *c)
{
	struct contract_errors errs;
	json_t *doc = load_example(state, name), *back;

	if (!contract_from_json(doc, c, &errs))
		fail_msg("%s: %s %s", name, errs.items[0].pointer, errs.items[0].message);
	assert_int_equal(json_object_size(json_object_get(doc, "terms")), 10);
	back = contract_to_json(c);
	assert_true(json_equal(doc, back));
	json_decref(back);
	json_decref(doc);
}

static void test_example_woonstad(void **state)
{
	struct contract c;

	read_example(state, "woonstad-incassonoord.json", &c);
	assert_string_equal(c.partner_id, "incasso-noord");
	assert_int_equal(c.valid_to, CALDATE_NONE);
	assert_int_equal(c.terms.judicial_cost_ratio_max_milli, 1000);
	assert_int_equal(c.terms.summons_min_principal_cents, 25000);
	assert_true(contract_allows_action(&c, ACTION_WAGE_GARNISHMENT));
	assert_false(contract_allows_action(&c, ACTION_BANK_SEIZURE));
	assert_true(contract_template_approved(&c, "veertiendagenbrief-v2"));
	assert_false(contract_template_approved(&c, "veertiendagenbrief-v1"));
}

static void test_example_verzekeraar(void **state)
{
	struct contract c;

	read_example(state, "verzekeraar-incassozuid.json", &c);
	assert_int_equal(c.terms.fee_model, FEE_PER_ACTION);
	assert_true(c.terms.costs_vat);
	assert_int_equal(c.terms.contact.min_attempts, 2);
	assert_true(c.terms.contact.channels & (1u << CHANNEL_VIDEO));
	assert_int_equal(c.terms.judicial_cost_ratio_max_milli, 500);
	assert_false(contract_in_force(&c, D(2027, 4, 1)));
}

static void test_example_waterbedrijf(void **state)
{
	struct contract c;

	read_example(state, "waterbedrijf-deurwaarder.json", &c);
	assert_int_equal(c.terms.shortened_amicable_days, 14);
	assert_true(contract_allows_action(&c, ACTION_SUMMONS));
	assert_true(contract_allows_action(&c, ACTION_WAGE_GARNISHMENT));
	assert_true(contract_allows_action(&c, ACTION_GOODS_SEIZURE));
	assert_int_equal(c.terms.judicial_cost_ratio_max_milli, 750);
}

/* The partner with that id in partners.json, read and validated. */
static void find_partner(const json_t *list, const char *id, struct partner *out)
{
	struct contract_errors errs;
	size_t i;
	json_t *doc;

	json_array_foreach(list, i, doc)
	{
		assert_true(partner_from_json(doc, out, &errs));
		if (strcmp(out->id, id) == 0)
			return;
	}
	fail_msg("no partner %s in partners.json", id);
}

/* Every contract example names a partner of partners.json, of the right kind. */
static void test_example_partners(void **state)
{
	json_t *list = load_example(state, "partners.json");
	struct partner p;

	assert_int_equal(json_array_size(list), 3);
	find_partner(list, "incasso-noord", &p);
	assert_int_equal(p.kind, PARTNER_AGENCY);
	assert_true(partner_registered_on(&p, D(2027, 12, 31)));
	assert_false(partner_registered_on(&p, D(2028, 1, 1)));
	find_partner(list, "incasso-zuid", &p);
	assert_true(p.has_wki);
	find_partner(list, "deurwaarder-oost", &p);
	assert_int_equal(p.kind, PARTNER_BAILIFF);
	assert_false(p.has_wki);
	assert_string_equal(p.webhook_url, "");
	assert_true(partner_registered_on(&p, D(2040, 1, 1)));
	json_decref(list);
}

static void test_example_exception(void **state)
{
	struct contract_exception e;
	struct contract_errors errs;
	json_t *doc = load_example(state, "exception-woonstad-looptijd.json"), *back;

	assert_true(exception_from_json(doc, &e, &errs));
	assert_string_equal(e.rule, "R04");
	assert_string_equal(e.clause, "max_duration_days");
	assert_false(exception_in_force(&e, D(2026, 1, 31)));
	assert_true(exception_in_force(&e, D(2026, 2, 1)));
	assert_true(exception_in_force(&e, D(2026, 7, 31)));
	assert_false(exception_in_force(&e, D(2026, 8, 1)));
	back = exception_to_json(&e);
	assert_true(json_equal(doc, back));
	json_decref(back);
	json_decref(doc);
}

static const char minimal[] =
    "{\"id\":\"c1\",\"partner_id\":\"p1\",\"version\":3,\"valid_from\":\"2026-01-01\","
    "\"terms\":{\"fee_model\":\"hourly\",\"allowed_actions\":[],\"max_duration_days\":60,"
    "\"summons_min_principal_cents\":0,\"judicial_cost_ratio_max\":0.001,"
    "\"approved_letter_templates\":[\"t1\"]}}";

/* The defaults of DESIGN.md fill every term a document leaves out. */
static void test_defaults(void **state)
{
	struct contract c;
	struct contract_errors errs;

	assert_true(contract_parse(minimal, strlen(minimal), &c, &errs));
	assert_int_equal(errs.count, 0);
	assert_false(c.terms.bank_seizure_allowed);
	assert_true(c.terms.contact.required);
	assert_int_equal(c.terms.contact.channels,
	                 (1u << CHANNEL_PHONE) | (1u << CHANNEL_VISIT));
	assert_int_equal(c.terms.contact.min_attempts, 1);
	assert_int_equal(c.terms.contact.within_days, 90);
	assert_int_equal(c.terms.shortened_amicable_days, 14);
	assert_false(c.terms.costs_vat);
	assert_int_equal(c.terms.judicial_cost_ratio_max_milli, 1);
	assert_int_equal(c.valid_to, CALDATE_NONE);
	assert_string_equal(c.creditor_id, "");
	assert_int_equal(c.terms.allowed_actions, 0);
	assert_false(contract_allows_action(&c, ACTION_SUMMONS));
	assert_false(contract_allows_action(&c, (enum action)99));
	assert_false(contract_template_approved(&c, NULL));
}

/* valid_from and valid_to are both inclusive; an open end is never reached. */
static void test_in_force(void **state)
{
	struct contract c;

	assert_true(contract_parse(minimal, strlen(minimal), &c, NULL));
	assert_false(contract_in_force(&c, D(2025, 12, 31)));
	assert_true(contract_in_force(&c, D(2026, 1, 1)));
	assert_true(contract_in_force(&c, D(2099, 1, 1)));
	c.valid_to = D(2026, 6, 30);
	assert_true(contract_in_force(&c, D(2026, 6, 30)));
	assert_false(contract_in_force(&c, D(2026, 7, 1)));
}

/* A syntax error, and a duplicate key, are one error at the root. */
static void test_parse_errors(void **state)
{
	struct contract c;
	struct contract_errors errs;
	const char dup[] = "{\"id\":\"a\",\"id\":\"b\"}";
	const char bad_utf8[] = "{\"wki\\\xc3\x92*\xfd\x7f\"}";
	json_t *list;

	assert_false(contract_parse("{\"id\":", 6, &c, &errs));
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.items[0].pointer, "");
	assert_true(strncmp(errs.items[0].message, "is not valid JSON: ", 19) == 0);
	assert_false(contract_parse(dup, strlen(dup), &c, &errs));
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.items[0].message, "duplicate"));
	assert_false(contract_parse("", 0, &c, NULL));
	/* jansson quotes the bad token; the message must still be valid UTF-8 */
	assert_false(contract_parse(bad_utf8, sizeof bad_utf8 - 1, &c, &errs));
	list = contract_errors_to_json(&errs);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
}

/* More errors than fit: the list is full, truncated is set, the JSON says so. */
static void test_truncated(void **state)
{
	json_t *doc = json_object(), *list;
	struct contract c;
	struct contract_errors errs;
	char key[16];

	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "x%d", i);
		assert_int_equal(json_object_set_new(doc, key, json_true()), 0);
	}
	assert_false(contract_from_json(doc, &c, &errs));
	assert_int_equal(errs.count, CONTRACT_ERRORS_MAX);
	assert_true(errs.truncated);
	list = contract_errors_to_json(&errs);
	assert_int_equal(json_array_size(list), CONTRACT_ERRORS_MAX + 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(list, 0), "pointer")), "/id");
	json_decref(list);
	json_decref(doc);
}

/* Every enum value has a name that reads back to it. */
static void test_names(void **state)
{
	enum action a;
	enum channel ch;
	enum fee_model f;
	enum partner_kind k;

	for (int i = 0; i < ACTION__COUNT; i++)
		assert_true(action_parse(action_name((enum action)i), &a) && (int)a == i);
	for (int i = 0; i < CHANNEL__COUNT; i++)
		assert_true(channel_parse(channel_name((enum channel)i), &ch) && (int)ch == i);
	for (int i = 0; i < FEE__COUNT; i++)
		assert_true(fee_model_parse(fee_model_name((enum fee_model)i), &f) &&
		            (int)f == i);
	for (int i = 0; i < PARTNER__COUNT; i++)
		assert_true(partner_kind_parse(partner_kind_name((enum partner_kind)i), &k));
	assert_string_equal(action_name(ACTION_TRANSFER_TO_BAILIFF), "transfer_to_bailiff");
	assert_string_equal(fee_model_name(FEE_NO_CURE_NO_PAY), "no_cure_no_pay");
	assert_null(action_name(ACTION__COUNT));
	assert_null(channel_name((enum channel) - 1));
	assert_false(action_parse("Summons", &a));
	assert_false(channel_parse(NULL, &ch));
}

/* The helpers that other readers (request bodies) use too. */
static void test_helpers(void **state)
{
	char buf[64];
	json_t *v = json_real(120.0);

	assert_true(contract_id_valid("a"));
	assert_true(contract_id_valid("0.a_b-c"));
	assert_false(contract_id_valid(""));
	assert_false(contract_id_valid(".a"));
	assert_false(contract_id_valid("aB"));
	contract_pointer_join(buf, sizeof buf, "/terms", "a/b~c");
	assert_string_equal(buf, "/terms/a~1b~0c");
	contract_pointer_join(buf, 8, "/terms", "abcdef");
	assert_string_equal(buf, "/terms/");
	contract_json_describe(v, buf, sizeof buf);
	assert_string_equal(buf, "120.0");
	contract_json_describe(NULL, buf, sizeof buf);
	assert_string_equal(buf, "nothing");
	json_decref(v);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate(test_example_woonstad, argv[1]),
	    cmocka_unit_test_prestate(test_example_verzekeraar, argv[1]),
	    cmocka_unit_test_prestate(test_example_waterbedrijf, argv[1]),
	    cmocka_unit_test_prestate(test_example_partners, argv[1]),
	    cmocka_unit_test_prestate(test_example_exception, argv[1]),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_in_force),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
