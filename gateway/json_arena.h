/* json_arena.h - jansson's allocations of one short, synchronous read, taken from a reused block. */
#ifndef FAIRGATE_JSON_ARENA_H
#define FAIRGATE_JSON_ARENA_H

/*
 * Between json_arena_begin and json_arena_end every allocation jansson makes
 * comes from one block that is reused read after read (more blocks when a
 * read needs them), and jansson's frees do nothing. json_arena_end gives
 * jansson malloc and free back and forgets everything allocated since
 * begin: no value built in between may be used, or decref'd, after it.
 *
 * For the trees a dossier's read builds and drops at once (its facts, its
 * allowed escalations, its exceptions): ~120 mallocs and frees of small
 * nodes per decision, ~10% of the gateway's instructions (callgrind).
 * jansson's hooks are process-wide, so the window must not hold anything
 * that keeps a value (the document cache, a timeline) and must not nest;
 * the gateway is one thread. Under AddressSanitizer the block is poisoned
 * outside the window, so a value used after it is reported.
 *
 * Cannot fail: a block that cannot be allocated aborts, as mem.h does.
 */
void json_arena_begin(void);
void json_arena_end(void);

/* Frees the kept block (at exit, so leak checkers see nothing). */
void json_arena_release(void);

#endif
