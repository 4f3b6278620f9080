/* checkpoint.c - the running gateway's periodic signed checkpoint of every audit chain head. */
#include "checkpoint.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "mem.h"
#include "outbox.h"
#include "server.h"

struct checkpoint {
	struct server *srv;
	EVP_PKEY *key;
	char *pub_pem;
	struct event *timer;
	bool running;    /* a checkpoint is being read or stored */
	bool waiting;    /* checkpoint_final runs the loop until !running */
	bool timed_out;
	char *last_heads; /* heads of this process's last stored checkpoint */
	char *pending_heads;
};

/* One index probe per chain (primary key backwards), never a scan of the log. */
#define SQL_HEADS                                                                          \
	"SELECT c.id, h.seq, h.hash FROM audit_chains c CROSS JOIN LATERAL "              \
	"(SELECT seq, hash FROM audit_log l WHERE l.chain = c.id ORDER BY seq DESC LIMIT 1) h " \
	"ORDER BY c.id"
#define SQL_NOW "SELECT " AUDIT_TS_SQL("now()")
#define SQL_CREDITORS "SELECT id, webhook_url FROM creditors WHERE coalesce(webhook_url, '') <> '' ORDER BY id"
#define SQL_STORE "INSERT INTO audit_checkpoints (body, signature, public_key) VALUES ($1, $2, $3)"


static void run_end(struct checkpoint *cp)
{
	cp->running = false;
	free(cp->pending_heads);
	cp->pending_heads = NULL;
	if (cp->waiting)
		event_base_loopbreak(cp->srv->base);
}

/* The heads as a JSON array in chain order. */
static json_t *heads_json(const PGresult *r)
{
	json_t *a = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:i, s:I, s:s}", "chain", atoi(PQgetvalue(r, i, 0)), "seq",
						   (json_int_t)atoll(PQgetvalue(r, i, 1)), "hash",
						   PQgetvalue(r, i, 2)));
	return a;
}

static void stored(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct checkpoint *cp = arg;
	if (st == PGJOB_OK) {
		free(cp->last_heads);
		cp->last_heads = cp->pending_heads;
		cp->pending_heads = NULL;
		if (cp->srv->outbox)
			outbox_kick(cp->srv->outbox);
		log_info("audit checkpoint stored");
	} else {
		log_warn("audit checkpoint: storing failed (%s); tried again on the next run", pgjob_sqlstate(job));
	}
	run_end(cp);
}

/* Adds the checkpoint row and one notification per creditor with a webhook. */
static void store(struct checkpoint *cp, const char *body, const char *sig, const PGresult *creditors)
{
	struct pgjob *job = pgjob_create(true);
	const char *p[] = {body, sig, cp->pub_pem};
	pgjob_add(job, SQL_STORE, 3, p);
	json_t *note = json_pack("{s:s, s:s, s:s}", "body", body, "signature", sig, "public_key", cp->pub_pem);
	char *payload = json_dumps(note, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(note);
	for (int i = 0; payload && i < PQntuples(creditors); i++)
		outbox_enqueue(job, "creditor", PQgetvalue(creditors, i, 0), PQgetvalue(creditors, i, 1),
			       "audit.checkpoint", payload);
	free(payload);
	pgpool_submit(cp->srv->pool, job, stored, cp);
}

static void heads_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct checkpoint *cp = arg;
	const PGresult *now = pgjob_result(job, 0), *heads = pgjob_result(job, 1);
	if (st != PGJOB_OK || !now || !heads || PQntuples(now) != 1 || PQntuples(heads) == 0) {
		run_end(cp); /* the database is away, or nothing to sign yet */
		return;
	}
	json_t *h = heads_json(heads);
	cp->pending_heads = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
	if (!cp->pending_heads || (cp->last_heads && strcmp(cp->last_heads, cp->pending_heads) == 0)) {
		json_decref(h);
		run_end(cp);
		return;
	}
	json_t *o = json_pack("{s:s, s:o}", "checkpoint_at", PQgetvalue(now, 0, 0), "heads", h);
	char *body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	char *sig = body ? checkpoint_sign(cp->key, body) : NULL;
	if (sig)
		store(cp, body, sig, pgjob_result(job, 2));
	else {
		log_error("audit checkpoint: signing failed");
		run_end(cp);
	}
	free(body);
	free(sig);
}

static void run(struct checkpoint *cp)
{
	if (cp->running)
		return;
	cp->running = true;
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, SQL_NOW, 0, NULL);
	pgjob_add(job, SQL_HEADS, 0, NULL);
	pgjob_add(job, SQL_CREDITORS, 0, NULL);
	pgpool_submit(cp->srv->pool, job, heads_loaded, cp);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	run(arg);
}

struct checkpoint *checkpoint_create(struct server *srv)
{
	char err[512], fp[65] = "?";
	EVP_PKEY *key = checkpoint_key_load(srv->cfg, true, err, sizeof(err));
	if (!key) {
		log_error("%s", err);
		return NULL;
	}
	struct checkpoint *cp = xcalloc(1, sizeof(*cp));
	cp->srv = srv;
	cp->key = key;
	cp->pub_pem = checkpoint_pubkey_pem(key);
	int ms = srv->cfg->checkpoint_interval_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	cp->timer = event_new(srv->base, -1, EV_PERSIST, on_timer, cp);
	if (!cp->pub_pem || !cp->timer || event_add(cp->timer, &tv) != 0 || !checkpoint_fingerprint(key, fp)) {
		log_error("audit checkpoints: cannot start");
		checkpoint_free(cp);
		return NULL;
	}
	log_info("audit checkpoints every %d ms, public key sha256 %s", ms, fp);
	return cp;
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	struct checkpoint *cp = arg;
	cp->timed_out = true;
	event_base_loopbreak(cp->srv->base);
}

/* Runs the loop until the checkpoint in progress ends or the guard fires. */
static void wait_idle(struct checkpoint *cp)
{
	while (cp->running && !cp->timed_out)
		event_base_dispatch(cp->srv->base);
}

void checkpoint_final(struct checkpoint *cp)
{
	if (!cp)
		return;
	struct timeval tv = {3, 0};
	struct event *guard = evtimer_new(cp->srv->base, on_guard, cp);
	if (!guard || evtimer_add(guard, &tv) != 0) {
		if (guard)
			event_free(guard);
		return;
	}
	event_del(cp->timer);
	cp->waiting = true;
	wait_idle(cp);
	if (!cp->timed_out) {
		run(cp);
		wait_idle(cp);
	}
	cp->waiting = false;
	event_free(guard);
}

void checkpoint_free(struct checkpoint *cp)
{
	if (!cp)
		return;
	if (cp->timer)
		event_free(cp->timer);
	EVP_PKEY_free(cp->key);
	free(cp->pub_pem);
	free(cp->last_heads);
	free(cp->pending_heads);
	free(cp);
}

const char *checkpoint_public_pem(const struct checkpoint *cp)
{
	return cp->pub_pem;
}
