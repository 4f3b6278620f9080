/* rule_letters.c - R13 approved_letters: letters only on templates the creditor approved. */
#include <string.h>

#include "policy_int.h"

/* True when tmpl is one of the contract's approved letter templates. */
bool template_approved(const struct contract_terms *t, const char *tmpl)
{
	if (tmpl == NULL || tmpl[0] == '\0')
		return false;
	for (int i = 0; i < t->n_templates && i < CONTRACT_TEMPLATES_MAX; i++)
		if (strcmp(t->templates[i], tmpl) == 0)
			return true;
	return false;
}

/*
 * R13. Sources: seed 004 (communication checked for language level by
 * Stichting ABC and others), seed 003 (yearly check of letters' language
 * level), M4 (clear, understandable information). A letter_sent fact whose
 * template the contract does not list is refused.
 */
void rule_r13_letter(const struct rule_ctx *c, const struct event *ev, struct decision *out)
{
	if (template_approved(c->terms, ev->template_id))
		return;
	struct reason *r = reason_add(out, RULE_R13, "approved_letter_templates");
	reason_msg(r,
	           "De brief gebruikt sjabloon '%s'. De schuldeiser heeft dat sjabloon niet "
	           "goedgekeurd.",
	           "The letter uses template '%s', which the creditor has not approved.",
	           ev->template_id);
	if (c->terms->n_templates > 0)
		reason_remedy(r, "Gebruik een goedgekeurd sjabloon, bijvoorbeeld '%s'.",
		              "Use an approved template, for example '%s'.",
		              c->terms->templates[0]);
	else
		reason_remedy(r, "Vraag de schuldeiser eerst een sjabloon goed te keuren.",
		              "Ask the creditor to approve a template first.");
}
