/* decision_json.h - the JSON forms of decisions, reasons and dossier state. */
#ifndef FAIRGATE_DECISION_JSON_H
#define FAIRGATE_DECISION_JSON_H

#include <jansson.h>

#include "policy.h"

/* [{rule, name, clause, waived, exception_id?, message_nl, message_en, remedy, remedy_nl}] */
json_t *reasons_to_json(const struct decision *d);
/* The rule codes of the unwaived reasons, as a PostgreSQL array literal {R01,R03}. */
void denying_rules_literal(const struct decision *d, char *out, size_t len);
/* The derived state of a dossier, for GET /v1/dossiers/{id}. */
json_t *state_to_json(const struct dossier_state *st);

#endif
