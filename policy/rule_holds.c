/* rule_holds.c - situations that stop collection: R06 debt help, R07 dispute, R08 arrangement,
 * R09 referral first. */
#include "policy_int.h"

static const char *const debt_help_nl[DEBT_HELP__COUNT] = {
    "De klant krijgt hulp bij schulden.",
    "Voor de klant geldt een adempauze (moratorium).",
    "De klant zit in de wettelijke schuldsanering (WSNP).",
};
static const char *const debt_help_en[DEBT_HELP__COUNT] = {
    "The debtor is in debt help.",
    "The debtor is under a (broad) moratorium.",
    "The debtor is in statutory debt rescheduling (WSNP).",
};

/* R06 at handover: the creditor already knows of debt help. */
static void r06_handover(struct decision *out)
{
	struct reason *r = reason_add(out, RULE_R06, "debt_help");
	reason_msg(r, "De klant krijgt hulp bij schulden. Dan geven we het dossier niet over.",
	           "The debtor is in debt help. The dossier is not handed over then.");
	reason_remedy(r, "Houd het dossier bij de schuldeiser en werk mee met de schuldhulp.",
	              "Keep the dossier with the creditor and cooperate with debt help.");
}

/*
 * R06. Sources: K1 (cooperate with debt help, seed 002), M3 (inability, not
 * unwillingness, seed 000/001), the broad moratorium (seed 002, section 2).
 * While debt help, a moratorium or WSNP runs (the handover flag or the last
 * debt_help_started not followed by debt_help_ended), every escalation is
 * denied. extend_duration is no escalation: it adds no cost or pressure.
 * At handover the debt_help flag refuses the handover.
 */
void rule_r06_debt_help(const struct rule_ctx *c, struct decision *out)
{
	if (c->st == NULL) {
		if (c->in->dossier->flags & DOSSIER_FLAG_DEBT_HELP)
			r06_handover(out);
		return;
	}
	if (!action_is_escalation(c->action) || !c->st->debt_help_active)
		return;
	enum debt_help_kind k = (unsigned)c->st->debt_help_kind < DEBT_HELP__COUNT
	                            ? c->st->debt_help_kind
	                            : DEBT_HELP_DEBT_HELP;
	struct reason *r = reason_add(out, RULE_R06, "debt_help");
	text_append(r->message_nl, sizeof r->message_nl,
	            "%s Dan zetten we geen stappen om te innen.", debt_help_nl[k]);
	text_append(r->message_en, sizeof r->message_en,
	            "%s No collection steps are taken then.", debt_help_en[k]);
	reason_remedy(
	    r, "Wacht tot de schuldhulp klaar is. Werk mee met de schuldhulpverlener.",
	    "Wait until debt help has ended, and cooperate with the debt counsellor.");
}

/*
 * R07. Sources: M4 (clear information) and M5 (clear agreements), seed
 * 000/001. While a dispute is open (handover flag, or dispute_opened not
 * followed by dispute_resolved) every escalation is denied.
 */
void rule_r07_dispute(const struct rule_ctx *c, struct decision *out)
{
	if (!action_is_escalation(c->action) || !c->st->dispute_open)
		return;
	struct reason *r = reason_add(out, RULE_R07, "dispute");
	reason_msg(
	    r,
	    "De klant is het niet eens met de vordering. Zolang dat zo is, zetten we "
	    "geen volgende stap.",
	    "The debtor disputes the claim. While the dispute is open, no further step is "
	    "taken.");
	reason_remedy(r,
	              "Beantwoord eerst het bezwaar en leg de uitkomst vast "
	              "(dispute_resolved).",
	              "Answer the dispute first and record its outcome (dispute_resolved).");
}

/*
 * R08. Sources: M3 and M5 (seed 000/001), K5 (a fitting payment arrangement,
 * seed 002). While an arrangement is agreed and not broken, every escalation
 * is denied. extend_duration stays possible: a long arrangement is the
 * typical reason to extend.
 */
void rule_r08_arrangement(const struct rule_ctx *c, struct decision *out)
{
	if (!action_is_escalation(c->action) || !c->st->arrangement_active)
		return;
	struct reason *r = reason_add(out, RULE_R08, "payment_arrangement");
	reason_msg(r,
	           "De klant heeft een betalingsregeling en houdt zich daaraan. Dan zetten we "
	           "geen volgende stap.",
	           "The debtor has a payment arrangement and keeps to it. No further step is "
	           "taken then.");
	reason_remedy(r,
	              "Laat de regeling doorlopen. Stopt de klant met betalen? Leg dan vast "
	              "dat de regeling niet is nagekomen (arrangement_broken).",
	              "Let the arrangement run. Only if the debtor stops paying, record "
	              "arrangement_broken.");
}

/*
 * R09. Sources: M7 (refer to the right help, seed 000/001), K1 (seed 002),
 * seed 004 "opeenstapeling van incasso's": when the debtor shared other
 * arrears (other_arrears_shared with creditors > 0 or an amount) or a
 * financial_problems flag is set, every escalation is denied until a
 * referral is recorded on the dossier (at any time).
 */
void rule_r09_referral(const struct rule_ctx *c, struct decision *out)
{
	const struct dossier_state *s = c->st;
	if (!action_is_escalation(c->action) || s->referral_recorded ||
	    !(s->other_arrears_shared || s->financial_problems))
		return;
	struct reason *r = reason_add(out, RULE_R09, "referral");
	reason_msg(
	    r,
	    "De klant heeft ook andere schulden of geldproblemen. Verwijs de klant eerst "
	    "door naar hulp.",
	    "The debtor has other arrears or money problems. Refer the debtor to help "
	    "first.");
	reason_remedy(r,
	              "Verwijs de klant door, bijvoorbeeld naar Geldfit, een budgetcoach of de "
	              "gemeente. Leg dat vast (referral).",
	              "Refer the debtor, for example to Geldfit, a budget coach or the "
	              "municipality, and record the referral.");
}
