/* test_policy_units.c - unit tests: Amsterdam calendar, holidays, 14-day term, WIK scale,
 * names, rule edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "caldate.h"
#include "policy.h"

/* Internal helpers under test (policy_int.h is private; declared here). */
int32_t nlcal_presumed_receipt(int32_t posted);
int32_t nlcal_fourteen_day_expiry(int32_t receipt);
bool nlcal_outside_contact_hours(int64_t t);

static int32_t D(int y, int m, int d)
{
	return caldate_from_ymd(y, m, d);
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	assert_true(timestamp_parse(s, &t));
	return t;
}

/* DST 2026: CEST from 29 March 01:00 UTC to 25 October 01:00 UTC. */
static void test_amsterdam_dst(void **state)
{
	assert_int_equal(amsterdam_seconds_of_day(T("2026-03-29T00:59:59Z")), 1 * 3600 + 3599);
	assert_int_equal(amsterdam_seconds_of_day(T("2026-03-29T01:00:00Z")), 3 * 3600);
	assert_int_equal(amsterdam_seconds_of_day(T("2026-10-25T00:59:59Z")), 2 * 3600 + 3599);
	assert_int_equal(amsterdam_seconds_of_day(T("2026-10-25T01:00:00Z")), 2 * 3600);
	/* Day boundaries: 23:00Z is midnight in winter, 22:00Z in summer. */
	assert_int_equal(amsterdam_day(T("2026-01-05T22:59:59Z")), D(2026, 1, 5));
	assert_int_equal(amsterdam_day(T("2026-01-05T23:00:00Z")), D(2026, 1, 6));
	assert_int_equal(amsterdam_day(T("2026-07-01T21:59:59Z")), D(2026, 7, 1));
	assert_int_equal(amsterdam_day(T("2026-07-01T22:00:00Z")), D(2026, 7, 2));
	/* 2025: last Sundays are 30 March and 26 October. */
	assert_int_equal(amsterdam_seconds_of_day(T("2025-03-30T01:00:00Z")), 3 * 3600);
	assert_int_equal(amsterdam_seconds_of_day(T("2025-10-26T01:00:00Z")), 2 * 3600);
}

static void test_holidays_2026(void **state)
{
	int32_t yes[] = {D(2026, 1, 1),   D(2026, 4, 5),  D(2026, 4, 6),  D(2026, 4, 27),
	                 D(2026, 5, 5),   D(2026, 5, 14), D(2026, 5, 24), D(2026, 5, 25),
	                 D(2026, 12, 25), D(2026, 12, 26)};
	int32_t no[] = {D(2026, 4, 3) /* Good Friday */,
	                D(2026, 4, 26),
	                D(2026, 5, 4),
	                D(2026, 5, 13),
	                D(2026, 12, 24),
	                D(2026, 12, 31),
	                D(2026, 1, 2)};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(nl_public_holiday(yes[i]));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(nl_public_holiday(no[i]));
}

/* King's Day moves to the 26th when the 27th is a Sunday (2025, 2031). */
static void test_kings_day(void **state)
{
	assert_true(nl_public_holiday(D(2025, 4, 26)));
	assert_false(nl_public_holiday(D(2025, 4, 27)));
	assert_true(nl_public_holiday(D(2031, 4, 26)));
	assert_true(nl_public_holiday(D(2027, 4, 27)));
	assert_true(nl_public_holiday(D(2013, 4, 30))); /* Queen's Day */
	/* Easter: 2025-04-20, 2027-03-28, 2038-04-25 (late), 2008-03-23 (early). */
	assert_true(nl_public_holiday(D(2025, 4, 21)));
	assert_true(nl_public_holiday(D(2027, 3, 29)));
	assert_true(nl_public_holiday(D(2038, 4, 26)));
	assert_true(nl_public_holiday(D(2008, 3, 24)));
	assert_true(nl_public_holiday(D(2008, 5, 1))); /* Ascension = Easter + 39 */
}

/* Presumed receipt: second day after posting, Sundays and holidays not counted. */
static void test_presumed_receipt(void **state)
{
	assert_int_equal(nlcal_presumed_receipt(D(2026, 1, 6)), D(2026, 1, 8)); /* Tue -> Thu */
	assert_int_equal(nlcal_presumed_receipt(D(2026, 1, 8)),
	                 D(2026, 1, 10)); /* Thu -> Sat */
	assert_int_equal(nlcal_presumed_receipt(D(2026, 1, 9)),
	                 D(2026, 1, 12));                                       /* Fri -> Mon */
	assert_int_equal(nlcal_presumed_receipt(D(2026, 4, 4)), D(2026, 4, 8)); /* Easter */
	assert_int_equal(nlcal_presumed_receipt(D(2026, 12, 24)), D(2026, 12, 29));
}

/* 14 days from the day after receipt; a last day on Sat/Sun/holiday runs on. */
static void test_fourteen_days(void **state)
{
	assert_int_equal(nlcal_fourteen_day_expiry(D(2026, 1, 8)), D(2026, 1, 23));
	assert_int_equal(nlcal_fourteen_day_expiry(D(2026, 1, 10)), D(2026, 1, 27));
	assert_int_equal(nlcal_fourteen_day_expiry(D(2026, 4, 13)),
	                 D(2026, 4, 29));                                           /* 27 Apr */
	assert_int_equal(nlcal_fourteen_day_expiry(D(2026, 4, 21)), D(2026, 5, 7)); /* 5 May */
}

static void test_contact_hours(void **state)
{
	assert_true(nlcal_outside_contact_hours(T("2026-01-06T05:59:59Z")));  /* 06:59:59 */
	assert_false(nlcal_outside_contact_hours(T("2026-01-06T06:00:00Z"))); /* 07:00 */
	assert_false(nlcal_outside_contact_hours(T("2026-01-06T18:59:59Z"))); /* 19:59:59 */
	assert_true(nlcal_outside_contact_hours(T("2026-01-06T19:00:00Z")));  /* 20:00 */
	assert_true(nlcal_outside_contact_hours(T("2026-06-02T04:59:59Z"))); /* 06:59:59 CEST */
	assert_false(nlcal_outside_contact_hours(T("2026-06-02T05:00:00Z")));
	assert_false(nlcal_outside_contact_hours(T("2026-06-02T17:59:59Z")));
	assert_true(nlcal_outside_contact_hours(T("2026-06-02T18:00:00Z")));
	assert_false(nlcal_outside_contact_hours(T("2026-01-10T12:00:00Z"))); /* Saturday */
	assert_true(nlcal_outside_contact_hours(T("2026-01-11T12:00:00Z")));  /* Sunday */
	assert_true(nlcal_outside_contact_hours(T("2026-04-27T10:00:00Z")));  /* King's Day */
	assert_false(nlcal_outside_contact_hours(T("2026-04-03T10:00:00Z"))); /* Good Friday */
}

/* The WIK scale at each bracket edge, its minimum, maximum, rounding and VAT. */
static void test_wik(void **state)
{
	assert_int_equal(wik_max_cents(0, false), 0);
	assert_int_equal(wik_max_cents(1, false), 4000);
	assert_int_equal(wik_max_cents(10000, true), 4840);
	assert_int_equal(wik_max_cents(26669, false), 4000); /* 4000.35 */
	assert_int_equal(wik_max_cents(26670, false), 4001); /* 4000.5 rounds up */
	assert_int_equal(wik_max_cents(100000, false), 15000);
	assert_int_equal(wik_max_cents(100000, true), 18150);
	assert_int_equal(wik_max_cents(250000, false), 37500);
	assert_int_equal(wik_max_cents(250005, false), 37501); /* 37500.5 */
	assert_int_equal(wik_max_cents(250004, false), 37500); /* 37500.4 */
	assert_int_equal(wik_max_cents(500000, false), 62500);
	assert_int_equal(wik_max_cents(1000000, false), 87500);
	assert_int_equal(wik_max_cents(20000000, false), 277500);
	assert_int_equal(wik_max_cents(99999900, false), 677500); /* 677499.5 */
	assert_int_equal(wik_max_cents(99999899, false), 677499); /* 677499.495 */
	assert_int_equal(wik_max_cents(100000000, false), 677500);
	assert_int_equal(wik_max_cents(INT64_MAX / 2, false), 677500);
	assert_int_equal(wik_max_cents(100000000, true), 819775);
	assert_int_equal(wik_max_cents(27000, true), 4901); /* 4050 * 1.21 = 4900.5 */
}

static void test_names(void **state)
{
	enum rule_id r;
	enum event_type e;
	uint32_t bit;
	assert_string_equal(rule_code(RULE_R03), "R03");
	assert_string_equal(rule_name(RULE_R18), "contact_hours");
	assert_true(rule_parse("R18", &r) && r == RULE_R18);
	assert_true(rule_parse("wik_costs", &r) && r == RULE_R10);
	assert_false(rule_parse("R19", &r));
	assert_null(rule_code(RULE__COUNT));
	for (int i = 0; i < EVENT__COUNT; i++)
		assert_true(event_type_parse(event_type_name(i), &e) && (int)e == i);
	assert_false(event_type_parse("Letter_sent", &e));
	assert_true(dossier_flag_parse("financial_problems", &bit));
	assert_int_equal(bit, DOSSIER_FLAG_FINANCIAL_PROBLEMS);
	assert_string_equal(dossier_flag_name(DOSSIER_FLAG_VULNERABLE), "vulnerable");
	assert_null(dossier_flag_name(3));
	assert_string_equal(letter_kind_name(LETTER_FOURTEEN_DAY), "fourteen_day_letter");
	assert_string_equal(referral_to_name(REFERRAL_VROEG_EROPAF), "vroeg_eropaf");
	assert_string_equal(debt_help_kind_name(DEBT_HELP_WSNP), "wsnp");
	assert_string_equal(phase_name(PHASE_JUDICIAL), "judicial");
}

/* A small world for rule-edge tests: an agency dossier handed over 5 January 2026. */
struct world {
	struct contract c;
	struct partner p;
	struct dossier d;
	struct event ev[8];
	struct contract_exception ex[2];
	struct policy_input in;
	struct escalation_request q;
	struct decision out;
};

static void world_init(struct world *w, enum action a, const char *now)
{
	memset(w, 0, sizeof *w);
	strcpy(w->c.id, "c1");
	strcpy(w->c.partner_id, "p1");
	w->c.terms.fee_model = FEE_FIXED_FEE;
	w->c.terms.allowed_actions = (1u << ACTION__COUNT) - 1;
	w->c.terms.contact = (struct contact_terms){true, 1u << CHANNEL_PHONE, 1, 90};
	w->c.terms.max_duration_days = 120;
	w->c.terms.shortened_amicable_days = 14;
	w->c.terms.n_templates = 1;
	strcpy(w->c.terms.templates[0], "veertiendagenbrief-v2");
	strcpy(w->p.id, "p1");
	w->p.kind = PARTNER_AGENCY;
	w->p.has_wki = true;
	w->p.wki_valid_until = D(2027, 12, 31);
	w->d.principal_cents = 100000;
	w->d.handed_over_at = T("2026-01-05T09:00:00Z");
	w->d.events = w->ev;
	w->in = (struct policy_input){&w->c, &w->p, &w->d, w->ex, 0, T(now)};
	w->q.action = a;
}

static bool decide(struct world *w)
{
	policy_decide(&w->in, &w->q, &w->out);
	return w->out.allow;
}

/* R04: 120 days from 5 Jan 2026 run through 5 May; 6 May (Amsterdam) is past. */
static void test_r04_edge(void **state)
{
	struct world w;
	world_init(&w, ACTION_TRANSFER_TO_BAILIFF, "2026-05-05T21:59:59Z");
	assert_true(decide(&w));
	world_init(&w, ACTION_TRANSFER_TO_BAILIFF, "2026-05-05T22:00:00Z");
	assert_false(decide(&w));
	assert_int_equal(w.out.n_reasons, 1);
	assert_int_equal(w.out.reasons[0].rule, RULE_R04);
	assert_non_null(strstr(w.out.reasons[0].message_en, "5 May 2026"));
	assert_non_null(strstr(w.out.reasons[0].message_nl, "5 mei 2026"));
}

/* R10: one cent over the cap is denied; the remedy names the cap. */
static void test_r10_cap_and_texts(void **state)
{
	struct world w;
	world_init(&w, ACTION_COLLECTION_COSTS, "2026-01-23T09:00:00Z");
	w.ev[0] = (struct event){.type = EVENT_LETTER_SENT,
	                         .occurred_at = T("2026-01-06T09:00:00Z"),
	                         .letter_kind = LETTER_FOURTEEN_DAY,
	                         .received_on = CALDATE_NONE};
	strcpy(w.ev[0].template_id, "veertiendagenbrief-v2");
	w.d.n_events = 1;
	w.q.has_amount = true;
	w.q.amount_cents = 15000;
	assert_true(decide(&w));
	w.q.amount_cents = 15001;
	assert_false(decide(&w));
	assert_string_equal(w.out.reasons[0].remedy_en, "Charge at most EUR 150.00.");
	assert_string_equal(w.out.reasons[0].remedy_nl, "Vraag ten hoogste € 150,00.");
	w.c.terms.costs_vat = true;
	w.q.amount_cents = 18150;
	assert_true(decide(&w));
	w.in.now = T("2026-01-22T22:59:59Z"); /* still 22 January in Amsterdam */
	assert_false(decide(&w));
	assert_non_null(strstr(w.out.reasons[0].remedy_en, "Not before 23 January 2026"));
}

/* A valid exception keeps the reason, waived, and allows; one day later it denies. */
static void test_exception_window(void **state)
{
	struct world w;
	world_init(&w, ACTION_CREDIT_REGISTRATION, "2026-02-01T12:00:00Z");
	w.d.flags = DOSSIER_FLAG_DISPUTE;
	w.ex[0] = (struct contract_exception){
	    .id = "ex-1", .contract_id = "c1", .partner_id = "p1", .rule = "R07"};
	w.ex[0].valid_from = D(2026, 1, 1);
	w.ex[0].valid_until = D(2026, 2, 1);
	w.in.n_exceptions = 1;
	assert_true(decide(&w));
	assert_int_equal(w.out.n_reasons, 1);
	assert_true(w.out.reasons[0].waived);
	assert_string_equal(w.out.reasons[0].exception_id, "ex-1");
	assert_non_null(strstr(w.out.reasons[0].message_en, "Waived by exception ex-1"));
	w.in.now = T("2026-02-01T23:00:00Z"); /* 2 February in Amsterdam */
	assert_false(decide(&w));
	assert_false(w.out.reasons[0].waived);
}

/* Decisions are pure: the same input twice gives byte-identical reasons. */
static void test_deterministic(void **state)
{
	struct world w;
	struct decision first;
	world_init(&w, ACTION_BANK_SEIZURE, "2026-03-01T12:00:00Z");
	w.d.flags = DOSSIER_FLAG_VULNERABLE | DOSSIER_FLAG_DEBT_HELP;
	assert_false(decide(&w));
	first = w.out;
	assert_false(decide(&w));
	assert_int_equal(first.n_reasons, w.out.n_reasons);
	for (int i = 0; i < first.n_reasons; i++)
		assert_string_equal(first.reasons[i].message_nl, w.out.reasons[i].message_nl);
	/* Reasons come out in rule order. */
	for (int i = 1; i < first.n_reasons; i++)
		assert_true(first.reasons[i - 1].rule < first.reasons[i].rule);
}

/* Handover and fact checks: F01 and the rules of each. */
static void test_checks(void **state)
{
	struct world w;
	world_init(&w, ACTION_SUMMONS, "2026-01-05T09:00:00Z");
	assert_true(policy_check_handover(&w.in, &w.out));
	w.in.now = T("2026-01-05T08:59:59Z");
	assert_false(policy_check_handover(&w.in, &w.out));
	assert_int_equal(w.out.reasons[0].rule, RULE_F01);
	struct event ev = {.type = EVENT_CONTACT_ATTEMPT,
	                   .channel = CHANNEL_PHONE,
	                   .occurred_at = T("2026-01-05T08:59:59Z")};
	w.in.now = T("2026-01-06T12:00:00Z");
	assert_false(policy_check_event(&w.in, &ev, &w.out)); /* before handover */
	ev.occurred_at = T("2026-01-05T09:00:00Z");
	assert_true(policy_check_event(&w.in, &ev, &w.out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_amsterdam_dst),
	    cmocka_unit_test(test_holidays_2026),
	    cmocka_unit_test(test_kings_day),
	    cmocka_unit_test(test_presumed_receipt),
	    cmocka_unit_test(test_fourteen_days),
	    cmocka_unit_test(test_contact_hours),
	    cmocka_unit_test(test_wik),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_r04_edge),
	    cmocka_unit_test(test_r10_cap_and_texts),
	    cmocka_unit_test(test_exception_window),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
