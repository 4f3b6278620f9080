/* wik.c - the statutory scale of collection costs (WIK), in exact integer cents. */
#include "policy_int.h"

/* One bracket of the scale: up to `upto` cents of principal at `permille`/1000. */
struct wik_bracket {
	int64_t upto;
	int64_t permille;
};

/*
 * Besluit vergoeding voor buitengerechtelijke incassokosten, art. 2: 15% of
 * the first EUR 2,500, 10% of the next 2,500, 5% of the next 5,000, 1% of the
 * next 190,000 and 0.5% of the rest; at least EUR 40, at most EUR 6,775.
 */
static const struct wik_bracket wik_scale[] = {
    {250000, 150}, {500000, 100}, {1000000, 50}, {20000000, 10}, {INT64_MAX, 5},
};

#define WIK_MIN_CENTS 4000
#define WIK_MAX_CENTS 677500

/*
 * Each bracket is computed exactly in thousandths of a cent; the sum is
 * rounded half up to the cent once, then held between the minimum and the
 * maximum. VAT (21%) goes on top of that, again rounded half up to the cent.
 * A principal of zero or less has no costs.
 */
int64_t wik_max_cents(int64_t principal_cents, bool vat)
{
	if (principal_cents <= 0)
		return 0;
	int64_t milli = 0, below = 0;
	for (size_t i = 0; i < sizeof wik_scale / sizeof wik_scale[0]; i++) {
		const struct wik_bracket *b = &wik_scale[i];
		int64_t part = (principal_cents < b->upto ? principal_cents : b->upto) - below;
		if (part <= 0)
			break;
		if (part > WIK_MAX_CENTS * 1000) /* the cap is reached long before */
			part = WIK_MAX_CENTS * 1000;
		milli += part * b->permille;
		below = b->upto;
	}
	int64_t cents = (milli + 500) / 1000;
	if (cents < WIK_MIN_CENTS)
		cents = WIK_MIN_CENTS;
	if (cents > WIK_MAX_CENTS)
		cents = WIK_MAX_CENTS;
	return vat ? (cents * 121 + 50) / 100 : cents;
}
