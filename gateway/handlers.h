/* handlers.h - the route handlers, one group per file (h_*.c). */
#ifndef FAIRGATE_HANDLERS_H
#define FAIRGATE_HANDLERS_H

#include "http.h"
#include "pgpool.h"

/* h_probes.c */
void h_healthz(struct req *r);
void h_readyz(struct req *r);
void h_metrics(struct req *r);
/* h_partners.c */
void h_partner_create(struct req *r);
void h_partner_get(struct req *r);
/* h_contracts.c */
void h_contract_create(struct req *r);
void h_contract_get(struct req *r);
void h_exception_create(struct req *r);
/* h_dossiers.c */
void h_dossier_create(struct req *r);
void h_dossier_get(struct req *r);
void h_event_create(struct req *r);
/* h_escalations.c */
void h_escalation_create(struct req *r);
void h_decision_get(struct req *r);
/* h_simulate.c */
void h_simulate(struct req *r);
/* h_docs.c */
void h_openapi(struct req *r);
void h_outbox_list(struct req *r);
/* h_dashboard.c */
void h_dashboard(struct req *r);
/* h_audit.c */
void h_audit_list(struct req *r);
void h_audit_checkpoints(struct req *r);
/* h_kpi.c, h_reports.c */
void h_kpi(struct req *r);
void h_scorecard(struct req *r);
void h_self_assessment(struct req *r);

/* Shared: 422 with a list of field errors. */
void reply_errors(struct req *r, const struct contract_errors *errs);
/*
 * Shared: the first row of a single-row read whose columns 1 and 2 are the
 * record's creditor_id and partner_id, when the principal may see it; else
 * replies 503 (no result) or 404 (absent or not visible) and returns NULL.
 */
const PGresult *scoped_row(struct req *r, struct pgjob *job, enum pgjob_status st, const char *what);
/* Shared: 422 with the policy's refusal reasons. */
void reply_refusal(struct req *r, const char *code, const char *detail, json_t *reasons);

#endif
