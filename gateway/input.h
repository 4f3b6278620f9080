/* input.h - strict readers for the request bodies of dossiers, facts and escalations. */
#ifndef FAIRGATE_INPUT_H
#define FAIRGATE_INPUT_H

#include <jansson.h>

#include "contract.h"
#include "policy.h"

#define DEBTOR_REF_MAX 65

/* POST /v1/dossiers */
struct handover {
	char id[CONTRACT_ID_MAX];
	char partner_id[CONTRACT_ID_MAX];
	char contract_id[CONTRACT_ID_MAX];
	char debtor_ref[DEBTOR_REF_MAX]; /* pseudonymous; never a name or a BSN */
	int64_t principal_cents;
	int32_t due_date;
	enum phase phase;
	bool shortened_track;
	uint32_t flags;
	bool has_handed_over_at;
	int64_t handed_over_at;
};

/*
 * Each reader fills *out from a request body and returns true, or returns
 * false with every problem in *errs (JSON pointer and message). now bounds
 * timestamps: none may lie in the future.
 */
bool handover_read(const json_t *body, int64_t now, struct handover *out,
		   struct contract_errors *errs);
bool event_read(const json_t *body, int64_t now, struct event *out, struct contract_errors *errs);
bool escalation_read(const json_t *body, struct escalation_request *out,
		     struct contract_errors *errs);
/* The flags as a JSON array of names. */
json_t *flags_to_json(uint32_t flags);

#endif
