/* checkpoint.h - signed checkpoints of every audit chain head (Ed25519), and their verification. */
#ifndef FAIRGATE_CHECKPOINT_H
#define FAIRGATE_CHECKPOINT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

struct config;
struct server;
struct checkpoint;

/*
 * The gateway's signing key: the PEM private key named by the signing_key
 * setting, or data_dir/checkpoint-key.pem. When neither exists and create is
 * true, an Ed25519 key is generated there (mode 600, created atomically so
 * processes sharing data_dir agree on one key) and its fingerprint logged.
 * NULL with a message in err otherwise.
 */
EVP_PKEY *checkpoint_key_load(const struct config *cfg, bool create, char *err, size_t errlen);
/* Reads a PEM public key (SubjectPublicKeyInfo), e.g. from `fairgate audit pubkey`. */
EVP_PKEY *checkpoint_pubkey_read(const char *path, char *err, size_t errlen);
/* The PEM public key of key (caller frees), NULL on failure. */
char *checkpoint_pubkey_pem(EVP_PKEY *key);
/* Hex SHA-256 of the raw 32-byte public key; false on failure. */
bool checkpoint_fingerprint(EVP_PKEY *key, char out[65]);
/* Signs body; the base64 signature (caller frees), NULL on failure. */
char *checkpoint_sign(EVP_PKEY *key, const char *body);
/* True when sig_b64 is key's valid signature of body. */
bool checkpoint_sig_ok(EVP_PKEY *key, const char *body, const char *sig_b64);

/*
 * Every checkpoint_interval_ms the running gateway reads the head (max seq
 * and its hash) of every chain through the primary key, one index probe per
 * chain, never blocking the loop; builds the canonical JSON
 * {"checkpoint_at","heads":[{"chain","hash","seq"}...]} (sorted keys,
 * compact, heads in chain order), signs it, and stores it in
 * audit_checkpoints together with an "audit.checkpoint" notification to every
 * creditor with a webhook, in one transaction. Heads unchanged since this
 * process's last checkpoint are not signed again. NULL when the key cannot
 * be loaded or created.
 */
struct checkpoint *checkpoint_create(struct server *srv);
/*
 * Shutdown, after the listener is gone and before the committer closes: one
 * last checkpoint, running the loop until it is stored (at most 3 s).
 */
void checkpoint_final(struct checkpoint *cp);
/* Frees; call after pgpool_free (which completes the jobs in flight). */
void checkpoint_free(struct checkpoint *cp);
/* This gateway's public key, PEM. */
const char *checkpoint_public_pem(const struct checkpoint *cp);

/*
 * Verifies every stored checkpoint in id order (command line; synchronous
 * libpq): its signature with pub, and that every head it signed still is the
 * record (chain, seq, hash) in audit_log. pub may be NULL when the caller has
 * no key; then any stored checkpoint fails. False with the first failure in
 * err, e.g. "checkpoint 7: chain 3 seq 41 hash differs (history rewritten)".
 */
bool checkpoint_verify_db(const char *conninfo, EVP_PKEY *pub, long long *checked, char *err,
			  size_t errlen);
/*
 * Verifies an export offline: a JSON array of GET /v1/audit records (or of
 * whole pages). Records with subject and payload are hashed whole; redacted
 * ones through their content_sha256. Each chain must be consecutive; a chain
 * starting at seq 1 must start from the genesis hash. False with the first
 * broken chain/seq in err.
 */
bool checkpoint_verify_export(const char *path, long long *checked, char *err, size_t errlen);

#endif
