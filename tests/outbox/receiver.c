/* receiver.c - a webhook receiver on 127.0.0.1 that records, verifies and can fail on demand.
 */
#include "receiver.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "webhook_sign.h"

double receiver_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static const char *header(struct evhttp_request *req, const char *name)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	return v ? v : "";
}

static int answer_for(struct receiver *rx, size_t nth)
{
	switch (rx->mode) {
	case RX_FAIL_FIRST:
		return nth <= (size_t)rx->fail_n ? 500 : (nth % 3 == 0 ? 202 : 200);
	case RX_FAIL_ALWAYS:
		return 500;
	case RX_FAIL_EVERY:
		return nth % (size_t)rx->fail_n == 0 ? 503 : (nth % 3 == 0 ? 202 : 200);
	case RX_REDIRECT:
		return 307;
	case RX_HANG_FIRST:
		return nth <= (size_t)rx->fail_n ? 0 : 200;
	case RX_OK:
	default:
		return nth % 3 == 0 ? 202 : 200;
	}
}

/* Copies what the tests check out of one request. */
static void record(struct receiver *rx, struct evhttp_request *req, struct receipt *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char want_key[64];

	memset(r, 0, sizeof(*r));
	r->at_ms = receiver_now_ms();
	r->body_len = evbuffer_get_length(in);
	r->body = calloc(1, r->body_len + 1);
	if (r->body && evbuffer_remove(in, r->body, r->body_len) != (int)r->body_len)
		r->body_len = 0;
	const char *d = header(req, "Fairgate-Delivery");
	r->delivery = *d ? atoll(d) : -1;
	snprintf(want_key, sizeof(want_key), "fairgate-outbox-%lld", r->delivery);
	r->key_ok = strcmp(header(req, "Idempotency-Key"), want_key) == 0;
	r->content_type_ok = strcmp(header(req, "Content-Type"), "application/json") == 0;
	r->post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	r->sig_ok = webhook_verify(rx->secret, header(req, "Fairgate-Signature"), r->body,
	                           r->body_len, (long long)time(NULL), 300);
	snprintf(r->event, sizeof(r->event), "%s", header(req, "Fairgate-Event"));
	snprintf(r->path, sizeof(r->path), "%s", evhttp_request_get_uri(req));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct receiver *rx = arg;

	if (rx->count == rx->cap) {
		rx->cap = rx->cap ? 2 * rx->cap : 64;
		rx->log = realloc(rx->log, rx->cap * sizeof(*rx->log));
		if (!rx->log)
			abort();
	}
	struct receipt *r = &rx->log[rx->count++];
	record(rx, req, r);
	r->answered = answer_for(rx, rx->count);
	if (r->answered == 0)
		return; /* hang: evhttp frees the request when the client gives up */
	if (r->answered == 307)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
		                  "/elsewhere");
	evhttp_send_reply(req, r->answered, r->answered < 300 ? "OK" : "Nope", NULL);
}

bool receiver_start(struct receiver *rx, struct event_base *base, const char *secret)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(rx, 0, sizeof(*rx));
	rx->secret = secret;
	rx->http = evhttp_new(base);
	if (!rx->http)
		return false;
	evhttp_set_gencb(rx->http, on_request, rx);
	struct evhttp_bound_socket *bs =
	    evhttp_bind_socket_with_handle(rx->http, "127.0.0.1", 0);
	if (!bs ||
	    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len) != 0)
		return false;
	rx->port = ntohs(sin.sin_port);
	return true;
}

void receiver_stop(struct receiver *rx)
{
	if (rx->http)
		evhttp_free(rx->http);
	for (size_t i = 0; i < rx->count; i++)
		free(rx->log[i].body);
	free(rx->log);
	memset(rx, 0, sizeof(*rx));
}

size_t receiver_accepted(const struct receiver *rx)
{
	size_t n = 0;
	for (size_t i = 0; i < rx->count; i++)
		n += rx->log[i].answered >= 200 && rx->log[i].answered < 300;
	return n;
}
