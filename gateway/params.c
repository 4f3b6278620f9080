/* params.c - each endpoint's query parameters, read and checked in one call (pure). */
#include "params.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "caldate.h"

bool params_audit(const char *raw, struct audit_params *out, struct query_error *err)
{
	static const char *const known[] = {"chain", "after_seq", "limit", NULL};
	struct query q;
	memset(out, 0, sizeof(*out));
	if (!query_parse(&q, raw, known, err))
		return false;
	bool ok = query_int(&q, "chain", 0, 0, INT32_MAX, &out->chain, err) &&
	          query_int(&q, "after_seq", 0, 0, LLONG_MAX, &out->after_seq, err) &&
	          query_int(&q, "limit", 500, 1, 5000, &out->limit, err);
	query_cleanup(&q);
	return ok;
}

bool params_checkpoints(const char *raw, struct checkpoint_params *out, struct query_error *err)
{
	static const char *const known[] = {"after_id", "limit", NULL};
	struct query q;
	memset(out, 0, sizeof(*out));
	if (!query_parse(&q, raw, known, err))
		return false;
	bool ok = query_int(&q, "after_id", 0, 0, LLONG_MAX, &out->after_id, err) &&
	          query_int(&q, "limit", 100, 1, 1000, &out->limit, err);
	query_cleanup(&q);
	return ok;
}

bool params_contract(const char *raw, int *version, struct query_error *err)
{
	static const char *const known[] = {"version", NULL};
	struct query q;
	long long v = 0;
	if (!query_parse(&q, raw, known, err))
		return false;
	bool ok = query_int(&q, "version", 0, 1, 1000000, &v, err);
	query_cleanup(&q);
	*version = (int)v;
	return ok;
}

bool params_outbox(const char *raw, struct outbox_params *out, struct query_error *err)
{
	static const char *const known[] = {"status", "after_id", "limit", NULL};
	static const char *const statuses[] = {"pending", "delivered", "dead", "no_endpoint",
	                                       NULL};
	struct query q;
	long long limit = 0;
	int status = -1;
	memset(out, 0, sizeof(*out));
	if (!query_parse(&q, raw, known, err))
		return false;
	bool ok = query_enum(&q, "status", statuses, -1, &status, err) &&
	          query_int(&q, "after_id", 0, 0, LLONG_MAX, &out->after_id, err) &&
	          query_int(&q, "limit", 100, 1, 500, &limit, err);
	query_cleanup(&q);
	out->status = status < 0 ? NULL : statuses[status];
	out->limit = (int)limit;
	return ok;
}

/* The scope and the period, shared by the KPI calls; the period is checked whole. */
static bool kpi_read(const struct query *q, struct kpi_query *out, struct query_error *err)
{
	int32_t from, to;
	if (!query_text(q, "creditor_id", out->creditor_id, sizeof(out->creditor_id), err) ||
	    !query_id(q, "partner_id", out->partner_id, err) ||
	    !query_date(q, "from", &from, err) || !query_date(q, "to", &to, err))
		return false;
	if (to < from)
		return query_fail(err, "to", "to must not lie before from");
	if (to - from + 1 > KPI_MAX_DAYS)
		return query_fail(err, "to", "the period is at most %d days", KPI_MAX_DAYS);
	caldate_format(from, out->from);
	caldate_format(to, out->to);
	return true;
}

bool params_kpi(const char *raw, struct kpi_query *out, struct query_error *err)
{
	static const char *const known[] = {"creditor_id", "partner_id", "from", "to", NULL};
	struct query q;
	memset(out, 0, sizeof(*out));
	if (!query_parse(&q, raw, known, err))
		return false;
	bool ok = kpi_read(&q, out, err);
	query_cleanup(&q);
	return ok;
}

bool params_scorecard(const char *raw, struct kpi_query *out, struct query_error *err)
{
	/* partner_id is known so that it is refused with a reason, not as unknown */
	static const char *const known[] = {"creditor_id", "partner_id", "from", "to", NULL};
	struct query q;
	memset(out, 0, sizeof(*out));
	if (!query_parse(&q, raw, known, err))
		return false;
	bool ok = query_value(&q, "partner_id")
	              ? query_fail(err, "partner_id",
	                           "the scorecard compares every partner; drop partner_id")
	              : kpi_read(&q, out, err);
	query_cleanup(&q);
	return ok;
}

/* year (required) and format; from and to span the year. */
static bool report_read(const struct query *q, struct report_query *out,
                        struct query_error *err)
{
	static const char *const formats[] = {"json", "csv", "html",
	                                      NULL}; /* enum report_format */
	long long year;
	int format;
	if (!query_text(q, "creditor_id", out->q.creditor_id, sizeof(out->q.creditor_id),
	                err) ||
	    !query_id(q, "partner_id", out->q.partner_id, err))
		return false;
	if (!query_value(q, "year"))
		return query_fail(err, "year", "year is required: a year from 2000 to 2100");
	if (!query_int(q, "year", 0, 2000, 2100, &year, err) ||
	    !query_enum(q, "format", formats, REPORT_JSON, &format, err))
		return false;
	out->year = (int)year;
	out->format = (enum report_format)format;
	snprintf(out->q.from, sizeof(out->q.from), "%04d-01-01", out->year);
	snprintf(out->q.to, sizeof(out->q.to), "%04d-12-31", out->year);
	return true;
}

bool params_report(const char *raw, struct report_query *out, struct query_error *err)
{
	static const char *const known[] = {"creditor_id", "partner_id", "year", "format",
	                                    NULL};
	struct query q;
	memset(out, 0, sizeof(*out));
	if (!query_parse(&q, raw, known, err))
		return false;
	bool ok = report_read(&q, out, err);
	query_cleanup(&q);
	return ok;
}
