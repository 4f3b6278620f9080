/* write.h - one audited state change from a request: statements, audit record, notifications. */
#ifndef FAIRGATE_WRITE_H
#define FAIRGATE_WRITE_H

#include <jansson.h>

#include "http.h"

/*
 * A write collects its statements (parameters copied), one audit record and
 * any notifications, then commits through the committer and answers the
 * request: the reply (status_ok with the given body, plus "audit_seq") only
 * after the commit; 409 on a duplicate; 503 when the database is unavailable.
 * Nothing is written unless everything is.
 */
struct write_op;

struct write_op *write_op_new(struct req *r);
void write_op_sql(struct write_op *w, const char *sql, int nparams, const char *const *params);
/* The audit record: kind ("partner.registered"), subject id, creditor (may be NULL), payload (stolen). */
void write_op_audit(struct write_op *w, const char *kind, const char *subject, const char *creditor,
		    json_t *payload);
/* A notification through the outbox in the same transaction (payload stolen). */
void write_op_notify(struct write_op *w, const char *target_kind, const char *target_id,
		     const char *url, const char *event_type, json_t *payload);
/* What a duplicate key means to the client. */
void write_op_on_duplicate(struct write_op *w, const char *code, const char *detail);
/* What an SQLSTATE raised by a guard function means: status and problem code. */
void write_op_on_error(struct write_op *w, const char *sqlstate, int status, const char *code);
/* Commits; the request is answered when done. reply is stolen. */
void write_op_commit(struct write_op *w, int status_ok, json_t *reply);
/* Commits a recorded refusal; the answer is 422 problem+json with these reasons (stolen). */
void write_op_commit_refusal(struct write_op *w, json_t *reasons);

#endif
