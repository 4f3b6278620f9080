/* idempotency.h - Idempotency-Key on POST: replay the first answer, refuse a changed body. */
#ifndef FAIRGATE_IDEMPOTENCY_H
#define FAIRGATE_IDEMPOTENCY_H

#include <stdbool.h>

#include "pgpool.h"

struct req;
struct idem_table;

/*
 * The IETF httpapi draft's semantics, per principal:
 *  - a key seen before with the same request: the stored answer, byte for byte;
 *  - with another request (method, path or body differ): 422;
 *  - while the first is still in flight in this process: 409;
 *  - across processes, the loser of a race fails on the primary key inside its
 *    own transaction (so its change is rolled back) and replays the winner's answer.
 * The answer is stored in the SAME transaction as the change it reports, so a
 * 2xx is never without its record and a retry after a crash finds it.
 */
struct idem_table *idem_table_create(void);
void idem_table_free(struct idem_table *t);

/*
 * Called before the handler for a POST. Returns true when the handler should
 * run (no key, or a key not seen before); false when the request was answered
 * (replayed, 409, 422, 400 or 503). May complete asynchronously: then it
 * calls run(r) itself and returns false.
 */
bool idem_begin(struct req *r, void (*run)(struct req *r));
/*
 * For a route with ROUTE_IDEM_IN_HANDLER, idem_begin registers the key and
 * lets the handler run at once; the handler adds the lookup to its first
 * read job (saving a round trip) and, with that job's result, calls
 * idem_lookup_answered before anything else.
 */
/*
 * The lookups of several requests' keys in one statement: idem_lookups_add
 * for each request (its position, or 0 when no lookup is due), then
 * idem_lookups_flush adds the statement to job (its index, or -1 when no key
 * was added) and frees l.
 */
struct idem_lookups;
/* The lookup statement ($1 principal ids, $2 keys, both text[]), for EXPLAIN in tests. */
const char *idem_lookup_sql(void);
struct idem_lookups *idem_lookups_new(void);
int idem_lookups_add(struct idem_lookups *l, struct req *r);
int idem_lookups_flush(struct idem_lookups *l, struct pgjob *job);
/*
 * With that statement's result and r's position: true when r was answered
 * from the store (replayed, or 422 for another body), and r is freed.
 */
bool idem_lookup_answered(struct req *r, const PGresult *res, int pos);
/* Adds the answer as a row of the commit batch being built (no-op without a key). */
struct commit_ctx;
void idem_record(struct req *r, const struct commit_ctx *ctx, int status, const char *ctype,
		 const char *body);
/* The same for an answer that is a decision's body, stored by reference to the decision (sql/010). */
void idem_record_decision(struct req *r, const struct commit_ctx *ctx, int status, const char *ctype,
			  const char *decision_id);
/* After a failed commit: true when the failure is a key recorded meanwhile; the answer is then replayed. */
bool idem_lost_race(struct req *r, const char *error);
/* Called when the request is freed: leaves the in-flight set. */
void idem_end(struct req *r);

#endif
