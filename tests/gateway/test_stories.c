/* test_stories.c - end to end: the stories of creditors, agencies and bailiffs, each outcome and rule asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "caldate.h"
#include "gw.h"
#include "policy.h"

static struct gw g;
static const char *binary;

/* Tokens: the operator, three creditors and an outsider, their partners, a monitor. */
static char admin[80], woonstad[80], verzekeraar[80], waterbedrijf[80], outsider[80];
static char noord[80], zuid[80], oost[80], monitor[80];
/* Ids, unique per run. */
static char cr_woonstad[64], cr_verzekeraar[64], cr_waterbedrijf[64], cr_outsider[64];
static char p_noord[64], p_zuid[64], p_oost[64];
static char k_ws_noord[64], k_ws_oost[64], k_vz_zuid[64], k_wb_oost[64];

/* ---- small helpers ---- */

static const char *id(const char *what)
{
	return gw_fmt("%s-%s", what, gw_run_id());
}

static long post(const char *token, const char *path, const char *body, struct http_reply *r)
{
	assert_true(gw_http(&g, "POST", path, token, body, NULL, r));
	return r->status;
}

static long get(const char *token, const char *path, struct http_reply *r)
{
	assert_true(gw_http(&g, "GET", path, token, NULL, NULL, r));
	return r->status;
}

/* Status of a POST, the reply freed. */
static long post_status(const char *token, const char *path, const char *body)
{
	struct http_reply r;
	long st = post(token, path, body, &r);
	http_reply_free(&r);
	return st;
}

/* Status of a GET, the reply freed. */
static long get_status(const char *token, const char *path)
{
	struct http_reply r;
	long st = get(token, path, &r);
	http_reply_free(&r);
	return st;
}

/* The first value of a one-parameter query on the test database ("" when no row). */
static const char *sql_value(const char *query, const char *param)
{
	static char out[512];
	PGconn *c = PQconnectdb(getenv("FAIRGATE_TEST_DATABASE_URL"));
	const char *params[] = {param};
	PGresult *r = PQexecParams(c, query, param ? 1 : 0, NULL, param ? params : NULL, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	snprintf(out, sizeof(out), "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return out;
}

static long long sql_count(const char *query, const char *param)
{
	return atoll(sql_value(query, param));
}

/* ---- time: realistic past moments in Europe/Amsterdam ---- */

static int32_t today(void)
{
	return amsterdam_day((int64_t)time(NULL));
}

/* The UTC instant of hh:mm local time on an Amsterdam calendar day. */
static int64_t local_at(int32_t day, int hh, int mm)
{
	for (int offset = 3600; offset <= 7200; offset += 3600) {
		int64_t t = (int64_t)day * 86400 + hh * 3600 + mm * 60 - offset;
		if (amsterdam_day(t) == day && amsterdam_seconds_of_day(t) == hh * 3600 + mm * 60)
			return t;
	}
	fail_msg("no instant for %02d:%02d on day %d", hh, mm, (int)day);
	return 0;
}

static const char *stamp(int64_t t)
{
	char *b = gw_fmt("%s", "");
	timestamp_format(t, b);
	return b;
}

/* R18: contact is allowed on a day that is no Sunday and no Dutch public holiday. */
static bool contact_day(int32_t day)
{
	return caldate_weekday(day) != 6 && !nl_public_holiday(day);
}

/* The most recent contact day between `nearest` and `farthest` days ago (inclusive). */
static int32_t contact_day_ago(int nearest, int farthest)
{
	for (int ago = nearest; ago <= farthest; ago++)
		if (contact_day(today() - ago))
			return today() - ago;
	fail_msg("no contact day between %d and %d days ago", nearest, farthest);
	return 0;
}

/* "5 December 2026": the English date of the decision texts. */
static const char *date_en(int32_t day)
{
	static const char *const months[] = {"January", "February", "March", "April", "May", "June",
					     "July", "August", "September", "October", "November", "December"};
	int y, m, d;
	caldate_to_ymd(day, &y, &m, &d);
	return gw_fmt("%d %s %d", d, months[m - 1], y);
}

/* ---- documents ---- */

struct terms {
	const char *actions;   /* JSON array */
	const char *channels;  /* JSON array */
	int min_attempts, max_days;
	bool vat;
	long min_principal;
	const char *ratio;
	const char *templates; /* JSON array */
};

static const char *contract_doc(const char *cid, const char *partner, const char *fee, const struct terms *t)
{
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2020-01-01\","
		   "\"valid_to\":null,\"terms\":{\"fee_model\":\"%s\",\"allowed_actions\":%s,"
		   "\"bank_seizure_allowed\":false,\"personal_contact_before_summons\":{\"required\":true,"
		   "\"channels\":%s,\"min_attempts\":%d,\"within_days\":90},\"max_duration_days\":%d,"
		   "\"shortened_amicable_days\":14,\"collection_costs\":{\"scale\":\"wik\",\"vat\":%s},"
		   "\"summons_min_principal_cents\":%ld,\"judicial_cost_ratio_max\":%s,"
		   "\"approved_letter_templates\":%s}}",
		   cid, partner, fee, t->actions, t->channels, t->min_attempts, t->max_days,
		   t->vat ? "true" : "false", t->min_principal, t->ratio, t->templates);
}

/* Hands a dossier over; the creditor's token decides whose it is. */
static void hand_over(const char *creditor, const char *did, const char *partner, const char *contract,
		      long principal, const char *phase, bool shortened, int64_t handed_over_at)
{
	struct http_reply r;
	const char *doc = gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":"
			      "\"deb-%s\",\"principal_cents\":%ld,\"currency\":\"EUR\",\"due_date\":\"2020-06-01\","
			      "\"phase\":\"%s\",\"shortened_amicable_track\":%s,\"flags\":[],\"handed_over_at\":\"%s\"}",
			      did, partner, contract, did, principal, phase, shortened ? "true" : "false",
			      stamp(handed_over_at));
	assert_int_equal(post(creditor, "/v1/dossiers", doc, &r), 201);
	assert_string_equal(gw_jstr(r.json, "id"), did);
	http_reply_free(&r);
}

/* ---- facts ---- */

static const char *letter(int64_t t, const char *tmpl, const char *kind)
{
	return gw_fmt("{\"type\":\"letter_sent\",\"occurred_at\":\"%s\",\"template\":\"%s\",\"kind\":\"%s\"}",
		   stamp(t), tmpl, kind);
}

static const char *contact(int64_t t, const char *channel)
{
	return gw_fmt("{\"type\":\"contact_attempt\",\"occurred_at\":\"%s\",\"channel\":\"%s\",\"reached\":false}",
		   stamp(t), channel);
}

static void fact_recorded(const char *token, const char *did, const char *body)
{
	struct http_reply r;
	assert_int_equal(post(token, gw_fmt("/v1/dossiers/%s/events", did), body, &r), 201);
	assert_string_equal(gw_jstr(r.json, "status"), "recorded");
	http_reply_free(&r);
}

/* The comma-joined rule ids of a reasons array, each reason explained and not waived. */
static const char *rule_ids(json_t *reasons)
{
	char *b = gw_fmt("%s", "");
	size_t n = 0;
	assert_true(json_is_array(reasons));
	for (size_t i = 0; i < json_array_size(reasons); i++) {
		json_t *x = json_array_get(reasons, i);
		assert_true(strlen(gw_jstr(x, "message_nl")) > 10);
		assert_true(strlen(gw_jstr(x, "message_en")) > 10);
		assert_true(json_is_false(json_object_get(x, "waived")));
		n += (size_t)snprintf(b + n, 4096 - n, "%s%s", i ? "," : "", gw_jstr(x, "rule"));
	}
	return b;
}

/* A fact refused by rules: 422 with exactly those rules, kept in refused_events. */
static void fact_refused(const char *token, const char *did, const char *body, const char *rules)
{
	struct http_reply r;
	assert_int_equal(post(token, gw_fmt("/v1/dossiers/%s/events", did), body, &r), 422);
	assert_string_equal(r.content_type, "application/problem+json");
	assert_string_equal(gw_jstr(r.json, "code"), "fact_refused");
	assert_string_equal(rule_ids(json_object_get(r.json, "reasons")), rules);
	http_reply_free(&r);
}

/* ---- decisions ---- */

/* Asks for an escalation; asserts the outcome and the exact rules; returns the decision id. */
static const char *decide(const char *token, const char *did, const char *request, const char *outcome,
			  const char *rules)
{
	struct http_reply r;
	char *out = gw_fmt("%s", "");
	assert_int_equal(post(token, gw_fmt("/v1/dossiers/%s/escalations", did), request, &r), 201);
	assert_string_equal(gw_jstr(r.json, "dossier_id"), did);
	assert_string_equal(gw_jstr(r.json, "decision"), outcome);
	assert_string_equal(rule_ids(json_object_get(r.json, "reasons")), rules);
	snprintf(out, 4096, "%s", gw_jstr(r.json, "decision_id"));
	http_reply_free(&r);
	return out;
}

/* The dossier as its reader sees it (owned JSON). */
static json_t *dossier(const char *token, const char *did)
{
	struct http_reply r;
	assert_int_equal(get(token, gw_fmt("/v1/dossiers/%s", did), &r), 200);
	json_t *o = json_incref(r.json);
	http_reply_free(&r);
	return o;
}

static json_t *state_of(json_t *d)
{
	return json_object_get(d, "state");
}

/* ---- setup ---- */

static int setup(void **state)
{
	snprintf(cr_woonstad, sizeof(cr_woonstad), "woonstad-%s", gw_run_id());
	snprintf(cr_verzekeraar, sizeof(cr_verzekeraar), "verzekeraar-%s", gw_run_id());
	snprintf(cr_waterbedrijf, sizeof(cr_waterbedrijf), "waterbedrijf-%s", gw_run_id());
	snprintf(cr_outsider, sizeof(cr_outsider), "buiten-%s", gw_run_id());
	snprintf(p_noord, sizeof(p_noord), "incasso-noord-%s", gw_run_id());
	snprintf(p_zuid, sizeof(p_zuid), "incasso-zuid-%s", gw_run_id());
	snprintf(p_oost, sizeof(p_oost), "deurwaarder-oost-%s", gw_run_id());
	snprintf(k_ws_noord, sizeof(k_ws_noord), "woonstad-incassonoord-%s", gw_run_id());
	snprintf(k_ws_oost, sizeof(k_ws_oost), "woonstad-deurwaarder-%s", gw_run_id());
	snprintf(k_vz_zuid, sizeof(k_vz_zuid), "verzekeraar-incassozuid-%s", gw_run_id());
	snprintf(k_wb_oost, sizeof(k_wb_oost), "waterbedrijf-deurwaarder-%s", gw_run_id());
	if (!gw_start(&g, binary, NULL))
		return -1;
	bool ok = gw_token(&g, "admin", "ops", NULL, NULL, admin) &&
		  gw_token(&g, "creditor", "woonstad", cr_woonstad, NULL, woonstad) &&
		  gw_token(&g, "creditor", "verzekeraar", cr_verzekeraar, NULL, verzekeraar) &&
		  gw_token(&g, "creditor", "waterbedrijf", cr_waterbedrijf, NULL, waterbedrijf) &&
		  gw_token(&g, "creditor", "buiten", cr_outsider, NULL, outsider) &&
		  gw_token(&g, "agency", "noord", NULL, p_noord, noord) &&
		  gw_token(&g, "agency", "zuid", NULL, p_zuid, zuid) &&
		  gw_token(&g, "bailiff", "oost", NULL, p_oost, oost) &&
		  gw_token(&g, "monitor", "compliance", cr_woonstad, NULL, monitor);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	return gw_stop(&g) ? 0 : -1;
}

/* The partners and the contracts every story below works under. */
static void test_parties(void **state)
{
	const char *agency = "{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"%s\","
			     "\"wki_registration\":{\"number\":\"%s\",\"valid_until\":\"2099-12-31\"}}";
	assert_int_equal(post_status(admin, "/v1/partners", gw_fmt(agency, p_noord, "Incassobureau Noord", "WKI-2024-00417")), 201);
	assert_int_equal(post_status(admin, "/v1/partners", gw_fmt(agency, p_zuid, "Incasso Zuid", "WKI-2024-01288")), 201);
	assert_int_equal(post_status(admin, "/v1/partners",
				     gw_fmt("{\"id\":\"%s\",\"kind\":\"bailiff\",\"name\":\"Deurwaarder Oost\"}", p_oost)),
			 201);

	const struct terms ws_noord = {"[\"collection_costs\",\"transfer_to_bailiff\",\"summons\",\"wage_garnishment\","
				       "\"extend_duration\"]", "[\"phone\",\"visit\"]", 1, 120, false, 25000, "1.0",
				       "[\"herinnering-v3\",\"veertiendagenbrief-v2\"]"};
	const struct terms ws_oost = {"[\"summons\",\"wage_garnishment\",\"goods_seizure\",\"extend_duration\"]",
				      "[\"phone\",\"visit\"]", 1, 180, false, 25000, "1.0",
				      "[\"aankondiging-dagvaarding-v1\"]"};
	const struct terms vz_zuid = {"[\"collection_costs\",\"transfer_to_bailiff\",\"extend_duration\"]",
				      "[\"phone\",\"visit\",\"video\"]", 2, 90, true, 50000, "0.5",
				      "[\"betalingsherinnering-v4\",\"veertiendagenbrief-v3\"]"};
	const struct terms wb_oost = {"[\"collection_costs\",\"summons\",\"wage_garnishment\",\"goods_seizure\","
				      "\"extend_duration\"]", "[\"phone\",\"visit\"]", 2, 180, false, 15000, "0.75",
				      "[\"sommatie-minnelijk-v2\",\"veertiendagenbrief-v2\",\"aankondiging-dagvaarding-v1\"]"};
	assert_int_equal(post_status(woonstad, "/v1/contracts", contract_doc(k_ws_noord, p_noord, "fixed_fee", &ws_noord)), 201);
	assert_int_equal(post_status(woonstad, "/v1/contracts", contract_doc(k_ws_oost, p_oost, "fixed_fee", &ws_oost)), 201);
	assert_int_equal(post_status(verzekeraar, "/v1/contracts", contract_doc(k_vz_zuid, p_zuid, "per_action", &vz_zuid)), 201);
	assert_int_equal(post_status(waterbedrijf, "/v1/contracts", contract_doc(k_wb_oost, p_oost, "fixed_fee", &wb_oost)), 201);
}

/*
 * Story 1a: Woonstad hands a file to Incassobureau Noord 40 days ago; the
 * reminder and the fourteen-day letter went out about 35 days ago, so the
 * 14 days after presumed receipt have long run out (R10).
 */
static void test_housing_agency(void **state)
{
	char did[64];
	snprintf(did, sizeof(did), "%s", id("ws-1"));
	hand_over(woonstad, did, p_noord, k_ws_noord, 84000, "amicable", false, local_at(today() - 40, 9, 0));
	fact_recorded(noord, did, letter(local_at(today() - 37, 10, 0), "herinnering-v3", "reminder"));
	fact_recorded(noord, did, letter(local_at(today() - 35, 10, 0), "veertiendagenbrief-v2", "fourteen_day_letter"));
	json_t *d = dossier(noord, did);
	assert_true(json_is_true(json_object_get(state_of(d), "fourteen_day_letter_sent")));
	char today_s[11];
	caldate_format(today(), today_s);
	assert_true(strcmp(gw_jstr(state_of(d), "costs_allowed_from"), today_s) <= 0);
	json_decref(d);

	/* WIK on EUR 840.00: 15% = EUR 126.00, no VAT: the full amount is allowed once */
	decide(noord, did, "{\"action\":\"collection_costs\",\"amount_cents\":12600}", "allow", "");
	decide(noord, did, "{\"action\":\"collection_costs\",\"amount_cents\":12600}", "deny", "R10");

	/* R13: an unapproved letter is refused and kept against the partner */
	fact_refused(noord, did, letter((int64_t)time(NULL) - 3600, "aanmaning-oud-v1", "reminder"), "R13");
	assert_string_equal(sql_value("SELECT rules::text FROM refused_events WHERE dossier_id = $1 "
				      "AND type = 'letter_sent'", did), "{R13}");

	/* R18: a phone call at 22:00 is refused and kept; one at 10:00 on a weekday is recorded */
	int32_t call_day = contact_day_ago(1, 30);
	fact_refused(noord, did, contact(local_at(call_day, 22, 0), "phone"), "R18");
	assert_string_equal(sql_value("SELECT rules::text FROM refused_events WHERE dossier_id = $1 "
				      "AND type = 'contact_attempt'", did), "{R18}");
	assert_int_equal(sql_count("SELECT count(*) FROM audit_log WHERE kind = 'event.refused' AND subject = $1",
				   did), 2);
	fact_recorded(noord, did, contact(local_at(call_day, 10, 0), "phone"));
	d = dossier(woonstad, did);
	assert_int_equal(json_integer_value(json_object_get(state_of(d), "contact_attempts_counting")), 1);
	assert_int_equal(json_array_size(json_object_get(d, "timeline")), 3);
	json_decref(d);

	decide(noord, did, "{\"action\":\"transfer_to_bailiff\"}", "allow", "");
}

/*
 * Story 1b: Woonstad hands the judicial phase of a file to Deurwaarder Oost.
 * No summons before an attempt at personal contact (R03); the principal is
 * above summons_min_principal_cents and the expected costs within the ratio.
 */
static void test_housing_bailiff_summons(void **state)
{
	char did[64];
	snprintf(did, sizeof(did), "%s", id("ws-2"));
	hand_over(woonstad, did, p_oost, k_ws_oost, 84000, "judicial", false, local_at(today() - 20, 9, 0));
	const char *summons = "{\"action\":\"summons\",\"expected_costs_cents\":30000}";
	decide(oost, did, summons, "deny", "R03");
	fact_recorded(oost, did, contact(local_at(contact_day_ago(1, 19), 10, 0), "visit"));
	decide(oost, did, summons, "allow", "");
}

/* Story 2: the insurer's debtor enters debt help: no escalation until it ends (R06). */
static void test_insurer_debt_help(void **state)
{
	char did[64];
	snprintf(did, sizeof(did), "%s", id("vz-1"));
	hand_over(verzekeraar, did, p_zuid, k_vz_zuid, 120000, "amicable", false, local_at(today() - 40, 9, 0));
	fact_recorded(zuid, did, letter(local_at(today() - 35, 10, 0), "veertiendagenbrief-v3", "fourteen_day_letter"));
	int64_t now = (int64_t)time(NULL);
	fact_recorded(verzekeraar, did,
		      gw_fmt("{\"type\":\"debt_help_started\",\"occurred_at\":\"%s\",\"kind\":\"debt_help\"}",
			  stamp(now - 2 * 86400)));
	json_t *d = dossier(zuid, did);
	assert_true(json_is_true(json_object_get(state_of(d), "debt_help_active")));
	json_decref(d);

	/* WIK on EUR 1,200.00: 15% = EUR 180.00, with 21% VAT EUR 217.80; EUR 200.00 is within */
	decide(zuid, did, "{\"action\":\"transfer_to_bailiff\"}", "deny", "R06");
	decide(zuid, did, "{\"action\":\"collection_costs\",\"amount_cents\":20000}", "deny", "R06");
	/* R06 holds escalations; extend_duration is none (policy/rule_holds.c) */
	decide(zuid, did, "{\"action\":\"extend_duration\"}", "allow", "");

	fact_recorded(verzekeraar, did,
		      gw_fmt("{\"type\":\"debt_help_ended\",\"occurred_at\":\"%s\"}", stamp(now - 120)));
	d = dossier(zuid, did);
	assert_true(json_is_false(json_object_get(state_of(d), "debt_help_active")));
	json_decref(d);
	decide(zuid, did, "{\"action\":\"transfer_to_bailiff\"}", "allow", "");
}

/*
 * Story 2b: the insurer's file ran past its 90 days while the debtor paid in
 * instalments; the agency extends once by 30 days (R04), which moves the last
 * day to handover + 90 + 30, so the file may be escalated again.
 */
static void test_insurer_extension(void **state)
{
	char did[64];
	snprintf(did, sizeof(did), "%s", id("vz-2"));
	int32_t handover = today() - 100;
	hand_over(verzekeraar, did, p_zuid, k_vz_zuid, 120000, "amicable", false, local_at(handover, 9, 0));
	decide(zuid, did, "{\"action\":\"transfer_to_bailiff\"}", "deny", "R04");
	decide(zuid, did, "{\"action\":\"extend_duration\",\"extend_days\":30}", "allow", "");
	char until[11];
	caldate_format(handover + 90 + 30, until);
	json_t *d = dossier(verzekeraar, did);
	assert_int_equal(json_integer_value(json_object_get(state_of(d), "extensions")), 1);
	assert_string_equal(gw_jstr(state_of(d), "max_duration_until"), until);
	assert_true(json_is_false(json_object_get(state_of(d), "past_max_duration")));
	json_decref(d);
	decide(zuid, did, "{\"action\":\"transfer_to_bailiff\"}", "allow", "");
	/* once per dossier */
	decide(zuid, did, "{\"action\":\"extend_duration\",\"extend_days\":30}", "deny", "R04");
}

/* Two attempts at personal contact on one contact day, as the water company's contract requires. */
static void two_attempts(const char *did, int farthest)
{
	int32_t day = contact_day_ago(1, farthest);
	fact_recorded(oost, did, contact(local_at(day, 10, 0), "phone"));
	fact_recorded(oost, did, contact(local_at(day, 11, 0), "visit"));
}

/*
 * Story 3: the water company's bailiff on the shortened track (R05). Amicable
 * steps on the handover day and the 13 days after it; judicial steps from
 * handover + 14 days on. Dossier A is on its last amicable day, B on its
 * first judicial day.
 */
static void test_bailiff_shortened_track(void **state)
{
	char a[64], b[64];
	snprintf(a, sizeof(a), "%s", id("wb-a"));
	snprintf(b, sizeof(b), "%s", id("wb-b"));
	hand_over(waterbedrijf, a, p_oost, k_wb_oost, 60000, "judicial", true, local_at(today() - 13, 9, 0));
	hand_over(waterbedrijf, b, p_oost, k_wb_oost, 60000, "judicial", true, local_at(today() - 14, 9, 0));
	two_attempts(a, 12);
	two_attempts(b, 13);
	/* EUR 600.00: above the EUR 150.00 minimum; at most 0.75 x 600 = EUR 450.00 of costs */
	const char *summons = "{\"action\":\"summons\",\"expected_costs_cents\":30000}";

	/* A: within the track */
	struct http_reply r;
	assert_int_equal(post(oost, gw_fmt("/v1/dossiers/%s/escalations", a), summons, &r), 201);
	assert_string_equal(gw_jstr(r.json, "decision"), "deny");
	assert_string_equal(rule_ids(json_object_get(r.json, "reasons")), "R05");
	assert_string_equal(gw_jstr(json_array_get(json_object_get(r.json, "reasons"), 0), "remedy"),
			    gw_fmt("Not before %s.", date_en(today() + 1)));
	http_reply_free(&r);
	decide(oost, a, "{\"action\":\"extend_duration\"}", "allow", "");
	/* R05 lets collection costs through on the track; R10 still wants a fourteen-day letter run out */
	decide(oost, a, "{\"action\":\"collection_costs\",\"amount_cents\":9000}", "deny", "R10");

	/* B: the track has ended */
	decide(oost, b, "{\"action\":\"extend_duration\"}", "deny", "R05");
	decide(oost, b, "{\"action\":\"collection_costs\",\"amount_cents\":9000}", "deny", "R05,R10");
	decide(oost, b, summons, "allow", "");
}

/* Story 4: an agency asks for bank seizure. */
static void test_agency_bank_seizure(void **state)
{
	char did[64];
	snprintf(did, sizeof(did), "%s", id("ws-3"));
	hand_over(woonstad, did, p_noord, k_ws_noord, 84000, "amicable", false, local_at(today() - 10, 9, 0));
	/*
	 * R01 the contract forbids it; R14 it is not among the allowed actions;
	 * R16 a seizure is a bailiff's step; R17 no judgment is recorded.
	 */
	decide(noord, did, "{\"action\":\"bank_seizure\"}", "deny", "R01,R14,R16,R17");
}

/* Story 5 runs on its own gateway whose deadline timer fires every 200 ms. */
static struct gw slow;

/* Starts a gateway with one setting of its own in place of g; swap_out puts g back. */
static int swap_in(const char *setting)
{
	const char *env[] = {setting, NULL};
	struct gw own;
	if (!gw_start(&own, binary, env))
		return -1;
	slow = g;
	g = own;
	return 0;
}

static int swap_out(void **state)
{
	bool ok = gw_stop(&g);
	g = slow;
	return ok ? 0 : -1;
}

static int fast_janitor_up(void **state)
{
	return swap_in("FAIRGATE_JANITOR_INTERVAL_MS=200");
}

/* Story 5: a dossier past its maximum duration is denied (R04) and flagged for return by the timer. */
static void test_past_max_duration(void **state)
{
	char did[64];
	snprintf(did, sizeof(did), "%s", id("ws-4"));
	/* the 120 days from the handover day ran out 5 days ago */
	hand_over(woonstad, did, p_noord, k_ws_noord, 84000, "amicable", false, local_at(today() - 125, 9, 0));
	decide(noord, did, "{\"action\":\"transfer_to_bailiff\"}", "deny", "R04");
	json_t *d = dossier(woonstad, did);
	assert_true(json_is_true(json_object_get(state_of(d), "past_max_duration")));
	json_decref(d);

	bool flagged = false;
	for (int i = 0; i < 50 && !flagged; i++) {
		d = dossier(woonstad, did);
		flagged = json_is_true(json_object_get(d, "flagged_for_return"));
		json_decref(d);
		if (!flagged)
			usleep(100 * 1000);
	}
	assert_true(flagged);
	usleep(600 * 1000); /* a few more timer runs: the dossier is flagged once */
	assert_int_equal(sql_count("SELECT count(*) FROM audit_log WHERE kind = 'dossier.flagged_for_return' "
				   "AND subject = $1", did), 1);
	/* the creditor and the partner are both notified */
	assert_int_equal(sql_count("SELECT count(*) FROM outbox WHERE event_type = 'dossier.past_max_duration' "
				   "AND payload::jsonb->>'dossier_id' = $1", did), 2);
}

/* ---- Idempotency-Key ---- */

struct raw_reply {
	long status;
	char body[8192];
	size_t body_len;
	char headers[4096];
	size_t headers_len;
};

static size_t raw_append(char *dst, size_t *len, size_t cap, const char *p, size_t n)
{
	size_t room = cap - 1 - *len;
	size_t k = n < room ? n : room;
	memcpy(dst + *len, p, k);
	*len += k;
	dst[*len] = '\0';
	return n;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct raw_reply *r = arg;
	return raw_append(r->body, &r->body_len, sizeof(r->body), p, size * n);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct raw_reply *r = arg;
	return raw_append(r->headers, &r->headers_len, sizeof(r->headers), p, size * n);
}

/* A POST with an Idempotency-Key, keeping the response headers and the exact body bytes. */
static void post_idem(const char *token, const char *path, const char *body, const char *key, struct raw_reply *out)
{
	char url[512];
	struct curl_slist *h = NULL;
	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", g.base, path);
	h = curl_slist_append(h, gw_fmt("Authorization: Bearer %s", token));
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, gw_fmt("Idempotency-Key: %s", key));
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
}

static bool replayed(const struct raw_reply *r)
{
	for (const char *p = r->headers; (p = strchr(p, '\n')) != NULL;)
		if (strncasecmp(++p, "Idempotent-Replayed:", 20) == 0)
			return true;
	return false;
}

/* Story 6: a retried request is answered from the record, never decided twice. */
static void test_idempotency(void **state)
{
	char did[64];
	struct raw_reply first, again, other;
	snprintf(did, sizeof(did), "%s", id("ws-5"));
	hand_over(woonstad, did, p_noord, k_ws_noord, 84000, "amicable", false, local_at(today() - 10, 9, 0));
	const char *path = gw_fmt("/v1/dossiers/%s/escalations", did);
	const char *key = gw_fmt("retry-%s-esc", gw_run_id());
	const char *q = "SELECT count(*) FROM decisions WHERE dossier_id = $1";

	post_idem(noord, path, "{\"action\":\"transfer_to_bailiff\"}", key, &first);
	assert_int_equal(first.status, 201);
	assert_false(replayed(&first));
	assert_int_equal(sql_count(q, did), 1);
	post_idem(noord, path, "{\"action\":\"transfer_to_bailiff\"}", key, &again);
	assert_int_equal(again.status, 201);
	assert_true(replayed(&again));
	assert_int_equal(again.body_len, first.body_len);
	assert_memory_equal(again.body, first.body, first.body_len);
	/* the body is stored once, as the decision's audit payload (sql/015): the key's answer and
	 * the notification refer to the decision */
	assert_int_equal(sql_count("SELECT count(*) FROM idempotency_keys k JOIN decisions d "
				   "ON d.id = k.decision_id JOIN audit_log a ON a.chain = d.audit_chain "
				   "AND a.seq = d.audit_seq WHERE k.key = $1 AND k.response IS NULL "
				   "AND d.body IS NULL AND a.payload IS NOT NULL", key), 1);
	assert_int_equal(sql_count("SELECT count(*) FROM outbox o JOIN decisions d ON d.id = o.decision_id "
				   "WHERE d.dossier_id = $1 AND o.payload IS NULL "
				   "AND o.event_type = 'decision.made'", did), 1);
	post_idem(noord, path, "{\"action\":\"collection_costs\",\"amount_cents\":100}", key, &other);
	assert_int_equal(other.status, 422);
	json_t *p = json_loads(other.body, 0, NULL);
	assert_string_equal(gw_jstr(p, "code"), "idempotency_key_reused");
	json_decref(p);
	assert_int_equal(sql_count(q, did), 1);

	/* facts too: the replay is the first answer, and one event is stored */
	const char *fact = contact(local_at(contact_day_ago(1, 9), 10, 0), "phone");
	const char *ekey = gw_fmt("retry-%s-fact", gw_run_id());
	const char *events = "SELECT count(*) FROM events WHERE dossier_id = $1";
	post_idem(noord, gw_fmt("/v1/dossiers/%s/events", did), fact, ekey, &first);
	assert_int_equal(first.status, 201);
	post_idem(noord, gw_fmt("/v1/dossiers/%s/events", did), fact, ekey, &again);
	assert_int_equal(again.status, 201);
	assert_true(replayed(&again));
	assert_string_equal(again.body, first.body);
	assert_int_equal(sql_count(events, did), 1);
}

/* A counter of the gateway's /metrics; the test fails when it is absent. */
static long long metric(const char *name)
{
	long long v = gw_metric(&g, name);
	assert_true(v >= 0);
	return v;
}

/*
 * A burst of requests arriving together is read in few statements (one per
 * loop turn, their Idempotency-Keys looked up in one more), and every answer
 * is still its own request's: the dossier in its path, 404 for an unknown or
 * another partner's dossier, the same dossier asked twice answered twice, a
 * retried key answered with its first decision.
 */
#define BURST 25
static void test_burst_read_together(void **state)
{
	char did[3][64], other[64];
	for (int i = 0; i < 3; i++) {
		snprintf(did[i], sizeof(did[i]), "%s", id(gw_fmt("ws-burst%d", i)));
		hand_over(woonstad, did[i], p_noord, k_ws_noord, 84000, "amicable", false,
			  local_at(today() - 10, 9, 0));
	}
	snprintf(other, sizeof(other), "%s", id("ws-burst-oost"));
	hand_over(woonstad, other, p_oost, k_ws_oost, 84000, "amicable", false, local_at(today() - 10, 9, 0));
	/* the last call of the burst retries this one */
	struct http_reply first;
	const char *retry_key = gw_fmt("burst-%s-retry", gw_run_id());
	const char *hdr[] = {gw_fmt("Idempotency-Key: %s", retry_key), NULL};
	assert_true(gw_http(&g, "POST", gw_fmt("/v1/dossiers/%s/escalations", did[1]), noord,
			    "{\"action\":\"bank_seizure\"}", hdr, &first));
	assert_int_equal(first.status, 201);
	char first_id[64];
	snprintf(first_id, sizeof(first_id), "%s", gw_jstr(first.json, "decision_id"));
	http_reply_free(&first);
	long long reads0 = metric("fairgate_dossier_reads_total");
	long long stmts0 = metric("fairgate_dossier_read_statements_total");
	assert_true(reads0 >= 0 && stmts0 >= 0);
	char *log0 = gw_read_log(&g);
	assert_non_null(log0);
	size_t log_at = strlen(log0);
	free(log0);

	static struct gw_call calls[BURST];
	const char *want[BURST]; /* the dossier each answer must name, NULL for 404 */
	memset(calls, 0, sizeof(calls));
	for (int j = 0; j < BURST; j++) {
		const char *target = j % 6 < 3 ? did[j % 3] : j % 6 == 3 ? did[0] : j % 6 == 4 ? other
										  : id("ws-burst-none");
		want[j] = j % 6 < 4 ? target : NULL;
		calls[j].g = &g;
		calls[j].method = "POST";
		calls[j].token = noord;
		snprintf(calls[j].path, sizeof(calls[j].path), "/v1/dossiers/%s/escalations", target);
		snprintf(calls[j].body, sizeof(calls[j].body), "{\"action\":\"bank_seizure\"}");
		snprintf(calls[j].idem_key, sizeof(calls[j].idem_key), "burst-%s-%d", gw_run_id(), j);
	}
	snprintf(calls[BURST - 1].path, sizeof(calls[BURST - 1].path), "/v1/dossiers/%s/escalations", did[1]);
	snprintf(calls[BURST - 1].idem_key, sizeof(calls[BURST - 1].idem_key), "%s", retry_key);
	want[BURST - 1] = did[1];
	assert_int_equal(gw_http_batch(calls, BURST, BURST, NULL, NULL), BURST);
	/*
	 * Every answer has its access line, whole, by the time its client has the
	 * answer: the lines of one batch's answers are held and written together
	 * (log_hold), and none of them may be lost or run into another. Read
	 * before anything else is asked, so that no later line flushes them.
	 */
	char *log = gw_read_log(&g);
	assert_non_null(log);
	assert_true(strlen(log) >= log_at);
	int lines = 0, statuses[2] = {0, 0};
	for (char *p = log + log_at, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends */
		*nl = '\0';
		json_t *o = json_loads(p, 0, NULL);
		if (!o)
			continue; /* not ours: a line run into another would go uncounted, and fail below */
		json_t *ms = json_object_get(o, "ms");
		if (strcmp(gw_jstr(o, "type"), "access") == 0 &&
		    strcmp(gw_jstr(o, "route"), "escalations.create") == 0) {
			assert_true(json_is_real(ms) && json_real_value(ms) >= 0);
			long st = (long)json_integer_value(json_object_get(o, "status"));
			assert_true(st == 201 || st == 404);
			statuses[st == 201]++;
			lines++;
		}
		json_decref(o);
	}
	free(log);
	assert_int_equal(lines, BURST);
	int not_found = 0;
	for (int j = 0; j < BURST; j++)
		not_found += !want[j];
	assert_int_equal(statuses[0], not_found);
	assert_int_equal(statuses[1], BURST - not_found);
	for (int j = 0; j < BURST; j++) {
		if (!want[j]) {
			assert_int_equal(calls[j].status, 404);
			continue;
		}
		assert_int_equal(calls[j].status, 201);
		json_t *d = json_loads(calls[j].resp, 0, NULL);
		assert_non_null(d);
		assert_string_equal(gw_jstr(d, "dossier_id"), want[j]);
		assert_string_equal(gw_jstr(d, "decision"), "deny");
		if (j == BURST - 1)
			assert_string_equal(gw_jstr(d, "decision_id"), first_id); /* replayed, not decided again */
		else
			assert_string_not_equal(gw_jstr(d, "decision_id"), first_id);
		json_decref(d);
	}
	gw_calls_free(calls, BURST);
	long long reads = metric("fairgate_dossier_reads_total") - reads0;
	long long stmts = metric("fairgate_dossier_read_statements_total") - stmts0;
	fprintf(stderr, "burst of %d: %lld dossier reads in %lld statements\n", BURST, reads, stmts);
	assert_int_equal(reads, BURST);
	assert_true(stmts >= 1 && stmts < reads);

}

/*
 * With read_in_flight_max = 1, loads that arrive while a read statement is out
 * wait for its answer and then go together, in one statement. The test holds
 * an exclusive lock on dossiers, so the first request's read stays out; the
 * requests after it must not send statements of their own until the lock
 * goes, and every one of them is still answered, each with its own dossier.
 * Each step waits for the gateway's own counters, not for a time.
 */
#define HELD_REST 9
struct held_read {
	PGconn *db;                       /* holds the lock in an open transaction */
	struct gw_call rest[HELD_REST];
	long long stmts0, during;
	bool rest_sent, released;
};

static bool release_held(void *arg, double ms)
{
	struct held_read *h = arg;
	/* the rest have arrived and wait for the first answer (3 s at most: the statement timeout is 5) */
	if (!h->released && (metric("fairgate_dossier_reads_waiting") == HELD_REST || ms > 3000)) {
		h->during = metric("fairgate_dossier_read_statements_total") - h->stmts0;
		PGresult *r = PQexec(h->db, "COMMIT");
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		h->released = true;
	}
	return true;
}

static bool send_rest(void *arg, double ms)
{
	struct held_read *h = arg;
	/* the first read is out, waiting for the lock (3 s at most) */
	if (!h->rest_sent && (metric("fairgate_dossier_read_statements_total") > h->stmts0 || ms > 3000)) {
		h->rest_sent = true;
		assert_int_equal(gw_http_batch(h->rest, HELD_REST, HELD_REST, release_held, h), HELD_REST);
	}
	return true;
}

static int one_read_up(void **state)
{
	return swap_in("FAIRGATE_READ_IN_FLIGHT_MAX=1");
}

static void test_reads_wait_their_turn(void **state)
{
	char did[3][64];
	for (int i = 0; i < 3; i++) {
		snprintf(did[i], sizeof(did[i]), "%s", id(gw_fmt("ws-turn%d", i)));
		hand_over(woonstad, did[i], p_noord, k_ws_noord, 84000, "amicable", false,
			  local_at(today() - 10, 9, 0));
	}
	static struct held_read h;
	memset(&h, 0, sizeof(h));
	struct gw_call first[1];
	memset(first, 0, sizeof(first));
	for (int j = 0; j <= HELD_REST; j++) {
		struct gw_call *c = j == 0 ? &first[0] : &h.rest[j - 1];
		c->g = &g;
		c->method = "POST";
		c->token = noord;
		snprintf(c->path, sizeof(c->path), "/v1/dossiers/%s/escalations", did[j % 3]);
		snprintf(c->body, sizeof(c->body), "{\"action\":\"bank_seizure\"}");
		snprintf(c->idem_key, sizeof(c->idem_key), "turn-%s-%d", gw_run_id(), j);
	}
	long long reads0 = metric("fairgate_dossier_reads_total");
	h.stmts0 = metric("fairgate_dossier_read_statements_total");
	h.db = PQconnectdb(getenv("FAIRGATE_TEST_DATABASE_URL"));
	assert_int_equal(PQstatus(h.db), CONNECTION_OK);
	PGresult *r = PQexec(h.db, "BEGIN; LOCK TABLE dossiers IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);

	assert_int_equal(gw_http_batch(first, 1, 1, send_rest, &h), 1);
	PQfinish(h.db);
	assert_true(h.rest_sent && h.released);
	fprintf(stderr, "held read: %lld statement(s) out while it waited\n", h.during);
	assert_int_equal(h.during, 1);
	assert_int_equal(metric("fairgate_dossier_reads_waiting"), 0);
	for (int j = 0; j <= HELD_REST; j++) {
		struct gw_call *c = j == 0 ? &first[0] : &h.rest[j - 1];
		assert_int_equal(c->status, 201);
		json_t *d = json_loads(c->resp, 0, NULL);
		assert_non_null(d);
		assert_string_equal(gw_jstr(d, "dossier_id"), did[j % 3]);
		assert_string_equal(gw_jstr(d, "decision"), "deny");
		json_decref(d);
	}
	gw_calls_free(first, 1);
	gw_calls_free(h.rest, HELD_REST);
	/* the held one, then the rest in one */
	assert_int_equal(metric("fairgate_dossier_reads_total") - reads0, 1 + HELD_REST);
	assert_int_equal(metric("fairgate_dossier_read_statements_total") - h.stmts0, 2);
}

/* Story 7: every endpoint keeps each party to its own files. */
static void test_scoping(void **state)
{
	char did[64], dec[64];
	snprintf(did, sizeof(did), "%s", id("ws-6"));
	hand_over(woonstad, did, p_noord, k_ws_noord, 84000, "amicable", false, local_at(today() - 10, 9, 0));
	snprintf(dec, sizeof(dec), "%s", decide(noord, did, "{\"action\":\"transfer_to_bailiff\"}", "allow", ""));
	const char *dpath = gw_fmt("/v1/dossiers/%s", did), *decpath = gw_fmt("/v1/decisions/%s", dec);
	const char *cpath = gw_fmt("/v1/contracts/%s", k_ws_noord);
	const char *events = gw_fmt("/v1/dossiers/%s/events", did), *esc = gw_fmt("/v1/dossiers/%s/escalations", did);
	const char *fact = contact(local_at(contact_day_ago(1, 9), 10, 0), "phone");
	const char *ask = "{\"action\":\"transfer_to_bailiff\"}";

	/* the owner, its agency and its monitor read */
	const char *readers[] = {woonstad, noord, monitor};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(get_status(readers[i], dpath), 200);
		assert_int_equal(get_status(readers[i], decpath), 200);
		assert_int_equal(get_status(readers[i], cpath), 200);
	}
	/* another creditor, another agency, and Woonstad's own bailiff for other files see nothing */
	const char *strangers[] = {outsider, verzekeraar, zuid, oost};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(get_status(strangers[i], dpath), 404);
		assert_int_equal(get_status(strangers[i], decpath), 404);
		assert_int_equal(get_status(strangers[i], cpath), 404);
		assert_int_equal(post_status(strangers[i], events, fact), 404);
	}
	assert_int_equal(post_status(zuid, esc, ask), 404);
	assert_int_equal(post_status(oost, esc, ask), 404);
	/* a creditor does not escalate; a monitor writes nothing */
	assert_int_equal(post_status(woonstad, esc, ask), 403);
	assert_int_equal(post_status(monitor, events, fact), 403);
	assert_int_equal(post_status(monitor, esc, ask), 403);
	assert_int_equal(post_status(monitor, "/v1/dossiers", "{\"id\":\"x\"}"), 403);
	assert_int_equal(post_status(monitor, "/v1/contracts", "{\"id\":\"x\"}"), 403);
	assert_int_equal(post_status(monitor, "/v1/exceptions", "{\"id\":\"x\"}"), 403);
	assert_int_equal(post_status(monitor, "/v1/partners", "{\"id\":\"x\"}"), 403);
	/* nothing of it was stored */
	assert_int_equal(sql_count("SELECT count(*) FROM events WHERE dossier_id = $1", did), 0);
	assert_int_equal(sql_count("SELECT count(*) FROM decisions WHERE dossier_id = $1", did), 1);
}

/*
 * Every dossier's list of allowed escalations, kept on its row by the commit
 * batches (sql/013), equals what its allowed decisions give, in their order.
 */
static void test_allowed_kept_on_dossier(void **state)
{
	const char *agg =
	    "(SELECT coalesce(jsonb_agg(jsonb_build_array(a.action, extract(epoch FROM a.decided_at)::bigint, "
	    "coalesce(a.amount_cents, 0), coalesce((a.request->>'extend_days')::int, 0)) "
	    "ORDER BY a.decided_at, a.audit_chain, a.audit_seq), '[]') FROM decisions a "
	    "WHERE a.dossier_id = d.id AND a.outcome = 'allow')";
	char q[1024];
	snprintf(q, sizeof(q), "SELECT count(*) FROM dossiers d WHERE ('[' || d.allowed || ']')::jsonb "
		 "IS DISTINCT FROM %s", agg);
	assert_int_equal(sql_count(q, NULL), 0);
	/* not vacuous: the stories allowed escalations on several dossiers, one of them twice */
	assert_true(sql_count("SELECT count(*) FROM dossiers WHERE allowed <> ''", NULL) >= 3);
	assert_true(sql_count("SELECT count(*) FROM dossiers WHERE allowed LIKE '%],[%'", NULL) >= 1);
}

static void test_audit_verifies(void **state)
{
	char out[512];
	const char *args[] = {"audit", "verify", NULL};
	assert_int_equal(gw_cli(&g, args, out, sizeof(out)), 0);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parties),
		cmocka_unit_test(test_housing_agency),
		cmocka_unit_test(test_housing_bailiff_summons),
		cmocka_unit_test(test_insurer_debt_help),
		cmocka_unit_test(test_insurer_extension),
		cmocka_unit_test(test_bailiff_shortened_track),
		cmocka_unit_test(test_agency_bank_seizure),
		cmocka_unit_test_setup_teardown(test_past_max_duration, fast_janitor_up, swap_out),
		cmocka_unit_test(test_idempotency),
		cmocka_unit_test(test_burst_read_together),
		cmocka_unit_test_setup_teardown(test_reads_wait_their_turn, one_read_up, swap_out),
		cmocka_unit_test(test_scoping),
		cmocka_unit_test(test_allowed_kept_on_dossier),
		cmocka_unit_test(test_audit_verifies),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
