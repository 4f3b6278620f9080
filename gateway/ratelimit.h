/* ratelimit.h - a token bucket per principal: requests per second with a burst. */
#ifndef FAIRGATE_RATELIMIT_H
#define FAIRGATE_RATELIMIT_H

#include <stdbool.h>

struct ratelimit;

/*
 * Buckets refilled at per_s tokens a second, holding at most burst (0: per_s).
 * per_s 0 disables the limit: ratelimit_take always allows.
 */
struct ratelimit *ratelimit_create(int per_s, int burst);
void ratelimit_free(struct ratelimit *rl);

/*
 * Takes one token from the principal's bucket. False when it is empty, with
 * the whole seconds until a token is back in *retry_after_s (at least 1).
 */
bool ratelimit_take(struct ratelimit *rl, long long principal, int *retry_after_s);

#endif
