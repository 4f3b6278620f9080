/* rowset.c - many rows, one statement: columns sent as PostgreSQL array literals. */
#include "rowset.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

void rowset_init(struct rowset *rs, const struct rowset_def *def)
{
	if (def->ncols < 1 || def->ncols > ROWSET_MAX_COLS)
		abort(); /* a programming error in a static definition */
	memset(rs, 0, sizeof(*rs));
	rs->def = def;
}

static void put(struct rowset *rs, int c, const char *s, size_t n)
{
	if (rs->len[c] + n + 1 > rs->cap[c]) {
		size_t cap = rs->cap[c] ? rs->cap[c] : 256;
		while (cap < rs->len[c] + n + 1)
			cap *= 2;
		rs->col[c] = xrealloc(rs->col[c], cap);
		rs->cap[c] = cap;
	}
	memcpy(rs->col[c] + rs->len[c], s, n);
	rs->len[c] += n;
	rs->col[c][rs->len[c]] = '\0';
}

/* One element of an array literal: NULL, or "..." with backslash and quote escaped. */
static void put_element(struct rowset *rs, int c, const char *v)
{
	put(rs, c, rs->nrows ? "," : "{", 1);
	if (!v) {
		put(rs, c, "NULL", 4);
		return;
	}
	put(rs, c, "\"", 1);
	for (const char *p = v; *p;) {
		size_t run = strcspn(p, "\"\\");
		put(rs, c, p, run);
		p += run;
		if (*p) {
			char esc[2] = {'\\', *p++};
			put(rs, c, esc, 2);
		}
	}
	put(rs, c, "\"", 1);
}

int rowset_add(struct rowset *rs, const char *const *values)
{
	for (int c = 0; c < rs->def->ncols; c++)
		put_element(rs, c, values[c]);
	return rs->nrows++;
}

int rowset_flush(struct rowset *rs, struct pgjob *job)
{
	const char *params[ROWSET_MAX_COLS];
	int idx = -1;
	if (rs->nrows > 0) {
		for (int c = 0; c < rs->def->ncols; c++) {
			put(rs, c, "}", 1);
			params[c] = rs->col[c];
		}
		idx = pgjob_add(job, rs->def->sql, rs->def->ncols, params);
	}
	for (int c = 0; c < rs->def->ncols; c++) {
		rs->len[c] = 0;
		if (rs->col[c])
			rs->col[c][0] = '\0';
	}
	rs->nrows = 0;
	return idx;
}

void rowset_free(struct rowset *rs)
{
	for (int c = 0; c < ROWSET_MAX_COLS; c++)
		free(rs->col[c]);
	memset(rs, 0, sizeof(*rs));
}
