/* routes.c - the routing table: method, path, roles, handler. */
#include "handlers.h"

#define CR ROLE_CREDITOR
#define PA ROLE_PARTNER
#define MO ROLE_MONITOR
#define AD ROLE_ADMIN

const struct route routes[] = {
	{EVHTTP_REQ_GET, "/healthz", 0, h_healthz, "healthz", 0},
	{EVHTTP_REQ_GET, "/readyz", 0, h_readyz, "readyz", 0},
	{EVHTTP_REQ_GET, "/metrics", 0, h_metrics, "metrics", 0},
	{EVHTTP_REQ_GET, "/openapi.json", 0, h_openapi, "openapi", 0},
	{EVHTTP_REQ_GET, "/dashboard", 0, h_dashboard, "dashboard", 0},
	{EVHTTP_REQ_GET, "/v1/outbox", AD | CR | PA, h_outbox_list, "outbox.list", 0},
	{EVHTTP_REQ_POST, "/v1/partners", AD, h_partner_create, "partners.create", 0},
	{EVHTTP_REQ_GET, "/v1/partners/*", ROLE_ANY, h_partner_get, "partners.get", 0},
	{EVHTTP_REQ_POST, "/v1/contracts", CR, h_contract_create, "contracts.create", 0},
	{EVHTTP_REQ_GET, "/v1/contracts/*", CR | PA | MO, h_contract_get, "contracts.get", 0},
	{EVHTTP_REQ_POST, "/v1/exceptions", CR, h_exception_create, "exceptions.create", 0},
	{EVHTTP_REQ_POST, "/v1/dossiers", CR, h_dossier_create, "dossiers.create", 0},
	{EVHTTP_REQ_GET, "/v1/dossiers/*", CR | PA | MO, h_dossier_get, "dossiers.get", 0},
	{EVHTTP_REQ_POST, "/v1/dossiers/*/events", CR | PA, h_event_create, "events.create", 0},
	{EVHTTP_REQ_POST, "/v1/dossiers/*/escalations", PA, h_escalation_create, "escalations.create",
	 ROUTE_IDEM_IN_HANDLER},
	{EVHTTP_REQ_GET, "/v1/decisions/*", CR | PA | MO, h_decision_get, "decisions.get", 0},
	{EVHTTP_REQ_POST, "/v1/simulate", CR | MO, h_simulate, "simulate", 0},
	{EVHTTP_REQ_GET, "/v1/audit", MO | AD, h_audit_list, "audit.list", 0},
	{EVHTTP_REQ_GET, "/v1/audit/checkpoints", MO | AD, h_audit_checkpoints, "audit.checkpoints", 0},
	{EVHTTP_REQ_GET, "/v1/kpi", CR | MO, h_kpi, "kpi", 0},
	{EVHTTP_REQ_GET, "/v1/scorecard", CR | MO, h_scorecard, "scorecard", 0},
	{EVHTTP_REQ_GET, "/v1/reports/self-assessment", CR | MO, h_self_assessment, "reports.self_assessment", 0},
};

const size_t n_routes = sizeof(routes) / sizeof(routes[0]);
