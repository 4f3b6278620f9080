/* write.c - one audited state change from a request. */
#include "write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "committer.h"
#include "idempotency.h"
#include "mem.h"
#include "outbox.h"
#include "server.h"

#define WRITE_MAX_STMTS 6
#define WRITE_MAX_PARAMS 16
#define WRITE_MAX_NOTES 2

struct stmt {
	const char *sql; /* static text */
	int n;
	char *params[WRITE_MAX_PARAMS];
};

struct note {
	const char *target_kind;
	char *target_id, *url, *type, *payload;
};

/* What a custom SQLSTATE from a guard function means to the client. */
struct sqlstate_map {
	const char *sqlstate;
	int status;
	const char *code;
};

struct write_op {
	struct req *r;
	struct stmt stmts[WRITE_MAX_STMTS];
	int n_stmts;
	struct note notes[WRITE_MAX_NOTES];
	int n_notes;
	char *kind, *subject, *creditor, *payload;
	const char *dup_code, *dup_detail;
	struct sqlstate_map maps[4];
	int n_maps;
	int status_ok;
	json_t *reply;
	bool refusal; /* the recorded thing is a refusal: answer 422 with reply as reasons */
	char *answer; /* the answer as rendered at build time, stored for Idempotency-Key */
	int answer_status;
	const char *answer_ctype;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct write_op *write_op_new(struct req *r)
{
	struct write_op *w = xcalloc(1, sizeof(*w));
	w->r = r;
	w->dup_code = "conflict";
	w->dup_detail = "it exists already";
	return w;
}

void write_op_sql(struct write_op *w, const char *sql, int nparams, const char *const *params)
{
	if (w->n_stmts == WRITE_MAX_STMTS || nparams > WRITE_MAX_PARAMS)
		abort(); /* a programming error, caught by any test of the handler */
	struct stmt *s = &w->stmts[w->n_stmts++];
	s->sql = sql;
	s->n = nparams;
	for (int i = 0; i < nparams; i++)
		s->params[i] = dup_or_null(params[i]);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!s)
		abort();
	return s;
}

void write_op_audit(struct write_op *w, const char *kind, const char *subject, const char *creditor,
		    json_t *payload)
{
	w->kind = xstrdup(kind);
	w->subject = xstrdup(subject);
	w->creditor = dup_or_null(creditor);
	w->payload = dump(payload);
}

void write_op_notify(struct write_op *w, const char *target_kind, const char *target_id,
		     const char *url, const char *event_type, json_t *payload)
{
	if (w->n_notes == WRITE_MAX_NOTES)
		abort();
	struct note *n = &w->notes[w->n_notes++];
	n->target_kind = target_kind;
	n->target_id = xstrdup(target_id);
	n->url = dup_or_null(url && url[0] ? url : NULL);
	n->type = xstrdup(event_type);
	n->payload = dump(payload);
}

void write_op_on_duplicate(struct write_op *w, const char *code, const char *detail)
{
	w->dup_code = code;
	w->dup_detail = detail;
}

void write_op_on_error(struct write_op *w, const char *sqlstate, int status, const char *code)
{
	if (w->n_maps == 4)
		abort();
	w->maps[w->n_maps++] = (struct sqlstate_map){sqlstate, status, code};
}

/* The guard's message is ours (no debtor data): pass it on after the "ERROR:  " prefix. */
static bool mapped_error(struct write_op *w, const char *sqlstate, const char *error)
{
	for (int i = 0; i < w->n_maps; i++) {
		if (strcmp(w->maps[i].sqlstate, sqlstate) != 0)
			continue;
		const char *msg = strstr(error ? error : "", ":  ");
		char detail[256];
		snprintf(detail, sizeof(detail), "%s", msg ? msg + 3 : w->maps[i].code);
		detail[strcspn(detail, "\n")] = '\0';
		req_problem(w->r, w->maps[i].status, w->maps[i].code, detail, NULL);
		return true;
	}
	return false;
}

static void write_free(struct write_op *w)
{
	for (int i = 0; i < w->n_stmts; i++)
		for (int j = 0; j < w->stmts[i].n; j++)
			free(w->stmts[i].params[j]);
	for (int i = 0; i < w->n_notes; i++) {
		free(w->notes[i].target_id);
		free(w->notes[i].url);
		free(w->notes[i].type);
		free(w->notes[i].payload);
	}
	free(w->kind);
	free(w->subject);
	free(w->creditor);
	free(w->payload);
	json_decref(w->reply);
	free(w->answer);
	free(w);
}

/* The exact answer for a commit at audit seq: 2xx JSON, or a recorded refusal's 422. */
static void render_answer(struct write_op *w, long long seq)
{
	free(w->answer);
	if (w->refusal) {
		w->answer = problem_text(w->r, 422, "fact_refused",
					 "the fact breaks a rule; it is recorded as refused",
					 json_pack("{s:O, s:I}", "reasons", w->reply, "audit_seq", (json_int_t)seq));
		w->answer_status = 422;
		w->answer_ctype = "application/problem+json";
		return;
	}
	json_object_set_new(w->reply, "audit_seq", json_integer(seq));
	w->answer = json_dumps(w->reply, JSON_COMPACT);
	if (!w->answer)
		abort();
	w->answer_status = w->status_ok;
	w->answer_ctype = "application/json";
}

static void build(void *arg, const struct commit_ctx *ctx, const char **kind, const char **subject,
		  const char **creditor, const char **payload)
{
	struct write_op *w = arg;
	for (int i = 0; i < w->n_stmts; i++)
		pgjob_add(ctx->job, w->stmts[i].sql, w->stmts[i].n,
			  (const char *const *)w->stmts[i].params);
	for (int i = 0; i < w->n_notes; i++)
		outbox_enqueue_batch(ctx, w->notes[i].target_kind, w->notes[i].target_id,
				     w->notes[i].url, w->notes[i].type, w->notes[i].payload);
	render_answer(w, ctx->seq);
	idem_record(w->r, ctx, w->answer_status, w->answer_ctype, w->answer);
	*kind = w->kind;
	*subject = w->subject;
	*creditor = w->creditor;
	*payload = w->payload;
}

static void done(void *arg, enum commit_status st, const struct commit_ctx *ctx,
		 const char *sqlstate, const char *error)
{
	struct write_op *w = arg;
	struct req *r = w->r;
	if ((st == COMMIT_DUPLICATE && idem_lost_race(r, error)) ||
	    (st != COMMIT_OK && st != COMMIT_UNAVAILABLE && mapped_error(w, sqlstate, error))) {
		write_free(w);
		return;
	}
	switch (st) {
	case COMMIT_OK:
		if (r->srv->outbox && w->n_notes)
			outbox_kick(r->srv->outbox);
		req_reply_raw(r, w->answer_status, w->answer_ctype, w->answer, strlen(w->answer));
		break;
	case COMMIT_DUPLICATE:
		req_problem(r, 409, w->dup_code, w->dup_detail, NULL);
		break;
	case COMMIT_CONFLICT:
		req_problem(r, 409, "concurrent_change", "the resource changed meanwhile; try again", NULL);
		break;
	case COMMIT_REJECTED:
		req_problem(r, 422, "rejected_by_database", "the database refused the change", NULL);
		break;
	case COMMIT_UNAVAILABLE:
		req_problem(r, 503, "unavailable", "the change could not be recorded; nothing was changed "
			    "unless a retry with the same Idempotency-Key says otherwise", NULL);
		break;
	}
	write_free(w);
}

static const struct commit_unit_ops write_ops = {build, done};

void write_op_commit(struct write_op *w, int status_ok, json_t *reply)
{
	w->status_ok = status_ok;
	w->reply = reply;
	committer_submit(w->r->srv->committer, &write_ops, w);
}

void write_op_commit_refusal(struct write_op *w, json_t *reasons)
{
	w->refusal = true;
	write_op_commit(w, 422, reasons);
}
