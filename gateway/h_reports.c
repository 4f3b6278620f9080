/* h_reports.c - GET /v1/reports/self-assessment: the yearly comply-or-explain draft, as JSON, CSV or HTML. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "handlers.h"
#include "kpi.h"
#include "mem.h"
#include "server.h"

#define N_KREQ 7
#define EXAMPLES_MAX 3

/* A key requirement of seed 002 (chapter 3), its Afsprakenkader principle and the rules that enforce it. */
struct kreq {
	const char *id;
	const char *title;     /* as in the policy (Dutch) */
	const char *principle; /* the matching principle of the Afsprakenkader Sociaal Incasseren (2025) */
	const char *reference; /* the references the policy names */
	const char *rules;     /* PostgreSQL text[] literal of the rules whose denials show the control */
};

static const struct kreq kreqs[N_KREQ] = {
	{"K1", "Aanbieden van ondersteuning in financiën en meewerken aan schuldhulpverlening",
	 "Doorverwijzen naar en meewerken met (erkende) schuldhulpverlening",
	 "Afsprakenkader Sociaal Incasseren (2025); Protocol bij betalingsachterstanden art. 8 en 9", "{R06,R09}"},
	{"K2", "Verankeren van sociaal incasseren in beleid en interne organisatie",
	 "Sociaal incasseren verankerd in beleid, processen en afspraken met ketenpartners",
	 "Afsprakenkader Sociaal Incasseren (2025)", "{R14,R01}"},
	{"K3", "Voorkomen van risicovolle betalingsverplichtingen",
	 "Extra oog voor kwetsbare groepen; risico's beperken", "Afsprakenkader Sociaal Incasseren (2025)",
	 "{R15}"},
	{"K4", "Ondersteunen bij missende betaling", "Persoonlijk contact en heldere, tijdige communicatie",
	 "Afsprakenkader Sociaal Incasseren (2025); Protocol bij betalingsachterstanden art. 11, 12 en 13",
	 "{R03,R13,R18}"},
	{"K5", "Passende betalingsregeling aanbieden", "Passende betalingsregeling, schuldenaar heeft de regie",
	 "Afsprakenkader Sociaal Incasseren (2025); Protocol bij betalingsachterstanden art. 2, 3 en 4",
	 "{R08,R07}"},
	{"K6", "Beperkte kosten in het minnelijke incassotraject",
	 "Beperkte kosten; duidelijke afspraken met incassopartijen",
	 "Afsprakenkader Sociaal Incasseren (2025); Protocol bij betalingsachterstanden art. 5 en 7",
	 "{R10,R04,R05}"},
	{"K7", "Gerechtelijk traject als laatste middel",
	 "Gerechtelijke stappen alleen als laatste middel en in verhouding tot de hoofdschuld",
	 "Afsprakenkader Sociaal Incasseren (2025); Protocol bij betalingsachterstanden art. 1, 6 en 10",
	 "{R11,R16,R17}"},
};

#define I(v) json_integer((json_int_t)(v))

/* The evidence figures of requirement k from the year's metric map. */
static json_t *evidence(int k, const json_t *m)
{
	long long sa = kpi_get(m, "summons_allowed", ""), sc = kpi_get(m, "summons_after_contact", "");
	long long att = kpi_get(m, "contact_attempts", ""), rch = kpi_get(m, "contact_reached", "");
	long long cost = kpi_get(m, "costs_charged_cents", ""), cap = kpi_get(m, "wik_cap_cents", "");
	json_t *o = json_object();
#define E(name, v) json_object_set_new(o, name, v)
#define R(rule) E("denied_by_" rule, I(kpi_get(m, "denied_rule", rule)))
	switch (k) {
	case 0: E("referrals_to_debt_help", I(kpi_get(m, "referrals", NULL))); R("R06"); R("R09"); break;
	case 1: E("escalations_requested", I(kpi_get(m, "requested", NULL)));
		E("escalations_denied", I(kpi_get(m, "denied", NULL))); R("R14"); R("R01"); break;
	case 2: E("dossiers_handed_over", I(kpi_get(m, "handed_over", ""))); R("R15"); break;
	case 3: E("summonses_allowed", I(sa)); E("summonses_preceded_by_contact", I(sc));
		E("share_summonses_preceded_by_contact", kpi_ratio(sc, sa));
		E("right_party_contact_rate", kpi_ratio(rch, att)); R("R03");
		E("refused_facts_R13", I(kpi_get(m, "refused_facts", "R13")));
		E("refused_facts_R18", I(kpi_get(m, "refused_facts", "R18"))); break;
	case 4: E("arrangements_agreed", I(kpi_get(m, "arrangements_agreed", "")));
		E("arrangements_broken", I(kpi_get(m, "arrangements_broken", ""))); R("R08"); R("R07"); break;
	case 5: E("costs_charged_cents", I(cost)); E("wik_cap_cents", I(cap));
		E("share_of_wik_cap", kpi_ratio(cost, cap));
		E("returned_past_max_duration", I(kpi_get(m, "returned_past_max", "")));
		E("median_days_amicable", kpi_median(m, "amicable_days")); R("R10"); R("R04"); break;
	default: E("summonses_allowed", I(sa)); R("R11"); R("R16"); R("R17"); break;
	}
#undef R
#undef E
	return o;
}

/* A draft status from the figures; the creditor confirms it or writes the explanation. */
static const char *draft_status(int k, const json_t *m)
{
	if (k == 3)
		return kpi_get(m, "summons_after_contact", "") < kpi_get(m, "summons_allowed", "") ||
			       kpi_get(m, "refused_facts", NULL) > 0 ? "explain" : "comply";
	if (k == 5)
		return kpi_get(m, "costs_charged_cents", "") > kpi_get(m, "wik_cap_cents", "") ? "explain" : "comply";
	return "comply";
}

static json_t *examples(const PGresult *res)
{
	json_t *a = json_array();
	for (int i = 0; res && i < PQntuples(res); i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "decision_id", PQgetvalue(res, i, 0),
						   "action", PQgetvalue(res, i, 1), "rules", PQgetvalue(res, i, 2),
						   "decided_at", PQgetvalue(res, i, 3)));
	return a;
}

static json_t *report_json(const struct report_query *rp, struct pgjob *job)
{
	json_t *m = kpi_metrics(pgjob_result(job, 0), NULL), *sections = json_array();
	for (int k = 0; k < N_KREQ; k++) {
		const struct kreq *kr = &kreqs[k];
		json_array_append_new(sections, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", kr->id,
			"requirement", kr->title, "principle", kr->principle, "reference", kr->reference,
			"status", draft_status(k, m), "explanation", "", "evidence", evidence(k, m),
			"denied_examples", examples(pgjob_result(job, 2 + k))));
	}
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o}", "creditor_id", rp->q.creditor_id, "year",
			      rp->year, "from", rp->q.from, "to", rp->q.to, "figures",
			      kpi_figures(m, kpi_active(pgjob_result(job, 1), NULL)), "sections", sections);
	json_decref(m);
	return o;
}

/* ---- CSV and HTML from the JSON draft ---- */

static void csv_field(FILE *f, const char *s, bool last)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputs(last ? "\"\r\n" : "\",", f);
}

static char *value_text(json_t *v)
{
	if (json_is_null(v))
		return xstrdup("");
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s)
		abort();
	return s;
}

static char *example_ids(json_t *ex)
{
	char buf[512] = "";
	size_t i;
	json_t *e;
	json_array_foreach(ex, i, e) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "%s%s %s", i ? "; " : "",
			 json_string_value(json_object_get(e, "decision_id")),
			 json_string_value(json_object_get(e, "rules")));
	}
	return xstrdup(buf);
}

static void csv_section(FILE *f, json_t *s)
{
	char *ex = example_ids(json_object_get(s, "denied_examples"));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(s, "evidence"), k, v) {
		char *t = value_text(v);
		csv_field(f, json_string_value(json_object_get(s, "id")), false);
		csv_field(f, json_string_value(json_object_get(s, "requirement")), false);
		csv_field(f, json_string_value(json_object_get(s, "principle")), false);
		csv_field(f, json_string_value(json_object_get(s, "status")), false);
		csv_field(f, "", false);
		csv_field(f, k, false);
		csv_field(f, t, false);
		csv_field(f, ex, true);
		free(t);
	}
	free(ex);
}

static void csv_write(FILE *f, json_t *o)
{
	fputs("requirement,title,principle,status,explanation,figure,value,denied_examples\r\n", f);
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(o, "sections"), i, s)
		csv_section(f, s);
}

static void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

#define HS(o, key) json_string_value(json_object_get(o, key))

static void html_section(FILE *f, json_t *s)
{
	fputs("<section><h2>", f);
	html_text(f, HS(s, "id"));
	fputs(" ", f);
	html_text(f, HS(s, "requirement"));
	fputs("</h2><p class=\"p\">Afsprakenkader: ", f);
	html_text(f, HS(s, "principle"));
	fputs(" <small>(", f);
	html_text(f, HS(s, "reference"));
	fprintf(f, ")</small></p><p>Status (draft): <b class=\"%s\">%s</b></p><table>", HS(s, "status"),
		HS(s, "status"));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(s, "evidence"), k, v) {
		char *t = value_text(v);
		fputs("<tr><th>", f);
		html_text(f, k);
		fputs("</th><td>", f);
		html_text(f, t);
		fputs("</td></tr>", f);
		free(t);
	}
	char *ex = example_ids(json_object_get(s, "denied_examples"));
	fputs("</table><p>Denied requests that show the control works: ", f);
	html_text(f, *ex ? ex : "none in this year");
	fputs("</p><p>Explanation (comply or explain):</p><div class=\"box\"></div></section>\n", f);
	free(ex);
}

static void html_write(FILE *f, json_t *o)
{
	fprintf(f, "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Self-assessment %d</title>"
		   "<style>body{font:11pt sans-serif;max-width:50em;margin:2em auto}table{border-collapse:collapse}"
		   "th,td{border:1px solid #999;padding:.2em .5em;text-align:left}.explain{color:#a40}"
		   ".comply{color:#060}.box{border:1px solid #999;min-height:5em}section{page-break-inside:avoid}"
		   "</style></head><body><h1>Self-assessment sociaal incasseren %d</h1><p>Creditor: ",
		(int)json_integer_value(json_object_get(o, "year")), (int)json_integer_value(json_object_get(o, "year")));
	html_text(f, HS(o, "creditor_id"));
	fprintf(f, ", period %s to %s. Comply or explain per key requirement; figures from Fairgate's "
		   "decisions and facts. Draft: the creditor confirms each status or explains.</p>\n",
		HS(o, "from"), HS(o, "to"));
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(o, "sections"), i, s)
		html_section(f, s);
	fputs("</body></html>\n", f);
}

static void reply_format(struct req *r, const struct report_query *rp, json_t *o)
{
	if (rp->format == REPORT_JSON) {
		req_reply_json(r, 200, o);
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	if (rp->format == REPORT_CSV)
		csv_write(f, o);
	else
		html_write(f, o);
	if (fclose(f) != 0)
		abort();
	json_decref(o);
	req_reply_raw(r, 200, rp->format == REPORT_CSV ? "text/csv; charset=utf-8" : "text/html; charset=utf-8",
		      buf, len);
	free(buf);
}

static void report_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const struct report_query *rp = r->state;
	if (st != PGJOB_OK) {
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
		return;
	}
	reply_format(r, rp, report_json(rp, job));
}

void h_self_assessment(struct req *r)
{
	struct report_query *rp = xcalloc(1, sizeof(*rp));
	struct query_error err;
	r->state = rp;
	r->state_free = free;
	if (!params_report(req_query_string(r), rp, &err)) {
		req_bad_query(r, &err);
		return;
	}
	if (!kpi_scope(r, &rp->q))
		return;
	struct pgjob *job = pgjob_create(false);
	kpi_add_statements(job, &rp->q);
	for (int k = 0; k < N_KREQ; k++) {
		/* newest first through decisions_creditor, bounded by the year; never a debtor_ref */
		const char *p[] = {rp->q.creditor_id, rp->q.from, rp->q.to, kreqs[k].rules};
		pgjob_add(job, "SELECT id, action, array_to_string(rules, ' '), to_char(decided_at AT TIME ZONE 'UTC', "
			       "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM decisions WHERE creditor_id = $1 AND outcome = 'deny' "
			       "AND decided_at >= $2::date AND decided_at < $3::date + 1 AND rules && $4::text[] "
			       "ORDER BY decided_at DESC LIMIT 3", 4, p);
	}
	pgpool_submit(r->srv->pool, job, report_loaded, r);
}
