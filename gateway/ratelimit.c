/* ratelimit.c - per-principal token buckets, kept in memory for the life of the process. */
#include "ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "mem.h"

#define RL_BUCKETS 1024 /* hash slots; principals are few (rows of one table) */

struct bucket {
	long long principal;
	double tokens;
	double stamp_s; /* monotonic time of the last refill */
	struct bucket *next;
};

struct ratelimit {
	double per_s;
	double burst;
	struct bucket *slots[RL_BUCKETS];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ratelimit *ratelimit_create(int per_s, int burst)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	rl->per_s = per_s;
	rl->burst = burst > 0 ? burst : per_s;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (int i = 0; i < RL_BUCKETS; i++) {
		while (rl->slots[i]) {
			struct bucket *b = rl->slots[i];
			rl->slots[i] = b->next;
			free(b);
		}
	}
	free(rl);
}

/* The principal's bucket; a new one starts full. */
static struct bucket *bucket_of(struct ratelimit *rl, long long principal, double now)
{
	unsigned slot = (unsigned)((unsigned long long)principal % RL_BUCKETS);
	for (struct bucket *b = rl->slots[slot]; b; b = b->next)
		if (b->principal == principal)
			return b;
	struct bucket *b = xcalloc(1, sizeof(*b));
	b->principal = principal;
	b->tokens = rl->burst;
	b->stamp_s = now;
	b->next = rl->slots[slot];
	rl->slots[slot] = b;
	return b;
}

bool ratelimit_take(struct ratelimit *rl, long long principal, int *retry_after_s)
{
	if (!rl || rl->per_s <= 0)
		return true;
	double now = now_s();
	struct bucket *b = bucket_of(rl, principal, now);
	b->tokens = fmin(rl->burst, b->tokens + (now - b->stamp_s) * rl->per_s);
	b->stamp_s = now;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return true;
	}
	int wait = (int)ceil((1.0 - b->tokens) / rl->per_s);
	*retry_after_s = wait > 0 ? wait : 1;
	return false;
}
