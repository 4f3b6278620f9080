/* pgpool.h - a small pool of non-blocking libpq connections on the event loop. */
#ifndef FAIRGATE_PGPOOL_H
#define FAIRGATE_PGPOOL_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>

/*
 * A job is a list of parameterized statements sent to one connection in one
 * libpq pipeline (one round trip). A transactional job's statements run in
 * one implicit transaction that ends at its pipeline sync: either all commit
 * (durably, before the callback runs) or none do. When the job's callback
 * runs, every result is available through pgjob_result().
 *
 * Up to 4 jobs are in flight on one connection, sent together when they were
 * submitted in the same loop turn; each has its own sync, so a failing job
 * fails alone. A slow job delays the ones behind it on its connection.
 *
 * Ownership: the caller creates a job, adds statements (parameters are
 * copied), submits it; from then on the pool owns it and frees it after the
 * callback returns. The callback must not free the job.
 *
 * A non-transactional job sends a pipeline sync after each statement: each
 * statement commits on its own and a failing one does not stop the next.
 * A job without statements is a bare sync: a round trip to check the link.
 *
 * Failures: a lost connection, or a job still running at its client-side
 * deadline (statement_timeout_ms + 2 s; 30 s when there is no statement
 * timeout; the connection is then closed, never cancelled with a blocking
 * PQcancel), fails the job with PGJOB_UNAVAILABLE. For a transactional job
 * the COMMIT's outcome is then UNKNOWN (it may have committed just before
 * the loss): callers treat it as a failure and must make a retry safe
 * (idempotency keys, unique constraints). The pool reconnects by itself,
 * 100 ms doubling to 2 s, forever. While no connection is up, queued jobs
 * fail after 1 s.
 *
 * conninfo should name the host by address or socket path: libpq resolves
 * host names with a blocking getaddrinfo inside PQconnectStart.
 */
struct pgjob;
struct pgpool;

enum pgjob_status {
	PGJOB_OK,          /* every statement succeeded (and committed) */
	PGJOB_SQL_ERROR,   /* a statement failed; nothing of a transactional job committed */
	PGJOB_UNAVAILABLE, /* no connection, lost connection, timeout or queue full */
};

typedef void (*pgjob_cb)(struct pgjob *job, enum pgjob_status status, void *arg);

struct pgjob *pgjob_create(bool transaction);
/* Adds a statement; params may contain NULL for SQL NULL. Returns its index. */
int pgjob_add(struct pgjob *job, const char *sql, int nparams, const char *const *params);
/* The same with every parameter in binary format, params[i] being lengths[i] bytes (copied). */
int pgjob_add_binary(struct pgjob *job, const char *sql, int nparams, const char *const *params,
		     const int *lengths);
/* After completion: the result of statement i (NULL if it did not run). */
const PGresult *pgjob_result(const struct pgjob *job, int i);
/* After a failure: the server's or libpq's message, and SQLSTATE ("" if none). */
const char *pgjob_error(const struct pgjob *job);
const char *pgjob_sqlstate(const struct pgjob *job);
/* Frees a job that was never submitted. */
void pgjob_free(struct pgjob *job);

struct pgpool_config {
	const char *conninfo;
	int size;                 /* connections, e.g. 8 */
	int statement_timeout_ms; /* set on every connection; 0 = none */
	int queue_max;            /* jobs waiting for a connection before UNAVAILABLE */
};

/* Connects asynchronously; never blocks. NULL only on out-of-memory / bad config. */
struct pgpool *pgpool_create(struct event_base *base, const struct pgpool_config *cfg);
/* Fails every pending job with PGJOB_UNAVAILABLE (callbacks run) and closes. */
void pgpool_free(struct pgpool *pool);
/*
 * Queues a job. Its callback always runs exactly once, later, from the loop
 * (never from inside pgpool_submit).
 */
void pgpool_submit(struct pgpool *pool, struct pgjob *job, pgjob_cb cb, void *arg);
/* At least one connection is up and usable. */
bool pgpool_ready(const struct pgpool *pool);

struct pgpool_stats {
	int size, connected, busy, queued;
	unsigned long long jobs_ok, jobs_failed, reconnects;
	unsigned long long pipelined; /* jobs sent while another was in flight on their connection */
};
void pgpool_stats(const struct pgpool *pool, struct pgpool_stats *out);

#endif
