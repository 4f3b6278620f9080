/* test_policy_cases.c - runs the golden table cases.json: one cmocka test per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "case_load.h"

static json_t *g_root;

/* Writes the rule codes of a bit set, for failure messages. */
static void rules_text(uint32_t set, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int r = 0; r < RULE__COUNT; r++)
		if (set & (1u << r))
			snprintf(buf + strlen(buf), cap - strlen(buf), "%s ", rule_code(r));
}

/* Every reason must explain itself in both languages and name a next step. */
static void check_texts(const struct decision *d)
{
	for (int i = 0; i < d->n_reasons; i++) {
		const struct reason *r = &d->reasons[i];
		assert_true(r->message_nl[0] != '\0' && r->message_en[0] != '\0');
		assert_true(r->remedy_nl[0] != '\0' && r->remedy_en[0] != '\0');
		assert_non_null(r->clause);
		if (r->waived)
			assert_true(r->exception_id[0] != '\0');
	}
}

static void run_case(void **state)
{
	const json_t *c = *state;
	static struct policy_case pc;
	char err[256];
	if (!case_load(g_root, c, &pc, err, sizeof err))
		fail_msg("malformed case: %s", err);
	struct policy_input in = {&pc.contract,  &pc.partner,     &pc.dossier,
	                          pc.exceptions, pc.n_exceptions, pc.now};
	struct decision d;
	memset(&d, 0xAB, sizeof d);
	if (pc.check == CASE_DECIDE)
		policy_decide(&in, &pc.request, &d);
	else if (pc.check == CASE_EVENT)
		d.allow = policy_check_event(&in, &pc.event, &d);
	else
		d.allow = policy_check_handover(&in, &d);
	uint32_t got = 0, waived = 0;
	for (int i = 0; i < d.n_reasons; i++)
		*(d.reasons[i].waived ? &waived : &got) |= 1u << d.reasons[i].rule;
	char a[128], b[128], w1[128], w2[128];
	rules_text(got, a, sizeof a);
	rules_text(pc.expect_rules, b, sizeof b);
	rules_text(waived, w1, sizeof w1);
	rules_text(pc.expect_waived, w2, sizeof w2);
	if (d.allow != pc.expect_allow || got != pc.expect_rules || waived != pc.expect_waived)
		fail_msg(
		    "%s\n  got %s [%s] waived [%s]\n  want %s [%s] waived [%s]\n  first: %s",
		    pc.description, d.allow ? "allow" : "deny", a, w1,
		    pc.expect_allow ? "allow" : "deny", b, w2,
		    d.n_reasons > 0 ? d.reasons[0].message_en : "-");
	check_texts(&d);
}

int main(int argc, char **argv)
{
	json_error_t jerr;
	if (argc != 2) {
		fprintf(stderr, "usage: %s cases.json\n", argv[0]);
		return 2;
	}
	g_root = json_load_file(argv[1], 0, &jerr);
	if (g_root == NULL) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], jerr.line, jerr.text);
		return 2;
	}
	json_t *cases = json_object_get(g_root, "cases");
	size_t n = json_array_size(cases);
	struct CMUnitTest *tests = calloc(n, sizeof *tests);
	if (tests == NULL)
		return 2;
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(cases, i);
		const char *desc = json_string_value(json_object_get(c, "description"));
		tests[i] = (struct CMUnitTest){desc ? desc : "(no description)", run_case, NULL,
		                               NULL, c};
	}
	int failed = _cmocka_run_group_tests("policy_cases", tests, n, NULL, NULL);
	free(tests);
	json_decref(g_root);
	return failed == 0 && n >= 150 ? 0 : 1;
}
