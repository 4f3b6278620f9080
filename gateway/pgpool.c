/* pgpool.c - a small pool of non-blocking libpq connections on the event loop. */
#include "pgpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mem.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define NO_CONNECTION_GRACE_MS 1000
#define SWEEP_MS 250

struct stmt {
	char *sql;
	int n;
	char **params;
};

struct pgjob {
	bool tx;
	int n, cap;
	struct stmt *stmts;
	PGresult **results;     /* one per statement */
	int cursor;             /* index of the query whose results arrive now (BEGIN counts) */
	bool failed;
	char error[512];
	char sqlstate[6];
	pgjob_cb cb;
	void *arg;
	long long queued_ms;
	struct pgjob *next;
};

/* A connection's states; each comment names what it waits for. */
enum conn_state {
	CONN_DOWN,       /* the reconnect timer */
	CONN_CONNECTING, /* PQconnectPoll's socket readiness */
	CONN_SETUP,      /* the result of SET statement_timeout */
	CONN_IDLE,       /* a job from the queue */
	CONN_BUSY,       /* the results of its job, up to the pipeline sync */
	CONN_ROLLBACK,   /* the sync after the ROLLBACK of a failed transactional job */
};

struct conn {
	struct pgpool *pool;
	PGconn *pg;
	enum conn_state st;
	struct event *io;
	struct event *timer; /* reconnect backoff, or the job's deadline */
	int backoff_ms;
	struct pgjob *job;
};

struct pgpool {
	struct event_base *base;
	char *conninfo;
	int size, timeout_ms, queue_max;
	struct conn *conns;
	struct pgjob *head, **tail;
	int queued;
	struct pgjob *failed_head, **failed_tail; /* to be called back from the loop */
	struct event *failed_ev;
	struct event *sweep;
	bool closing;
	struct pgpool_stats stats;
};

static void conn_connect(struct conn *c);
static void dispatch(struct pgpool *p);

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- jobs ---- */

struct pgjob *pgjob_create(bool transaction)
{
	struct pgjob *j = xcalloc(1, sizeof(*j));
	j->tx = transaction;
	return j;
}

int pgjob_add(struct pgjob *job, const char *sql, int nparams, const char *const *params)
{
	if (job->n == job->cap) {
		job->cap = job->cap ? job->cap * 2 : 4;
		job->stmts = xrealloc(job->stmts, (size_t)job->cap * sizeof(struct stmt));
	}
	struct stmt *s = &job->stmts[job->n];
	s->sql = xstrdup(sql);
	s->n = nparams;
	s->params = xcalloc((size_t)(nparams ? nparams : 1), sizeof(char *));
	for (int i = 0; i < nparams; i++)
		s->params[i] = params[i] ? xstrdup(params[i]) : NULL;
	return job->n++;
}

const PGresult *pgjob_result(const struct pgjob *job, int i)
{
	return i >= 0 && i < job->n && job->results ? job->results[i] : NULL;
}

const char *pgjob_error(const struct pgjob *job)
{
	return job->error;
}

const char *pgjob_sqlstate(const struct pgjob *job)
{
	return job->sqlstate;
}

void pgjob_free(struct pgjob *job)
{
	if (!job)
		return;
	for (int i = 0; i < job->n; i++) {
		for (int k = 0; k < job->stmts[i].n; k++)
			free(job->stmts[i].params[k]);
		free(job->stmts[i].params);
		free(job->stmts[i].sql);
		if (job->results)
			PQclear(job->results[i]);
	}
	free(job->stmts);
	free(job->results);
	free(job);
}

static void job_error(struct pgjob *j, const char *msg, const char *sqlstate)
{
	if (j->failed)
		return; /* the first error is the one that matters */
	j->failed = true;
	snprintf(j->error, sizeof(j->error), "%s", msg ? msg : "unknown error");
	snprintf(j->sqlstate, sizeof(j->sqlstate), "%s", sqlstate ? sqlstate : "");
}

/* Runs the callback and frees the job. */
static void job_finish(struct pgpool *p, struct pgjob *j, enum pgjob_status st)
{
	if (st == PGJOB_OK)
		p->stats.jobs_ok++;
	else
		p->stats.jobs_failed++;
	j->cb(j, st, j->arg);
	pgjob_free(j);
}

/* Fails a job later, from the loop (never inside pgpool_submit). */
static void fail_later(struct pgpool *p, struct pgjob *j, const char *why)
{
	job_error(j, why, "");
	j->next = NULL;
	*p->failed_tail = j;
	p->failed_tail = &j->next;
	event_active(p->failed_ev, EV_TIMEOUT, 0);
}

static void on_failed(evutil_socket_t fd, short what, void *arg)
{
	struct pgpool *p = arg;
	struct pgjob *list = p->failed_head;
	p->failed_head = NULL;
	p->failed_tail = &p->failed_head;
	while (list) {
		struct pgjob *next = list->next;
		job_finish(p, list, PGJOB_UNAVAILABLE);
		list = next;
	}
}

/* ---- connections ---- */

static void arm(struct conn *c, short what, void (*fn)(evutil_socket_t, short, void *))
{
	if (c->io)
		event_free(c->io);
	c->io = event_new(c->pool->base, PQsocket(c->pg), what, fn, c);
	if (!c->io || event_add(c->io, NULL) != 0)
		abort(); /* the loop cannot watch a socket: nothing else can work */
}

static void arm_timer(struct conn *c, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_del(c->timer);
	event_add(c->timer, &tv);
}

/* Drops the connection; its job fails; a reconnect follows after the backoff. */
static void conn_drop(struct conn *c, const char *reason)
{
	struct pgpool *p = c->pool;
	struct pgjob *j = c->job;
	char why[256];
	/* reason often points into the PGconn that PQfinish frees below */
	snprintf(why, sizeof(why), "%s", reason ? reason : "connection dropped");
	if (c->st == CONN_IDLE || c->st == CONN_BUSY || c->st == CONN_ROLLBACK)
		log_warn("database connection lost: %s", why);
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->job = NULL;
	c->st = CONN_DOWN;
	event_del(c->timer);
	if (!p->closing) {
		arm_timer(c, c->backoff_ms);
		c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
	}
	if (j) {
		job_error(j, why, "");
		job_finish(p, j, PGJOB_UNAVAILABLE);
	}
}

static void on_io(evutil_socket_t fd, short what, void *arg);

/* Watches the socket: for writing while libpq has output left, else for reading. */
static void watch(struct conn *c)
{
	int f = PQflush(c->pg);
	if (f < 0) {
		conn_drop(c, PQerrorMessage(c->pg));
		return;
	}
	arm(c, f == 1 ? EV_WRITE : EV_READ, on_io);
}

static bool send_stmt(struct conn *c, const char *sql, int n, char *const *params)
{
	return PQsendQueryParams(c->pg, sql, n, NULL, (const char *const *)params, NULL, NULL, 0) == 1;
}

/* Sends the whole job in one pipeline: [BEGIN] statements [COMMIT] SYNC. */
static void conn_send(struct conn *c, struct pgjob *j)
{
	bool ok = !j->tx || send_stmt(c, "BEGIN", 0, NULL);
	for (int i = 0; ok && i < j->n; i++)
		ok = send_stmt(c, j->stmts[i].sql, j->stmts[i].n, j->stmts[i].params);
	ok = ok && (!j->tx || send_stmt(c, "COMMIT", 0, NULL)) && PQpipelineSync(c->pg) == 1;
	j->results = xcalloc((size_t)(j->n ? j->n : 1), sizeof(PGresult *));
	j->cursor = j->tx ? -1 : 0;
	c->job = j;
	c->st = CONN_BUSY;
	if (!ok) {
		conn_drop(c, PQerrorMessage(c->pg));
		return;
	}
	int deadline = c->pool->timeout_ms ? c->pool->timeout_ms + 2000 : 30000;
	arm_timer(c, deadline);
	watch(c);
}

/* Files one result of the job's current query. */
static void take_result(struct pgjob *j, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_FATAL_ERROR)
		job_error(j, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
	else if (st == PGRES_PIPELINE_ABORTED)
		job_error(j, "pipeline aborted", "");
	if (j->cursor >= 0 && j->cursor < j->n && !j->results[j->cursor]) {
		j->results[j->cursor] = res;
		return;
	}
	PQclear(res);
}

/* The job is answered: roll back a failed transaction, then finish it. */
static void job_synced(struct conn *c)
{
	struct pgpool *p = c->pool;
	struct pgjob *j = c->job;
	c->job = NULL;
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS) {
		c->st = CONN_ROLLBACK;
		if (!send_stmt(c, "ROLLBACK", 0, NULL) || PQpipelineSync(c->pg) != 1) {
			conn_drop(c, PQerrorMessage(c->pg));
		} else {
			watch(c);
		}
	} else {
		c->st = CONN_IDLE;
		event_del(c->timer);
	}
	job_finish(p, j, j->failed ? PGJOB_SQL_ERROR : PGJOB_OK);
}

/* Reads every result available; true while the connection is still usable. */
static bool drain(struct conn *c)
{
	int nulls = 0;
	while (!PQisBusy(c->pg)) {
		PGresult *res = PQgetResult(c->pg);
		if (!res) {
			if (++nulls == 2)
				break; /* nothing more is pending */
			if (c->job)
				c->job->cursor++; /* the end of one query's results */
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			if (c->st == CONN_ROLLBACK) {
				c->st = CONN_IDLE;
				event_del(c->timer);
			} else {
				job_synced(c);
			}
			return c->st != CONN_DOWN;
		}
		if (c->job)
			take_result(c->job, res);
		else
			PQclear(res);
	}
	return true;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if ((what & EV_WRITE) && c->st != CONN_IDLE) {
		watch(c);
		return;
	}
	if (!PQconsumeInput(c->pg)) {
		conn_drop(c, PQerrorMessage(c->pg));
		return;
	}
	if (c->st == CONN_IDLE) {
		/* nothing was asked: the server closed, or a notice arrived */
		if (PQstatus(c->pg) == CONNECTION_BAD)
			conn_drop(c, "the server closed the connection");
		else
			arm(c, EV_READ, on_io);
		return;
	}
	if (!drain(c))
		return;
	if (c->st == CONN_BUSY || c->st == CONN_ROLLBACK)
		watch(c); /* a callback may have sent the next job on this connection */
	else
		arm(c, EV_READ, on_io);
	dispatch(c->pool);
}

static void on_setup(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (!PQconsumeInput(c->pg)) {
		conn_drop(c, PQerrorMessage(c->pg));
		return;
	}
	while (!PQisBusy(c->pg)) {
		PGresult *res = PQgetResult(c->pg);
		if (!res)
			break;
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok) {
			conn_drop(c, PQerrorMessage(c->pg));
			return;
		}
	}
	if (PQisBusy(c->pg)) {
		arm(c, EV_READ, on_setup);
		return;
	}
	if (PQenterPipelineMode(c->pg) != 1) {
		conn_drop(c, "cannot enter pipeline mode");
		return;
	}
	c->backoff_ms = BACKOFF_MIN_MS;
	c->st = CONN_IDLE;
	event_del(c->timer);
	arm(c, EV_READ, on_io);
	dispatch(c->pool);
}

static void start_setup(struct conn *c)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SET statement_timeout = %d", c->pool->timeout_ms);
	c->st = CONN_SETUP;
	if (PQsetnonblocking(c->pg, 1) != 0 || PQsendQuery(c->pg, sql) != 1) {
		conn_drop(c, PQerrorMessage(c->pg));
		return;
	}
	if (PQflush(c->pg) < 0) {
		conn_drop(c, PQerrorMessage(c->pg));
		return;
	}
	arm(c, EV_READ, on_setup);
}

static void on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		arm(c, EV_READ, on_connect);
		break;
	case PGRES_POLLING_WRITING:
		arm(c, EV_WRITE, on_connect);
		break;
	case PGRES_POLLING_OK:
		c->pool->stats.reconnects++;
		start_setup(c);
		break;
	default:
		conn_drop(c, PQerrorMessage(c->pg));
		break;
	}
}

static void conn_connect(struct conn *c)
{
	c->pg = PQconnectStart(c->pool->conninfo);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD || PQsocket(c->pg) < 0) {
		conn_drop(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
		return;
	}
	c->st = CONN_CONNECTING;
	arm_timer(c, 10000); /* a connect that hangs is dropped */
	arm(c, EV_WRITE, on_connect);
}

/* The connection's timer: reconnect after a backoff, or a deadline passed. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (c->st == CONN_DOWN) {
		conn_connect(c);
		return;
	}
	conn_drop(c, c->st == CONN_CONNECTING ? "connect timed out" : "the database did not answer in time");
}

/* ---- the pool ---- */

static void dispatch(struct pgpool *p)
{
	for (int i = 0; i < p->size && p->head; i++) {
		struct conn *c = &p->conns[i];
		if (c->st != CONN_IDLE)
			continue;
		struct pgjob *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = &p->head;
		p->queued--;
		j->next = NULL;
		conn_send(c, j);
	}
}

static int connected(const struct pgpool *p)
{
	int n = 0;
	for (int i = 0; i < p->size; i++)
		n += p->conns[i].st >= CONN_IDLE;
	return n;
}

/* With no connection up, queued jobs fail after a short grace: callers answer 503 quickly. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct pgpool *p = arg;
	if (connected(p) > 0)
		return;
	long long limit = now_ms() - NO_CONNECTION_GRACE_MS;
	while (p->head && p->head->queued_ms <= limit) {
		struct pgjob *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = &p->head;
		p->queued--;
		fail_later(p, j, "the database is unavailable");
	}
}

struct pgpool *pgpool_create(struct event_base *base, const struct pgpool_config *cfg)
{
	if (!cfg->conninfo || cfg->size < 1)
		return NULL;
	struct pgpool *p = xcalloc(1, sizeof(*p));
	p->base = base;
	p->conninfo = xstrdup(cfg->conninfo);
	p->size = cfg->size;
	p->timeout_ms = cfg->statement_timeout_ms;
	p->queue_max = cfg->queue_max > 0 ? cfg->queue_max : 10000;
	p->tail = &p->head;
	p->failed_tail = &p->failed_head;
	p->failed_ev = event_new(base, -1, 0, on_failed, p);
	p->sweep = event_new(base, -1, EV_PERSIST, on_sweep, p);
	struct timeval tv = {0, SWEEP_MS * 1000};
	if (!p->failed_ev || !p->sweep || event_add(p->sweep, &tv) != 0)
		abort();
	p->conns = xcalloc((size_t)p->size, sizeof(struct conn));
	p->stats.size = p->size;
	for (int i = 0; i < p->size; i++) {
		struct conn *c = &p->conns[i];
		c->pool = p;
		c->backoff_ms = BACKOFF_MIN_MS;
		c->timer = evtimer_new(base, on_timer, c);
		if (!c->timer)
			abort();
		conn_connect(c);
	}
	return p;
}

void pgpool_submit(struct pgpool *pool, struct pgjob *job, pgjob_cb cb, void *arg)
{
	job->cb = cb;
	job->arg = arg;
	job->queued_ms = now_ms();
	job->next = NULL;
	if (pool->closing || pool->queued >= pool->queue_max) {
		fail_later(pool, job, pool->closing ? "shutting down" : "too many queued database jobs");
		return;
	}
	*pool->tail = job;
	pool->tail = &job->next;
	pool->queued++;
	dispatch(pool);
}

bool pgpool_ready(const struct pgpool *pool)
{
	return connected(pool) > 0;
}

void pgpool_stats(const struct pgpool *pool, struct pgpool_stats *out)
{
	*out = pool->stats;
	out->connected = connected(pool);
	out->busy = 0;
	for (int i = 0; i < pool->size; i++)
		out->busy += pool->conns[i].st == CONN_BUSY || pool->conns[i].st == CONN_ROLLBACK;
	out->queued = pool->queued;
}

void pgpool_free(struct pgpool *p)
{
	if (!p)
		return;
	p->closing = true;
	for (int i = 0; i < p->size; i++) {
		struct conn *c = &p->conns[i];
		conn_drop(c, "shutting down");
		event_free(c->timer);
	}
	while (p->head) {
		struct pgjob *j = p->head;
		p->head = j->next;
		job_error(j, "shutting down", "");
		job_finish(p, j, PGJOB_UNAVAILABLE);
	}
	on_failed(-1, 0, p);
	event_free(p->failed_ev);
	event_free(p->sweep);
	free(p->conns);
	free(p->conninfo);
	free(p);
}
