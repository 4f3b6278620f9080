/* monotime.h - seconds elapsed on the monotonic clock (latency sums and histograms). */
#ifndef FAIRGATE_MONOTIME_H
#define FAIRGATE_MONOTIME_H

#include <time.h>

/* Seconds from since (a CLOCK_MONOTONIC reading) to now. Cannot fail. */
static inline double mono_seconds_since(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

#endif
