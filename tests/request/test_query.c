/* test_query.c - unit tests: the query readers and each endpoint's parameters, on tables. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "caldate.h"
#include "params.h"
#include "query.h"

#define OK NULL /* a row's expected detail: accepted */

/* Every error is printable ASCII (it is echoed into JSON) and says something. */
static void assert_error_sane(const struct query_error *err)
{
	assert_true(err->detail[0] != '\0');
	for (const char *p = err->parameter; *p; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
	for (const char *p = err->detail; *p; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
}

/* An accepted row has no detail; a refused one names param and has want in its detail. */
static void expect(bool ok, const struct query_error *err, const char *raw, const char *param,
                   const char *want)
{
	if (!want) {
		if (!ok)
			fail_msg("\"%s\" refused: %s: %s", raw ? raw : "(null)", err->parameter,
			         err->detail);
		return;
	}
	if (ok)
		fail_msg("\"%s\" accepted; expected \"%s\"", raw ? raw : "(null)", want);
	assert_error_sane(err);
	assert_string_equal(err->parameter, param);
	if (!strstr(err->detail, want))
		fail_msg("\"%s\": detail \"%s\" lacks \"%s\"", raw, err->detail, want);
}

/* ---- the string as a whole: syntax, names, duplicates ---- */

struct parse_case {
	const char *raw;
	const char *param; /* expected err->parameter */
	const char *want;  /* a piece of the detail, or OK */
};

static const struct parse_case parse_cases[] = {
    {NULL, "", OK},
    {"", "", OK},
    {"n=1", "", OK},
    {"n=1&t=x", "", OK},
    {"n=1&", "", OK}, /* libevent takes a trailing '&' */
    {"n", "", "malformed"},
    {"=1", "", "malformed"},
    {"n=1&&t=2", "", "malformed"},
    {"&", "", "malformed"},
    {"n=1%00", "", "encoded NUL"},
    {"n=%001", "", "encoded NUL"},
    {"t=a%00b", "", "encoded NUL"},
    {"x=1", "x", "unknown parameter; this call takes n and t"},
    {"N=1", "N", "unknown parameter"},         /* names are exact */
    {"n%3D1=2", "n%3D1", "unknown parameter"}, /* names are not decoded */
    {"\xff\x01=1", "??", "unknown parameter"},
    {"a234567890123456789012345678901234567890=1", "a2345678901234567890123456789012",
     "unknown"},
    {"n=1&n=1", "n", "n is given more than once"},
    {"t=a&n=1&t=b", "t", "t is given more than once"},
};

static void test_parse(void **state)
{
	static const char *const known[] = {"n", "t", NULL};
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct query q;
		struct query_error err = {.parameter = ""};
		bool ok = query_parse(&q, c->raw, known, &err);
		expect(ok, &err, c->raw, c->param, c->want);
		query_cleanup(&q); /* harmless after a refusal too */
	}
}

static void test_no_known_names(void **state)
{
	static const char *const none[] = {NULL};
	struct query q;
	struct query_error err;
	assert_true(query_parse(&q, "", none, &err));
	query_cleanup(&q);
	assert_false(query_parse(&q, "a=1", none, &err));
	assert_string_equal(err.detail, "unknown parameter; this call takes none");
}

static void test_values_decoded(void **state)
{
	static const char *const known[] = {"n", "t", NULL};
	struct query q;
	struct query_error err;
	assert_true(query_parse(&q, "t=a%2Bb+c%26", known, &err));
	assert_string_equal(query_value(&q, "t"), "a+b c&");
	assert_null(query_value(&q, "n"));
	query_cleanup(&q);
}

/* ---- integers ---- */

struct int_case {
	const char *raw;
	long long lo, hi;
	const char *want;
	long long value; /* when accepted */
};

static const struct int_case int_cases[] = {
    {"", 1, 10, OK, 7}, /* absent: the default */
    {"n=1", 1, 10, OK, 1},
    {"n=10", 1, 10, OK, 10},
    {"n=0", 1, 10, "n is out of range: an integer from 1 to 10", 0},
    {"n=11", 1, 10, "out of range", 0},
    {"n=0", 0, 10, OK, 0},
    {"n=007", 0, 10, OK, 7},
    {"n=", 1, 10, "n is empty", 0},
    {"n=-1", 0, 10, "digits only", 0},
    {"n=%2B1", 0, 10, "digits only", 0},
    {"n=+1", 0, 10, "digits only", 0}, /* '+' is a space */
    {"n=1+", 0, 10, "digits only", 0},
    {"n=%201", 0, 10, "digits only", 0},
    {"n=1x", 0, 10, "digits only", 0},
    {"n=0x1", 0, 10, "digits only", 0},
    {"n=1e1", 0, 100, "digits only", 0},
    {"n=1.0", 0, 10, "digits only", 0},
    {"n=%EF%BC%91", 0, 10, "digits only", 0}, /* a full-width digit one */
    {"n=9223372036854775807", 0, LLONG_MAX, OK, LLONG_MAX},
    {"n=9223372036854775808", 0, LLONG_MAX, "out of range", 0},
    {"n=99999999999999999999999999", 0, LLONG_MAX, "out of range", 0},
    {"n=2147483647", 0, INT32_MAX, OK, INT32_MAX},
    {"n=2147483648", 0, INT32_MAX, "out of range", 0},
};

static void test_int(void **state)
{
	static const char *const known[] = {"n", NULL};
	for (size_t i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
		const struct int_case *c = &int_cases[i];
		struct query q;
		struct query_error err = {.parameter = ""};
		long long v = -1;
		assert_true(query_parse(&q, c->raw, known, &err));
		bool ok = query_int(&q, "n", 7, c->lo, c->hi, &v, &err);
		query_cleanup(&q);
		expect(ok, &err, c->raw, "n", c->want);
		assert_int_equal(v, ok ? c->value : 7); /* a refusal leaves the default */
	}
}

/* ---- dates, enumerations, ids, text ---- */

struct str_case {
	const char *raw;
	const char *want;
	const char *value; /* when accepted: the value read back ("" for absent) */
};

static const struct str_case date_cases[] = {
    {"d=2026-02-28", OK, "2026-02-28"},
    {"d=2024-02-29", OK, "2024-02-29"},
    {"d=1900-01-01", OK, "1900-01-01"},
    {"d=9999-12-31", OK, "9999-12-31"},
    {"", "d is required", NULL},
    {"d=", "d is empty", NULL},
    {"d=2026-02-29", "d must be a date YYYY-MM-DD", NULL},
    {"d=2026-13-01", "must be a date", NULL},
    {"d=2026-00-10", "must be a date", NULL},
    {"d=1899-12-31", "must be a date", NULL},
    {"d=2026-1-01", "must be a date", NULL},
    {"d=2026-01-01x", "must be a date", NULL},
    {"d=+2026-01-01", "must be a date", NULL},
    {"d=2026-01-01T00:00:00Z", "must be a date", NULL},
    {"d=20260101", "must be a date", NULL},
};

static void test_date(void **state)
{
	static const char *const known[] = {"d", NULL};
	for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		const struct str_case *c = &date_cases[i];
		struct query q;
		struct query_error err = {.parameter = ""};
		int32_t day = 0;
		char back[11];
		assert_true(query_parse(&q, c->raw, known, &err));
		bool ok = query_date(&q, "d", &day, &err);
		query_cleanup(&q);
		expect(ok, &err, c->raw, "d", c->want);
		if (ok) {
			caldate_format(day, back);
			assert_string_equal(back, c->value);
		}
	}
}

static const struct str_case enum_cases[] = {
    {"", OK, "csv"}, /* absent: the default */
    {"f=json", OK, "json"},
    {"f=csv", OK, "csv"},
    {"f=html", OK, "html"},
    {"f=", "f is empty; give json, csv or html", NULL},
    {"f=pdf", "f must be json, csv or html", NULL},
    {"f=JSON", "must be", NULL},
    {"f=json+", "must be", NULL},
    {"f=jso", "must be", NULL},
    {"f=jsonx", "must be", NULL},
};

static void test_enum(void **state)
{
	static const char *const known[] = {"f", NULL};
	static const char *const values[] = {"json", "csv", "html", NULL};
	for (size_t i = 0; i < sizeof(enum_cases) / sizeof(enum_cases[0]); i++) {
		const struct str_case *c = &enum_cases[i];
		struct query q;
		struct query_error err = {.parameter = ""};
		int v = -1;
		assert_true(query_parse(&q, c->raw, known, &err));
		bool ok = query_enum(&q, "f", values, 1, &v, &err);
		query_cleanup(&q);
		expect(ok, &err, c->raw, "f", c->want);
		if (ok)
			assert_string_equal(values[v], c->value);
	}
}

#define ID63 "a12345678901234567890123456789012345678901234567890123456789012"

static const struct str_case id_cases[] = {
    {"", OK, ""},
    {"p=a", OK, "a"},
    {"p=0", OK, "0"},
    {"p=a.b_c-d", OK, "a.b_c-d"},
    {"p=" ID63, OK, ID63},
    {"p=" ID63 "3", "p must be an id", NULL},
    {"p=", "p is empty", NULL},
    {"p=-a", "must be an id", NULL},
    {"p=.a", "must be an id", NULL},
    {"p=A", "must be an id", NULL},
    {"p=a+b", "must be an id", NULL},
    {"p=a/b", "must be an id", NULL},
    {"p=%C3%A9", "must be an id", NULL},
};

static void test_id(void **state)
{
	static const char *const known[] = {"p", NULL};
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const struct str_case *c = &id_cases[i];
		struct query q;
		struct query_error err = {.parameter = ""};
		char out[CONTRACT_ID_MAX] = "x";
		assert_true(query_parse(&q, c->raw, known, &err));
		bool ok = query_id(&q, "p", out, &err);
		query_cleanup(&q);
		expect(ok, &err, c->raw, "p", c->want);
		if (ok)
			assert_string_equal(out, c->value);
	}
}

static const struct str_case text_cases[] = {
    {"", OK, ""},
    {"c=x", OK, "x"},
    {"c=Cr-1.%21~", OK, "Cr-1.!~"},
    {"c=12345678", OK, "12345678"},
    {"c=123456789", "c is longer than 8 characters", NULL},
    {"c=", "c is empty", NULL},
    {"c=a+b", "c must be visible ASCII", NULL},
    {"c=a%09b", "visible ASCII", NULL},
    {"c=a%7Fb", "visible ASCII", NULL},
    {"c=%C3%A9", "visible ASCII", NULL},
    {"c=%FF", "visible ASCII", NULL},
};

static void test_text(void **state)
{
	static const char *const known[] = {"c", NULL};
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct str_case *c = &text_cases[i];
		struct query q;
		struct query_error err = {.parameter = ""};
		char out[9] = "x";
		assert_true(query_parse(&q, c->raw, known, &err));
		bool ok = query_text(&q, "c", out, sizeof(out), &err);
		query_cleanup(&q);
		expect(ok, &err, c->raw, "c", c->want);
		if (ok)
			assert_string_equal(out, c->value);
	}
}

/* ---- each endpoint ---- */

static void test_audit(void **state)
{
	struct audit_params p;
	struct query_error err;
	assert_true(params_audit(NULL, &p, &err));
	assert_int_equal(p.chain, 0);
	assert_int_equal(p.after_seq, 0);
	assert_int_equal(p.limit, 500);
	assert_true(params_audit("chain=2147483647&after_seq=9223372036854775807&limit=5000",
	                         &p, &err));
	assert_int_equal(p.chain, INT32_MAX);
	assert_int_equal(p.after_seq, LLONG_MAX);
	assert_int_equal(p.limit, 5000);
	assert_true(params_audit("limit=1", &p, &err));
	assert_int_equal(p.limit, 1);

	expect(params_audit("limit=0", &p, &err), &err, "", "limit", "from 1 to 5000");
	expect(params_audit("limit=5001", &p, &err), &err, "", "limit", "from 1 to 5000");
	expect(params_audit("chain=2147483648", &p, &err), &err, "", "chain", "out of range");
	expect(params_audit("after_seq=-1", &p, &err), &err, "", "after_seq", "digits only");
	expect(params_audit("after_seq=1&after_seq=2", &p, &err), &err, "", "after_seq",
	       "more than once");
	expect(params_audit("after_id=1", &p, &err), &err, "", "after_id",
	       "chain, after_seq and limit");
}

static void test_checkpoints(void **state)
{
	struct checkpoint_params p;
	struct query_error err;
	assert_true(params_checkpoints("", &p, &err));
	assert_int_equal(p.after_id, 0);
	assert_int_equal(p.limit, 100);
	assert_true(params_checkpoints("after_id=0&limit=1000", &p, &err));
	assert_int_equal(p.limit, 1000);
	expect(params_checkpoints("limit=1001", &p, &err), &err, "", "limit", "from 1 to 1000");
	expect(params_checkpoints("limit=0", &p, &err), &err, "", "limit", "from 1 to 1000");
	expect(params_checkpoints("after_id=", &p, &err), &err, "", "after_id", "empty");
	expect(params_checkpoints("after_seq=1", &p, &err), &err, "", "after_seq", "unknown");
}

static void test_contract_version(void **state)
{
	int v = -1;
	struct query_error err;
	assert_true(params_contract(NULL, &v, &err));
	assert_int_equal(v, 0);
	assert_true(params_contract("version=1", &v, &err));
	assert_int_equal(v, 1);
	assert_true(params_contract("version=1000000", &v, &err));
	assert_int_equal(v, 1000000);
	expect(params_contract("version=0", &v, &err), &err, "", "version",
	       "from 1 to 1000000");
	expect(params_contract("version=1000001", &v, &err), &err, "", "version",
	       "out of range");
	expect(params_contract("version=1.5", &v, &err), &err, "", "version", "digits only");
	expect(params_contract("version=", &v, &err), &err, "", "version", "empty");
}

static void test_outbox(void **state)
{
	struct outbox_params p;
	struct query_error err;
	assert_true(params_outbox(NULL, &p, &err));
	assert_null(p.status);
	assert_int_equal(p.after_id, 0);
	assert_int_equal(p.limit, 100);
	assert_true(params_outbox("status=no_endpoint&after_id=9&limit=500", &p, &err));
	assert_string_equal(p.status, "no_endpoint");
	assert_int_equal(p.after_id, 9);
	assert_int_equal(p.limit, 500);
	for (const char *const *s = (const char *const[]){"pending", "delivered", "dead", NULL};
	     *s; s++) {
		char raw[32];
		snprintf(raw, sizeof(raw), "status=%s", *s);
		assert_true(params_outbox(raw, &p, &err));
		assert_string_equal(p.status, *s);
	}
	expect(params_outbox("status=Dead", &p, &err), &err, "", "status",
	       "status must be pending, delivered, dead or no_endpoint");
	expect(params_outbox("status=", &p, &err), &err, "", "status", "empty");
	expect(params_outbox("limit=0", &p, &err), &err, "", "limit", "from 1 to 500");
	expect(params_outbox("limit=501", &p, &err), &err, "", "limit", "from 1 to 500");
	expect(params_outbox("limit=5x", &p, &err), &err, "", "limit", "digits only");
	expect(params_outbox("after_id=-1", &p, &err), &err, "", "after_id", "digits only");
}

struct kpi_case {
	const char *raw;
	const char *param;
	const char *want;
};

static const struct kpi_case kpi_cases[] = {
    {"from=2026-01-01&to=2026-01-01", "", OK},
    {"from=2024-01-01&to=2024-12-31", "", OK},                   /* 366 days, a leap year */
    {"from=2025-01-01&to=2026-01-01", "", OK},                   /* 366 days */
    {"from=2025-01-01&to=2026-01-02", "to", "at most 366 days"}, /* 367 */
    {"from=2024-01-01&to=2025-01-01", "to", "at most 366 days"},
    {"from=2026-01-02&to=2026-01-01", "to", "to must not lie before from"},
    {"to=2026-01-01", "from", "from is required"},
    {"from=2026-01-01", "to", "to is required"},
    {"from=2026-01-01&to=2026-13-01", "to", "to must be a date"},
    {"creditor_id=Cr.1&partner_id=p-1&from=2026-01-01&to=2026-01-31", "", OK},
    {"creditor_id=&from=2026-01-01&to=2026-01-31", "creditor_id", "empty"},
    {"creditor_id=a+b&from=2026-01-01&to=2026-01-31", "creditor_id", "visible ASCII"},
    {"creditor_id=" ID63 "45&from=2026-01-01&to=2026-01-31", "creditor_id", "longer than 64"},
    {"partner_id=P&from=2026-01-01&to=2026-01-31", "partner_id", "must be an id"},
    {"partner=p&from=2026-01-01&to=2026-01-31", "partner", "unknown parameter"},
    {"from=2026-01-01&to=2026-01-31&from=2026-01-02", "from", "more than once"},
};

static void test_kpi(void **state)
{
	for (size_t i = 0; i < sizeof(kpi_cases) / sizeof(kpi_cases[0]); i++) {
		const struct kpi_case *c = &kpi_cases[i];
		struct kpi_query q;
		struct query_error err = {.parameter = ""};
		expect(params_kpi(c->raw, &q, &err), &err, c->raw, c->param, c->want);
	}
	struct kpi_query q;
	struct query_error err;
	assert_true(
	    params_kpi("creditor_id=cr&partner_id=p1&from=2026-03-01&to=2026-03-31", &q, &err));
	assert_string_equal(q.creditor_id, "cr");
	assert_string_equal(q.partner_id, "p1");
	assert_string_equal(q.from, "2026-03-01");
	assert_string_equal(q.to, "2026-03-31");
	assert_true(params_kpi("from=2026-03-01&to=2026-03-31", &q, &err));
	assert_string_equal(q.creditor_id, "");
	assert_string_equal(q.partner_id, "");
}

static void test_scorecard(void **state)
{
	struct kpi_query q;
	struct query_error err;
	assert_true(params_scorecard("creditor_id=cr&from=2026-03-01&to=2026-03-31", &q, &err));
	assert_string_equal(q.creditor_id, "cr");
	expect(params_scorecard("partner_id=p1&from=2026-03-01&to=2026-03-31", &q, &err), &err,
	       "", "partner_id", "the scorecard compares every partner; drop partner_id");
	expect(params_scorecard("partner_id=&from=2026-03-01&to=2026-03-31", &q, &err), &err,
	       "", "partner_id", "drop partner_id");
	expect(params_scorecard("from=2026-03-01", &q, &err), &err, "", "to", "required");
}

static void test_report(void **state)
{
	struct report_query rq;
	struct query_error err;
	assert_true(params_report("year=2000", &rq, &err));
	assert_int_equal(rq.year, 2000);
	assert_int_equal(rq.format, REPORT_JSON);
	assert_string_equal(rq.q.from, "2000-01-01");
	assert_string_equal(rq.q.to, "2000-12-31");
	assert_true(params_report("creditor_id=cr&year=2100&format=csv", &rq, &err));
	assert_int_equal(rq.year, 2100);
	assert_int_equal(rq.format, REPORT_CSV);
	assert_string_equal(rq.q.creditor_id, "cr");
	assert_true(params_report("year=2026&format=html&partner_id=p1", &rq, &err));
	assert_int_equal(rq.format, REPORT_HTML);
	assert_string_equal(rq.q.partner_id, "p1");

	expect(params_report(NULL, &rq, &err), &err, "", "year", "year is required");
	expect(params_report("year=1999", &rq, &err), &err, "", "year", "from 2000 to 2100");
	expect(params_report("year=2101", &rq, &err), &err, "", "year", "from 2000 to 2100");
	expect(params_report("year=twenty", &rq, &err), &err, "", "year", "digits only");
	expect(params_report("year=2026&format=pdf", &rq, &err), &err, "", "format",
	       "json, csv or html");
	expect(params_report("year=2026&from=2026-01-01", &rq, &err), &err, "", "from",
	       "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_no_known_names),
	    cmocka_unit_test(test_values_decoded),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_date),
	    cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_id),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_audit),
	    cmocka_unit_test(test_checkpoints),
	    cmocka_unit_test(test_contract_version),
	    cmocka_unit_test(test_outbox),
	    cmocka_unit_test(test_kpi),
	    cmocka_unit_test(test_scorecard),
	    cmocka_unit_test(test_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
