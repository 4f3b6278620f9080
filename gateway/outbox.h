/* outbox.h - durable notification outbox: signed webhook delivery with retries. */
#ifndef FAIRGATE_OUTBOX_H
#define FAIRGATE_OUTBOX_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "pgpool.h"

/*
 * Rows are written into table outbox in the SAME transaction as the state
 * change they announce (outbox_enqueue adds the INSERT to the caller's job),
 * so a committed change always has its notification and a failed one never
 * does. A deliverer on the event loop picks due rows (FOR UPDATE SKIP LOCKED,
 * so several gateway processes can share the table), POSTs them with
 * libcurl's multi interface driven by libevent, signs each with HMAC-SHA256,
 * retries with exponential backoff and jitter, dead-letters after max_attempts.
 */
struct outbox;

struct outbox_config {
	const char *signing_secret; /* HMAC key */
	int max_attempts;           /* then status 'dead' */
	int base_delay_ms;          /* first retry delay; doubles, with jitter */
	int max_delay_ms;
	int poll_interval_ms;       /* also woken by outbox_kick */
	int batch;                  /* rows claimed per poll */
	int timeout_ms;             /* per delivery */
};

/*
 * Adds to job the INSERT of one notification. target_kind is "partner" or
 * "creditor"; url may be NULL/empty (then the row is stored as 'no_endpoint'
 * and never sent). event_type e.g. "dossier.handed_over", "decision.made".
 * payload is the JSON body. The idempotency key is derived from the row id.
 */
void outbox_enqueue(struct pgjob *job, const char *target_kind, const char *target_id,
		    const char *url, const char *event_type, const char *payload_json);
/* The same, as a row of the commit batch being built (one INSERT for the whole batch). */
struct commit_ctx;
void outbox_enqueue_batch(const struct commit_ctx *ctx, const char *target_kind,
			  const char *target_id, const char *url, const char *event_type,
			  const char *payload_json);
/* The same with a decision's body as the payload, stored by reference to the decision (sql/010). */
void outbox_enqueue_decision(const struct commit_ctx *ctx, const char *target_kind,
			     const char *target_id, const char *url, const char *event_type,
			     const char *decision_id);

/*
 * Starts the deliverer on base. Zero fields of cfg take the defaults
 * (max_attempts 20, base_delay_ms 10 s, max_delay_ms 6 h, poll_interval_ms
 * 1 s, batch 32, timeout_ms 10 s); the secret is copied and must not be
 * empty. NULL on a bad configuration or if libcurl cannot be set up.
 */
struct outbox *outbox_create(struct event_base *base, struct pgpool *pool,
			     const struct outbox_config *cfg);
/*
 * Stops delivering: transfers in flight are abandoned (their rows are
 * claimed until locked_until and then redelivered, same Idempotency-Key).
 * Safe while database jobs are outstanding: the memory is released when the
 * pool hands the last one back (pgpool_free runs them), so free the outbox
 * before the pool.
 */
void outbox_free(struct outbox *ob);
/* Something was just committed: look for due rows soon. */
void outbox_kick(struct outbox *ob);

struct outbox_stats {
	unsigned long long delivered, failed_attempts, dead;
	long long backlog; /* pending rows at the last poll */
};
void outbox_stats(const struct outbox *ob, struct outbox_stats *out);

/*
 * Delay before the next attempt after `attempts` failed ones (attempts >= 1):
 * d = min(max_delay_ms, base_delay_ms * 2^(attempts-1)), with equal jitter
 * d/2 + rnd % (d/2 + 1), so retries never come sooner than half the schedule
 * and receivers recovering from an outage are not hit in lockstep. Pure.
 */
long long outbox_retry_delay_ms(const struct outbox_config *cfg, int attempts, uint32_t rnd);

/* A page of the listing: keyset paging on id, optional filters (NULL = any). */
struct outbox_query {
	const char *status;      /* "pending", "dead", "delivered", "no_endpoint" or NULL */
	const char *target_kind; /* "partner", "creditor" or NULL */
	const char *target_id;   /* scope to one partner / creditor, or NULL */
	long long after_id;      /* rows with id > after_id; 0 = from the start */
	int limit;               /* 1..500; 0 = 100 */
};

/*
 * rows is a JSON array of objects {id, created_at, target_kind, target_id,
 * event_type, status, attempts, next_attempt_at, last_error, last_status,
 * delivered_at} in id order (timestamps RFC 3339 UTC; never url nor payload,
 * which may carry partner secrets or debtor data). It is borrowed: json_incref
 * it to keep it. On failure rows is NULL and error says why.
 */
typedef void (*outbox_list_cb)(json_t *rows, const char *error, void *arg);

/*
 * Lists outbox rows for an operator or scoped endpoint. Returns false, and
 * never calls cb, when the query is invalid (unknown status or kind, negative
 * after_id, limit out of range); otherwise cb runs exactly once, later, from
 * the loop.
 */
#if defined(__GNUC__)
__attribute__((warn_unused_result))
#endif
bool outbox_list(struct outbox *ob, const struct outbox_query *q, outbox_list_cb cb,
		 void *arg);

#endif
