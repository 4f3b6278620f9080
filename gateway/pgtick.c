/* pgtick.c - a timer whose every tick sends one job to the pool, never two at once. */
#include "pgtick.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mem.h"
#include "metrics.h"
#include "server.h"

struct pgtick {
	struct server *srv;
	struct event *timer;
	const char *name;
	pgtick_build_cb build;
	pgjob_cb done;
	void *arg;
	bool running; /* a job is out: its callback owns the tick once closing */
	bool closing; /* pgtick_free was called while running */
};

static void job_done(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct pgtick *t = arg;
	t->running = false;
	if (t->closing) {
		free(t); /* freed while the job was out (server shutdown); the owner is gone */
		return;
	}
	t->done(job, st, t->arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pgtick *t = arg;
	(void)fd;
	(void)what;
	if (t->running)
		return;
	metrics_timer_run(t->srv->metrics, t->name);
	struct pgjob *job = t->build(t->arg);
	if (!job)
		return;
	t->running = true;
	pgpool_submit(t->srv->pool, job, job_done, t);
}

struct pgtick *pgtick_create(struct server *srv, int interval_ms, const char *name,
			     pgtick_build_cb build, pgjob_cb done, void *arg)
{
	struct pgtick *t = xcalloc(1, sizeof(*t));
	struct timeval tv = {interval_ms / 1000, (interval_ms % 1000) * 1000};
	*t = (struct pgtick){srv, NULL, name, build, done, arg, false, false};
	t->timer = event_new(srv->base, -1, EV_PERSIST, on_timer, t);
	if (!t->timer || event_add(t->timer, &tv) != 0) {
		if (t->timer)
			event_free(t->timer);
		free(t);
		return NULL;
	}
	return t;
}

void pgtick_free(struct pgtick *t)
{
	if (!t)
		return;
	event_free(t->timer);
	if (t->running)
		t->closing = true; /* job_done frees it when the pool hands the job back */
	else
		free(t);
}
