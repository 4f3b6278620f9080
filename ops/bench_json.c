/*
 * bench_json.c - reading a dossier's facts as every decision does: jansson's
 * json_loads against gateway/json_fast.c, microseconds per read and free, medians
 * of alternated runs in one process. The facts are a dossier of ./ops/bench's
 * load (7 facts, 1,053 bytes, as sql/012's trigger writes them).
 *
 *   ./build/ops/bench_json [runs]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "json_fast.h"

#define N_RUNS 9
#define ITERATIONS 50000

static const char FACTS[] =
	"[{\"id\":195661,\"reporter\":\"partner\",\"body\":{\"kind\": \"reminder\", \"type\": \"letter_sent\", "
	"\"template\": \"herinnering-v3\", \"occurred_at\": \"2026-10-11T22:39:05Z\"}},"
	"{\"id\":284499,\"reporter\":\"partner\",\"body\":{\"kind\": \"fourteen_day_letter\", \"type\": "
	"\"letter_sent\", \"template\": \"veertiendagenbrief-v2\", \"occurred_at\": \"2026-10-26T02:39:05Z\", "
	"\"received_on\": \"2026-10-27\"}},"
	"{\"id\":291663,\"reporter\":\"partner\",\"body\":{\"type\": \"contact_attempt\", \"channel\": "
	"\"phone\", \"reached\": false, \"occurred_at\": \"2026-10-27T04:39:05Z\"}},"
	"{\"id\":304662,\"reporter\":\"partner\",\"body\":{\"type\": \"contact_attempt\", \"channel\": "
	"\"phone\", \"reached\": false, \"occurred_at\": \"2026-10-29T04:39:05Z\"}},"
	"{\"id\":318840,\"reporter\":\"partner\",\"body\":{\"type\": \"contact_attempt\", \"channel\": "
	"\"letter\", \"reached\": true, \"occurred_at\": \"2026-11-01T04:39:05Z\"}},"
	"{\"id\":333021,\"reporter\":\"creditor\",\"body\":{\"type\": \"payment\", \"amount_cents\": 2500, "
	"\"occurred_at\": \"2026-11-05T10:00:00Z\"}},"
	"{\"id\":347200,\"reporter\":\"partner\",\"body\":{\"type\": \"personal_contact\", \"channel\": "
	"\"phone\", \"occurred_at\": \"2026-11-09T09:15:00Z\"}}]";

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* microseconds per read and free of FACTS by the reader */
static double run(int fast)
{
	double t0 = now_s();
	for (int i = 0; i < ITERATIONS; i++) {
		json_t *j = fast ? json_fast_loads(FACTS) : json_loads(FACTS, JSON_REJECT_DUPLICATES, NULL);
		if (!j) {
			fprintf(stderr, "bench_json: the facts did not parse\n");
			exit(1);
		}
		json_decref(j);
	}
	return (now_s() - t0) / ITERATIONS * 1e6;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : N_RUNS;
	if (runs < 1 || runs > 1000)
		runs = N_RUNS;
	json_t *a = json_loads(FACTS, JSON_REJECT_DUPLICATES, NULL), *b = json_fast_loads(FACTS);
	if (!a || !b || !json_equal(a, b)) {
		fprintf(stderr, "bench_json: the two readers disagree on the facts\n");
		return 1;
	}
	json_decref(a);
	json_decref(b);
	double *us[2] = {calloc((size_t)runs, sizeof(double)), calloc((size_t)runs, sizeof(double))};
	if (!us[0] || !us[1])
		return 1;
	for (int r = 0; r < runs; r++) /* alternated, the order swapped every other run */
		for (int k = 0; k < 2; k++) {
			int fast = (r + k) % 2;
			us[fast][r] = run(fast);
		}
	qsort(us[0], (size_t)runs, sizeof(double), cmp_double);
	qsort(us[1], (size_t)runs, sizeof(double), cmp_double);
	printf("a dossier's facts (%zu bytes), %d reads x %d runs each, alternated\n", sizeof(FACTS) - 1,
	       ITERATIONS, runs);
	printf("json_loads:      median %.2f us per read and free (min %.2f, max %.2f)\n", us[0][runs / 2],
	       us[0][0], us[0][runs - 1]);
	printf("json_fast_loads: median %.2f us per read and free (min %.2f, max %.2f)\n", us[1][runs / 2],
	       us[1][0], us[1][runs - 1]);
	printf("ratio of medians: %.2f\n", us[0][runs / 2] / us[1][runs / 2]);
	free(us[0]);
	free(us[1]);
	return 0;
}
