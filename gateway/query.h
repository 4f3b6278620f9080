/* query.h - a request's query string, read into typed values (pure). */
#ifndef FAIRGATE_QUERY_H
#define FAIRGATE_QUERY_H

#include <event2/keyvalq_struct.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contract.h"

#if defined(__GNUC__)
#define QUERY_MUSTCHECK __attribute__((warn_unused_result))
#else
#define QUERY_MUSTCHECK
#endif

#define QUERY_NAME_MAX 32    /* a parameter name as echoed in an error (longer ones are cut) */
#define QUERY_DETAIL_MAX 192 /* one sentence */
#define QUERY_KNOWN_MAX 16   /* names one call may take */

/*
 * Why a query was refused: the parameter ("" when the whole string is at
 * fault) and a sentence for the 400 body. Both hold printable ASCII only, so
 * they can be echoed into JSON whatever bytes the client sent.
 */
struct query_error {
	char parameter[QUERY_NAME_MAX + 1];
	char detail[QUERY_DETAIL_MAX];
};

/* A parsed query string: only names the call knows, each at most once. */
struct query {
	struct evkeyvalq kv;
};

/*
 * Parses raw (the query string as sent, NULL for none) with libevent's
 * decoder and checks it against known (NULL-terminated, at most
 * QUERY_KNOWN_MAX names, matched exactly): an unknown name, a name given
 * twice, an encoded NUL (%00, which would cut a value short) or a string
 * libevent refuses (a piece without '=', an empty name) is an error. On
 * false q holds nothing; query_cleanup is harmless either way.
 */
QUERY_MUSTCHECK bool query_parse(struct query *q, const char *raw, const char *const *known,
                                 struct query_error *err);
void query_cleanup(struct query *q);

/* The decoded value of name, or NULL when it is absent. */
const char *query_value(const struct query *q, const char *name);

/*
 * The readers below leave a default when the parameter is absent and refuse
 * an empty value; on false err says which parameter and why.
 */

/* An integer in [lo, hi] (0 <= lo): decimal digits only, no sign, no spaces; def when absent.
 */
QUERY_MUSTCHECK bool query_int(const struct query *q, const char *name, long long def,
                               long long lo, long long hi, long long *out,
                               struct query_error *err);
/* A required calendar date YYYY-MM-DD (caldate_parse: a real date, year 1900..9999). */
QUERY_MUSTCHECK bool query_date(const struct query *q, const char *name, int32_t *day,
                                struct query_error *err);
/* One of values (NULL-terminated): its index, def when absent. */
QUERY_MUSTCHECK bool query_enum(const struct query *q, const char *name,
                                const char *const *values, int def, int *out,
                                struct query_error *err);
/* An id of the contracts' form (contract_id_valid); "" when absent. */
QUERY_MUSTCHECK bool query_id(const struct query *q, const char *name,
                              char out[static CONTRACT_ID_MAX], struct query_error *err);
/* 1 to size - 1 visible ASCII characters (0x21..0x7e); "" when absent. */
QUERY_MUSTCHECK bool query_text(const struct query *q, const char *name, char *out, size_t size,
                                struct query_error *err);

/* Fills err (parameter cut to printable ASCII) and returns false, for a caller's own checks. */
bool query_fail(struct query_error *err, const char *parameter, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
