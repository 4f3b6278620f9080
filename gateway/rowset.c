/* rowset.c - many rows, one statement: columns sent as binary PostgreSQL text arrays. */
#include "rowset.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/*
 * A one-dimensional array in PostgreSQL's binary format (array_recv): five
 * 32-bit big-endian words (dimensions 1, has-nulls flag, element type,
 * length, lower bound 1), then per element its length (-1 for NULL) and its
 * bytes. The header is written at flush, when the row count is known.
 */
#define ARRAY_HEADER 20
#define TEXT_OID 25

static void put(struct rowset *rs, int c, const void *s, size_t n)
{
	if (rs->len[c] + n > rs->cap[c]) {
		size_t cap = rs->cap[c] ? rs->cap[c] : 256;
		while (cap < rs->len[c] + n)
			cap *= 2;
		rs->col[c] = xrealloc(rs->col[c], cap);
		rs->cap[c] = cap;
	}
	memcpy(rs->col[c] + rs->len[c], s, n);
	rs->len[c] += n;
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put_be32(struct rowset *rs, int c, uint32_t v)
{
	unsigned char b[4];
	be32(b, v);
	put(rs, c, b, sizeof(b));
}

/* Empties column c, keeping room for the header. */
static void reset(struct rowset *rs, int c)
{
	rs->len[c] = 0;
	rs->has_null[c] = false;
	static const unsigned char zero[ARRAY_HEADER];
	put(rs, c, zero, sizeof(zero));
}

void rowset_init(struct rowset *rs, const struct rowset_def *def)
{
	if (def->ncols < 1 || def->ncols > ROWSET_MAX_COLS)
		abort(); /* a programming error in a static definition */
	memset(rs, 0, sizeof(*rs));
	rs->def = def;
	for (int c = 0; c < def->ncols; c++)
		reset(rs, c);
}

int rowset_add(struct rowset *rs, const char *const *values)
{
	for (int c = 0; c < rs->def->ncols; c++) {
		if (!values[c]) {
			put_be32(rs, c, UINT32_MAX); /* -1: NULL */
			rs->has_null[c] = true;
			continue;
		}
		size_t n = strlen(values[c]);
		if (n > INT32_MAX / 2)
			abort(); /* no value of ours comes near a 1 GB field */
		put_be32(rs, c, (uint32_t)n);
		put(rs, c, values[c], n);
	}
	return rs->nrows++;
}

int rowset_flush(struct rowset *rs, struct pgjob *job)
{
	const char *params[ROWSET_MAX_COLS];
	int lengths[ROWSET_MAX_COLS];
	int idx = -1;
	if (rs->nrows > 0) {
		for (int c = 0; c < rs->def->ncols; c++) {
			unsigned char *h = (unsigned char *)rs->col[c];
			be32(h, 1);
			be32(h + 4, rs->has_null[c]);
			be32(h + 8, TEXT_OID);
			be32(h + 12, (uint32_t)rs->nrows);
			be32(h + 16, 1);
			if (rs->len[c] > INT_MAX)
				abort();
			params[c] = rs->col[c];
			lengths[c] = (int)rs->len[c];
		}
		idx = pgjob_add_binary(job, rs->def->sql, rs->def->ncols, params, lengths);
	}
	for (int c = 0; c < rs->def->ncols; c++)
		reset(rs, c);
	rs->nrows = 0;
	return idx;
}

void rowset_free(struct rowset *rs)
{
	for (int c = 0; c < ROWSET_MAX_COLS; c++)
		free(rs->col[c]);
	memset(rs, 0, sizeof(*rs));
}
