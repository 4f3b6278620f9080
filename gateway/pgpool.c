/* pgpool.c - non-blocking libpq connections on the event loop, one pipeline per job. */
#include "pgpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "log.h"
#include "mem.h"
#include "str.h"

#define PGPOOL_BACKOFF_MIN_MS 100        /* first reconnect delay */
#define PGPOOL_BACKOFF_MAX_MS 2000       /* reconnect delay cap */
#define PGPOOL_CONNECT_TIMEOUT_MS 5000   /* connect + SET statement_timeout */
#define PGPOOL_GRACE_MS 1000             /* queued jobs fail after this with no connection up */
#define PGPOOL_DEADLINE_SLACK_MS 2000    /* client deadline beyond statement_timeout */
#define PGPOOL_DEADLINE_DEFAULT_MS 30000 /* client deadline without a statement_timeout */
#define PGPOOL_PREPARED_MAX 128          /* named statements kept per connection */
#define PGPOOL_PIPELINE_DEPTH 4          /* jobs in flight on one connection */

/*
 * What the connection is doing. Every state but DOWN has a PGconn. A job
 * runs only in BUSY; SETUP and CLEANUP run an internal job.
 */
enum pgconn_state {
	PGCONN_DOWN,       /* no PGconn; the timer is the reconnect backoff */
	PGCONN_CONNECTING, /* PQconnectPoll in progress; timer = connect timeout */
	PGCONN_SETUP,      /* SET statement_timeout in flight; timer = connect timeout */
	PGCONN_IDLE,       /* up, no job */
	PGCONN_BUSY,       /* up, running caller's jobs; timer = the oldest one's deadline */
	PGCONN_CLEANUP,    /* up, ROLLBACK of a transaction left open; timer = deadline */
};

/* What one entry of a job's pipeline is, so results can be matched to it. */
enum pgitem_kind {
	PGITEM_USER,   /* the caller's statement number `index` */
	PGITEM_SYNC,   /* a pipeline sync point: its result is PGRES_PIPELINE_SYNC */
	PGITEM_PREPARE, /* Parse of the connection's named statement `index` */
};

struct pgitem {
	enum pgitem_kind kind;
	int index; /* statement index for PGITEM_USER */
	bool got;  /* its result arrived */
};

struct pgstmt {
	char *sql;
	int nparams;
	char **params; /* copies; NULL entries are SQL NULL */
	int *lengths;  /* binary parameters: their lengths (NULL: all are text) */
	int *formats;  /* with lengths: every one 1 (binary) */
};

struct pgjob {
	bool transaction;
	bool internal; /* SET statement_timeout or ROLLBACK: no callback */
	struct pgstmt *stmts;
	int nstmts, cap;
	PGresult **results;  /* one per statement, kept until pgjob_free */
	struct pgitem *plan; /* what was sent, in order */
	int nplan, pos;      /* pos: the item whose result comes next */
	bool failed;         /* a statement or COMMIT failed */
	char *error;         /* first error text */
	char sqlstate[6];
	enum pgjob_status status;
	pgjob_cb cb;
	void *arg;
	struct timeval queued_at;
	TAILQ_ENTRY(pgjob) link; /* on pool->queue, a connection's behind list, or pool->done */
};

TAILQ_HEAD(pgjob_list, pgjob);

/*
 * A statement this connection has prepared under the name "fg<slot>". The
 * server plans a statement once instead of on every execution; the session
 * (and with it every name) ends with the connection. ready: the Parse was
 * acknowledged; until then it is in flight in the current job, and a failed
 * or skipped Parse empties the slot (sql NULL) so the name can be used again.
 */
struct prepared {
	char *sql;
	uint64_t hash;
	bool ready;
};

struct pgconn {
	struct pgpool *pool;
	struct prepared prepared[PGPOOL_PREPARED_MAX];
	int nprepared; /* slots used (some may be empty) */
	enum pgconn_state state;
	PGconn *pg;
	struct pgjob *job;      /* BUSY: the caller's, results due; SETUP/CLEANUP: internal */
	struct pgjob_list behind; /* BUSY: sent after job, results due in this order */
	int n_behind;
	bool dirty;             /* messages queued in libpq since the last flush */
	struct event *ev_read;  /* persistent, while up */
	struct event *ev_write; /* persistent, added while PQflush has more */
	struct event *ev_poll;  /* one-shot, CONNECTING only (the socket may change) */
	struct event *timer;    /* meaning depends on state, see above */
	int backoff_ms;
	bool ever_started;
};

struct pgpool {
	struct event_base *base;
	char *conninfo;
	int statement_timeout_ms, deadline_ms, queue_max;
	struct pgconn *conns;
	int size;
	struct pgjob_list queue; /* waiting for a connection, FIFO */
	int queued;
	struct pgjob_list done; /* finished, callbacks pending */
	struct event *ev_done;  /* runs the callbacks from the loop */
	struct event *ev_dispatch; /* hands queued jobs out once per loop turn */
	struct event *ev_grace; /* fails queued jobs when no connection is up */
	bool dispatching;       /* inside done_run: defer pgpool_free */
	bool free_requested;
	bool closing;
	unsigned long long jobs_ok, jobs_failed, reconnects, pipelined;
};

static void conn_drop(struct pgconn *c, const char *why);
static void pool_dispatch(struct pgpool *pool);

static char *xstrdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static struct timeval ms_tv(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	return tv;
}

/* ---- jobs ---- */

/* A new, empty job; transaction: its statements commit together or not at all. */
struct pgjob *pgjob_create(bool transaction)
{
	struct pgjob *job = xcalloc(1, sizeof(*job));

	job->transaction = transaction;
	return job;
}

/* A new statement slot (sql copied, params not yet set); the caller fills params and counts it. */
static struct pgstmt *stmt_new(struct pgjob *job, const char *sql, int nparams)
{
	struct pgstmt *s;

	if (job->nstmts == job->cap) {
		job->cap = job->cap ? job->cap * 2 : 4;
		job->stmts = xrealloc(job->stmts, (size_t)job->cap * sizeof(*job->stmts));
	}
	s = &job->stmts[job->nstmts];
	s->sql = xstrdup_or_null(sql);
	s->nparams = nparams > 0 ? nparams : 0;
	s->params = xcalloc((size_t)(s->nparams ? s->nparams : 1), sizeof(char *));
	s->lengths = NULL;
	s->formats = NULL;
	return s;
}

/* Adds a statement (sql and params are copied); returns its index. */
int pgjob_add(struct pgjob *job, const char *sql, int nparams, const char *const *params)
{
	struct pgstmt *s = stmt_new(job, sql, nparams);

	for (int i = 0; i < s->nparams; i++)
		s->params[i] = xstrdup_or_null(params[i]);
	return job->nstmts++;
}

/* The same with binary parameters of the given lengths (copied; NULL is SQL NULL). */
int pgjob_add_binary(struct pgjob *job, const char *sql, int nparams, const char *const *params,
		     const int *lengths)
{
	struct pgstmt *s = stmt_new(job, sql, nparams);

	s->lengths = xcalloc((size_t)(s->nparams ? s->nparams : 1), sizeof(int));
	s->formats = xcalloc((size_t)(s->nparams ? s->nparams : 1), sizeof(int));
	for (int i = 0; i < s->nparams; i++) {
		s->formats[i] = 1;
		if (params[i] == NULL || lengths[i] < 0)
			continue;
		s->lengths[i] = lengths[i];
		s->params[i] = xmalloc((size_t)lengths[i] + 1);
		memcpy(s->params[i], params[i], (size_t)lengths[i]);
		s->params[i][lengths[i]] = '\0';
	}
	return job->nstmts++;
}

/* The result of statement i once the job completed; NULL if it did not run. */
const PGresult *pgjob_result(const struct pgjob *job, int i)
{
	if (job->results == NULL || i < 0 || i >= job->nstmts)
		return NULL;
	return job->results[i];
}

/* The first error's text ("" if none). */
const char *pgjob_error(const struct pgjob *job)
{
	return job->error != NULL ? job->error : "";
}

/* The first error's SQLSTATE ("" if none, e.g. a lost connection). */
const char *pgjob_sqlstate(const struct pgjob *job)
{
	return job->sqlstate;
}

/* Frees a job and its results (the pool calls it after the callback). */
void pgjob_free(struct pgjob *job)
{
	if (job == NULL)
		return;
	for (int i = 0; i < job->nstmts; i++) {
		free(job->stmts[i].sql);
		for (int j = 0; j < job->stmts[i].nparams; j++)
			free(job->stmts[i].params[j]);
		free(job->stmts[i].params);
		free(job->stmts[i].lengths);
		free(job->stmts[i].formats);
		if (job->results != NULL)
			PQclear(job->results[i]);
	}
	free(job->stmts);
	free(job->results);
	free(job->plan);
	free(job->error);
	free(job);
}

/* Keeps the first error only: later ones are consequences of it. */
static void job_set_error(struct pgjob *job, const char *msg, const char *sqlstate)
{
	size_t n;

	if (job->error != NULL)
		return;
	job->error = xstrdup_or_null(msg != NULL ? msg : "unknown error");
	n = strlen(job->error);
	while (n > 0 && (job->error[n - 1] == '\n' || job->error[n - 1] == ' '))
		job->error[--n] = '\0';
	str_copy(job->sqlstate, sizeof(job->sqlstate), sqlstate != NULL ? sqlstate : "");
}

/* Puts a finished job on the done list; its callback runs from the loop. */
static void job_finish(struct pgpool *pool, struct pgjob *job, enum pgjob_status status)
{
	if (job->internal) {
		pgjob_free(job);
		return;
	}
	job->status = status;
	TAILQ_INSERT_TAIL(&pool->done, job, link);
	event_active(pool->ev_done, 0, 0);
}

/* ---- sending ---- */

static void plan_add(struct pgjob *job, enum pgitem_kind kind, int index)
{
	job->plan = xrealloc(job->plan, ((size_t)job->nplan + 1) * sizeof(*job->plan));
	job->plan[job->nplan++] = (struct pgitem){.kind = kind, .index = index};
}

/*
 * The slot of sql among the connection's named statements; a new slot (with
 * *fresh set: the caller must send the Parse) when there is room; -1 when the
 * statement is to be sent unnamed.
 */
static int prepared_slot(struct pgconn *c, const char *sql, bool *fresh)
{
	uint64_t h = str_hash(sql, strlen(sql));
	int empty = -1;

	*fresh = false;
	for (int i = 0; i < c->nprepared; i++) {
		struct prepared *p = &c->prepared[i];
		if (p->sql == NULL) {
			if (empty < 0)
				empty = i;
		} else if (p->hash == h && strcmp(p->sql, sql) == 0) {
			/* a Parse still in flight (an earlier job) may yet fail: unnamed until then */
			return p->ready ? i : -1;
		}
	}
	if (empty < 0 && c->nprepared < PGPOOL_PREPARED_MAX)
		empty = c->nprepared++;
	if (empty >= 0) {
		c->prepared[empty] = (struct prepared){xstrdup(sql), h, false};
		*fresh = true;
	}
	return empty;
}

static void prepared_forget(struct pgconn *c, int slot)
{
	free(c->prepared[slot].sql);
	c->prepared[slot] = (struct prepared){NULL, 0, false};
}

static void prepared_clear(struct pgconn *c)
{
	for (int i = 0; i < c->nprepared; i++)
		free(c->prepared[i].sql);
	memset(c->prepared, 0, sizeof(c->prepared));
	c->nprepared = 0;
}

/* Sends one caller's statement: named (prepared once per connection) or unnamed. */
static bool send_stmt(struct pgconn *c, struct pgjob *job, const struct pgstmt *s)
{
	const char *const *params = (const char *const *)s->params;
	char name[2 + STR_LL_MAX] = "fg";
	bool fresh = false;
	int slot = job->internal ? -1 : prepared_slot(c, s->sql, &fresh);

	if (slot < 0)
		return PQsendQueryParams(c->pg, s->sql, s->nparams, NULL, params, s->lengths, s->formats, 0) == 1;
	str_ll(name + 2, slot);
	if (fresh) {
		plan_add(job, PGITEM_PREPARE, slot);
		if (PQsendPrepare(c->pg, name, s->sql, s->nparams, NULL) != 1)
			return false;
	}
	return PQsendQueryPrepared(c->pg, name, s->nparams, params, s->lengths, s->formats, 0) == 1;
}

/*
 * Queues the job's messages in the pipeline. A transaction is its statements
 * and one Sync: the server runs everything before a Sync in one implicit
 * transaction and commits it at the Sync, or, when a statement fails, skips
 * the rest and rolls it all back there. So no BEGIN or COMMIT is sent, and a
 * failed job leaves the session clean for the jobs behind it. Otherwise each
 * statement gets its own Sync (each commits on its own). A job without
 * statements is a bare Sync (a ping).
 */
static bool job_send(struct pgconn *c, struct pgjob *job)
{
	bool ok = true;

	job->results = xcalloc((size_t)job->nstmts, sizeof(PGresult *));
	for (int i = 0; ok && i < job->nstmts; i++) {
		ok = send_stmt(c, job, &job->stmts[i]);
		plan_add(job, PGITEM_USER, i);
		if (ok && !job->transaction) {
			ok = PQpipelineSync(c->pg) == 1;
			plan_add(job, PGITEM_SYNC, 0);
		}
	}
	if (ok && (job->nplan == 0 || job->plan[job->nplan - 1].kind != PGITEM_SYNC)) {
		ok = PQpipelineSync(c->pg) == 1;
		plan_add(job, PGITEM_SYNC, 0);
	}
	return ok;
}

/* Pushes the output buffer; watches EV_WRITE while libpq still has some. */
static bool conn_flush(struct pgconn *c)
{
	int rc = PQflush(c->pg);

	if (rc < 0)
		return false;
	if (rc == 1)
		return event_add(c->ev_write, NULL) == 0;
	return event_del(c->ev_write) == 0;
}

static int conn_deadline_ms(const struct pgconn *c)
{
	return c->state == PGCONN_SETUP ? PGPOOL_CONNECT_TIMEOUT_MS : c->pool->deadline_ms;
}

/* Arms the timer for the job whose results come next, from now; false if it cannot. */
static bool conn_arm_deadline(struct pgconn *c)
{
	int ms = conn_deadline_ms(c);
	struct timeval tv = ms_tv(ms);

	return ms <= 0 || event_add(c->timer, &tv) == 0;
}

/* Sends job on the (IDLE or new) connection and moves it to state. */
static void conn_start(struct pgconn *c, struct pgjob *job, enum pgconn_state state)
{
	c->job = job;
	c->state = state;
	if (!conn_arm_deadline(c)) {
		conn_drop(c, "cannot arm the deadline timer");
		return;
	}
	if (!job_send(c, job) || !conn_flush(c))
		conn_drop(c, PQerrorMessage(c->pg));
}

/*
 * The connection can take one more of the caller's jobs at this depth: idle,
 * or busy with fewer than depth jobs and no transaction last (a job behind a
 * transaction would wait for its commit to reach the disk).
 */
static bool conn_takes(const struct pgconn *c, int depth)
{
	if (c->state == PGCONN_IDLE)
		return true;
	if (c->state != PGCONN_BUSY || 1 + c->n_behind >= depth)
		return false;
	const struct pgjob *last = c->n_behind ? TAILQ_LAST(&c->behind, pgjob_list) : c->job;
	return !last->transaction;
}

/* Queues job's messages behind the connection's current ones; flushed by the dispatcher. */
static void conn_push(struct pgconn *c, struct pgjob *job)
{
	if (c->state == PGCONN_IDLE) {
		c->job = job;
		c->state = PGCONN_BUSY;
		if (!conn_arm_deadline(c)) {
			conn_drop(c, "cannot arm the deadline timer");
			return;
		}
	} else {
		TAILQ_INSERT_TAIL(&c->behind, job, link);
		c->n_behind++;
		c->pool->pipelined++;
	}
	c->dirty = true;
	if (!job_send(c, job))
		conn_drop(c, PQerrorMessage(c->pg));
}

/* ---- receiving ---- */

/* Stores one result of the current pipeline item; notes the first error. */
static void item_result(struct pgconn *c, struct pgjob *job, struct pgitem *item, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	item->got = true;
	if (item->kind == PGITEM_PREPARE) {
		if (st == PGRES_COMMAND_OK)
			c->prepared[item->index].ready = true;
		else
			prepared_forget(c, item->index); /* never created: the name is free */
	}
	if (st == PGRES_FATAL_ERROR) {
		job->failed = true;
		job_set_error(job, PQresultErrorMessage(res),
		              PQresultErrorField(res, PG_DIAG_SQLSTATE));
	} else if (st == PGRES_PIPELINE_ABORTED) {
		job->failed = true;
		job_set_error(job, "statement skipped after an earlier error", NULL);
	}
	if (item->kind == PGITEM_USER && st != PGRES_PIPELINE_ABORTED) {
		PQclear(job->results[item->index]);
		job->results[item->index] = res;
		return;
	}
	PQclear(res);
}

/*
 * Consumes one result (or end-of-query NULL) for the job. Returns 1 when the
 * job's last Sync arrived, 0 to go on, -1 for a NULL that ended nothing
 * (twice in a row means: wait for more input).
 */
static int job_step(struct pgconn *c, struct pgjob *job)
{
	PGresult *res = PQgetResult(c->pg);
	struct pgitem *item = &job->plan[job->pos];

	if (res == NULL) {
		if (item->kind == PGITEM_SYNC || !item->got)
			return -1;
		job->pos++;
		return 0;
	}
	if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
		PQclear(res);
		for (; job->plan[job->pos].kind != PGITEM_SYNC; job->pos++) {
			struct pgitem *skipped = &job->plan[job->pos]; /* did not run */
			if (skipped->kind == PGITEM_PREPARE && !skipped->got)
				prepared_forget(c, skipped->index);
		}
		job->pos++;
		return job->pos == job->nplan ? 1 : 0;
	}
	if (item->kind == PGITEM_SYNC || item->got) {
		/* an error where a Sync was due: the implicit transaction's commit failed */
		if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
			job->failed = true;
			job_set_error(job, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
		}
		PQclear(res); /* else a second result for one statement: keep the first */
		return 0;
	}
	item_result(c, job, item, res);
	return 0;
}

/* The connection is up and free: run a ROLLBACK if needed, else take queued work. */
static void conn_idle(struct pgconn *c)
{
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);

	event_del(c->timer);
	c->job = NULL;
	c->state = PGCONN_IDLE;
	if (ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS) {
		struct pgjob *rb = pgjob_create(false);
		rb->internal = true;
		pgjob_add(rb, "ROLLBACK", 0, NULL);
		conn_start(c, rb, PGCONN_CLEANUP);
		return;
	}
	pool_dispatch(c->pool);
}

/* A job's last result arrived. */
static void conn_job_done(struct pgconn *c)
{
	struct pgjob *job = c->job;
	struct pgpool *pool = c->pool;
	bool failed = job->failed;

	c->job = NULL;
	if (c->state == PGCONN_SETUP && !failed)
		c->backoff_ms = PGPOOL_BACKOFF_MIN_MS;
	if ((c->state == PGCONN_SETUP || c->state == PGCONN_CLEANUP) && failed) {
		c->job = job; /* conn_drop frees it */
		conn_drop(c, job->error);
		return;
	}
	job_finish(pool, job, failed ? PGJOB_SQL_ERROR : PGJOB_OK);
	struct pgjob *next = c->state == PGCONN_BUSY ? TAILQ_FIRST(&c->behind) : NULL;
	if (next == NULL) {
		conn_idle(c);
		return;
	}
	/* the next job's results follow on the same connection, its deadline from now */
	TAILQ_REMOVE(&c->behind, next, link);
	c->n_behind--;
	c->job = next;
	if (!conn_arm_deadline(c)) {
		conn_drop(c, "cannot arm the deadline timer");
		return;
	}
	if (!TAILQ_EMPTY(&pool->queue))
		event_active(pool->ev_dispatch, 0, 0); /* room for one more */
}

/* Reads every available result; finishes jobs; detects a dead connection. */
static void conn_process(struct pgconn *c)
{
	int idle_nulls = 0;

	while (c->state != PGCONN_DOWN) {
		if (PQstatus(c->pg) == CONNECTION_BAD) {
			conn_drop(c, PQerrorMessage(c->pg));
			return;
		}
		if (c->job == NULL || PQisBusy(c->pg))
			return;
		int rc = job_step(c, c->job);
		if (rc < 0 && ++idle_nulls >= 2)
			return;
		if (rc >= 0)
			idle_nulls = 0;
		if (rc > 0)
			conn_job_done(c);
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn *c = arg;

	if (PQconsumeInput(c->pg) != 1) {
		conn_drop(c, PQerrorMessage(c->pg));
		return;
	}
	if (c->job == NULL && c->state == PGCONN_IDLE) {
		PGresult *res;
		while (!PQisBusy(c->pg) && (res = PQgetResult(c->pg)) != NULL)
			PQclear(res); /* nothing expected: e.g. the FATAL before a close */
	}
	conn_process(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn *c = arg;

	if (!conn_flush(c))
		conn_drop(c, PQerrorMessage(c->pg));
}

/* ---- connecting ---- */

static void conn_connect_wait(struct pgconn *c, short what);

/* Notices (e.g. from ROLLBACK) are of no use to a caller; never print them to stderr. */
static void ignore_notice(void *arg, const char *message)
{
}

/* Connected: pipeline mode, non-blocking, then SET statement_timeout first. */
static void conn_connected(struct pgconn *c)
{
	struct pgpool *pool = c->pool;
	evutil_socket_t fd = PQsocket(c->pg);
	char sql[64];

	if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1 ||
	    event_assign(c->ev_read, pool->base, fd, EV_READ | EV_PERSIST, on_read, c) != 0 ||
	    event_assign(c->ev_write, pool->base, fd, EV_WRITE | EV_PERSIST, on_write, c) !=
	        0 ||
	    event_add(c->ev_read, NULL) != 0) {
		conn_drop(c, "cannot set up the connection");
		return;
	}
	PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
	struct pgjob *setup = pgjob_create(false);
	setup->internal = true;
	snprintf(sql, sizeof(sql), "SET statement_timeout = %d", pool->statement_timeout_ms);
	pgjob_add(setup, sql, 0, NULL);
	event_del(c->timer);
	conn_start(c, setup, PGCONN_SETUP);
}

/* One PQconnectPoll step, then wait on whatever it asks for. */
static void conn_poll(struct pgconn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		conn_connect_wait(c, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		conn_connect_wait(c, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		conn_connected(c);
		break;
	default:
		conn_drop(c, PQerrorMessage(c->pg));
		break;
	}
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	conn_poll(arg);
}

static void conn_connect_wait(struct pgconn *c, short what)
{
	if (event_assign(c->ev_poll, c->pool->base, PQsocket(c->pg), what, on_poll, c) != 0 ||
	    event_add(c->ev_poll, NULL) != 0)
		conn_drop(c, "cannot watch the connecting socket");
}

/* Starts a connection attempt (the timer then bounds it). */
static void conn_begin(struct pgconn *c)
{
	struct timeval tv = ms_tv(PGPOOL_CONNECT_TIMEOUT_MS);

	if (c->ever_started)
		c->pool->reconnects++;
	c->ever_started = true;
	c->pg = PQconnectStart(c->pool->conninfo);
	c->state = PGCONN_CONNECTING;
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
		conn_drop(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
		return;
	}
	if (event_add(c->timer, &tv) != 0) {
		conn_drop(c, "cannot arm the connect timer");
		return;
	}
	conn_connect_wait(c, EV_WRITE); /* as if PQconnectPoll said WRITING */
}

/* ---- losing a connection ---- */

static bool pool_any_up(const struct pgpool *pool)
{
	for (int i = 0; i < pool->size; i++)
		if (pool->conns[i].state >= PGCONN_IDLE)
			return true;
	return false;
}

/* With no connection up, the oldest queued job fails after the grace period. */
static void pool_arm_grace(struct pgpool *pool)
{
	struct timeval now, due, left;
	struct pgjob *head = TAILQ_FIRST(&pool->queue);

	if (head == NULL || pool_any_up(pool) || pool->closing) {
		event_del(pool->ev_grace);
		return;
	}
	event_base_gettimeofday_cached(pool->base, &now);
	struct timeval grace = ms_tv(PGPOOL_GRACE_MS);
	timeradd(&head->queued_at, &grace, &due);
	if (timercmp(&due, &now, <))
		timerclear(&left);
	else
		timersub(&due, &now, &left);
	if (event_add(pool->ev_grace, &left) != 0)
		abort(); /* broken invariant: the loop cannot hold a timer */
}

/*
 * Closes the PGconn (PQfinish only, never a blocking cancel), fails its job
 * with PGJOB_UNAVAILABLE and schedules a reconnect with backoff.
 */
static void conn_drop(struct pgconn *c, const char *why)
{
	struct pgpool *pool = c->pool;
	struct pgjob *job = c->job;
	struct timeval tv;

	if (c->state >= PGCONN_IDLE && !pool->closing)
		log_warn("database connection lost: %s", why != NULL ? why : "");
	c->job = NULL;
	if (job != NULL) {
		job->failed = true;
		job_set_error(job, why != NULL && *why ? why : "connection lost", NULL);
		job_finish(pool, job, PGJOB_UNAVAILABLE);
	}
	while ((job = TAILQ_FIRST(&c->behind)) != NULL) {
		TAILQ_REMOVE(&c->behind, job, link);
		job->failed = true;
		job_set_error(job, why != NULL && *why ? why : "connection lost", NULL);
		job_finish(pool, job, PGJOB_UNAVAILABLE);
	}
	c->n_behind = 0;
	c->dirty = false;
	event_del(c->ev_read);
	event_del(c->ev_write);
	event_del(c->ev_poll);
	event_del(c->timer);
	PQfinish(c->pg);
	c->pg = NULL;
	prepared_clear(c); /* the session and its statements are gone */
	c->state = PGCONN_DOWN;
	if (!pool->closing) {
		tv = ms_tv(c->backoff_ms);
		c->backoff_ms = c->backoff_ms * 2 > PGPOOL_BACKOFF_MAX_MS
		                    ? PGPOOL_BACKOFF_MAX_MS
		                    : c->backoff_ms * 2;
		if (event_add(c->timer, &tv) != 0)
			abort(); /* broken invariant: the loop cannot hold a timer */
		pool_arm_grace(pool);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn *c = arg;

	switch (c->state) {
	case PGCONN_DOWN:
		conn_begin(c);
		break;
	case PGCONN_CONNECTING:
	case PGCONN_SETUP:
		conn_drop(c, "timed out connecting to the database");
		break;
	case PGCONN_BUSY:
	case PGCONN_CLEANUP:
		conn_drop(c, "client-side deadline exceeded; connection dropped");
		break;
	case PGCONN_IDLE:
		break;
	}
}

/* ---- the pool ---- */

/*
 * Gives queued jobs, oldest first, to idle connections, then up to
 * PGPOOL_PIPELINE_DEPTH deep to busy ones (the least loaded first), and
 * flushes each connection once: a turn's jobs for one connection leave in
 * one write, and its backend reads them in one.
 */
static void pool_dispatch(struct pgpool *pool)
{
	for (int depth = 1; depth <= PGPOOL_PIPELINE_DEPTH && !TAILQ_EMPTY(&pool->queue); depth++) {
		for (int i = 0; i < pool->size && !TAILQ_EMPTY(&pool->queue); i++) {
			struct pgconn *c = &pool->conns[i];
			if (!conn_takes(c, depth))
				continue;
			struct pgjob *job = TAILQ_FIRST(&pool->queue);
			TAILQ_REMOVE(&pool->queue, job, link);
			pool->queued--;
			conn_push(c, job);
		}
	}
	for (int i = 0; i < pool->size; i++) {
		struct pgconn *c = &pool->conns[i];
		if (!c->dirty)
			continue;
		c->dirty = false;
		if (!conn_flush(c))
			conn_drop(c, PQerrorMessage(c->pg));
	}
	pool_arm_grace(pool);
}

static void on_dispatch(evutil_socket_t fd, short what, void *arg)
{
	pool_dispatch(arg);
}

/* Runs every finished job's callback, then frees the job (never inside its chain). */
static void done_run(struct pgpool *pool)
{
	struct pgjob *job;

	pool->dispatching = true;
	while ((job = TAILQ_FIRST(&pool->done)) != NULL) {
		TAILQ_REMOVE(&pool->done, job, link);
		if (job->status == PGJOB_OK)
			pool->jobs_ok++;
		else
			pool->jobs_failed++;
		if (job->cb != NULL)
			job->cb(job, job->status, job->arg);
		pgjob_free(job);
	}
	pool->dispatching = false;
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct pgpool *pool = arg;

	log_hold(); /* the access lines of the requests these jobs answer, in one write */
	done_run(pool);
	log_release();
	if (pool->free_requested)
		pgpool_free(pool);
}

/* Fails queued jobs that waited the grace period while no connection was up. */
static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct pgpool *pool = arg;
	struct timeval now, age, grace = ms_tv(PGPOOL_GRACE_MS);
	struct pgjob *job;

	event_base_gettimeofday_cached(pool->base, &now);
	while (!pool_any_up(pool) && (job = TAILQ_FIRST(&pool->queue)) != NULL) {
		timersub(&now, &job->queued_at, &age);
		if (timercmp(&age, &grace, <))
			break;
		TAILQ_REMOVE(&pool->queue, job, link);
		pool->queued--;
		job_set_error(job, "database unavailable: no connection", NULL);
		job_finish(pool, job, PGJOB_UNAVAILABLE);
	}
	pool_arm_grace(pool);
}

static void conn_init(struct pgpool *pool, struct pgconn *c)
{
	c->pool = pool;
	c->state = PGCONN_DOWN;
	c->backoff_ms = PGPOOL_BACKOFF_MIN_MS;
	c->ev_read = event_new(pool->base, -1, 0, on_read, c);
	c->ev_write = event_new(pool->base, -1, 0, on_write, c);
	c->ev_poll = event_new(pool->base, -1, 0, on_poll, c);
	c->timer = evtimer_new(pool->base, on_timer, c);
	TAILQ_INIT(&c->behind);
	if (c->ev_read == NULL || c->ev_write == NULL || c->ev_poll == NULL || c->timer == NULL)
		abort();
}

/* Creates the pool and starts connecting; never blocks. */
struct pgpool *pgpool_create(struct event_base *base, const struct pgpool_config *cfg)
{
	struct pgpool *pool;

	if (base == NULL || cfg == NULL || cfg->conninfo == NULL || cfg->size <= 0 ||
	    cfg->statement_timeout_ms < 0)
		return NULL;
	pool = xcalloc(1, sizeof(*pool));
	pool->base = base;
	pool->conninfo = xstrdup_or_null(cfg->conninfo);
	pool->size = cfg->size;
	pool->statement_timeout_ms = cfg->statement_timeout_ms;
	pool->deadline_ms = cfg->statement_timeout_ms > 0
	                        ? cfg->statement_timeout_ms + PGPOOL_DEADLINE_SLACK_MS
	                        : PGPOOL_DEADLINE_DEFAULT_MS;
	pool->queue_max = cfg->queue_max > 0 ? cfg->queue_max : 0;
	TAILQ_INIT(&pool->queue);
	TAILQ_INIT(&pool->done);
	pool->ev_done = event_new(base, -1, 0, on_done, pool);
	pool->ev_grace = evtimer_new(base, on_grace, pool);
	pool->ev_dispatch = event_new(base, -1, 0, on_dispatch, pool);
	if (pool->ev_done == NULL || pool->ev_grace == NULL || pool->ev_dispatch == NULL)
		abort();
	pool->conns = xcalloc((size_t)pool->size, sizeof(*pool->conns));
	for (int i = 0; i < pool->size; i++) {
		conn_init(pool, &pool->conns[i]);
		conn_begin(&pool->conns[i]);
	}
	return pool;
}

/* Queues a job; its callback runs exactly once, later, from the loop. */
void pgpool_submit(struct pgpool *pool, struct pgjob *job, pgjob_cb cb, void *arg)
{
	job->cb = cb;
	job->arg = arg;
	if (pool->closing || pool->queued >= pool->queue_max) {
		job_set_error(job, pool->closing ? "pool closing" : "database queue full",
		              NULL);
		job_finish(pool, job, PGJOB_UNAVAILABLE);
		return;
	}
	event_base_gettimeofday_cached(pool->base, &job->queued_at);
	TAILQ_INSERT_TAIL(&pool->queue, job, link);
	pool->queued++;
	event_active(pool->ev_dispatch, 0, 0); /* with the rest of this turn's jobs */
}

/* True when at least one connection is up (IDLE or running a job). */
bool pgpool_ready(const struct pgpool *pool)
{
	return pool != NULL && pool_any_up(pool);
}

/* Counts for /metrics. */
void pgpool_stats(const struct pgpool *pool, struct pgpool_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->size = pool->size;
	for (int i = 0; i < pool->size; i++) {
		if (pool->conns[i].state >= PGCONN_IDLE)
			out->connected++;
		if (pool->conns[i].state == PGCONN_BUSY)
			out->busy++;
	}
	out->queued = pool->queued;
	out->jobs_ok = pool->jobs_ok;
	out->jobs_failed = pool->jobs_failed;
	out->reconnects = pool->reconnects;
	out->pipelined = pool->pipelined;
}

/*
 * Fails every pending job (callbacks run now, here) and closes the
 * connections. Called from a job callback, it takes effect after that
 * callback returns.
 */
void pgpool_free(struct pgpool *pool)
{
	struct pgjob *job;

	if (pool == NULL)
		return;
	pool->closing = true;
	if (pool->dispatching) {
		pool->free_requested = true;
		event_active(pool->ev_done, 0, 0);
		return;
	}
	for (int i = 0; i < pool->size; i++)
		conn_drop(&pool->conns[i], "pool closing");
	while ((job = TAILQ_FIRST(&pool->queue)) != NULL) {
		TAILQ_REMOVE(&pool->queue, job, link);
		job_set_error(job, "pool closing", NULL);
		job_finish(pool, job, PGJOB_UNAVAILABLE);
	}
	done_run(pool);
	for (int i = 0; i < pool->size; i++) {
		struct pgconn *c = &pool->conns[i];
		event_free(c->ev_read);
		event_free(c->ev_write);
		event_free(c->ev_poll);
		event_free(c->timer);
	}
	event_free(pool->ev_done);
	event_free(pool->ev_grace);
	event_free(pool->ev_dispatch);
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}
