/* checkpoint_verify.c - offline checks: stored checkpoints against audit_log, and audit exports. */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"
#include "json_fast.h"
#include "mem.h"

/* The last head verified per chain, so unchanged heads are looked up once. */
struct seen {
	int chain;
	long long seq;
	char hash[AUDIT_HASH_HEX];
};

struct heads_check {
	PGconn *conn;
	struct seen *seen;
	size_t nseen;
};

static struct seen *seen_find(struct heads_check *hc, int chain)
{
	for (size_t i = 0; i < hc->nseen; i++)
		if (hc->seen[i].chain == chain)
			return &hc->seen[i];
	hc->seen = xrealloc(hc->seen, (hc->nseen + 1) * sizeof(*hc->seen));
	memset(&hc->seen[hc->nseen], 0, sizeof(*hc->seen));
	hc->seen[hc->nseen].chain = chain;
	return &hc->seen[hc->nseen++];
}

/* One signed head against audit_log; fills err when it no longer matches. */
static bool head_ok(struct heads_check *hc, long long id, json_t *head, char *err, size_t errlen)
{
	int chain = (int)json_integer_value(json_object_get(head, "chain"));
	long long seq = json_integer_value(json_object_get(head, "seq"));
	const char *hash = json_string_value(json_object_get(head, "hash"));
	struct seen *s = seen_find(hc, chain);
	if (hash && s->seq == seq && strcmp(s->hash, hash) == 0)
		return true;
	char cs[16], ss[24];
	snprintf(cs, sizeof(cs), "%d", chain);
	snprintf(ss, sizeof(ss), "%lld", seq);
	const char *p[] = {cs, ss};
	PGresult *r = PQexecParams(hc->conn, "SELECT hash FROM audit_log WHERE chain = $1::int AND seq = $2::bigint",
				   2, NULL, p, NULL, NULL, 0);
	bool ok = false;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "checkpoint %lld: reading audit_log: %s", id, PQerrorMessage(hc->conn));
	else if (!hash || PQntuples(r) == 0)
		snprintf(err, errlen, "checkpoint %lld: chain %d seq %lld is missing (history truncated)", id, chain, seq);
	else if (strcmp(PQgetvalue(r, 0, 0), hash) != 0)
		snprintf(err, errlen, "checkpoint %lld: chain %d seq %lld hash differs (history rewritten)", id, chain, seq);
	else
		ok = true;
	PQclear(r);
	if (ok) {
		s->seq = seq;
		snprintf(s->hash, sizeof(s->hash), "%s", hash);
	}
	return ok;
}

/* One stored checkpoint: signature, then every head. */
static bool checkpoint_ok(struct heads_check *hc, EVP_PKEY *pub, PGresult *r, int i, char *err, size_t errlen)
{
	long long id = atoll(PQgetvalue(r, i, 0));
	const char *body = PQgetvalue(r, i, 1), *sig = PQgetvalue(r, i, 2);
	if (!pub) {
		snprintf(err, errlen, "checkpoint %lld: no public key to check it with (give --pubkey FILE)", id);
		return false;
	}
	if (!checkpoint_sig_ok(pub, body, sig)) {
		snprintf(err, errlen, "checkpoint %lld: signature does not verify (checkpoint forged or altered)", id);
		return false;
	}
	json_t *o = json_loads(body, 0, NULL), *heads = json_object_get(o, "heads");
	bool ok = json_is_array(heads);
	if (!ok)
		snprintf(err, errlen, "checkpoint %lld: body is not a checkpoint", id);
	size_t k;
	json_t *h;
	json_array_foreach(heads, k, h) {
		if (ok)
			ok = head_ok(hc, id, h, err, errlen);
	}
	json_decref(o);
	return ok;
}

bool checkpoint_verify_db(const char *conninfo, EVP_PKEY *pub, long long *checked, char *err,
			  size_t errlen)
{
	*checked = 0;
	struct heads_check hc = {PQconnectdb(conninfo), NULL, 0};
	if (PQstatus(hc.conn) != CONNECTION_OK) {
		snprintf(err, errlen, "database: %s", PQerrorMessage(hc.conn));
		PQfinish(hc.conn);
		return false;
	}
	PGresult *r = PQexec(hc.conn, "SELECT id, body, signature FROM audit_checkpoints ORDER BY id");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errlen, "reading audit_checkpoints: %s", PQerrorMessage(hc.conn));
	for (int i = 0; ok && i < PQntuples(r); i++) {
		ok = checkpoint_ok(&hc, pub, r, i, err, errlen);
		if (ok)
			(*checked)++;
	}
	PQclear(r);
	free(hc.seen);
	PQfinish(hc.conn);
	return ok;
}

/* ---- exports ---- */

static int by_chain_seq(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t cx = json_integer_value(json_object_get(x, "chain"));
	json_int_t cy = json_integer_value(json_object_get(y, "chain"));
	json_int_t sx = json_integer_value(json_object_get(x, "seq"));
	json_int_t sy = json_integer_value(json_object_get(y, "seq"));
	if (cx != cy)
		return cx < cy ? -1 : 1;
	return sx < sy ? -1 : sx > sy;
}

/* Flattens an array of records, an array of pages or one page into an array of records. */
static json_t *export_records(json_t *doc)
{
	json_t *out = json_array(), *item;
	size_t i;
	if (json_is_object(doc))
		return json_array_extend(out, json_object_get(doc, "records")) == 0 ? out : NULL;
	json_array_foreach(doc, i, item) {
		json_t *page = json_object_get(item, "records");
		if (json_is_array(page))
			json_array_extend(out, page);
		else
			json_array_append(out, item);
	}
	return out;
}

/* The content hash of one exported record: recomputed when it is whole. */
static bool record_content(json_t *rec, char content[AUDIT_HASH_HEX])
{
	const char *subject = json_string_value(json_object_get(rec, "subject"));
	const char *payload = json_string_value(json_object_get(rec, "payload"));
	const char *given = json_string_value(json_object_get(rec, "content_sha256"));
	if (subject && payload) {
		audit_content_hash(subject, payload, content);
		return !given || strcmp(given, content) == 0;
	}
	if (!given || strlen(given) != AUDIT_HASH_HEX - 1)
		return false;
	memcpy(content, given, AUDIT_HASH_HEX);
	return true;
}

/* Checks one record against the previous one of the export. */
static bool export_row(json_t *rec, int *chain, long long *seq, char *prev, char *err, size_t errlen)
{
	struct audit_record r = {(int)json_integer_value(json_object_get(rec, "chain")),
				 json_integer_value(json_object_get(rec, "seq")),
				 json_string_value(json_object_get(rec, "prev_hash")),
				 json_string_value(json_object_get(rec, "kind")), NULL,
				 json_string_value(json_object_get(rec, "recorded_at")), NULL};
	const char *hash = json_string_value(json_object_get(rec, "hash"));
	char content[AUDIT_HASH_HEX], want[AUDIT_HASH_HEX];
	if (!r.prev_hash || !r.kind || !r.recorded_at || !hash) {
		snprintf(err, errlen, "chain %d seq %lld: not an audit record", r.chain, r.seq);
		return false;
	}
	if (r.chain != *chain) {
		*chain = r.chain;
		*seq = r.seq - 1;
		snprintf(prev, AUDIT_HASH_HEX, "%s", r.seq == 1 ? AUDIT_GENESIS : r.prev_hash);
	}
	if (r.seq != *seq + 1) {
		snprintf(err, errlen, "chain %d: seq %lld follows %lld (a record is missing)", r.chain, r.seq, *seq);
		return false;
	}
	if (strcmp(r.prev_hash, prev) != 0) {
		snprintf(err, errlen, "chain %d seq %lld: prev_hash does not match the previous record", r.chain, r.seq);
		return false;
	}
	bool content_ok = record_content(rec, content);
	if (content_ok)
		audit_hash_with_content(&r, content, want);
	if (!content_ok || strcmp(want, hash) != 0) {
		snprintf(err, errlen, "chain %d seq %lld: hash mismatch (record altered)", r.chain, r.seq);
		return false;
	}
	*seq = r.seq;
	memcpy(prev, want, AUDIT_HASH_HEX);
	return true;
}

bool checkpoint_verify_export(const char *path, long long *checked, char *err, size_t errlen)
{
	json_error_t je;
	*checked = 0;
	json_t *doc = json_fast_load_file(path, &je);
	json_t *recs = doc ? export_records(doc) : NULL;
	if (!recs) {
		snprintf(err, errlen, "%s: not a JSON audit export (%s)", path, doc ? "no records" : je.text);
		json_decref(doc);
		return false;
	}
	size_t n = json_array_size(recs);
	json_t **v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(recs, i);
	qsort(v, n, sizeof(*v), by_chain_seq);
	int chain = -1;
	long long seq = 0;
	char prev[AUDIT_HASH_HEX] = AUDIT_GENESIS;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		ok = json_is_object(v[i]) && export_row(v[i], &chain, &seq, prev, err, errlen);
		if (ok)
			(*checked)++;
		else if (!json_is_object(v[i]))
			snprintf(err, errlen, "record %zu: not an object", i);
	}
	free(v);
	json_decref(recs);
	json_decref(doc);
	return ok;
}
