/* doc_cache.c - contract and partner documents parsed once per process, keyed by their text. */
#include "doc_cache.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

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

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot for text, and whether it holds text already. */
static struct slot *find(struct slot *table, const char *text, size_t len, uint64_t *hash, bool *hit)
{
	*hash = fnv1a(text, len);
	struct slot *s = &table[*hash & (DOC_CACHE_SLOTS - 1)];
	*hit = s->text && s->hash == *hash && s->len == len && memcmp(s->text, text, len) == 0;
	return s;
}

static void fill(struct slot *s, const char *text, size_t len, uint64_t hash)
{
	free(s->text);
	s->text = xmalloc(len + 1);
	memcpy(s->text, text, len + 1);
	s->len = len;
	s->hash = hash;
}

static json_t *parse(const char *text, size_t len)
{
	return json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
}

bool doc_cache_contract(const char *text, size_t len, struct contract *out)
{
	struct contract_errors errs;
	uint64_t hash;
	bool hit;
	struct slot *s = find(contracts, text, len, &hash, &hit);
	if (hit) {
		*out = s->v.contract;
		return true;
	}
	json_t *doc = parse(text, len);
	bool ok = doc && contract_from_json(doc, out, &errs);
	json_decref(doc);
	if (ok) {
		fill(s, text, len, hash);
		s->v.contract = *out;
	}
	return ok;
}

bool doc_cache_partner(const char *text, size_t len, struct partner *out)
{
	struct contract_errors errs;
	uint64_t hash;
	bool hit;
	struct slot *s = find(partners, text, len, &hash, &hit);
	if (hit) {
		*out = s->v.partner;
		return true;
	}
	json_t *doc = parse(text, len);
	bool ok = doc && partner_from_json(doc, out, &errs);
	json_decref(doc);
	if (ok) {
		fill(s, text, len, hash);
		s->v.partner = *out;
	}
	return ok;
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
