/* audit.h - the tamper-evident audit chain: record hashing and verification. */
#ifndef FAIRGATE_AUDIT_H
#define FAIRGATE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#define AUDIT_HASH_HEX 65 /* 64 hex digits and NUL */
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* One record as hashed. recorded_at is "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
struct audit_record {
	int chain;
	long long seq;
	const char *prev_hash;
	const char *kind;
	const char *subject;
	const char *recorded_at;
	const char *payload;
};

/*
 * content = hex(SHA-256(subject "\n" payload)); hash = hex(SHA-256(prev_hash
 * "\n" chain "\n" seq "\n" kind "\n" recorded_at "\n" content)). An auditor
 * recomputes both from any export; an export redacted for one creditor's
 * monitor gives only the content hash of other creditors' records and still
 * verifies.
 */
void audit_content_hash(const char *subject, const char *payload, char out[AUDIT_HASH_HEX]);
void audit_hash_with_content(const struct audit_record *r, const char *content,
			     char out[AUDIT_HASH_HEX]);
void audit_hash(const struct audit_record *r, char out[AUDIT_HASH_HEX]);

/*
 * Verifies every chain in the database (command line; synchronous libpq).
 * Returns true when every record links and hashes correctly; otherwise
 * false, with the first broken chain/seq and why in err. *checked counts
 * the records read.
 */
bool audit_verify_db(const char *conninfo, long long *checked, char *err, size_t errlen);

/* Opens a new chain for this process (start-up; synchronous). Returns its id or -1. */
int audit_chain_open(const char *conninfo, char *err, size_t errlen);

/* SQL that renders recorded_at exactly as it was hashed. */
#define AUDIT_TS_SQL(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#endif
