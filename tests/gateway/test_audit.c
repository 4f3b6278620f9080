/* test_audit.c - end to end: signed checkpoints catch edited and rewritten history; exports verify offline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "gw.h"

static struct gw g;
static const char *binary;
static char admin[80], creditor[80], agency[80], monitor[80];
static char cred_id[64], partner_id[64], contract_id[64], dbname[64], key_dir[128];
static char orig_url[1024], test_url[1024], out[8192];
static int chain;

/* Runs SQL on the test's own database (or, with admin_db, the shared one); false on error. */
static bool sql(bool admin_db, const char *q)
{
	PGconn *c = PQconnectdb(admin_db ? orig_url : test_url);
	PGresult *r = PQexec(c, q);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "%s: %s", q, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

/* The first column of the first row of q, into a static buffer ("" when none). */
static const char *sql_value(const char *q)
{
	static char v[4096];
	PGconn *c = PQconnectdb(test_url);
	PGresult *r = PQexec(c, q);
	v[0] = '\0';
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		snprintf(v, sizeof(v), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* orig_url with another dbname, as a keyword=value conninfo. */
static bool with_dbname(const char *url, const char *db, char *res, size_t len)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	size_t n = 0;
	if (!opts)
		return false;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		const char *v = strcmp(o->keyword, "dbname") == 0 ? db : o->val;
		if (v && *v && n < len)
			n += (size_t)snprintf(res + n, len - n, "%s='%s' ", o->keyword, v);
	}
	PQconninfoFree(opts);
	return n < len;
}

static int verify(const char *extra1, const char *extra2)
{
	const char *args[] = {"audit", "verify", extra1, extra2, NULL};
	return gw_cli(&g, args, out, sizeof(out));
}

static long post(const char *token, const char *path, const char *body)
{
	struct http_reply r;
	if (!gw_http(&g, "POST", path, token, body, NULL, &r))
		return -1;
	long st = r.status;
	http_reply_free(&r);
	return st;
}

static bool make_decisions(void)
{
	const char *p = gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"Incasso Noord\",\"wki_registration\":"
			    "{\"number\":\"WKI-00123\",\"valid_until\":\"2030-12-31\"}}", partner_id);
	const char *c = gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2026-01-01\","
			    "\"valid_to\":null,\"terms\":{\"fee_model\":\"fixed_fee\",\"allowed_actions\":"
			    "[\"collection_costs\",\"transfer_to_bailiff\",\"summons\"],\"bank_seizure_allowed\":false,"
			    "\"personal_contact_before_summons\":{\"required\":true,\"channels\":[\"phone\",\"visit\"],"
			    "\"min_attempts\":1,\"within_days\":90},\"max_duration_days\":120,"
			    "\"shortened_amicable_days\":14,\"collection_costs\":{\"scale\":\"wik\",\"vat\":false},"
			    "\"summons_min_principal_cents\":25000,\"judicial_cost_ratio_max\":1.0,"
			    "\"approved_letter_templates\":[\"herinnering-v3\"]}}", contract_id, partner_id);
	const char *d = gw_fmt("{\"id\":\"d-%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":"
			    "\"deb-%s-x9\",\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":\"2026-09-01\","
			    "\"phase\":\"amicable\",\"shortened_amicable_track\":false,\"flags\":[]}",
			    gw_run_id(), partner_id, contract_id, gw_run_id());
	bool ok = post(admin, "/v1/partners", p) == 201 && post(creditor, "/v1/contracts", c) == 201 &&
		  post(creditor, "/v1/dossiers", d) == 201;
	const char *actions[] = {"bank_seizure", "summons", "transfer_to_bailiff", "bank_seizure"};
	for (int i = 0; ok && i < 4; i++)
		ok = post(agency, gw_fmt("/v1/dossiers/d-%s/escalations", gw_run_id()),
			  gw_fmt("{\"action\":\"%s\"}", actions[i])) == 201;
	return ok;
}

/* A database of its own: tampering never touches the suite's shared one. */
static bool own_database(void)
{
	snprintf(orig_url, sizeof(orig_url), "%s", getenv("FAIRGATE_TEST_DATABASE_URL"));
	snprintf(dbname, sizeof(dbname), "fairgate_audit_test_%s", gw_run_id());
	if (!sql(true, gw_fmt("CREATE DATABASE %s", dbname)) ||
	    !with_dbname(orig_url, dbname, test_url, sizeof(test_url)))
		return false;
	setenv("FAIRGATE_TEST_DATABASE_URL", test_url, 1);
	snprintf(key_dir, sizeof(key_dir), "/tmp/fairgate-audit-test-%s", gw_run_id());
	mkdir(key_dir, 0700);
	setenv("FAIRGATE_DATA_DIR", key_dir, 1);
	unsetenv("FAIRGATE_SIGNING_KEY");
	struct gw tmp = {.binary = binary, .db_url = test_url};
	const char *args[] = {"migrate", NULL};
	return gw_cli(&tmp, args, NULL, 0) == 0;
}

static int setup(void **state)
{
	const char *run = gw_run_id();
	/* one commit lane: the tests below walk the seqs of one chain */
	const char *env[] = {"FAIRGATE_CHECKPOINT_INTERVAL_MS=200", "FAIRGATE_COMMIT_LANES=1", NULL};
	snprintf(cred_id, sizeof(cred_id), "audcred-%s", run);
	snprintf(partner_id, sizeof(partner_id), "audnoord-%s", run);
	snprintf(contract_id, sizeof(contract_id), "aud-noord-%s", run);
	if (!getenv("FAIRGATE_TEST_DATABASE_URL") || !own_database() || !gw_start(&g, binary, env))
		return -1;
	const char *hook[] = {"creditor", "set-webhook", "--creditor", cred_id, "--url", "http://127.0.0.1:9/hook", NULL};
	bool ok = gw_token(&g, "admin", "ops", NULL, NULL, admin) &&
		  gw_token(&g, "creditor", "cred", cred_id, NULL, creditor) &&
		  gw_token(&g, "agency", "noord", NULL, partner_id, agency) &&
		  gw_token(&g, "monitor", "mon", cred_id, NULL, monitor) && gw_cli(&g, hook, NULL, 0) == 0 &&
		  make_decisions();
	chain = atoi(sql_value("SELECT max(chain) FROM audit_log"));
	return ok && chain > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	if (g.pid > 0)
		gw_stop(&g);
	bool dropped = sql(true, gw_fmt("DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname));
	unlink(gw_fmt("%s/checkpoint-key.pem", key_dir));
	unlink(gw_fmt("%s/wrong.pem", key_dir));
	unlink(gw_fmt("%s/pub.pem", key_dir));
	unlink(gw_fmt("%s/export.json", key_dir));
	rmdir(key_dir);
	setenv("FAIRGATE_TEST_DATABASE_URL", orig_url, 1);
	return dropped ? 0 : -1;
}

/* Waits until a stored checkpoint signs the current head of the gateway's chain. */
static void test_checkpoint_covers_head(void **state)
{
	const char *head = gw_fmt("\"chain\":%d,\"hash\":\"%s\"", chain,
			       sql_value(gw_fmt("SELECT hash FROM audit_log WHERE chain = %d ORDER BY seq DESC LIMIT 1", chain)));
	bool found = false;
	for (int i = 0; i < 200 && !found; i++) {
		found = strstr(sql_value("SELECT body FROM audit_checkpoints ORDER BY id DESC LIMIT 1"), head) != NULL;
		if (!found)
			usleep(50 * 1000);
	}
	assert_true(found);
	assert_int_equal(verify(NULL, NULL), 0);
	assert_non_null(strstr(out, "audit checkpoints ok"));
	/* every creditor with a webhook is told, in the same transaction */
	assert_true(atoi(sql_value(gw_fmt("SELECT count(*) FROM outbox WHERE event_type = 'audit.checkpoint' "
				       "AND target_id = '%s'", cred_id))) >= 1);
}

static void test_checkpoints_endpoint(void **state)
{
	struct http_reply r;
	char pem[1024];
	const char *args[] = {"audit", "pubkey", NULL};
	assert_int_equal(gw_cli(&g, args, pem, sizeof(pem)), 0);
	assert_true(gw_http(&g, "GET", "/v1/audit/checkpoints", monitor, NULL, NULL, &r));
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "public_key")), pem);
	json_t *first = json_array_get(json_object_get(r.json, "checkpoints"), 0);
	assert_non_null(first);
	assert_non_null(json_string_value(json_object_get(first, "signature")));
	assert_non_null(strstr(json_string_value(json_object_get(first, "body")), "\"heads\":["));
	http_reply_free(&r);
	assert_true(gw_http(&g, "GET", "/v1/audit/checkpoints", agency, NULL, NULL, &r));
	assert_int_equal(r.status, 403);
	http_reply_free(&r);
	FILE *f = fopen(gw_fmt("%s/pub.pem", key_dir), "w");
	assert_non_null(f);
	fputs(pem, f);
	fclose(f);
	assert_int_equal(verify("--pubkey", gw_fmt("%s/pub.pem", key_dir)), 0);
}

/* The monitor's export, page by page, as one JSON array of records. */
static json_t *monitor_export(void)
{
	json_t *all = json_array();
	long long after = 0;
	int ch = 0;
	for (int page = 0; page < 100; page++) {
		struct http_reply r;
		assert_true(gw_http(&g, "GET", gw_fmt("/v1/audit?chain=%d&after_seq=%lld&limit=3", ch, after), monitor,
				    NULL, NULL, &r));
		assert_int_equal(r.status, 200);
		json_t *next = json_object_get(r.json, "next");
		json_array_extend(all, json_object_get(r.json, "records"));
		ch = (int)json_integer_value(json_object_get(next, "chain"));
		after = json_integer_value(json_object_get(next, "after_seq"));
		http_reply_free(&r);
		if (!next)
			break;
	}
	return all;
}

static void test_export_verifies_offline(void **state)
{
	json_t *all = monitor_export();
	size_t redacted = 0, i;
	json_t *rec, *whole = NULL;
	json_array_foreach(all, i, rec) {
		if (!json_object_get(rec, "payload"))
			redacted++;
		else if (json_integer_value(json_object_get(rec, "chain")) == chain)
			whole = rec;
	}
	assert_true(redacted > 0 && whole);
	const char *path = gw_fmt("%s/export.json", key_dir);
	assert_int_equal(json_dump_file(all, path, JSON_COMPACT), 0);
	assert_int_equal(verify("--export", path), 0);
	assert_non_null(strstr(out, "audit export ok"));
	/* an altered record in the export is named */
	long long seq = json_integer_value(json_object_get(whole, "seq"));
	json_object_set_new(whole, "payload", json_string("{\"decision\":\"allow\"}"));
	assert_int_equal(json_dump_file(all, path, JSON_COMPACT), 0);
	assert_int_equal(verify("--export", path), 1);
	assert_non_null(strstr(out, gw_fmt("chain %d seq %lld: hash mismatch", chain, seq)));
	json_decref(all);
}

/* (a) one payload edited in place: the chain check names it; restored, all verifies again. */
static void test_edited_payload_is_named(void **state)
{
	assert_true(g.pid <= 0 || gw_stop(&g)); /* nothing more is written meanwhile */
	const char *where = gw_fmt("WHERE chain = %d AND seq = 3", chain);
	assert_true(sql(false, gw_fmt("UPDATE audit_log SET payload = payload || ' ' %s", where)));
	assert_int_equal(verify(NULL, NULL), 1);
	assert_non_null(strstr(out, gw_fmt("audit chain BROKEN after 2 good records: chain %d seq 3: hash mismatch", chain)));
	assert_true(sql(false, gw_fmt("UPDATE audit_log SET payload = rtrim(payload, ' ') %s", where)));
	assert_int_equal(verify(NULL, NULL), 0);
}

/*
 * (a') a whole chain copied under an id no gateway registered: every hash in it is
 * consistent, but no checkpoint covers it, so verify names it (audit_log has no
 * foreign key to audit_chains since sql/011).
 */
static void test_unregistered_chain_is_named(void **state)
{
	assert_true(g.pid <= 0 || gw_stop(&g));
	assert_true(sql(false, gw_fmt("INSERT INTO audit_log (chain, seq, prev_hash, hash, kind, subject, "
				      "creditor_id, recorded_at, payload) SELECT 99999, seq, prev_hash, hash, kind, "
				      "subject, creditor_id, recorded_at, payload FROM audit_log WHERE chain = %d", chain)));
	assert_int_equal(verify(NULL, NULL), 1);
	assert_non_null(strstr(out, "chain 99999: not registered in audit_chains"));
	assert_true(sql(false, "DELETE FROM audit_log WHERE chain = 99999"));
	assert_int_equal(verify(NULL, NULL), 0);
}

/* Recomputes every hash of the chain from seq 3 on after editing that payload. */
static void rewrite_chain(PGconn *c)
{
	PGresult *r = PQexec(c, gw_fmt("SELECT seq, prev_hash, kind, subject, " AUDIT_TS_SQL("recorded_at")
				    ", payload FROM audit_log WHERE chain = %d AND seq >= 3 ORDER BY seq", chain));
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
	snprintf(prev, sizeof(prev), "%s", PQgetvalue(r, 0, 1));
	for (int i = 0; i < PQntuples(r); i++) {
		char *payload = strdup(PQgetvalue(r, i, 5));
		if (i == 0)
			payload[strlen(payload) - 1] = ' '; /* the closing brace: no longer the record decided */
		struct audit_record rec = {chain, atoll(PQgetvalue(r, i, 0)), prev, PQgetvalue(r, i, 2),
					   PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), payload};
		audit_hash(&rec, hash);
		const char *p[] = {prev, hash, payload, PQgetvalue(r, i, 0)};
		PGresult *u = PQexecParams(c, gw_fmt("UPDATE audit_log SET prev_hash = $1, hash = $2, payload = $3 "
						  "WHERE chain = %d AND seq = $4::bigint", chain), 4, NULL, p, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(u), PGRES_COMMAND_OK);
		PQclear(u);
		free(payload);
		memcpy(prev, hash, sizeof(prev));
	}
	PQclear(r);
}

/* (b) history rewritten consistently: the chain verifies, the signed checkpoint does not. */
static void test_rewritten_history_caught_by_checkpoint(void **state)
{
	assert_true(sql(false, "CREATE TABLE saved AS SELECT * FROM audit_log"));
	PGconn *c = PQconnectdb(test_url);
	rewrite_chain(c);
	PQfinish(c);
	assert_int_equal(verify(NULL, NULL), 1);
	assert_non_null(strstr(out, "audit chain ok"));
	assert_non_null(strstr(out, gw_fmt("chain %d seq ", chain)));
	assert_non_null(strstr(out, "hash differs (history rewritten)"));
	assert_true(sql(false, "UPDATE audit_log l SET prev_hash = s.prev_hash, hash = s.hash, payload = s.payload "
			       "FROM saved s WHERE s.chain = l.chain AND s.seq = l.seq"));
	assert_true(sql(false, "DROP TABLE saved"));
	assert_int_equal(verify(NULL, NULL), 0);
}

/* Writes a fresh Ed25519 public key that signed nothing here. */
static void write_wrong_key(const char *path)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	EVP_PKEY_free(k);
}

/* (c) a forged signature, an altered body, or another key: caught. */
static void test_tampered_checkpoint_caught(void **state)
{
	const char *id = gw_fmt("%s", sql_value("SELECT min(id) FROM audit_checkpoints"));
	const char *where = gw_fmt("WHERE id = %s", id);
	char sig[128];
	snprintf(sig, sizeof(sig), "%s", sql_value(gw_fmt("SELECT signature FROM audit_checkpoints %s", where)));
	assert_true(sql(false, gw_fmt("UPDATE audit_checkpoints SET signature = '%c' || substr(signature, 2) %s",
				   sig[0] == 'A' ? 'B' : 'A', where)));
	assert_int_equal(verify(NULL, NULL), 1);
	assert_non_null(strstr(out, gw_fmt("checkpoint %s: signature does not verify", id)));
	assert_true(sql(false, gw_fmt("UPDATE audit_checkpoints SET signature = '%s' %s", sig, where)));
	assert_true(sql(false, gw_fmt("UPDATE audit_checkpoints SET body = replace(body, '\"checkpoint_at\":\"2', "
				   "'\"checkpoint_at\":\"1') %s", where)));
	assert_int_equal(verify(NULL, NULL), 1);
	assert_non_null(strstr(out, gw_fmt("checkpoint %s: signature does not verify", id)));
	assert_true(sql(false, gw_fmt("UPDATE audit_checkpoints SET body = replace(body, '\"checkpoint_at\":\"1', "
				   "'\"checkpoint_at\":\"2') %s", where)));
	assert_int_equal(verify(NULL, NULL), 0);
	write_wrong_key(gw_fmt("%s/wrong.pem", key_dir));
	assert_int_equal(verify("--pubkey", gw_fmt("%s/wrong.pem", key_dir)), 1);
	assert_non_null(strstr(out, "signature does not verify"));
}

int main(int argc, char **argv)
{
	binary = argc > 1 ? argv[1] : "fairgate";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoint_covers_head),
		cmocka_unit_test(test_checkpoints_endpoint),
		cmocka_unit_test(test_export_verifies_offline),
		cmocka_unit_test(test_edited_payload_is_named),
		cmocka_unit_test(test_unregistered_chain_is_named),
		cmocka_unit_test(test_rewritten_history_caught_by_checkpoint),
		cmocka_unit_test(test_tampered_checkpoint_caught),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
