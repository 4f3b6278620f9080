/* auth.h - principals and their bearer tokens: issue, hash, look up, cache. */
#ifndef FAIRGATE_AUTH_H
#define FAIRGATE_AUTH_H

#include <stdbool.h>

#include <event2/event.h>

#include "contract.h"
#include "pgpool.h"

enum role {
	ROLE_ADMIN = 1 << 0,    /* the operator */
	ROLE_CREDITOR = 1 << 1, /* a creditor's team or back office */
	ROLE_AGENCY = 1 << 2,   /* a collection agency */
	ROLE_BAILIFF = 1 << 3,  /* a bailiff's office */
	ROLE_MONITOR = 1 << 4,  /* compliance monitoring, read-only */
};
#define ROLE_PARTNER (ROLE_AGENCY | ROLE_BAILIFF)
#define ROLE_ANY (ROLE_ADMIN | ROLE_CREDITOR | ROLE_PARTNER | ROLE_MONITOR)

const char *role_name(enum role r);
bool role_parse(const char *s, enum role *out);

struct principal {
	long long id;
	enum role role;
	char name[128];
	char creditor_id[CONTRACT_ID_MAX]; /* creditor: its own; monitor: the one granted */
	char partner_id[CONTRACT_ID_MAX];  /* agency, bailiff */
};

#define AUTH_TOKEN_LEN 67 /* "fg_" + 64 hex digits (256 random bits) */
#define AUTH_HASH_HEX 65

/* A new random token and its SHA-256 hex. False when the system RNG fails. */
bool auth_token_new(char token[AUTH_TOKEN_LEN + 1], char hash[AUTH_HASH_HEX]);
void auth_token_hash(const char *token, char hash[AUTH_HASH_HEX]);

/*
 * Creates a principal (command line; synchronous libpq) and writes its token.
 * A creditor principal also registers the creditor id if it is new.
 */
bool auth_principal_add(const char *conninfo, const struct principal *p,
			char token[AUTH_TOKEN_LEN + 1], char *err, size_t errlen);

/*
 * Scope: a creditor sees its own records, a monitor those of the creditor it
 * is granted, an agency or bailiff those handed to it; the operator none.
 */
bool principal_sees(const struct principal *p, const char *creditor_id, const char *partner_id);

struct auth;
struct auth *auth_create(struct pgpool *pool, int cache_ttl_ms);
/*
 * Listens for principal changes (a revocation, a new binding) on its own
 * connection: each notification empties the cache, so a revoked token stops
 * working at once. While that connection is down nothing is cached at all.
 * Start-up only (connects synchronously); false when it cannot listen.
 */
bool auth_listen(struct auth *a, struct event_base *base, const char *conninfo);
void auth_free(struct auth *a);

/*
 * Resolves a bearer token. The callback gets the principal (NULL when the
 * token is unknown or revoked) or unavailable=true when the database could
 * not be asked. Known tokens are answered from a cache for cache_ttl_ms; the
 * callback may run synchronously.
 */
typedef void (*auth_cb)(void *arg, const struct principal *p, bool unavailable);
void auth_lookup(struct auth *a, const char *token, auth_cb cb, void *arg);

/* Resolves the principal bound to a client certificate's hex SHA-256 (NULL: none bound). */
void auth_lookup_cert(struct auth *a, const char *fp, auth_cb cb, void *arg);
/*
 * Resolves a request's credentials: fp, the verified client certificate's
 * fingerprint, and token, the bearer token; either may be NULL. A bound
 * certificate names the principal, and a token sent with it must name the
 * same one (else p is NULL); an unbound certificate leaves it to the token.
 */
void auth_resolve(struct auth *a, const char *fp, const char *token, auth_cb cb, void *arg);
/* Binds a certificate fingerprint to an active principal (command line; synchronous libpq). */
bool auth_bind_cert(const char *conninfo, long long id, const char *fp, char *err, size_t errlen);

#endif
