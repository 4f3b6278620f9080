/* doc_cache.c - contract and partner documents parsed once per process, keyed by their text. */
#include "doc_cache.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "str.h"

#define DOC_CACHE_SLOTS 64 /* per kind; a power of two */

struct slot {
	char *text; /* NULL: empty */
	size_t len;
	uint64_t hash;
	union {
		struct contract contract;
		struct partner partner;
	} v;
};

static struct slot contracts[DOC_CACHE_SLOTS], partners[DOC_CACHE_SLOTS];

/* The document readers of contracts/, with a common signature. */
typedef bool (*doc_reader)(const json_t *doc, void *out, struct contract_errors *errs);

static bool read_contract(const json_t *doc, void *out, struct contract_errors *errs)
{
	return contract_from_json(doc, out, errs);
}

static bool read_partner(const json_t *doc, void *out, struct contract_errors *errs)
{
	return partner_from_json(doc, out, errs);
}

/* The cached struct (size bytes) of text from table, or read parses it and fills its slot. */
static bool cached(struct slot *table, const char *text, size_t len, void *out, size_t size, doc_reader read)
{
	struct contract_errors errs;
	uint64_t hash = str_hash(text, len); /* picks the slot; memcmp decides a hit */
	struct slot *s = &table[hash & (DOC_CACHE_SLOTS - 1)];
	if (s->text && s->hash == hash && s->len == len && memcmp(s->text, text, len) == 0) {
		memcpy(out, &s->v, size);
		return true;
	}
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	bool ok = doc && read(doc, out, &errs);
	json_decref(doc);
	if (ok) {
		free(s->text);
		s->text = xmalloc(len + 1);
		memcpy(s->text, text, len + 1);
		s->len = len;
		s->hash = hash;
		memcpy(&s->v, out, size);
	}
	return ok;
}

bool doc_cache_contract(const char *text, size_t len, struct contract *out)
{
	return cached(contracts, text, len, out, sizeof(*out), read_contract);
}

bool doc_cache_partner(const char *text, size_t len, struct partner *out)
{
	return cached(partners, text, len, out, sizeof(*out), read_partner);
}

void doc_cache_clear(void)
{
	for (int i = 0; i < DOC_CACHE_SLOTS; i++) {
		free(contracts[i].text);
		free(partners[i].text);
		contracts[i] = (struct slot){0};
		partners[i] = (struct slot){0};
	}
}
