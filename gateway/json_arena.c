/* json_arena.c - jansson's allocations of one short, synchronous read, taken from a reused block. */
#include "json_arena.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "mem.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A dossier's facts (~1 KB of text) make a tree of ~10 KB: one block holds most reads. */
#define ARENA_BLOCK (64u * 1024u)
#define ARENA_ALIGN 16u

struct block {
	struct block *next;
	size_t cap, used;
	_Alignas(16) unsigned char data[];
};

static struct block *first;  /* kept from read to read */
static struct block *extra;  /* what a large read needed beyond it; freed by json_arena_end */
static bool active;
static json_malloc_t saved_malloc;
static json_free_t saved_free;

static struct block *block_new(size_t cap)
{
	struct block *b = xmalloc(sizeof(*b) + cap);
	b->next = NULL;
	b->cap = cap;
	b->used = 0;
	POISON(b->data, cap);
	return b;
}

/* NULL only for a size no block could hold: jansson reports it as its own allocation failure. */
static void *arena_malloc(size_t n)
{
	struct block *b = extra ? extra : first;
	if (n > SIZE_MAX / 2)
		return NULL;
	size_t need = n ? (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1) : ARENA_ALIGN;
	if (need > b->cap - b->used) {
		b = block_new(need > ARENA_BLOCK ? need : ARENA_BLOCK);
		b->next = extra;
		extra = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	UNPOISON(p, n);
	return p;
}

static void arena_free(void *p)
{
	(void)p; /* the whole block is dropped by json_arena_end */
}

void json_arena_begin(void)
{
	if (active)
		abort(); /* nested: the outer window's values would be dropped by the inner end */
	if (!first)
		first = block_new(ARENA_BLOCK);
	json_get_alloc_funcs(&saved_malloc, &saved_free);
	json_set_alloc_funcs(arena_malloc, arena_free);
	active = true;
}

void json_arena_end(void)
{
	if (!active)
		abort();
	json_set_alloc_funcs(saved_malloc, saved_free);
	while (extra) {
		struct block *next = extra->next;
		UNPOISON(extra->data, extra->cap);
		free(extra);
		extra = next;
	}
	POISON(first->data, first->cap);
	first->used = 0;
	active = false;
}

void json_arena_release(void)
{
	if (active || !first)
		return;
	UNPOISON(first->data, first->cap);
	free(first);
	first = NULL;
}
