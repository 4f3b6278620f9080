/* rule_costs.c - R10 wik_costs: collection costs within the WIK scale, after the 14 days, once.
 */
#include "policy_int.h"

/* R10, timing: a fourteen-day letter must have run out. */
static void r10_timing(const struct rule_ctx *c, struct reason *r)
{
	const struct dossier_state *s = c->st;
	if (!s->fourteen_day_letter_sent) {
		reason_msg(
		    r,
		    "Er is nog geen veertiendagenbrief verstuurd. Zonder die brief mogen "
		    "geen incassokosten worden gerekend. ",
		    "No fourteen-day letter was sent. Without it, no collection costs may be "
		    "charged. ");
		reason_remedy(
		    r,
		    "Stuur eerst een veertiendagenbrief en wacht 14 dagen na "
		    "ontvangst. ",
		    "Send a fourteen-day letter first and wait 14 days after receipt. ");
	} else if (c->today < s->fourteen_day_expires) {
		reason_msg(r, "De 14 dagen na de veertiendagenbrief zijn nog niet voorbij. ",
		           "The 14 days after the fourteen-day letter have not passed yet. ");
		reason_remedy(r, "Niet eerder dan %j. ", "Not before %J. ",
		              s->fourteen_day_expires);
	}
}

/* R10, amount: stated, positive, and within the WIK maximum. */
static void r10_amount(const struct rule_ctx *c, struct reason *r, int64_t cap)
{
	const struct escalation_request *q = c->req;
	const char *vat_nl = c->terms->costs_vat ? " (met btw)" : "";
	const char *vat_en = c->terms->costs_vat ? " (VAT included)" : "";
	if (!q->has_amount || q->amount_cents <= 0) {
		reason_msg(r, "Geef het bedrag aan dat u wilt rekenen. ",
		           "State the amount you want to charge. ");
	} else if (q->amount_cents > cap) {
		reason_msg(r, "U vraagt %c. Volgens de wet is het hoogste bedrag %c",
		           "You ask %C. By law (WIK) the most is %C", q->amount_cents, cap);
		text_append(r->message_nl, sizeof r->message_nl, "%s. ", vat_nl);
		text_append(r->message_en, sizeof r->message_en, "%s. ", vat_en);
	} else {
		return;
	}
	reason_remedy(r, "Vraag ten hoogste %c.", "Charge at most %C.", cap);
}

/* True when a reason was started and needs R10. */
static bool r10_applies(const struct rule_ctx *c, int64_t cap)
{
	const struct dossier_state *s = c->st;
	const struct escalation_request *q = c->req;
	return s->n_costs_charged > 0 || !s->fourteen_day_letter_sent ||
	       c->today < s->fourteen_day_expires || !q->has_amount || q->amount_cents <= 0 ||
	       q->amount_cents > cap;
}

/*
 * R10. Sources: WIK (art. 6:96 BW and the Besluit vergoeding voor
 * buitengerechtelijke incassokosten, seed 002 section 2), K6 (limited costs
 * in the amicable phase, seed 002). For collection_costs: the amount must be
 * stated and at most wik_max_cents(principal, costs_vat); a fourteen-day
 * letter must have expired (first allowed day: fourteen_day_expires); costs
 * may be charged once per dossier (a costs_charged event or an allowed
 * collection_costs before means no more).
 */
void rule_r10_costs(const struct rule_ctx *c, struct decision *out)
{
	if (c->action != ACTION_COLLECTION_COSTS)
		return;
	int64_t cap = wik_max_cents(c->in->dossier->principal_cents, c->terms->costs_vat);
	if (!r10_applies(c, cap))
		return;
	struct reason *r = reason_add(out, RULE_R10, "collection_costs");
	if (c->st->n_costs_charged > 0) {
		reason_msg(r, "Er zijn al incassokosten gerekend. Dat mag maar één keer.",
		           "Collection costs were already charged. That is allowed only once.");
		reason_remedy(r, "Reken geen kosten meer.", "Do not charge costs again.");
		return;
	}
	r10_timing(c, r);
	r10_amount(c, r, cap);
}
