/* fuzz_query.c - libFuzzer target: any bytes as a query string, through every endpoint. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caldate.h"
#include "params.h"
#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, so the fuzzer keeps the input. */
static void require(bool ok)
{
	if (!ok)
		abort();
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* A refusal says why in printable ASCII (it is echoed into a JSON body). */
static void check_error(bool ok, const struct query_error *err)
{
	if (ok)
		return;
	require(err->detail[0] != '\0' && strlen(err->detail) < sizeof(err->detail));
	require(printable(err->detail) && printable(err->parameter));
}

static bool date_ok(const char *s)
{
	int32_t day;
	char back[11];
	if (!caldate_parse(s, &day))
		return false;
	caldate_format(day, back);
	return strcmp(back, s) == 0;
}

static bool visible(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n >= 1 && n <= max &&
	       strspn(s, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") == n;
}

/* An accepted KPI question: ids of their forms, a real period of 1 to 366 days. */
static void check_kpi(const struct kpi_query *q)
{
	int32_t from = 0, to = -1;
	require(!q->creditor_id[0] || visible(q->creditor_id, CONTRACT_ID_MAX));
	require(!q->partner_id[0] || contract_id_valid(q->partner_id));
	require(date_ok(q->from) && date_ok(q->to));
	require(caldate_parse(q->from, &from) && caldate_parse(q->to, &to));
	require(from <= to && to - from < KPI_MAX_DAYS);
}

static void endpoints(const char *raw)
{
	struct query_error err;
	struct audit_params a;
	struct checkpoint_params c;
	struct outbox_params o;
	struct kpi_query k;
	struct report_query rq;
	int version;
	bool ok;

	ok = params_audit(raw, &a, &err);
	check_error(ok, &err);
	require(!ok || (a.chain >= 0 && a.chain <= INT32_MAX && a.after_seq >= 0 &&
	                a.limit >= 1 && a.limit <= 5000));
	ok = params_checkpoints(raw, &c, &err);
	check_error(ok, &err);
	require(!ok || (c.after_id >= 0 && c.limit >= 1 && c.limit <= 1000));
	ok = params_contract(raw, &version, &err);
	check_error(ok, &err);
	require(!ok || (version >= 0 && version <= 1000000));
	ok = params_outbox(raw, &o, &err);
	check_error(ok, &err);
	require(!ok ||
	        ((!o.status || !strcmp(o.status, "pending") || !strcmp(o.status, "delivered") ||
	          !strcmp(o.status, "dead") || !strcmp(o.status, "no_endpoint")) &&
	         o.after_id >= 0 && o.limit >= 1 && o.limit <= 500));
	ok = params_kpi(raw, &k, &err);
	check_error(ok, &err);
	if (ok)
		check_kpi(&k);
	ok = params_scorecard(raw, &k, &err);
	check_error(ok, &err);
	if (ok) {
		check_kpi(&k);
		require(!k.partner_id[0]);
	}
	ok = params_report(raw, &rq, &err);
	check_error(ok, &err);
	require(!ok || (rq.year >= 2000 && rq.year <= 2100 && rq.format >= REPORT_JSON &&
	                rq.format <= REPORT_HTML && date_ok(rq.q.from) && date_ok(rq.q.to) &&
	                strtol(rq.q.from, NULL, 10) == rq.year &&
	                strtol(rq.q.to, NULL, 10) == rq.year));
}

/* query_int against strtoll: digits whose value lies in [lo, hi] are taken, nothing else is. */
static void check_int(const struct query *q, const char *name, long long lo, long long hi)
{
	struct query_error err;
	const char *s = query_value(q, name);
	long long v, want = -1;
	bool ok = query_int(q, name, -7, lo, hi, &v, &err);
	check_error(ok, &err);
	if (!s) {
		require(ok && v == -7);
		return;
	}
	size_t n = strlen(s);
	if (n > 0 && strspn(s, "0123456789") == n) {
		errno = 0;
		want = strtoll(s, NULL, 10);
		if (errno == ERANGE)
			want = -1;
	}
	require(ok == (want >= lo && want <= hi));
	require(ok ? v == want : v == -7); /* a refusal leaves the default */
}

static void integers(const char *raw)
{
	static const char *const known[] = {"n", "m", NULL};
	struct query q;
	struct query_error err;
	bool ok = query_parse(&q, raw, known, &err);
	check_error(ok, &err);
	if (!ok)
		return;
	check_int(&q, "n", 1, 1000000);
	check_int(&q, "m", 0, LLONG_MAX);
	query_cleanup(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = malloc(size + 1);
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	raw[size] = '\0'; /* an embedded NUL ends the string, as it would the request line */
	endpoints(raw);
	integers(raw);
	free(raw);
	return 0;
}
