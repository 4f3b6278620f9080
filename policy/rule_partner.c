/* rule_partner.c - who may act: R02 fee model, R12 WKI registration, R14 allowed actions, R16
 * partner kind. */
#include "policy_int.h"

/*
 * R02. Source: seed 004: "Het niet afsluiten van no cure no pay contracten".
 * A partner paid only on success has a reason to push; the contract is
 * refused when registered, and a handover or request under it as well.
 */
void rule_r02_fee_model(const struct rule_ctx *c, struct decision *out)
{
	if (c->terms->fee_model != FEE_NO_CURE_NO_PAY)
		return;
	struct reason *r = reason_add(out, RULE_R02, "fee_model");
	reason_msg(r,
	           "Dit contract betaalt het bureau alleen bij succes (no cure no pay). Dat "
	           "mag niet: het zet de klant onder druk.",
	           "This contract pays the partner only on success (no cure no pay). That is "
	           "not allowed: it puts pressure on the debtor.");
	reason_remedy(r,
	              "Spreek een ander tarief af, bijvoorbeeld een vast bedrag per dossier.",
	              "Agree on another fee model, for example a fixed fee per dossier.");
}

/*
 * R12. Source: seed 002, section 2 (legal frame): Wet kwaliteit
 * incassodienstverlening (WKI, 2024). An agency must be registered on the
 * day it matters: the handover day at handover, today at a decision (so it
 * is denied from the first day after wki_valid_until). Bailiffs are exempt.
 */
void rule_r12_registered(const struct rule_ctx *c, int32_t day, struct decision *out)
{
	const struct partner *p = c->in->partner;
	if (p->kind != PARTNER_AGENCY || (p->has_wki && day <= p->wki_valid_until))
		return;
	struct reason *r = reason_add(out, RULE_R12, "wki_registration");
	reason_msg(r,
	           "Dit incassobureau staat op %j niet ingeschreven in het WKI-register. "
	           "Zonder inschrijving mag het niet innen.",
	           "This agency has no valid WKI registration on %J. Without it, it may not "
	           "collect.",
	           day);
	reason_remedy(
	    r,
	    "Laat het bureau eerst de inschrijving vernieuwen, of kies een ander "
	    "bureau.",
	    "Have the agency renew its registration first, or choose another agency.");
}

/*
 * R14. Source: seed 000/001, promise M10 ("een proces dat past bij ons
 * sociale incassobeleid"): the partner may only take the steps the creditor
 * listed in allowed_actions. An unknown action is denied here too.
 */
void rule_r14_allowed(const struct rule_ctx *c, struct decision *out)
{
	if ((unsigned)c->action < ACTION__COUNT &&
	    (c->terms->allowed_actions & (1u << c->action)) != 0)
		return;
	struct reason *r = reason_add(out, RULE_R14, "allowed_actions");
	text_append(r->message_nl, sizeof r->message_nl,
	            "Het contract staat deze stap niet toe: %s.", action_nl(c->action));
	text_append(r->message_en, sizeof r->message_en,
	            "The contract does not allow this step: %s.", action_en(c->action));
	reason_remedy(r, "Kies een stap die het contract wel toestaat.",
	              "Choose a step the contract allows.");
}

/* R16 for an agency: the judicial route is the bailiff's. */
static void r16_agency(const struct rule_ctx *c, struct decision *out)
{
	struct reason *r = reason_add(out, RULE_R16, "partner_kind");
	text_append(r->message_nl, sizeof r->message_nl,
	            "Alleen een deurwaarder mag dit doen: %s. U bent een incassobureau.",
	            action_nl(c->action));
	text_append(r->message_en, sizeof r->message_en,
	            "Only a bailiff may take this step (%s); you are a collection agency.",
	            action_en(c->action));
	reason_remedy(r,
	              "Vraag in plaats daarvan om overdracht aan een deurwaarder "
	              "(transfer_to_bailiff).",
	              "Ask for transfer_to_bailiff instead.");
}

/*
 * R16. Source: seed 002, chapter 4 (phases): the amicable phase is the
 * agency's, the judicial phase the bailiff's ("Dit kan een schuldeiser of
 * een incassobureau niet"). A summons, a seizure or an eviction only by a
 * bailiff; a bailiff does not transfer to a bailiff.
 */
void rule_r16_partner_kind(const struct rule_ctx *c, struct decision *out)
{
	enum partner_kind kind = c->in->partner->kind;
	if (kind == PARTNER_AGENCY && action_is_judicial(c->action)) {
		r16_agency(c, out);
		return;
	}
	if (kind != PARTNER_BAILIFF || c->action != ACTION_TRANSFER_TO_BAILIFF)
		return;
	struct reason *r = reason_add(out, RULE_R16, "partner_kind");
	reason_msg(r, "Het dossier ligt al bij een deurwaarder.",
	           "The dossier is already with a bailiff.");
	reason_remedy(r, "Kies een andere stap.", "Choose another step.");
}
