/* bench_policy.c - measures policy_decide: nanoseconds and heap allocations per decision. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "policy.h"

#define N_DOSSIERS 64
#define N_EVENTS 50
#define N_REQUESTS 1024
#define N_RUNS 7
#define ITERATIONS 200000

/* Counting interposer: every malloc/calloc/realloc in the process passes here. */
static volatile unsigned long g_allocs; /* volatile: GCC assumes malloc leaves globals alone */
static void *(*real_malloc)(size_t);
void *malloc(size_t n);
void *malloc(size_t n)
{
	if (real_malloc == NULL)
		*(void **)&real_malloc = dlsym(RTLD_NEXT, "malloc");
	g_allocs++;
	return real_malloc(n);
}

static int64_t ts(const char *s)
{
	int64_t t = 0;
	if (!timestamp_parse(s, &t)) {
		fprintf(stderr, "bad timestamp %s\n", s);
		exit(1);
	}
	return t;
}

static double now_ns(void)
{
	struct timespec t;
	if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
		exit(1);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void make_contract(struct contract *c)
{
	memset(c, 0, sizeof *c);
	strcpy(c->id, "woonstad-incassonoord");
	strcpy(c->partner_id, "incasso-noord");
	c->terms.fee_model = FEE_FIXED_FEE;
	c->terms.allowed_actions = (1u << ACTION__COUNT) - 1;
	c->terms.contact =
	    (struct contact_terms){true, (1u << CHANNEL_PHONE) | (1u << CHANNEL_VISIT), 2, 90};
	c->terms.max_duration_days = 120;
	c->terms.shortened_amicable_days = 14;
	c->terms.summons_min_principal_cents = 25000;
	c->terms.judicial_cost_ratio_max_milli = 1000;
	c->terms.n_templates = 2;
	strcpy(c->terms.templates[0], "herinnering-v3");
	strcpy(c->terms.templates[1], "veertiendagenbrief-v2");
}

/* A realistic history: letters, contact attempts, payments, a few holds; 50 events. */
static void make_events(struct event *ev, int seed, int64_t start)
{
	static const enum event_type mix[] = {
	    EVENT_CONTACT_ATTEMPT, EVENT_CONTACT_ATTEMPT,  EVENT_LETTER_SENT, EVENT_PAYMENT,
	    EVENT_CONTACT_ATTEMPT, EVENT_PERSONAL_CONTACT, EVENT_PAYMENT,     EVENT_REFERRAL};
	for (int i = 0; i < N_EVENTS; i++) {
		struct event *e = &ev[i];
		memset(e, 0, sizeof *e);
		e->type = i == 0 ? EVENT_LETTER_SENT : mix[(i + seed) % 8];
		e->occurred_at = start + (int64_t)i * 86400 + 36000;
		e->letter_kind = i == 0 ? LETTER_FOURTEEN_DAY : LETTER_REMINDER;
		strcpy(e->template_id, i == 0 ? "veertiendagenbrief-v2" : "herinnering-v3");
		e->received_on = CALDATE_NONE;
		e->channel = (enum channel)((i + seed) % 3);
		e->amount_cents = 1000;
	}
	if (seed % 5 == 0)
		ev[30].type = EVENT_ARRANGEMENT_AGREED;
	if (seed % 7 == 0)
		ev[40].type = EVENT_DISPUTE_OPENED;
	if (seed % 11 == 0)
		ev[20].type = EVENT_JUDGMENT;
}

struct world {
	struct contract c;
	struct partner agency, bailiff;
	struct dossier d[N_DOSSIERS];
	struct event ev[N_DOSSIERS][N_EVENTS];
	struct contract_exception ex;
	struct escalation_request req[N_REQUESTS];
};

static void make_world(struct world *w)
{
	int64_t start = ts("2026-01-05T09:00:00Z");
	make_contract(&w->c);
	w->agency =
	    (struct partner){.id = "incasso-noord", .kind = PARTNER_AGENCY, .has_wki = true};
	w->agency.wki_valid_until = caldate_from_ymd(2027, 12, 31);
	w->bailiff = (struct partner){.id = "incasso-noord", .kind = PARTNER_BAILIFF};
	for (int i = 0; i < N_DOSSIERS; i++) {
		make_events(w->ev[i], i, start);
		w->d[i] = (struct dossier){.principal_cents = 50000 + i * 3000,
		                           .handed_over_at = start,
		                           .shortened_track = i % 3 == 0,
		                           .flags = i % 9 == 0 ? DOSSIER_FLAG_VULNERABLE : 0,
		                           .events = w->ev[i],
		                           .n_events = N_EVENTS};
	}
	w->ex = (struct contract_exception){.id = "ex-1",
	                                    .contract_id = "woonstad-incassonoord",
	                                    .partner_id = "incasso-noord",
	                                    .rule = "R01"};
	w->ex.valid_until = CALDATE_NONE;
	for (int i = 0; i < N_REQUESTS; i++)
		w->req[i] = (struct escalation_request){
		    .action = (enum action)((i * 7) % ACTION__COUNT),
		    .has_amount = true,
		    .amount_cents = 5000 + (i % 4) * 4000,
		    .has_expected_costs = i % 2 == 0,
		    .expected_costs_cents = 30000};
}

/* One timed run: ns per decision; also counts allocations and denials. */
static double run(const struct world *w, int64_t now, unsigned long *allocs, long *denied)
{
	struct decision d;
	unsigned long a0 = g_allocs;
	double t0 = now_ns();
	for (int i = 0; i < ITERATIONS; i++) {
		const struct partner *p = i % 4 == 3 ? &w->bailiff : &w->agency;
		struct policy_input in = {&w->c, p, &w->d[i % N_DOSSIERS], &w->ex, 1, now};
		policy_decide(&in, &w->req[i % N_REQUESTS], &d);
		*denied += !d.allow;
	}
	double t1 = now_ns();
	*allocs = g_allocs - a0;
	return (t1 - t0) / ITERATIONS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : N_RUNS;
	static struct world w;
	double ns[64];
	unsigned long allocs = 0, total_allocs = 0;
	long denied = 0;
	if (runs < 1 || runs > 64)
		runs = N_RUNS;
	/* The interposer must see a libc-internal allocation, or "0" would mean nothing. */
	unsigned long before = g_allocs;
	char *probe = strdup("probe");
	if (probe == NULL || g_allocs == before) {
		fprintf(stderr, "malloc interposer is not active\n");
		return 1;
	}
	free(probe);
	make_world(&w);
	int64_t now = ts("2026-03-16T10:00:00Z");
	for (int r = 0; r < runs; r++) {
		ns[r] = run(&w, now, &allocs, &denied);
		total_allocs += allocs;
	}
	qsort(ns, (size_t)runs, sizeof ns[0], cmp_double);
	printf("policy_decide: %d events per dossier, %d decisions x %d runs\n", N_EVENTS,
	       ITERATIONS, runs);
	printf("ns per decision: median %.0f (min %.0f, max %.0f)\n", ns[runs / 2], ns[0],
	       ns[runs - 1]);
	printf("heap allocations per decision: %.4f\n",
	       (double)total_allocs / ((double)ITERATIONS * runs));
	printf("share denied: %.1f%%\n", 100.0 * (double)denied / ((double)ITERATIONS * runs));
	return 0;
}
