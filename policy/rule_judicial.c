/* rule_judicial.c - the court route: R11 last resort and proportionality, R17 a judgment before
 * execution. */
#include "policy_int.h"

/* R11, ratio: expected judicial costs against the outstanding principal. */
static void r11_ratio(const struct rule_ctx *c, struct decision *out, struct reason **r)
{
	int32_t ratio = c->terms->judicial_cost_ratio_max_milli;
	int64_t owed = c->st->outstanding_cents;
	if (ratio <= 0)
		return;
	if (!c->req->has_expected_costs) {
		if (*r == NULL)
			*r = reason_add(out, RULE_R11, "judicial_cost_ratio_max");
		reason_msg(
		    *r,
		    "Geef op hoeveel de kosten van de rechtszaak naar verwachting zijn. "
		    "Anders kunnen we niet zien of ze in verhouding zijn tot de schuld. ",
		    "State the expected judicial costs; without them proportionality cannot "
		    "be checked. ");
		reason_remedy(*r,
		              "Vraag opnieuw, met de verwachte kosten (expected_costs_cents). ",
		              "Ask again with expected_costs_cents. ");
		return;
	}
	int64_t most = (int64_t)ratio * owed / 1000;
	if (c->req->expected_costs_cents <= most)
		return;
	if (*r == NULL)
		*r = reason_add(out, RULE_R11, "judicial_cost_ratio_max");
	reason_msg(*r,
	           "De verwachte kosten (%c) zijn te hoog tegenover de schuld. Ze mogen ten "
	           "hoogste %c zijn. ",
	           "The expected costs (%C) are out of proportion to the debt: at most %C. ",
	           c->req->expected_costs_cents, most);
	reason_remedy(*r, "Zoek een goedkopere oplossing, zoals een betalingsregeling. ",
	              "Look for a cheaper solution, such as a payment arrangement. ");
}

/*
 * R11. Source: K7 (judicial route as last resort, costs in proportion to
 * the principal, seed 002). For a summons: the outstanding principal
 * (principal minus payments) must be at least summons_min_principal_cents,
 * and expected_costs_cents * 1000 may not exceed judicial_cost_ratio_max_milli
 * * outstanding. When a ratio is set, a summons request without
 * expected_costs_cents is denied: proportionality cannot be shown. A term of
 * 0 means "not set".
 */
void rule_r11_proportional(const struct rule_ctx *c, struct decision *out)
{
	if (c->action != ACTION_SUMMONS)
		return;
	struct reason *r = NULL;
	int64_t min = c->terms->summons_min_principal_cents;
	if (min > 0 && c->st->outstanding_cents < min) {
		r = reason_add(out, RULE_R11, "summons_min_principal_cents");
		reason_msg(
		    r, "De schuld is %c. Dagvaarden mag pas bij een schuld van %c of meer. ",
		    "The outstanding principal is %C. A summons needs at least %C. ",
		    c->st->outstanding_cents, min);
		reason_remedy(r, "Zoek een andere oplossing, zoals een betalingsregeling. ",
		              "Look for another solution, such as a payment arrangement. ");
	}
	r11_ratio(c, out, &r);
}

/*
 * R17. Source: K7 (summons, hearing, judgment, execution, seed 002) and seed
 * 002 chapter 4 ("Met een toegewezen vonnis kan beslag gelegd worden"): a
 * seizure (wage, goods, bank) or an eviction only after a judgment event.
 */
void rule_r17_title(const struct rule_ctx *c, struct decision *out)
{
	if (!action_needs_title(c->action) || c->st->judgment_recorded)
		return;
	struct reason *r = reason_add(out, RULE_R17, "judgment");
	text_append(
	    r->message_nl, sizeof r->message_nl,
	    "Voor deze stap (%s) is eerst een uitspraak van de rechter nodig. Die is niet "
	    "vastgelegd.",
	    action_nl(c->action));
	text_append(r->message_en, sizeof r->message_en,
	            "This step (%s) needs a court judgment first; none is recorded.",
	            action_en(c->action));
	reason_remedy(r, "Leg eerst het vonnis vast (judgment).", "Record the judgment first.");
}
