/* rule_duration.c - time limits: R04 maximum duration, R05 the bailiff's shortened amicable
 * track. */
#include "policy_int.h"

int policy_extension_days(int asked)
{
	return asked > 0 ? asked : POLICY_EXTEND_DEFAULT_DAYS;
}

/* R04 for extend_duration: once per dossier, bounded, and it must still help. */
static void r04_extension(const struct rule_ctx *c, struct decision *out)
{
	const struct dossier_state *s = c->st;
	int max = c->terms->max_duration_days;
	int days = policy_extension_days(c->req->extend_days);
	struct reason *r;
	if (s->n_extensions > 0) {
		r = reason_add(out, RULE_R04, "max_duration_days");
		reason_msg(
		    r, "De looptijd is al een keer verlengd. Dat mag maar één keer.",
		    "The duration was already extended once. That is allowed only once.");
	} else if (days > max) {
		r = reason_add(out, RULE_R04, "max_duration_days");
		reason_msg(r, "U vraagt %d dagen extra. Dat mag ten hoogste %d dagen zijn.",
		           "You ask for %d more days; at most %d are allowed.", days, max);
		reason_remedy(r, "Vraag ten hoogste %d dagen.", "Ask for at most %d days.",
		              max);
		return;
	} else if (s->max_duration_until + days < s->today) {
		r = reason_add(out, RULE_R04, "max_duration_days");
		reason_msg(
		    r, "Ook met %d dagen extra is de looptijd voorbij. Die zou eindigen op %j.",
		    "Even with %d more days the duration has passed: it would end on %J.", days,
		    s->max_duration_until + days);
	} else {
		return;
	}
	reason_remedy(r, "Geef het dossier terug aan de schuldeiser.",
	              "Return the dossier to the creditor.");
}

/*
 * R04. Source: seed 004 "maximale looptijd, geen onnodig lange trajecten".
 * Contract term max_duration_days counts from the handover day (Amsterdam):
 * the last day with the partner is handed_over_day + max_duration_days +
 * the days of an allowed extension; from the day after it, every escalation
 * is denied and the dossier should go back to the creditor. Only while the
 * dossier is amicable (phase amicable, no summons served). There is no
 * "transfer back" action: extend_duration is the way out, allowed once per
 * dossier, for extend_days (default 30, at most max_duration_days), counted
 * from the current last day, and only if the new last day is today or later.
 */
void rule_r04_duration(const struct rule_ctx *c, struct decision *out)
{
	if (!c->st->amicable)
		return;
	if (c->action == ACTION_EXTEND_DURATION) {
		r04_extension(c, out);
		return;
	}
	if (!c->st->past_max_duration)
		return;
	struct reason *r = reason_add(out, RULE_R04, "max_duration_days");
	reason_msg(
	    r, "De maximale looptijd van dit dossier is voorbij. Die liep tot en met %j.",
	    "The maximum duration of this dossier has passed. It ran up to and including "
	    "%J.",
	    c->st->max_duration_until);
	reason_remedy(r, "Geef het dossier terug aan de schuldeiser.",
	              "Return the dossier to the creditor.");
}

/* R05 on the shortened track: amicable first, then judicial. */
static void r05_shortened(const struct rule_ctx *c, struct decision *out)
{
	int32_t first_judicial = c->st->handed_over_day + c->terms->shortened_amicable_days;
	struct reason *r;
	if (action_is_amicable(c->action) && c->today >= first_judicial) {
		r = reason_add(out, RULE_R05, "shortened_amicable_days");
		reason_msg(
		    r, "Het verkorte minnelijke traject is voorbij. Het liep tot en met %j.",
		    "The shortened amicable track has ended. It ran up to and including %J.",
		    first_judicial - 1);
		reason_remedy(r,
		              "Deze stap kan niet meer. Kies een stap in het gerechtelijke "
		              "traject.",
		              "This step is no longer possible. Choose a judicial step.");
	} else if (action_is_judicial(c->action) && c->today < first_judicial) {
		r = reason_add(out, RULE_R05, "shortened_amicable_days");
		reason_msg(
		    r,
		    "Het verkorte minnelijke traject loopt nog tot en met %j. Een "
		    "gerechtelijke stap kan pas daarna.",
		    "The shortened amicable track runs up to and including %J. A judicial "
		    "step can only come after it.",
		    first_judicial - 1);
		reason_remedy(r, "Niet eerder dan %j.", "Not before %J.", first_judicial);
	}
}

/*
 * R05. Source: seed 004 "Per dossier wordt specifiek aangegeven of er eerst
 * nog een verkort minnelijk traject van 2 weken mag worden doorlopen".
 * Only for dossiers handed to a bailiff. With the shortened track the
 * amicable actions (collection_costs, credit_registration, extend_duration)
 * are allowed on the handover day and the shortened_amicable_days - 1 days
 * after it; judicial actions from handover + shortened_amicable_days on.
 * Without the track a bailiff takes no amicable actions at all.
 */
void rule_r05_shortened(const struct rule_ctx *c, struct decision *out)
{
	if (c->in->partner->kind != PARTNER_BAILIFF)
		return;
	if (c->in->dossier->shortened_track) {
		r05_shortened(c, out);
		return;
	}
	if (!action_is_amicable(c->action))
		return;
	struct reason *r = reason_add(out, RULE_R05, "shortened_amicable_days");
	reason_msg(
	    r,
	    "Dit dossier heeft geen verkort minnelijk traject. Een deurwaarder zet dan "
	    "geen minnelijke stappen.",
	    "This dossier has no shortened amicable track, so a bailiff takes no amicable "
	    "steps.");
	reason_remedy(r,
	              "Kies een stap in het gerechtelijke traject, of geef het dossier terug "
	              "aan de schuldeiser.",
	              "Choose a judicial step, or return the dossier to the creditor.");
}
