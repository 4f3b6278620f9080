/* audit.c - hashing and verifying the audit chain. */
#include "audit.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"
#include "str.h"

_Static_assert(AUDIT_HASH_HEX == SHA256_HEX, "an audit hash is a SHA-256 in hex");

/* SHA-256 of NUL-terminated parts, one after the other. */
static void sha256_parts(const char *const *parts, size_t n, char out[AUDIT_HASH_HEX])
{
	struct sha256_part p[8];
	if (n > sizeof(p) / sizeof(p[0]))
		abort(); /* a programming error: the records hash at most 7 parts */
	for (size_t i = 0; i < n; i++)
		p[i] = (struct sha256_part){parts[i], strlen(parts[i])};
	sha256_hex(p, n, out);
}

void audit_content_hash(const char *subject, const char *payload, char out[AUDIT_HASH_HEX])
{
	const char *parts[] = {subject, "\n", payload};
	sha256_parts(parts, 3, out);
}

void audit_hash_with_content(const struct audit_record *r, const char *content,
			     char out[AUDIT_HASH_HEX])
{
	char nums[64], chain[STR_LL_MAX], seq[STR_LL_MAX];
	str_ll(chain, r->chain);
	str_ll(seq, r->seq);
	const char *num_parts[] = {"\n", chain, "\n", seq, "\n"};
	str_join(nums, sizeof(nums), num_parts, 5);
	const char *parts[] = {r->prev_hash, nums, r->kind, "\n", r->recorded_at, "\n", content};
	sha256_parts(parts, sizeof(parts) / sizeof(parts[0]), out);
}

void audit_hash(const struct audit_record *r, char out[AUDIT_HASH_HEX])
{
	char content[AUDIT_HASH_HEX];
	audit_content_hash(r->subject, r->payload, content);
	audit_hash_with_content(r, content, out);
}

int audit_chain_open(const char *conninfo, char *err, size_t errlen)
{
	char host[128] = "unknown", pid[32];
	int id = -1;
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "database: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	(void)gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	const char *params[] = {host, pid};
	PGresult *r = PQexecParams(c, "INSERT INTO audit_chains (host, pid) VALUES ($1, $2) RETURNING id",
				   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		id = atoi(PQgetvalue(r, 0, 0));
	else
		snprintf(err, errlen, "opening audit chain: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return id;
}

/* Checks one row against the previous one; fills err on a break. */
static bool verify_row(PGresult *r, int i, int *chain, long long *seq, char *prev, char *err,
		       size_t errlen)
{
	int ch = atoi(PQgetvalue(r, i, 0));
	long long sq = atoll(PQgetvalue(r, i, 1));
	if (ch != *chain) {
		if (strcmp(PQgetvalue(r, i, 8), "t") != 0) {
			snprintf(err, errlen, "chain %d: not registered in audit_chains, so no signed "
				 "checkpoint covers its records", ch);
			return false;
		}
		*chain = ch;
		*seq = 0;
		strcpy(prev, AUDIT_GENESIS);
	}
	struct audit_record rec = {ch, sq, PQgetvalue(r, i, 2), PQgetvalue(r, i, 4),
				   PQgetvalue(r, i, 5), PQgetvalue(r, i, 6), PQgetvalue(r, i, 7)};
	char want[AUDIT_HASH_HEX];
	if (sq != *seq + 1) {
		snprintf(err, errlen, "chain %d: seq %lld follows %lld (a record is missing)", ch, sq, *seq);
		return false;
	}
	if (strcmp(rec.prev_hash, prev) != 0) {
		snprintf(err, errlen, "chain %d seq %lld: prev_hash does not match the previous record", ch, sq);
		return false;
	}
	audit_hash(&rec, want);
	if (strcmp(want, PQgetvalue(r, i, 3)) != 0) {
		snprintf(err, errlen, "chain %d seq %lld: hash mismatch (record altered)", ch, sq);
		return false;
	}
	*seq = sq;
	strcpy(prev, want);
	return true;
}

bool audit_verify_db(const char *conninfo, long long *checked, char *err, size_t errlen)
{
	*checked = 0;
	PGconn *c = PQconnectdb(conninfo);
	bool ok = PQstatus(c) == CONNECTION_OK;
	if (!ok) {
		snprintf(err, errlen, "database: %s", PQerrorMessage(c));
		PQfinish(c);
		return false;
	}
	/* the last column: whether a gateway registered the chain (audit_log has no foreign key) */
	PGresult *r = PQexec(c, "SELECT l.chain, l.seq, l.prev_hash, l.hash, l.kind, l.subject, "
				AUDIT_TS_SQL("l.recorded_at") ", l.payload, "
				"EXISTS (SELECT 1 FROM audit_chains c WHERE c.id = l.chain) "
				"FROM audit_log l ORDER BY l.chain, l.seq");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading audit_log: %s", PQerrorMessage(c));
		ok = false;
	}
	int chain = -1;
	long long seq = 0;
	char prev[AUDIT_HASH_HEX] = AUDIT_GENESIS;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		ok = verify_row(r, i, &chain, &seq, prev, err, errlen);
		if (ok)
			(*checked)++;
	}
	PQclear(r);
	PQfinish(c);
	return ok;
}
