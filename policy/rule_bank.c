/* rule_bank.c - R01 no_bank_seizure: no bank seizure unless the contract allows it. */
#include "policy_int.h"

/*
 * R01. Source: seed 004 (best practices, contract terms with partners):
 * "Het niet leggen van bankbeslag". Contract term: bank_seizure_allowed
 * (default false). Applies to the bank_seizure action only.
 */
void rule_r01_bank(const struct rule_ctx *c, struct decision *out)
{
	if (c->action != ACTION_BANK_SEIZURE || c->terms->bank_seizure_allowed)
		return;
	struct reason *r = reason_add(out, RULE_R01, "bank_seizure_allowed");
	reason_msg(r, "Beslag op de bankrekening mag niet volgens dit contract.",
	           "This contract does not allow bank seizure.");
	reason_remedy(r,
	              "Kies een andere stap. Alleen de schuldeiser kan dit in het contract "
	              "toestaan.",
	              "Choose another step. Only the creditor can allow this in the contract.");
}
