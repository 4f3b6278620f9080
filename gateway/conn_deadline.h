/* conn_deadline.h - a deadline per server connection, however slowly its bytes trickle in. */
#ifndef FAIRGATE_CONN_DEADLINE_H
#define FAIRGATE_CONN_DEADLINE_H

#include <event2/event.h>
#include <event2/http.h>

struct bufferevent;
struct conn_deadline;

/* Makes the bufferevent of one accepted connection (evhttp's bevcb signature). */
typedef struct bufferevent *(*conn_bev_fn)(struct event_base *base, void *arg);

/*
 * A registry of the server connections of the watched listeners. A request,
 * head and body, must arrive within timeout_s of the connection's accept or
 * of the previous reply; a connection that misses it is shut down, so that
 * evhttp sees the end of the stream and frees it itself. While a request is
 * being handled there is no deadline. NULL when the timer cannot be set up.
 */
struct conn_deadline *conn_deadline_create(struct event_base *base, int timeout_s);

/*
 * Drops the registry. Call it after evhttp_free of every watched listener
 * and before event_base_free: the connections it still holds are released
 * here, and the loop's finalizers free them.
 */
void conn_deadline_free(struct conn_deadline *cd);

/*
 * Watches every connection http accepts from now on; make builds their
 * bufferevents (NULL: a plain socket) and must pass BEV_OPT_CLOSE_ON_FREE, so
 * that a socket stays open while the registry holds its bufferevent.
 * Replaces http's bufferevent callback.
 */
void conn_deadline_watch(struct conn_deadline *cd, struct evhttp *http, conn_bev_fn make,
			 void *arg);

/* A complete request arrived on bev: no deadline until it is answered. */
void conn_deadline_busy(struct conn_deadline *cd, struct bufferevent *bev);

/* The answer on bev is sent: the next request must arrive within the timeout from now. */
void conn_deadline_idle(struct conn_deadline *cd, struct bufferevent *bev);

#endif
