/* checkpoint_key.c - the Ed25519 checkpoint key: load, create once, sign, verify. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "hex.h"
#include "log.h"
#include "mem.h"

static EVP_PKEY *read_private(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "signing key %s: %s", path, strerror(errno));
		return NULL;
	}
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "signing key %s: not an Ed25519 PEM private key", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* Writes key to a fresh file of mode 600; false when it cannot. */
static bool write_private(EVP_PKEY *key, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return false;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return false;
	}
	bool ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fflush(f) == 0 && fsync(fd) == 0 && ok;
	return fclose(f) == 0 && ok;
}

/*
 * Generates a key into a temporary file and links it into place: of several
 * processes starting at once, one wins and the others load its key.
 */
static EVP_PKEY *create_private(const char *dir, const char *path, char *err, size_t errlen)
{
	char tmp[600];
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!key) {
		snprintf(err, errlen, "cannot generate an Ed25519 key");
		return NULL;
	}
	(void)mkdir(dir, 0700);
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp)) {
		EVP_PKEY_free(key);
		snprintf(err, errlen, "signing key path too long");
		return NULL;
	}
	bool ok = write_private(key, tmp);
	bool linked = ok && link(tmp, path) == 0;
	int e = errno;
	(void)unlink(tmp);
	EVP_PKEY_free(key);
	if (!ok || (!linked && e != EEXIST)) {
		snprintf(err, errlen, "cannot create signing key %s: %s", path, strerror(e));
		return NULL;
	}
	key = read_private(path, err, errlen);
	char fp[65];
	if (key && linked && checkpoint_fingerprint(key, fp))
		log_info("created checkpoint signing key %s, public key sha256 %s", path, fp);
	return key;
}

EVP_PKEY *checkpoint_key_load(const struct config *cfg, bool create, char *err, size_t errlen)
{
	char path[600];
	if (cfg->signing_key[0])
		return read_private(cfg->signing_key, err, errlen);
	snprintf(path, sizeof(path), "%s/checkpoint-key.pem", cfg->data_dir);
	if (access(path, F_OK) == 0 || !create)
		return read_private(path, err, errlen);
	return create_private(cfg->data_dir, path, err, errlen);
}

EVP_PKEY *checkpoint_pubkey_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "public key %s: %s", path, strerror(errno));
		return NULL;
	}
	EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "public key %s: not an Ed25519 PEM public key", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

char *checkpoint_pubkey_pem(EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	if (b && PEM_write_bio_PUBKEY(b, key) == 1) {
		long n = BIO_get_mem_data(b, &data);
		if (n > 0)
			out = xstrndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

bool checkpoint_fingerprint(EVP_PKEY *key, char out[65])
{
	unsigned char raw[64], md[32];
	size_t n = sizeof(raw);
	unsigned int mdlen = 0;
	if (EVP_PKEY_get_raw_public_key(key, raw, &n) != 1 ||
	    EVP_Digest(raw, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return false;
	hex_encode(md, mdlen, out);
	return true;
}

char *checkpoint_sign(EVP_PKEY *key, const char *body)
{
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	char *out = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)body, strlen(body)) == 1) {
		out = xmalloc(4 * ((siglen + 2) / 3) + 1);
		if (EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen) <= 0) {
			free(out);
			out = NULL;
		}
	}
	EVP_MD_CTX_free(ctx);
	return out;
}

/* Decodes standard base64 (with padding); the byte count, or -1. */
static int unbase64(const char *in, unsigned char *out, size_t outlen)
{
	size_t n = strlen(in);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > outlen)
		return -1;
	int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	for (size_t i = n; i > 0 && in[i - 1] == '='; i--)
		len--;
	return len;
}

bool checkpoint_sig_ok(EVP_PKEY *key, const char *body, const char *sig_b64)
{
	unsigned char sig[96];
	int siglen = unbase64(sig_b64, sig, sizeof(sig));
	if (siglen != 64)
		return false;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, sig, (size_t)siglen, (const unsigned char *)body, strlen(body)) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}
