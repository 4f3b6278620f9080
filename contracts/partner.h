/* partner.h - collection agencies and bailiffs, with their WKI registration. */
#ifndef FAIRGATE_PARTNER_H
#define FAIRGATE_PARTNER_H

#include "contract.h"

struct partner {
	char id[CONTRACT_ID_MAX];
	enum partner_kind kind;
	char name[128];
	bool has_wki;        /* agencies must have one (R12) */
	char wki_number[32];
	int32_t wki_valid_until; /* caldate; registration valid up to and including */
	char webhook_url[256];   /* optional; empty when none */
};

/* Reads and validates {id, kind, name, wki_registration?, webhook_url?}. */
bool partner_from_json(const json_t *doc, struct partner *out,
		       struct contract_errors *errs);
json_t *partner_to_json(const struct partner *p);
/* An agency's WKI registration is valid on that day (bailiffs: always true). */
bool partner_registered_on(const struct partner *p, int32_t day);

#endif
