/* simulate.c - replays recorded escalation decisions under another contract version. */
#include "simulate.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caldate.h"
#include "contract.h"
#include "decision_json.h"
#include "dossier_load.h"
#include "input.h"
#include "json_fast.h"
#include "policy.h"

/*
 * The dossier as a decision saw it. decided_at is whole seconds, so the cut
 * is the decision's audit record time (taken when its commit batch was built,
 * after the dossier was read): facts recorded before it were seen, and a fact
 * recorded between reading and committing would have failed an allow's version
 * check (a deny is not checked: it changes nothing a decision reads, so a fact
 * committed in that short window can make its replay differ).
 */
#define CUT                                                                                    \
	"WITH cut AS (SELECT d.dossier_id, coalesce(a.recorded_at, d.decided_at) AS at "       \
	"FROM decisions d LEFT JOIN audit_log a "                                              \
	"ON a.chain = d.audit_chain AND a.seq = d.audit_seq WHERE d.id = $1) "

/* Prepared statements. */
enum { S_LIST, S_DOSSIER, S__COUNT };

static const char *const NAME[S__COUNT] = {"sim_list", "sim_dossier"};

static const char *const SQL[S__COUNT] = {
    [S_LIST] = "SELECT id, dossier_id, action, outcome, rules::text, request::text, "
               "extract(epoch FROM decided_at)::bigint, contract_version FROM decisions "
               "WHERE contract_id = $1 AND ($2::date IS NULL OR decided_at >= "
               "($2::date::timestamp AT TIME ZONE "
               "'Europe/Amsterdam')) ORDER BY decided_at, audit_chain, audit_seq",
    /* $1 is the decision id; the row of dossier_load.c (DOSSIER_ROW_COLUMNS, DC_*) as it saw
       it, without a contract: the replay supplies its own. */
    [S_DOSSIER] =
        CUT "SELECT " DOSSIER_ROW_COLUMNS ", NULL::text, NULL::text, p.doc, "
            "(SELECT '[' || string_agg('{\"id\":' || e.id || ',\"reporter\":\"' || "
            "e.reporter || '\",\"body\":' || e.body::text || '}', ',' "
            "ORDER BY e.occurred_at, e.id) || ']' FROM events e WHERE e.dossier_id = d.id "
            "AND e.recorded_at <= cut.at), "
            "(SELECT json_agg(json_build_array(a.action, extract(epoch FROM a.decided_at)::bigint, "
            "coalesce(a.amount_cents, 0), coalesce((a.request->>'extend_days')::int, 0)) "
            "ORDER BY a.decided_at) FROM decisions a LEFT JOIN audit_log g "
            "ON g.chain = a.audit_chain AND g.seq = a.audit_seq WHERE a.dossier_id = d.id "
            "AND a.outcome = 'allow' AND coalesce(g.recorded_at, a.decided_at) < cut.at), "
            "(SELECT json_agg(l.doc) FROM (SELECT DISTINCT ON (x.id) x.doc "
            "FROM contract_exceptions x WHERE x.contract_id = d.contract_id "
            "AND x.partner_id = d.partner_id AND x.created_at <= cut.at "
            "ORDER BY x.id, x.version DESC) l) "
            "FROM cut JOIN dossiers d ON d.id = cut.dossier_id "
            "LEFT JOIN creditors c ON c.id = d.creditor_id "
            "LEFT JOIN partners p ON p.id = d.partner_id",
};

static const int NPARAMS[S__COUNT] = {2, 1};

struct replay {
	PGconn *conn;
	const struct contract *contract;
	int replayed, changed, skipped;
};

/* One recorded decision, as listed. */
struct recorded {
	const char *id, *dossier_id, *action, *outcome, *rules, *request;
	int64_t decided_at;
	const char *contract_version;
};

/* Reads and validates the contract file; prints its errors. */
static bool read_contract_file(const char *path, struct contract *c)
{
	json_error_t jerr;
	struct contract_errors errs;
	json_t *doc = json_fast_load_file(path, &jerr);
	if (!doc) {
		fprintf(stderr, "%s:%d:%d: malformed JSON: %s\n", path, jerr.line, jerr.column,
		        jerr.text);
		return false;
	}
	bool ok = contract_from_json(doc, c, &errs);
	json_decref(doc);
	for (int i = 0; !ok && i < errs.count; i++)
		fprintf(stderr, "%s: %s: %s\n", path,
		        errs.items[i].pointer[0] ? errs.items[i].pointer : "/",
		        errs.items[i].message);
	if (!ok && errs.truncated)
		fprintf(stderr, "%s: more errors were found than could be reported\n", path);
	return ok;
}

static PGresult *run(struct replay *rp, int s, const char *const *params)
{
	PGresult *res = PQexecPrepared(rp->conn, NAME[s], NPARAMS[s], params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fairgate simulate: database: %s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Reads the dossier as decision d saw it; false on a database error (*c NULL if unreadable). */
static bool load_as_of(struct replay *rp, const struct recorded *d, struct dossier_ctx **c)
{
	const char *params[] = {d->id};
	PGresult *res = run(rp, S_DOSSIER, params);
	*c = NULL;
	if (!res)
		return false;
	if (dossier_ctx_read(d->dossier_id, res, PQntuples(res) == 1 ? 0 : -1, d->decided_at, false, c) != LOAD_OK)
		fprintf(stderr, "fairgate simulate: %s: the dossier could not be read back\n", d->id);
	PQclear(res);
	return true;
}

static bool read_request(const struct recorded *d, struct escalation_request *er)
{
	struct contract_errors errs;
	json_t *body = json_loads(d->request, 0, NULL);
	bool ok = body && escalation_read(body, er, &errs);
	json_decref(body);
	if (!ok)
		fprintf(stderr, "fairgate simulate: %s: the stored request could not be read\n",
		        d->id);
	return ok;
}

/* Prints a decision that would change, with the new reasons. */
static void print_change(const struct replay *rp, const struct recorded *d,
                         const struct decision *dec, const char *rules)
{
	printf("%s dossier %s %s: v%s %s %s -> v%d %s %s: would change\n", d->id, d->dossier_id,
	       d->action, d->contract_version, d->outcome, d->rules, rp->contract->version,
	       dec->allow ? "allow" : "deny", rules);
	for (int i = 0; i < dec->n_reasons; i++) {
		const struct reason *r = &dec->reasons[i];
		printf("    %s %s%s%s: %s\n", rule_code(r->rule), rule_name(r->rule),
		       r->waived ? ", waived by " : "", r->waived ? r->exception_id : "",
		       r->message_en);
	}
}

/* Re-decides one recorded decision under the file's contract at its own moment. */
static bool replay_one(struct replay *rp, const struct recorded *d)
{
	struct escalation_request er;
	struct dossier_ctx *c;
	struct policy_input in;
	struct decision dec;
	char rules[128];
	if (!load_as_of(rp, d, &c))
		return false;
	if (!c || !read_request(d, &er)) {
		rp->skipped++;
		dossier_ctx_free(c);
		return true;
	}
	c->contract = *rp->contract;
	snprintf(c->contract.creditor_id, sizeof(c->contract.creditor_id), "%s",
	         c->creditor_id);
	c->has_contract = true;
	dossier_policy_input(c, d->decided_at, &in);
	policy_decide(&in, &er, &dec);
	denying_rules_literal(&dec, rules, sizeof(rules));
	rp->replayed++;
	if (strcmp(dec.allow ? "allow" : "deny", d->outcome) != 0 ||
	    strcmp(rules, d->rules) != 0) {
		rp->changed++;
		print_change(rp, d, &dec, rules);
	}
	dossier_ctx_free(c);
	return true;
}

static bool replay_all(struct replay *rp, const char *since)
{
	const char *params[] = {rp->contract->id, since};
	PGresult *list = run(rp, S_LIST, params);
	bool ok = list != NULL;
	for (int i = 0; ok && i < PQntuples(list); i++) {
		struct recorded d = {PQgetvalue(list, i, 0),        PQgetvalue(list, i, 1),
		                     PQgetvalue(list, i, 2),        PQgetvalue(list, i, 3),
		                     PQgetvalue(list, i, 4),        PQgetvalue(list, i, 5),
		                     atoll(PQgetvalue(list, i, 6)), PQgetvalue(list, i, 7)};
		ok = replay_one(rp, &d);
	}
	PQclear(list);
	return ok;
}

static bool exec_ok(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "fairgate simulate: database: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/* One read-only snapshot for the whole replay, and the statements prepared once. */
static bool begin(PGconn *conn)
{
	if (!exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
		return false;
	for (int s = 0; s < S__COUNT; s++) {
		PGresult *res = PQprepare(conn, NAME[s], SQL[s], NPARAMS[s], NULL);
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "fairgate simulate: database: %s",
			        PQresultErrorMessage(res));
		PQclear(res);
		if (!ok)
			return false;
	}
	return true;
}

static int replay_db(const char *conninfo, const struct contract *c, const char *since)
{
	struct replay rp = {PQconnectdb(conninfo), c, 0, 0, 0};
	bool ok = PQstatus(rp.conn) == CONNECTION_OK;
	if (!ok)
		fprintf(stderr, "fairgate simulate: database: %s", PQerrorMessage(rp.conn));
	ok = ok && begin(rp.conn) && replay_all(&rp, since) && exec_ok(rp.conn, "COMMIT");
	PQfinish(rp.conn);
	if (!ok)
		return 1;
	printf("%d decisions replayed, %d would change", rp.replayed, rp.changed);
	if (rp.skipped)
		printf(", %d could not be replayed", rp.skipped);
	printf("\n");
	return 0;
}

static bool parse_flags(int argc, char **argv, const char **file, const char **since)
{
	int32_t day;
	*file = *since = NULL;
	if (argc % 2 != 0)
		return false;
	for (int i = 0; i < argc; i += 2) {
		if (strcmp(argv[i], "--contract") == 0)
			*file = argv[i + 1];
		else if (strcmp(argv[i], "--since") == 0)
			*since = argv[i + 1];
		else
			return false;
	}
	return *file && (!*since || caldate_parse(*since, &day));
}

int simulate_run(const char *conninfo, int argc, char **argv)
{
	const char *file, *since;
	struct contract c;
	if (!parse_flags(argc, argv, &file, &since)) {
		fprintf(stderr,
		        "usage: fairgate simulate --contract FILE [--since YYYY-MM-DD]\n");
		return 2;
	}
	if (!read_contract_file(file, &c))
		return 1;
	printf("replaying the decisions of contract %s%s%s under version %d from %s\n", c.id,
	       since ? " since " : "", since ? since : "", c.version, file);
	return replay_db(conninfo, &c, since);
}
