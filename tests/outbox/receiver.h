/* receiver.h - a webhook receiver on 127.0.0.1 for the outbox tests (libevent evhttp). */
#ifndef FAIRGATE_TEST_RECEIVER_H
#define FAIRGATE_TEST_RECEIVER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

/* One request as the receiver saw it. */
struct receipt {
	long long delivery;   /* Fairgate-Delivery header, -1 if missing */
	bool key_ok;          /* Idempotency-Key == "fairgate-outbox-<delivery>" */
	bool sig_ok;          /* webhook_verify with the shared secret, 300 s tolerance */
	bool content_type_ok; /* application/json */
	bool post;            /* method was POST */
	char event[112];      /* Fairgate-Event */
	char path[64];        /* request path */
	char *body;           /* NUL-terminated copy */
	size_t body_len;
	int answered; /* HTTP status sent back */
	double at_ms; /* monotonic arrival time */
};

/* How the receiver answers. */
enum receiver_mode {
	RX_OK,          /* 200 (202 for every third request: any 2xx counts) */
	RX_FAIL_FIRST,  /* 500 for the first fail_n requests, then as RX_OK */
	RX_FAIL_ALWAYS, /* always 500 */
	RX_FAIL_EVERY,  /* 503 for every fail_n-th request, else as RX_OK */
	RX_REDIRECT,    /* 307 to /elsewhere */
	RX_HANG_FIRST,  /* never answer the first fail_n requests, then as RX_OK */
};

struct receiver {
	struct evhttp *http;
	int port;
	const char *secret;
	enum receiver_mode mode;
	int fail_n;
	struct receipt *log;
	size_t count, cap;
};

/* Listens on an ephemeral port of 127.0.0.1; false on failure. */
bool receiver_start(struct receiver *rx, struct event_base *base, const char *secret);
void receiver_stop(struct receiver *rx);
/* Requests received that were answered with a 2xx. */
size_t receiver_accepted(const struct receiver *rx);
double receiver_now_ms(void);

#endif
