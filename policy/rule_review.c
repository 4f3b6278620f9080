/* rule_review.c - R15 vulnerable_review: the creditor approves each escalation on a vulnerable
 * dossier. */
#include "policy_int.h"

/*
 * R15. Sources: K3 (extra care for vulnerable groups, seed 002), M8 (treat
 * different situations differently, seed 000/001). On a dossier flagged
 * vulnerable, an escalation needs a creditor_approval event for that action,
 * reported by the creditor. Each approval covers one allowed escalation: an
 * approval is used up once that action was allowed after it was counted.
 */
void rule_r15_vulnerable(const struct rule_ctx *c, struct decision *out)
{
	if (!action_is_escalation(c->action) ||
	    !(c->in->dossier->flags & DOSSIER_FLAG_VULNERABLE) ||
	    (c->st->approved_actions & (1u << c->action)))
		return;
	struct reason *r = reason_add(out, RULE_R15, "vulnerable");
	text_append(r->message_nl, sizeof r->message_nl,
	            "De klant is kwetsbaar. De schuldeiser moet eerst toestemming geven voor "
	            "deze stap: %s.",
	            action_nl(c->action));
	text_append(r->message_en, sizeof r->message_en,
	            "The debtor is vulnerable. The creditor must approve this step first: %s.",
	            action_en(c->action));
	reason_remedy(
	    r,
	    "Vraag de schuldeiser om toestemming. De schuldeiser legt die vast "
	    "(creditor_approval).",
	    "Ask the creditor to approve this step and to record it (creditor_approval).");
}
