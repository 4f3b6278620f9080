/* rowset.h - many rows, one statement: columns sent as PostgreSQL array literals. */
#ifndef FAIRGATE_ROWSET_H
#define FAIRGATE_ROWSET_H

#include <stddef.h>

#include "pgpool.h"

/*
 * A rowset gathers rows for one statement whose parameters $1..$n are
 * arrays, one per column, e.g.
 *   INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::bigint[])
 * so a batch of N rows costs one statement instead of N. Values are text as
 * in any libpq parameter (NULL is SQL NULL); each column becomes an array
 * literal with every element quoted, so any text is safe.
 *
 * Ownership: the rowset owns its buffers; rowset_flush copies them into the
 * job (pgjob_add copies) and empties the rowset for reuse.
 */
#define ROWSET_MAX_COLS 16

struct rowset_def {
	const char *sql; /* $1..$ncols are the columns' arrays */
	int ncols;
	int order;       /* flush order within a batch: lower first */
};

struct rowset {
	const struct rowset_def *def;
	char *col[ROWSET_MAX_COLS];
	size_t len[ROWSET_MAX_COLS], cap[ROWSET_MAX_COLS];
	int nrows;
};

void rowset_init(struct rowset *rs, const struct rowset_def *def);
/* Adds one row of def->ncols values (NULL entries are SQL NULL); returns its index. */
int rowset_add(struct rowset *rs, const char *const *values);
/* Adds the statement to job when there are rows (returns its index, else -1); empties rs. */
int rowset_flush(struct rowset *rs, struct pgjob *job);
void rowset_free(struct rowset *rs);

#endif
