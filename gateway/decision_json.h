/* decision_json.h - the JSON forms of decisions, reasons and dossier state. */
#ifndef FAIRGATE_DECISION_JSON_H
#define FAIRGATE_DECISION_JSON_H

#include <jansson.h>

#include "policy.h"

/* [{rule, name, clause, waived, exception_id?, message_nl, message_en, remedy, remedy_nl}] */
json_t *reasons_to_json(const struct decision *d);
/* The rule codes of the unwaived reasons, as a PostgreSQL array literal {R01,R03}. */
void denying_rules_literal(const struct decision *d, char *out, size_t len);
/* What a decision's body says besides its reasons (h_escalations.c). */
struct decision_body {
	const char *decision_id, *dossier_id, *action, *contract_id, *decided_at;
	int contract_version;
	int audit_chain;
	long long audit_seq;
};

/*
 * The body of a decision as answered and stored, malloc'd: {action, audit_chain,
 * audit_seq, contract: {id, version}, decided_at, decision, decision_id,
 * dossier_id, reasons}, byte for byte what json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) gives of the same tree with reasons_to_json's reasons, written
 * straight into one buffer: building and dumping the tree cost ~13 us per
 * decision. Strings must be valid UTF-8 (they are: the policy's texts, and
 * ids and clauses that came through jansson). Aborts on out-of-memory.
 */
char *decision_body_json(const struct decision_body *b, const struct decision *d);
/* The derived state of a dossier, for GET /v1/dossiers/{id}. */
json_t *state_to_json(const struct dossier_state *st);

#endif
