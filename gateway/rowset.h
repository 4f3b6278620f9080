/* rowset.h - many rows, one statement: columns sent as binary PostgreSQL text arrays. */
#ifndef FAIRGATE_ROWSET_H
#define FAIRGATE_ROWSET_H

#include <stdbool.h>
#include <stddef.h>

#include "pgpool.h"

/*
 * A rowset gathers rows for one statement whose parameters $1..$n are
 * arrays, one per column, e.g.
 *   INSERT INTO t (a, b) SELECT a::int, b FROM unnest($1::text[], $2::text[]) AS u(a, b)
 * so a batch of N rows costs one statement instead of N. Values are text as
 * in any libpq parameter (NULL is SQL NULL). Each column is sent as a text[]
 * in PostgreSQL's binary array format: every element is its length and its
 * bytes, so nothing is quoted on our side or unquoted on the server's (a
 * decision's 1.8 KB JSON is copied, not scanned), and any text is safe. So
 * every $n of def->sql must be declared text[]; the statement casts the
 * columns it unnests to their types.
 *
 * Ownership: the rowset owns its buffers; rowset_flush copies them into the
 * job (pgjob_add_binary copies) and empties the rowset for reuse.
 */
#define ROWSET_MAX_COLS 16

struct rowset_def {
	const char *sql; /* $1..$ncols are the columns' text[] arrays */
	int ncols;
	int order;       /* flush order within a batch: lower first */
};

struct rowset {
	const struct rowset_def *def;
	char *col[ROWSET_MAX_COLS]; /* each: the array's header, then its elements */
	size_t len[ROWSET_MAX_COLS], cap[ROWSET_MAX_COLS];
	bool has_null[ROWSET_MAX_COLS];
	int nrows;
};

void rowset_init(struct rowset *rs, const struct rowset_def *def);
/* Adds one row of def->ncols values (NULL entries are SQL NULL); returns its index. */
int rowset_add(struct rowset *rs, const char *const *values);
/* Adds the statement to job when there are rows (returns its index, else -1); empties rs. */
int rowset_flush(struct rowset *rs, struct pgjob *job);
void rowset_free(struct rowset *rs);

#endif
