/* outbox.c - the outbox deliverer: claims due rows, POSTs them signed via libcurl on the loop.
 */
#include "outbox.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "committer.h"
#include "log.h"
#include "mem.h"
#include "rowset.h"
#include "webhook_sign.h"

#define LOCK_MARGIN_MS 30000 /* claim = 2 x timeout + this: covers the record round trip */
#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 500
#define USER_AGENT "Fairgate-Outbox/1"

/*
 * A delivery is one attempt at one claimed row. It lives on ob->active from
 * the claim until its outcome is recorded, then on ob->reap until the reaper
 * frees it after the loop pass (never inside a callback that involves it).
 */
enum delivery_state {
	DELIVERY_SENDING,   /* easy handle on the multi handle; on ob->active */
	DELIVERY_RECORDING, /* outcome UPDATE submitted; on ob->active, awaiting its job */
	DELIVERY_DONE,      /* on ob->reap; freed by the reaper */
};

struct delivery {
	struct outbox *ob;
	enum delivery_state state;
	long long id;
	int attempts; /* failed attempts before this one, as claimed */
	char *url, *event_type, *payload;
	size_t payload_len;
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	struct delivery *prev, *next; /* ob->active (both) or ob->reap (next) */
};

/* A socket libcurl asked us to watch; retired ones wait on ob->socks for the reaper. */
struct sockctx {
	struct outbox *ob;
	struct event *ev;
	bool retired;
	struct sockctx *next;
};

/* A pending outbox_list call. */
struct list_req {
	struct outbox *ob;
	outbox_list_cb cb;
	void *arg;
};

struct outbox {
	struct event_base *base;
	struct pgpool *pool;
	struct outbox_config cfg; /* defaults applied; signing_secret points at secret */
	char *secret;
	CURLM *multi;
	struct event *poll_ev;   /* poll timer, also armed by outbox_kick */
	struct event *curl_ev;   /* libcurl's one timer */
	struct event *reap_ev;   /* deferred frees, activated on demand */
	struct delivery *active; /* SENDING and RECORDING deliveries */
	struct delivery *reap;   /* DONE deliveries */
	struct sockctx *socks;   /* watched and retired sockets */
	int inflight;            /* deliveries on active */
	int jobs;                /* database jobs submitted, callback not yet run */
	int claim_n;             /* rows asked for by the claim in flight */
	bool claiming;           /* a claim job is out */
	bool poll_again;         /* kicked, or more rows due, while busy */
	bool closing;            /* outbox_free called: released when jobs == 0 */
	struct outbox_stats stats;
};

/* Claims due rows; the subquery walks the partial index outbox_due. */
static const char SQL_CLAIM[] =
    "UPDATE outbox SET locked_until = now() + $2::bigint * interval '1 millisecond' "
    "WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= now() "
    "AND (locked_until IS NULL OR locked_until < now()) ORDER BY next_attempt_at "
    "LIMIT $1::int FOR UPDATE SKIP LOCKED) "
    "RETURNING id, url, event_type, "
    "coalesce(payload, fairgate_decision_body(outbox.decision_id)), attempts";
static const char SQL_BACKLOG[] = "SELECT count(*) FROM outbox WHERE status = 'pending'";
static const char SQL_DELIVERED[] =
    "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), "
    "last_status = $2::int, last_error = NULL, locked_until = NULL "
    "WHERE id = $1::bigint AND status = 'pending' RETURNING status";
static const char SQL_FAILED[] =
    "UPDATE outbox SET attempts = attempts + 1, "
    "status = CASE WHEN attempts + 1 >= $2::int THEN 'dead' ELSE 'pending' END, "
    "next_attempt_at = now() + $3::bigint * interval '1 millisecond', "
    "last_error = $4::text, last_status = $5::int, locked_until = NULL "
    "WHERE id = $1::bigint AND status = 'pending' RETURNING status";
static const char SQL_ENQUEUE[] =
    "INSERT INTO outbox (target_kind, target_id, url, event_type, payload, status) "
    "VALUES ($1, $2, NULLIF($3::text, ''), $4, $5, "
    "CASE WHEN coalesce($3::text, '') = '' THEN 'no_endpoint' ELSE 'pending' END)";
/* Listing, encoded by PostgreSQL: RFC 3339 UTC timestamps; never url nor payload. */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
// clang-format off
static const char SQL_LIST[] =
    "SELECT coalesce(json_agg(json_build_object('id', id, 'created_at', " TS("created_at") ", "
    "'target_kind', target_kind, 'target_id', target_id, 'event_type', event_type, "
    "'status', status, 'attempts', attempts, 'next_attempt_at', " TS("next_attempt_at") ", "
    "'last_error', last_error, 'last_status', last_status, "
    "'delivered_at', " TS("delivered_at") ") ORDER BY id), '[]') FROM ("
    "SELECT * FROM outbox WHERE ($1::text IS NULL OR status = $1) "
    "AND ($2::text IS NULL OR target_kind = $2) AND ($3::text IS NULL OR target_id = $3) "
    "AND id > $4::bigint ORDER BY id LIMIT $5::int) page";
// clang-format on

static void poll_schedule(struct outbox *ob, int ms);
static void delivery_record(struct delivery *d, bool ok, long http_status, const char *error);

/* ---- small helpers ---------------------------------------------------- */

static struct timeval ms_to_tv(long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	return tv;
}

static uint32_t random_u32(void)
{
	uint32_t r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0; /* no jitter beats no retry */
	return r;
}

long long outbox_retry_delay_ms(const struct outbox_config *cfg, int attempts, uint32_t rnd)
{
	long long d = cfg->base_delay_ms > 0 ? cfg->base_delay_ms : 1;
	long long max = cfg->max_delay_ms > d ? cfg->max_delay_ms : d;

	for (int i = 1; i < attempts && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	long long half = d / 2;
	return d - half + (long long)(rnd % (uint64_t)(half + 1));
}

/* Submits a job and counts it, so outbox_free knows when callbacks are over. */
static void job_submit(struct outbox *ob, struct pgjob *job, pgjob_cb cb, void *arg)
{
	ob->jobs++;
	pgpool_submit(ob->pool, job, cb, arg);
}

static void reap_schedule(struct outbox *ob)
{
	if (!ob->closing)
		event_active(ob->reap_ev, EV_TIMEOUT, 0);
}

/* Frees everything; only once closing and no job callback can still arrive. */
static void release_if_idle(struct outbox *ob)
{
	if (!ob->closing || ob->jobs > 0)
		return;
	while (ob->socks) {
		struct sockctx *sc = ob->socks;
		ob->socks = sc->next;
		event_free(sc->ev);
		free(sc);
	}
	if (ob->poll_ev)
		event_free(ob->poll_ev);
	if (ob->curl_ev)
		event_free(ob->curl_ev);
	if (ob->reap_ev)
		event_free(ob->reap_ev);
	OPENSSL_cleanse(ob->secret, strlen(ob->secret));
	free(ob->secret);
	free(ob);
	curl_global_cleanup();
}

/* ---- deliveries ------------------------------------------------------- */

static void delivery_free(struct delivery *d)
{
	if (d->easy)
		curl_easy_cleanup(d->easy);
	curl_slist_free_all(d->headers);
	free(d->url);
	free(d->event_type);
	free(d->payload);
	free(d);
}

static void active_unlink(struct outbox *ob, struct delivery *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		ob->active = d->next;
	if (d->next)
		d->next->prev = d->prev;
	d->prev = d->next = NULL;
	ob->inflight--;
}

/* The attempt is over and recorded (or not): free later, maybe claim more. */
static void delivery_finish(struct delivery *d)
{
	struct outbox *ob = d->ob;

	active_unlink(ob, d);
	if (ob->closing) {
		delivery_free(d);
		return;
	}
	d->state = DELIVERY_DONE;
	d->next = ob->reap;
	ob->reap = d;
	reap_schedule(ob);
	if (ob->poll_again && !ob->claiming && ob->inflight <= ob->cfg.batch / 2)
		poll_schedule(ob, 0); /* refill in half batches, not one row at a time */
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;

	while (ob->reap) {
		struct delivery *d = ob->reap;
		ob->reap = d->next;
		delivery_free(d);
	}
	for (struct sockctx **p = &ob->socks; *p;) {
		struct sockctx *sc = *p;
		if (!sc->retired) {
			p = &sc->next;
			continue;
		}
		*p = sc->next;
		event_free(sc->ev);
		free(sc);
	}
}

static bool slist_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);
	if (!n)
		return false;
	*list = n;
	return true;
}

/* Content-Type, Idempotency-Key, Fairgate-Event/-Delivery/-Signature; signed now. */
static bool headers_build(struct delivery *d)
{
	char sig[WEBHOOK_SIG_HEADER_MAX], key[64], event[160], delivery[64], line[160];
	const char *secret = d->ob->secret;

	if (!webhook_sign_header(secret, (long long)time(NULL), d->payload, d->payload_len,
	                         sig))
		return false;
	snprintf(key, sizeof(key), "Idempotency-Key: fairgate-outbox-%lld", d->id);
	snprintf(delivery, sizeof(delivery), "Fairgate-Delivery: %lld", d->id);
	snprintf(line, sizeof(line), "Fairgate-Signature: %s", sig);
	int n = snprintf(event, sizeof(event), "Fairgate-Event: %s", d->event_type);
	return n > 0 && (size_t)n < sizeof(event) &&
	       slist_add(&d->headers, "Content-Type: application/json") &&
	       slist_add(&d->headers, "Expect:") && slist_add(&d->headers, key) &&
	       slist_add(&d->headers, event) && slist_add(&d->headers, delivery) &&
	       slist_add(&d->headers, line);
}

/* The receiver's body is not needed: count it away. */
static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

#define SETOPT(e, opt, val) (curl_easy_setopt((e), (opt), (val)) == CURLE_OK)

/* One POST: no redirects, http(s) only, bounded in time, no signals. */
static bool easy_setup(struct delivery *d)
{
	long timeout = d->ob->cfg.timeout_ms;
	CURL *e = d->easy = curl_easy_init();

	return e && headers_build(d) && SETOPT(e, CURLOPT_URL, d->url) &&
	       SETOPT(e, CURLOPT_PRIVATE, d) && SETOPT(e, CURLOPT_ERRORBUFFER, d->errbuf) &&
	       SETOPT(e, CURLOPT_HTTPHEADER, d->headers) && SETOPT(e, CURLOPT_POST, 1L) &&
	       SETOPT(e, CURLOPT_POSTFIELDS, d->payload) &&
	       SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->payload_len) &&
	       SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L) &&
	       SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https") &&
	       SETOPT(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") &&
	       SETOPT(e, CURLOPT_TIMEOUT_MS, timeout) &&
	       SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, timeout) &&
	       SETOPT(e, CURLOPT_NOSIGNAL, 1L) && SETOPT(e, CURLOPT_USERAGENT, USER_AGENT) &&
	       SETOPT(e, CURLOPT_WRITEFUNCTION, discard_body);
}

/* Takes one claimed row on the active list and starts its transfer. */
static void delivery_start(struct outbox *ob, const PGresult *res, int row)
{
	struct delivery *d = xcalloc(1, sizeof(*d));

	d->ob = ob;
	d->state = DELIVERY_SENDING;
	d->id = atoll(PQgetvalue(res, row, 0));
	d->url = xstrdup(PQgetvalue(res, row, 1));
	d->event_type = xstrdup(PQgetvalue(res, row, 2));
	d->payload_len = (size_t)PQgetlength(res, row, 3);
	d->payload = xstrndup(PQgetvalue(res, row, 3), d->payload_len);
	d->attempts = atoi(PQgetvalue(res, row, 4));
	d->next = ob->active;
	if (ob->active)
		ob->active->prev = d;
	ob->active = d;
	ob->inflight++;
	if (PQgetisnull(res, row, 3)) { /* a decision_id without its decision: never written so */
		log_error("outbox: delivery %lld: its decision is missing", d->id);
		delivery_record(d, false, 0, "the decision this notification refers to is missing");
	} else if (!easy_setup(d) || curl_multi_add_handle(ob->multi, d->easy) != CURLM_OK) {
		log_error("outbox: delivery %lld: transfer setup failed", d->id);
		delivery_record(d, false, 0, "transfer setup failed");
	}
}

/* ---- recording outcomes ----------------------------------------------- */

static void on_recorded(struct pgjob *job, enum pgjob_status status, void *arg)
{
	struct delivery *d = arg;
	struct outbox *ob = d->ob;
	const PGresult *res = pgjob_result(job, 0);

	ob->jobs--;
	if (status != PGJOB_OK) {
		/* the claim expires and the row is sent again: at least once */
		log_warn("outbox: delivery %lld: recording outcome failed (%s)", d->id,
		         pgjob_sqlstate(job));
	} else if (res && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "dead") == 0) {
		ob->stats.dead++;
		log_warn("outbox: delivery %lld dead after %d attempts", d->id,
		         d->attempts + 1);
	}
	delivery_finish(d);
	release_if_idle(ob);
}

/* Writes the attempt's outcome: delivered, or the next attempt time / dead. */
static void delivery_record(struct delivery *d, bool ok, long http_status, const char *error)
{
	struct outbox *ob = d->ob;
	struct pgjob *job = pgjob_create(false);
	char id[24], code[24], maxa[16], delay[24];
	const char *code_p = http_status > 0 ? code : NULL;

	d->state = DELIVERY_RECORDING;
	snprintf(id, sizeof(id), "%lld", d->id);
	snprintf(code, sizeof(code), "%ld", http_status);
	snprintf(maxa, sizeof(maxa), "%d", ob->cfg.max_attempts);
	snprintf(delay, sizeof(delay), "%lld",
	         outbox_retry_delay_ms(&ob->cfg, d->attempts + 1, random_u32()));
	const char *ok_params[] = {id, code_p};
	const char *fail_params[] = {id, maxa, delay, error, code_p};
	int added = ok ? pgjob_add(job, SQL_DELIVERED, 2, ok_params)
	               : pgjob_add(job, SQL_FAILED, 5, fail_params);
	if (added < 0) {
		pgjob_free(job);
		log_error("outbox: delivery %lld: cannot build outcome statement", d->id);
		delivery_finish(d);
		return;
	}
	job_submit(ob, job, on_recorded, d);
}

/* A transfer ended: classify it (only a 2xx counts) and record it. */
static void transfer_done(struct delivery *d, CURLcode result)
{
	struct outbox *ob = d->ob;
	long code = 0;
	char err[CURL_ERROR_SIZE + 32];

	if (curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	bool ok = result == CURLE_OK && code >= 200 && code < 300;
	if (result != CURLE_OK)
		snprintf(err, sizeof(err), "%s",
		         d->errbuf[0] ? d->errbuf : curl_easy_strerror(result));
	else
		snprintf(err, sizeof(err), "HTTP %ld", code);
	if (curl_multi_remove_handle(ob->multi, d->easy) != CURLM_OK)
		log_error("outbox: delivery %lld: cannot detach transfer", d->id);
	curl_easy_cleanup(d->easy);
	d->easy = NULL;
	if (ok)
		ob->stats.delivered++;
	else
		ob->stats.failed_attempts++;
	log_debug("outbox: delivery %lld attempt %d: curl %d, http %ld", d->id, d->attempts + 1,
	          (int)result, code);
	delivery_record(d, ok, code, ok ? NULL : err);
}

/* Collects finished transfers after libcurl made progress. */
static void transfers_drain(struct outbox *ob)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ob->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		void *d = NULL;
		CURLcode result = msg->data.result; /* msg dies with remove_handle */
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &d) != CURLE_OK ||
		    !d) {
			log_error("outbox: finished transfer without its delivery");
			continue;
		}
		transfer_done(d, result);
	}
}

/* ---- libcurl on libevent ---------------------------------------------- */

static void on_socket_ready(evutil_socket_t fd, short what, void *arg)
{
	struct sockctx *sc = arg;
	struct outbox *ob = sc->ob;
	int flags = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	            ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	if (curl_multi_socket_action(ob->multi, fd, flags, &running) != CURLM_OK)
		log_error("outbox: curl socket action failed");
	transfers_drain(ob);
}

static void on_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	int running;

	if (curl_multi_socket_action(ob->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
		log_error("outbox: curl timeout action failed");
	transfers_drain(ob);
}

/* CURLMOPT_TIMERFUNCTION: one timer; libcurl is driven from it, never from here. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct outbox *ob = userp;
	struct timeval tv = ms_to_tv(timeout_ms);

	if (timeout_ms < 0)
		return event_del(ob->curl_ev) == 0 ? 0 : -1;
	return evtimer_add(ob->curl_ev, &tv) == 0 ? 0 : -1;
}

static struct sockctx *sock_watch(struct outbox *ob, curl_socket_t fd)
{
	struct sockctx *sc = xcalloc(1, sizeof(*sc));

	sc->ob = ob;
	sc->ev = event_new(ob->base, fd, 0, on_socket_ready, sc);
	if (!sc->ev || curl_multi_assign(ob->multi, fd, sc) != CURLM_OK) {
		if (sc->ev)
			event_free(sc->ev);
		free(sc);
		return NULL;
	}
	sc->next = ob->socks;
	ob->socks = sc;
	return sc;
}

/*
 * CURLMOPT_SOCKETFUNCTION: (re)arm a persistent event with the directions
 * libcurl wants. A removed socket is only retired: this may run inside that
 * socket's own event callback, so the reaper frees it afterwards.
 */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct outbox *ob = userp;
	struct sockctx *sc = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			sc->retired = true;
			reap_schedule(ob);
			return event_del(sc->ev) == 0 ? 0 : -1;
		}
		return 0;
	}
	if (!sc && !(sc = sock_watch(ob, fd)))
		return -1;
	short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	             ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (event_del(sc->ev) != 0 ||
	    event_assign(sc->ev, ob->base, fd, kind, on_socket_ready, sc) != 0 ||
	    event_add(sc->ev, NULL) != 0)
		return -1;
	return 0;
}

/* ---- polling ---------------------------------------------------------- */

static void on_claimed(struct pgjob *job, enum pgjob_status status, void *arg)
{
	struct outbox *ob = arg;
	const PGresult *rows = pgjob_result(job, 0), *count = pgjob_result(job, 1);

	ob->jobs--;
	ob->claiming = false;
	if (ob->closing) {
		/* claimed rows stay locked until locked_until, then go out again */
		release_if_idle(ob);
		return;
	}
	if (status != PGJOB_OK || !rows) {
		log_warn("outbox: claim failed (%s)", pgjob_sqlstate(job));
		poll_schedule(ob, ob->cfg.poll_interval_ms);
		return;
	}
	int n = PQntuples(rows);
	for (int i = 0; i < n; i++)
		delivery_start(ob, rows, i);
	if (count && PQntuples(count) == 1)
		ob->stats.backlog = atoll(PQgetvalue(count, 0, 0));
	if (n == ob->claim_n)
		ob->poll_again = true; /* a full batch: more may be due */
	poll_schedule(
	    ob, ob->poll_again && ob->inflight < ob->cfg.batch ? 0 : ob->cfg.poll_interval_ms);
}

static void claim_submit(struct outbox *ob, int n)
{
	struct pgjob *job = pgjob_create(false);
	char nbuf[16], lock[24];

	snprintf(nbuf, sizeof(nbuf), "%d", n);
	snprintf(lock, sizeof(lock), "%lld", 2LL * ob->cfg.timeout_ms + LOCK_MARGIN_MS);
	const char *params[] = {nbuf, lock};
	if (pgjob_add(job, SQL_CLAIM, 2, params) < 0 ||
	    pgjob_add(job, SQL_BACKLOG, 0, NULL) < 0) {
		pgjob_free(job);
		log_error("outbox: cannot build claim");
		poll_schedule(ob, ob->cfg.poll_interval_ms);
		return;
	}
	ob->claiming = true;
	ob->poll_again = false;
	ob->claim_n = n;
	job_submit(ob, job, on_claimed, ob);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	int room = ob->cfg.batch - ob->inflight;

	if (ob->claiming || room <= 0) {
		ob->poll_again = true; /* resumed when the claim or a delivery ends */
		poll_schedule(ob, ob->cfg.poll_interval_ms);
		return;
	}
	claim_submit(ob, room);
}

static void poll_schedule(struct outbox *ob, int ms)
{
	struct timeval tv = ms_to_tv(ms);

	if (!ob->closing && evtimer_add(ob->poll_ev, &tv) != 0)
		log_error("outbox: cannot arm the poll timer");
}

/* ---- public ------------------------------------------------------------ */

/* The payload: its text, or the decision whose body it is (decision_id). */
static const struct rowset_def OUTBOX_ROWS = {
    "INSERT INTO outbox (target_kind, target_id, url, event_type, payload, decision_id, status) "
    "SELECT k, t, NULLIF(u, ''), e, p, d, "
    "CASE WHEN coalesce(u, '') = '' THEN 'no_endpoint' ELSE 'pending' END "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) "
    "AS x(k, t, u, e, p, d)",
    6, 600};

void outbox_enqueue_batch(const struct commit_ctx *ctx, const char *target_kind,
			  const char *target_id, const char *url, const char *event_type,
			  const char *payload_json)
{
	const char *values[] = {target_kind, target_id, url, event_type, payload_json, NULL};
	commit_rows(ctx, &OUTBOX_ROWS, values);
}

void outbox_enqueue_decision(const struct commit_ctx *ctx, const char *target_kind,
			     const char *target_id, const char *url, const char *event_type,
			     const char *decision_id)
{
	const char *values[] = {target_kind, target_id, url, event_type, NULL, decision_id};
	commit_rows(ctx, &OUTBOX_ROWS, values);
}

void outbox_enqueue(struct pgjob *job, const char *target_kind, const char *target_id,
                    const char *url, const char *event_type, const char *payload_json)
{
	const char *params[] = {target_kind, target_id, url, event_type, payload_json};

	if (pgjob_add(job, SQL_ENQUEUE, 5, params) < 0)
		log_error("outbox: cannot add the enqueue statement");
}

static bool config_apply(struct outbox_config *c, const struct outbox_config *in)
{
	*c = *in;
	c->max_attempts = c->max_attempts ? c->max_attempts : 20;
	c->base_delay_ms = c->base_delay_ms ? c->base_delay_ms : 10 * 1000;
	c->max_delay_ms = c->max_delay_ms ? c->max_delay_ms : 6 * 3600 * 1000;
	c->poll_interval_ms = c->poll_interval_ms ? c->poll_interval_ms : 1000;
	c->batch = c->batch ? c->batch : 32;
	c->timeout_ms = c->timeout_ms ? c->timeout_ms : 10 * 1000;
	return in->signing_secret && in->signing_secret[0] && c->max_attempts > 0 &&
	       c->base_delay_ms > 0 && c->max_delay_ms >= c->base_delay_ms &&
	       c->poll_interval_ms > 0 && c->batch > 0 && c->batch <= 1000 && c->timeout_ms > 0;
}

static bool multi_setup(struct outbox *ob)
{
	ob->multi = curl_multi_init();
	return ob->multi &&
	       curl_multi_setopt(ob->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) ==
	           CURLM_OK &&
	       curl_multi_setopt(ob->multi, CURLMOPT_SOCKETDATA, ob) == CURLM_OK &&
	       curl_multi_setopt(ob->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) ==
	           CURLM_OK &&
	       curl_multi_setopt(ob->multi, CURLMOPT_TIMERDATA, ob) == CURLM_OK;
}

struct outbox *outbox_create(struct event_base *base, struct pgpool *pool,
                             const struct outbox_config *cfg)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));

	if (!config_apply(&ob->cfg, cfg) || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(ob);
		return NULL;
	}
	ob->base = base;
	ob->pool = pool;
	ob->secret = xstrdup(cfg->signing_secret);
	ob->cfg.signing_secret = ob->secret;
	ob->poll_ev = evtimer_new(base, on_poll, ob);
	ob->curl_ev = evtimer_new(base, on_curl_timeout, ob);
	ob->reap_ev = event_new(base, -1, 0, on_reap, ob);
	if (!ob->poll_ev || !ob->curl_ev || !ob->reap_ev || !multi_setup(ob)) {
		log_error("outbox: cannot set up the deliverer");
		outbox_free(ob);
		return NULL;
	}
	poll_schedule(ob, 0);
	return ob;
}

void outbox_free(struct outbox *ob)
{
	if (!ob)
		return;
	ob->closing = true;
	if (ob->poll_ev)
		event_del(ob->poll_ev);
	for (struct delivery *d = ob->active, *next; d; d = next) {
		next = d->next;
		if (d->state != DELIVERY_SENDING)
			continue; /* its record job's callback finishes it */
		if (d->easy && curl_multi_remove_handle(ob->multi, d->easy) != CURLM_OK)
			log_error("outbox: delivery %lld: cannot detach transfer", d->id);
		active_unlink(ob, d);
		delivery_free(d);
	}
	on_reap(-1, 0, ob);
	if (ob->multi)
		curl_multi_cleanup(ob->multi);
	ob->multi = NULL;
	if (ob->curl_ev)
		event_del(ob->curl_ev);
	release_if_idle(ob);
}

void outbox_kick(struct outbox *ob)
{
	if (ob)
		poll_schedule(ob, 0);
}

void outbox_stats(const struct outbox *ob, struct outbox_stats *out)
{
	*out = ob->stats;
}

/* ---- listing ----------------------------------------------------------- */

static void on_listed(struct pgjob *job, enum pgjob_status status, void *arg)
{
	struct list_req *lr = arg;
	struct outbox *ob = lr->ob;
	const PGresult *res = pgjob_result(job, 0);
	json_t *rows = NULL;

	ob->jobs--;
	if (ob->closing)
		lr->cb(NULL, "outbox closing", lr->arg);
	else if (status != PGJOB_OK || !res)
		lr->cb(NULL, "database unavailable", lr->arg);
	else if (PQntuples(res) != 1 || !(rows = json_loads(PQgetvalue(res, 0, 0), 0, NULL)))
		lr->cb(NULL, "cannot decode rows", lr->arg);
	else
		lr->cb(rows, NULL, lr->arg);
	json_decref(rows);
	free(lr);
	release_if_idle(ob);
}

static bool one_of(const char *s, const char *const *allowed)
{
	for (; *allowed; allowed++) {
		if (strcmp(s, *allowed) == 0)
			return true;
	}
	return false;
}

static bool query_valid(const struct outbox_query *q)
{
	static const char *const statuses[] = {"pending", "delivered", "dead", "no_endpoint",
	                                       NULL};
	static const char *const kinds[] = {"partner", "creditor", NULL};

	return (!q->status || one_of(q->status, statuses)) &&
	       (!q->target_kind || one_of(q->target_kind, kinds)) && q->after_id >= 0 &&
	       q->limit >= 0 && q->limit <= LIST_LIMIT_MAX;
}

bool outbox_list(struct outbox *ob, const struct outbox_query *q, outbox_list_cb cb, void *arg)
{
	char after[24], limit[16];

	if (ob->closing || !query_valid(q))
		return false;
	snprintf(after, sizeof(after), "%lld", q->after_id);
	snprintf(limit, sizeof(limit), "%d", q->limit ? q->limit : LIST_LIMIT_DEFAULT);
	const char *params[] = {q->status, q->target_kind, q->target_id, after, limit};
	struct pgjob *job = pgjob_create(false);
	if (pgjob_add(job, SQL_LIST, 5, params) < 0) {
		pgjob_free(job);
		return false;
	}
	struct list_req *lr = xcalloc(1, sizeof(*lr));
	*lr = (struct list_req){.ob = ob, .cb = cb, .arg = arg};
	job_submit(ob, job, on_listed, lr);
	return true;
}
