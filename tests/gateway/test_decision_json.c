/*
 * test_decision_json.c - the decision's body as gateway/decision_json.c writes it,
 * against jansson: byte for byte what json_dumps(JSON_COMPACT | JSON_SORT_KEYS)
 * gives of the same tree (the body the gateway answered and stored before it was
 * written without a tree), for reasons of every rule, waived and not, and strings
 * with every class of character a JSON string escapes or keeps.
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

#include "decision_json.h"

/* The tree the gateway dumped before: the reference for the writer. */
static char *reference(const struct decision_body *b, const struct decision *d)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:i}, s:o, s:i, s:I, s:s}", "decision",
			      d->allow ? "allow" : "deny", "decision_id", b->decision_id, "dossier_id",
			      b->dossier_id, "action", b->action, "contract", "id", b->contract_id,
			      "version", b->contract_version, "reasons", reasons_to_json(d),
			      "audit_chain", b->audit_chain, "audit_seq", (json_int_t)b->audit_seq,
			      "decided_at", b->decided_at);
	assert_non_null(j);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void assert_same_as_jansson(const struct decision_body *b, const struct decision *d)
{
	char *want = reference(b, d);
	char *got = decision_body_json(b, d);
	assert_string_equal(got, want);
	json_error_t err;
	json_t *back = json_loads(got, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(back);
	assert_int_equal(json_array_size(json_object_get(back, "reasons")), (size_t)d->n_reasons);
	json_decref(back);
	free(got);
	free(want);
}

/* prefix then s into dst of cap bytes, cut to fit (remedies are shorter than messages) */
static void put(char *dst, size_t cap, const char *prefix, const char *s)
{
	size_t n = strlen(prefix), m = strlen(s);
	if (m > cap - 1 - n)
		m = cap - 1 - n;
	memcpy(dst, prefix, n);
	memcpy(dst + n, s, m);
	dst[n + m] = '\0';
}

static void reason(struct reason *r, enum rule_id rule, const char *clause, const char *nl,
		   const char *en, const char *exception_id)
{
	memset(r, 0, sizeof(*r));
	r->rule = rule;
	r->clause = clause;
	put(r->message_nl, sizeof(r->message_nl), "", nl);
	put(r->message_en, sizeof(r->message_en), "", en);
	put(r->remedy_nl, sizeof(r->remedy_nl), "Herstel: ", nl);
	put(r->remedy_en, sizeof(r->remedy_en), "Remedy: ", en);
	if (exception_id) {
		r->waived = true;
		snprintf(r->exception_id, sizeof(r->exception_id), "%s", exception_id);
	}
}

static const struct decision_body BODY = {"dec_0190f3a2b4c5d6e7f8091a2b3c", "d-000042", "summons",
					  "woonstad-incassonoord", "2026-12-01T12:00:00Z", 3, 17,
					  9007199254740993LL};

static void test_allow_without_reasons(void **state)
{
	(void)state;
	struct decision d = {.allow = true};
	assert_same_as_jansson(&BODY, &d);
}

static void test_every_rule_denies_and_waives(void **state)
{
	(void)state;
	struct decision d = {.allow = false};
	for (int i = 0; i < RULE__COUNT; i++)
		reason(&d.reasons[d.n_reasons++], (enum rule_id)i, i % 3 ? "terms.max_duration_days" : NULL,
		       "De incassokosten zijn hoger dan de wet toestaat (€ 40,00 — art. 6:96 BW).",
		       "The collection costs exceed what the law allows (EUR 40.00).",
		       i % 2 ? "exc-2026.0001_a" : NULL);
	assert_same_as_jansson(&BODY, &d);
}

static void test_strings_with_every_escape(void **state)
{
	(void)state;
	struct decision d = {.allow = false, .n_reasons = 2};
	reason(&d.reasons[0], RULE_R01, "clause \"quoted\" \\ back\\slash / slash",
	       "tab\there, newline\nthere, return\r, form\ffeed, back\bspace, bell\a, esc\x1b, us\x1f, del\x7f",
	       "ünïcødé ëxtrâ 😀 日本 \xe2\x80\xa8 line separator", "x");
	reason(&d.reasons[1], RULE_R02, "", "\x01\x02\x03", "", NULL);
	struct decision_body b = BODY;
	b.contract_id = "c\"id\\";
	b.decided_at = "";
	b.audit_seq = 0;
	b.audit_chain = -1;
	assert_same_as_jansson(&b, &d);
}

static void test_long_texts_grow_the_buffer(void **state)
{
	(void)state;
	struct decision d = {.allow = false};
	char nl[REASON_MESSAGE_MAX];
	memset(nl, '"', sizeof(nl) - 1); /* every byte escaped: twice its length */
	nl[sizeof(nl) - 1] = '\0';
	for (int i = 0; i < RULE__COUNT; i++)
		reason(&d.reasons[d.n_reasons++], (enum rule_id)i, "c", nl, nl, "e");
	assert_same_as_jansson(&BODY, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_without_reasons),
		cmocka_unit_test(test_every_rule_denies_and_waives),
		cmocka_unit_test(test_strings_with_every_escape),
		cmocka_unit_test(test_long_texts_grow_the_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
