/* exception.h - a creditor's written, time-bound waiver of one contract term. */
#ifndef FAIRGATE_EXCEPTION_H
#define FAIRGATE_EXCEPTION_H

#include "contract.h"

/*
 * Seed 002, section 1.4: deviating from policy needs a written exception
 * naming the part of the policy, a description, the reason and consequences,
 * the term, and how the risk is controlled. Here an exception waives one rule
 * (by its id, "R01".."R18") of one contract, for one partner, until a date.
 */
struct contract_exception {
	char id[CONTRACT_ID_MAX];
	int version;
	char contract_id[CONTRACT_ID_MAX];
	char partner_id[CONTRACT_ID_MAX];
	char rule[4];             /* "R01".."R18" */
	char clause[64];          /* the contract term it waives, e.g. "bank_seizure_allowed" */
	char reason[512];
	char scope[256];
	char decided_by[128];
	int32_t valid_from;  /* caldate */
	int32_t valid_until; /* caldate, inclusive */
};

bool exception_from_json(const json_t *doc, struct contract_exception *out,
			 struct contract_errors *errs);
json_t *exception_to_json(const struct contract_exception *e);
bool exception_in_force(const struct contract_exception *e, int32_t day);

#endif
