/* tls.c - TLS termination for evhttp over bufferevent_openssl, and client certificate fingerprints. */
#include "tls.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>

#include "hex.h"
#include "mem.h"

/* TLS 1.2: forward secrecy and AEAD only. */
#define TLS12_CIPHERS                                                                              \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                               \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
/* TLS 1.3: OpenSSL's defaults, stated so that a changed default cannot widen them. */
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

struct tls {
	SSL_CTX *ctx;
};

/* Writes "what: <OpenSSL's first queued error>" into err and empties the queue. */
static void ssl_error(const char *what, char *err, size_t errlen)
{
	char detail[256] = "no detail";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	snprintf(err, errlen, "tls: %s: %s", what, detail);
}

/* Protocol floor, ciphers and options that do not depend on files. */
static bool set_policy(SSL_CTX *ctx, char *err, size_t errlen)
{
	static const unsigned char sid_ctx[] = "fairgate";
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		ssl_error("cannot require TLS 1.2", err, errlen);
		return false;
	}
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) != 1) {
		ssl_error("cannot set the ciphers", err, errlen);
		return false;
	}
	/* set_options returns the new option mask; it cannot fail */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
		ssl_error("cannot set the session id context", err, errlen);
		return false;
	}
	return true;
}

/* The server's own certificate chain and key, and that they belong together. */
static bool load_identity(SSL_CTX *ctx, const char *cert, const char *key, char *err,
			  size_t errlen)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_error(cert, err, errlen);
		return false;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_error(key, err, errlen);
		return false;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error("the key does not match the certificate", err, errlen);
		return false;
	}
	return true;
}

/* Requires a client certificate signed by the CA in ca (a PEM file). */
static bool require_clients(SSL_CTX *ctx, const char *ca, char *err, size_t errlen)
{
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		ssl_error(ca, err, errlen);
		return false;
	}
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
	if (!names) {
		ssl_error(ca, err, errlen);
		return false;
	}
	SSL_CTX_set_client_CA_list(ctx, names); /* takes ownership; returns nothing */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	return true;
}

struct tls *tls_create(const char *cert, const char *key, const char *client_ca, char *err,
		       size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_error("cannot create a context", err, errlen);
		return NULL;
	}
	if (!set_policy(ctx, err, errlen) || !load_identity(ctx, cert, key, err, errlen) ||
	    (client_ca && client_ca[0] && !require_clients(ctx, client_ca, err, errlen))) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	struct tls *t = xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	return t;
}

void tls_free(struct tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/*
 * evhttp's bufferevent factory. Returning NULL would make evhttp fall back to
 * a plain socket on the TLS port, so a failure here (out of memory) aborts.
 */
struct bufferevent *tls_bev_new(struct event_base *base, void *arg)
{
	struct tls *t = arg;
	SSL *ssl = SSL_new(t->ctx);
	if (!ssl)
		abort();
	struct bufferevent *bev = bufferevent_openssl_socket_new(
		base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		abort();
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1); /* returns nothing */
	return bev;
}


static bool fingerprint(X509 *x, char fp[TLS_FP_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) {
		ERR_clear_error();
		return false;
	}
	hex_encode(md, n, fp);
	return true;
}

bool tls_peer_fingerprint(struct evhttp_connection *conn, char fp[TLS_FP_HEX])
{
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL; /* NULL when plain */
	if (!ssl)
		return false;
	X509 *peer = SSL_get0_peer_certificate(ssl);
	if (!peer || SSL_get_verify_result(ssl) != X509_V_OK)
		return false;
	return fingerprint(peer, fp);
}

bool tls_bev_is_tls(struct bufferevent *bev)
{
	return bufferevent_openssl_get_ssl(bev) != NULL; /* NULL for any other kind of bufferevent */
}

bool tls_file_fingerprint(const char *path, char fp[TLS_FP_HEX], char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return false;
	}
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x) {
		ssl_error(path, err, errlen);
		return false;
	}
	bool ok = fingerprint(x, fp);
	X509_free(x);
	if (!ok)
		snprintf(err, errlen, "%s: cannot compute the fingerprint", path);
	return ok;
}
