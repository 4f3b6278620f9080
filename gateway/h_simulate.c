/* h_simulate.c - POST /v1/simulate: decided on a stored or draft contract, nothing recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "decision_json.h"
#include "dossier_load.h"
#include "handlers.h"
#include "input.h"
#include "mem.h"
#include "policy.h"

#define CLOCK_SKEW_S 60 /* "at" may lie this far ahead of our clock */

/*
 * A simulation is parsed, then waits while its dossier loads (on the loop),
 * then is decided and answered from the load callback. It writes nothing:
 * no decision row, no audit record, no outbox message.
 */
struct sim {
	char dossier_id[CONTRACT_ID_MAX];
	struct escalation_request er;
	bool has_draft;
	struct contract draft; /* the body's "contract", when given */
	int64_t at;            /* the moment decided at: the body's "at", else now */
};

/* Copies a nested reader's errors into errs, with their pointers under `at`. */
static bool nest_errors(const struct contract_errors *sub, const char *at,
                        struct contract_errors *errs)
{
	char pointer[256];
	for (int i = 0; i < sub->count; i++) {
		snprintf(pointer, sizeof(pointer), "%s%s", at, sub->items[i].pointer);
		contract_errors_add(errs, pointer, "%s", sub->items[i].message);
	}
	if (sub->truncated)
		errs->truncated = true;
	return sub->count == 0 && !sub->truncated;
}

static bool read_request(const json_t *v, const char *at, void *dst,
                         struct contract_errors *errs)
{
	struct contract_errors sub;
	return escalation_read(v, dst, &sub) || nest_errors(&sub, at, errs);
}

static bool read_draft(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	struct contract_errors sub;
	return contract_from_json(v, dst, &sub) || nest_errors(&sub, at, errs);
}

static bool read_at(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	if (!json_is_string(v) || !timestamp_parse(json_string_value(v), dst)) {
		contract_errors_add(
		    errs, at,
		    "must be an RFC 3339 timestamp such as 2026-11-02T10:30:00+01:00");
		return false;
	}
	return true;
}

/* Reads the body {dossier_id, request, contract?, at?}; false with every error in errs. */
static bool sim_read(const json_t *body, struct sim *s, struct contract_errors *errs)
{
	const struct contract_field f[] = {
	    {.name = "dossier_id", .kind = CFIELD_ID, .required = true, .dst = s->dossier_id},
	    {.name = "request",
	     .kind = CFIELD_CUSTOM,
	     .required = true,
	     .dst = &s->er,
	     .read = read_request},
	    {.name = "contract", .kind = CFIELD_CUSTOM, .dst = &s->draft, .read = read_draft},
	    {.name = "at", .kind = CFIELD_CUSTOM, .dst = &s->at, .read = read_at},
	};
	int64_t now = (int64_t)time(NULL);
	s->at = now;
	contract_errors_init(errs);
	contract_fields_read(body, "", f, (int)(sizeof(f) / sizeof(f[0])), errs);
	if (errs->count == 0 && s->at > now + CLOCK_SKEW_S)
		contract_errors_add(errs, "/at", "must not lie in the future");
	s->has_draft = json_object_get(body, "contract") != NULL;
	return errs->count == 0 && !errs->truncated;
}

/* Decides under the draft, or the version in force at s->at, and shapes the answer. */
static json_t *sim_decide(const struct sim *s, struct dossier_ctx *c)
{
	struct policy_input in;
	struct decision dec;
	char at[21];
	if (s->has_draft) {
		c->contract = s->draft;
		snprintf(c->contract.creditor_id, sizeof(c->contract.creditor_id), "%s",
		         c->creditor_id);
	}
	dossier_policy_input(c, s->at, &in);
	policy_decide(&in, &s->er, &dec);
	timestamp_format(s->at, at);
	return json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:b}, s:o, s:b, s:s}", "decision",
	                 dec.allow ? "allow" : "deny", "dossier_id", c->id, "action",
	                 action_name(s->er.action), "contract", "id", c->contract.id, "version",
	                 c->contract.version, "draft", s->has_draft, "reasons",
	                 reasons_to_json(&dec), "simulated", 1, "at", at);
}

static void load_problem(struct req *r, enum load_status st)
{
	req_problem(r,
	            st == LOAD_UNAVAILABLE ? 503
	            : st == LOAD_CORRUPT   ? 500
	                                   : 404,
	            st == LOAD_UNAVAILABLE ? "unavailable"
	            : st == LOAD_CORRUPT   ? "corrupt"
	                                   : "not_found",
	            st == LOAD_UNAVAILABLE ? "the database is unavailable; try again"
	            : st == LOAD_CORRUPT   ? "the dossier could not be read"
	                                   : "no such dossier of yours",
	            NULL);
}

static void sim_loaded(void *arg, enum load_status st, struct dossier_ctx *c)
{
	struct req *r = arg;
	struct sim *s = r->state;
	if (st != LOAD_OK || !dossier_visible(c, &r->who))
		load_problem(r, st == LOAD_OK ? LOAD_NOT_FOUND : st);
	else if (s->has_draft && strcmp(s->draft.partner_id, c->partner.id) != 0)
		req_field_error(r, "/contract/partner_id", "must be the dossier's partner, %s",
		                c->partner.id);
	else if (!s->has_draft && !c->has_contract)
		req_problem(r, 409, "no_contract_in_force",
		            "no version of the dossier's contract is in force at that moment",
		            NULL);
	else
		req_reply_json(r, 200, sim_decide(s, c));
	dossier_ctx_free(c);
}

void h_simulate(struct req *r)
{
	struct contract_errors errs;
	struct sim *s = xcalloc(1, sizeof(*s));
	r->state = s;
	r->state_free = free;
	if (!sim_read(r->body, s, &errs)) {
		reply_errors(r, &errs);
		return;
	}
	dossier_load(r->srv, s->dossier_id, s->at, sim_loaded, r);
}
