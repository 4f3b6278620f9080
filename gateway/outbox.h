/* outbox.h - durable notification outbox: signed webhook delivery with retries. */
#ifndef FAIRGATE_OUTBOX_H
#define FAIRGATE_OUTBOX_H

#include <event2/event.h>
#include <stdbool.h>

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

struct outbox *outbox_create(struct event_base *base, struct pgpool *pool,
			     const struct outbox_config *cfg);
void outbox_free(struct outbox *ob);
/* Something was just committed: look for due rows soon. */
void outbox_kick(struct outbox *ob);

struct outbox_stats {
	unsigned long long delivered, failed_attempts, dead;
	long long backlog; /* pending rows at the last poll */
};
void outbox_stats(const struct outbox *ob, struct outbox_stats *out);

#endif
