/* pgtick.h - a timer whose every tick sends one job to the pool, never two at once. */
#ifndef FAIRGATE_PGTICK_H
#define FAIRGATE_PGTICK_H

#include "pgpool.h"

struct server;
struct pgtick;

/* The tick's job (its statements added), or NULL for none this tick. */
typedef struct pgjob *(*pgtick_build_cb)(void *arg);

/*
 * Every interval_ms: counts the tick as metrics timer `name`, then build(arg),
 * and sends its job with done(job, status, arg) as the callback; a tick whose
 * previous job is still out does nothing (no pile-up when the database is
 * slow). After pgtick_free, done is never called: a job still out is dropped
 * when the pool hands it back, and the tick frees itself then, so the owner
 * may free arg right after pgtick_free. NULL when the timer cannot be made.
 */
struct pgtick *pgtick_create(struct server *srv, int interval_ms, const char *name,
			     pgtick_build_cb build, pgjob_cb done, void *arg);
void pgtick_free(struct pgtick *t);

#endif
