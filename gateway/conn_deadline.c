/* conn_deadline.c - a deadline per server connection: a registry of bufferevents, a sweep. */
#include "conn_deadline.h"

#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "mem.h"

/*
 * Why this is safe. evhttp owns each connection and frees it when it likes
 * (end of stream, error, Connection: close, its own timeout); we never free
 * its objects. We hold a reference on each connection's bufferevent, so its
 * memory stays valid after evhttp's free until the sweep lets go: reading its
 * callbacks and descriptor is never a use after free. Every bufferevent is
 * made with BEV_OPT_CLOSE_ON_FREE, so its socket is closed only when the last
 * reference goes, after libevent has removed its events: while we hold it, its
 * descriptor number cannot be handed to a new connection. (Without the flag,
 * evhttp 2.1.12 would close the socket while our reference keeps the
 * bufferevent's read event registered on that number, and the next accepted
 * connection that reuses it would be read by both.) evhttp_connection_free
 * clears the callbacks (bufferevent_free) and evhttp_connection_reset_ sets
 * the descriptor to -1: either means gone, and the sweep drops its reference.
 * A late connection is shut down both ways; libevent then reads the end of the
 * stream (or fails a write) and evhttp frees it on its usual error path.
 *
 * The price: a socket evhttp has finished with stays open (its peer has
 * already seen the end) until the next sweep: every SWEEP_MS, and at an
 * accept when the last one is ACCEPT_SWEEP_MS old, so that a stream of short
 * connections does not pile up open sockets.
 *
 * libevent 2.1 has nothing simpler: evhttp's timeouts are bufferevent
 * timeouts, restarted by every byte, and there is no hook when evhttp frees a
 * connection (the close callback is per request, and http.c uses it).
 */

#define SWEEP_MS 100       /* deadline resolution; how long a finished socket stays open */
#define ACCEPT_SWEEP_MS 10 /* while connections keep coming, finished ones go this often */
#define FIRST_SLOTS 64     /* hash slots at start; doubled when connections outnumber them */

/* One server connection we hold a reference on; lives in one hash slot. */
struct watched {
	struct bufferevent *bev; /* referenced: valid until we drop it */
	int64_t since_ms;        /* accept or last reply: the deadline counts from here */
	bool busy;               /* a request is being handled: no deadline */
	bool closing;            /* shut down by us; evhttp has yet to free it */
	struct watched *next;
};

/* The bufferevent factory of one listener, wrapped so that its connections are watched. */
struct listener {
	struct conn_deadline *cd;
	conn_bev_fn make; /* NULL: a plain socket */
	void *arg;
	struct listener *next;
};

struct conn_deadline {
	struct event *sweep;
	int64_t timeout_ms;
	struct watched **slots; /* chained hash on the bufferevent's address */
	size_t nslots;          /* a power of two */
	size_t count;
	int64_t swept_ms; /* when the last sweep ran */
	struct listener *listeners;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fibonacci hashing of the address: the high bits of the product spread aligned pointers. */
static size_t slot_of(const struct conn_deadline *cd, const struct bufferevent *bev)
{
	uint64_t h = (uint64_t)(uintptr_t)bev * UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(h >> 32) & (cd->nslots - 1);
}

static struct watched *find(const struct conn_deadline *cd, const struct bufferevent *bev)
{
	for (struct watched *w = cd->slots[slot_of(cd, bev)]; w; w = w->next)
		if (w->bev == bev)
			return w;
	return NULL;
}

static void link_in(struct conn_deadline *cd, struct watched *w)
{
	size_t s = slot_of(cd, w->bev);
	w->next = cd->slots[s];
	cd->slots[s] = w;
}

/* Doubles the slots so that chains stay short (one per connection on average at most). */
static void grow(struct conn_deadline *cd)
{
	struct watched **old = cd->slots;
	size_t old_n = cd->nslots;
	cd->nslots = old_n * 2;
	cd->slots = xcalloc(cd->nslots, sizeof(*cd->slots));
	for (size_t i = 0; i < old_n; i++) {
		while (old[i]) {
			struct watched *w = old[i];
			old[i] = w->next;
			link_in(cd, w);
		}
	}
	free(old);
}

/* evhttp is done with bev: freed (callbacks cleared) or reset (no descriptor). */
static bool gone(struct bufferevent *bev)
{
	bufferevent_event_cb eventcb = NULL;
	bufferevent_getcb(bev, NULL, NULL, &eventcb, NULL);
	return !eventcb || bufferevent_getfd(bev) < 0;
}

/*
 * Shuts a late connection down both ways. The descriptor is this connection's:
 * gone() said evhttp still uses it, and our reference keeps it open. When
 * shutdown fails the socket is already broken and libevent will see that.
 */
static void cut(const struct conn_deadline *cd, struct watched *w)
{
	w->closing = true;
	if (shutdown(bufferevent_getfd(w->bev), SHUT_RDWR) == 0)
		log_info("closed a connection that sent no complete request within %lld s "
			 "of its accept or last reply (slow or idle client)",
			 (long long)(cd->timeout_ms / 1000));
}

/* Drops the connections evhttp freed and shuts down the late ones. */
static void sweep(struct conn_deadline *cd, int64_t now)
{
	cd->swept_ms = now;
	for (size_t i = 0; i < cd->nslots; i++) {
		struct watched **link = &cd->slots[i];
		while (*link) {
			struct watched *w = *link;
			if (gone(w->bev)) {
				*link = w->next;
				cd->count--;
				bufferevent_decref(w->bev); /* the last: the loop frees it */
				free(w);
				continue;
			}
			if (!w->busy && !w->closing && now - w->since_ms >= cd->timeout_ms)
				cut(cd, w);
			link = &w->next;
		}
	}
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	sweep(arg, now_ms());
}

/* evhttp's bufferevent callback: makes the connection's bufferevent and watches it. */
static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
	struct listener *l = arg;
	struct bufferevent *bev = l->make ? l->make(base, l->arg)
				 : bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		abort(); /* out of memory; NULL would make evhttp use an unwatched socket */
	bufferevent_incref(bev);
	int64_t now = now_ms();
	if (now - l->cd->swept_ms >= ACCEPT_SWEEP_MS)
		sweep(l->cd, now); /* other connections only: bev is not in yet */
	if (l->cd->count >= l->cd->nslots)
		grow(l->cd);
	struct watched *w = xcalloc(1, sizeof(*w));
	w->bev = bev;
	w->since_ms = now;
	link_in(l->cd, w);
	l->cd->count++;
	return bev;
}

struct conn_deadline *conn_deadline_create(struct event_base *base, int timeout_s)
{
	struct conn_deadline *cd = xcalloc(1, sizeof(*cd));
	const struct timeval every = {0, SWEEP_MS * 1000};
	cd->timeout_ms = (int64_t)timeout_s * 1000;
	cd->nslots = FIRST_SLOTS;
	cd->slots = xcalloc(cd->nslots, sizeof(*cd->slots));
	cd->sweep = event_new(base, -1, EV_PERSIST, on_sweep, cd);
	if (!cd->sweep || event_add(cd->sweep, &every) != 0) {
		conn_deadline_free(cd);
		return NULL;
	}
	return cd;
}

void conn_deadline_free(struct conn_deadline *cd)
{
	if (!cd)
		return;
	if (cd->sweep)
		event_free(cd->sweep);
	for (size_t i = 0; i < cd->nslots; i++) {
		while (cd->slots[i]) {
			struct watched *w = cd->slots[i];
			cd->slots[i] = w->next;
			bufferevent_decref(w->bev);
			free(w);
		}
	}
	while (cd->listeners) {
		struct listener *l = cd->listeners;
		cd->listeners = l->next;
		free(l);
	}
	free(cd->slots);
	free(cd);
}

void conn_deadline_watch(struct conn_deadline *cd, struct evhttp *http, conn_bev_fn make,
			 void *arg)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	l->cd = cd;
	l->make = make;
	l->arg = arg;
	l->next = cd->listeners;
	cd->listeners = l;
	evhttp_set_bevcb(http, new_bev, l);
}

void conn_deadline_busy(struct conn_deadline *cd, struct bufferevent *bev)
{
	struct watched *w = find(cd, bev);
	if (w)
		w->busy = true;
}

void conn_deadline_idle(struct conn_deadline *cd, struct bufferevent *bev)
{
	struct watched *w = find(cd, bev);
	if (w) {
		w->busy = false;
		w->since_ms = now_ms();
	}
}
