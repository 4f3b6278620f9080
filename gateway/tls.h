/* tls.h - the TLS listener's context and the client certificate of a connection. */
#ifndef FAIRGATE_TLS_H
#define FAIRGATE_TLS_H

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

#define TLS_FP_HEX 65 /* hex SHA-256 of a DER certificate, NUL-terminated */

struct bufferevent;
struct tls;

/*
 * Builds the server context: TLS 1.2 minimum, ECDHE with AES-GCM or
 * ChaCha20-Poly1305 only (and the TLS 1.3 suites), no compression, no
 * renegotiation. With client_ca (may be "" or NULL), every client must present
 * a certificate that CA signed. NULL with a message in err on any failure.
 */
struct tls *tls_create(const char *cert, const char *key, const char *client_ca, char *err,
		       size_t errlen);
void tls_free(struct tls *t);

/*
 * A TLS server bufferevent of t (a struct tls *) for one accepted connection,
 * with BEV_OPT_CLOSE_ON_FREE: evhttp's bufferevent callback, given to
 * conn_deadline_watch for the TLS listener. Aborts when out of memory.
 */
struct bufferevent *tls_bev_new(struct event_base *base, void *t);

/*
 * The hex SHA-256 fingerprint of the verified client certificate of conn.
 * False on a plain connection, or when the client sent no verified certificate.
 */
bool tls_peer_fingerprint(struct evhttp_connection *conn, char fp[TLS_FP_HEX]);

/* True when bev carries TLS (a bufferevent of tls_bev_new), false on a plain socket. */
bool tls_bev_is_tls(struct bufferevent *bev);

/* The hex SHA-256 fingerprint of the first certificate in a PEM file (command line). */
bool tls_file_fingerprint(const char *path, char fp[TLS_FP_HEX], char *err, size_t errlen);

#endif
