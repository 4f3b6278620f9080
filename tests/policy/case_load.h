/* case_load.h - builds policy inputs from the readable JSON of cases.json (test support). */
#ifndef FAIRGATE_TEST_CASE_LOAD_H
#define FAIRGATE_TEST_CASE_LOAD_H

#include <jansson.h>

#include "policy.h"

#define CASE_EVENTS_MAX 64
#define CASE_ALLOWED_MAX 16
#define CASE_EXCEPTIONS_MAX 8

enum case_check { CASE_DECIDE, CASE_EVENT, CASE_HANDOVER };

/* One case, fully built: everything policy_* needs, plus what is expected. */
struct policy_case {
	const char *description;
	enum case_check check;
	struct contract contract;
	struct partner partner;
	struct dossier dossier;
	struct event events[CASE_EVENTS_MAX];
	struct prior_escalation allowed[CASE_ALLOWED_MAX];
	struct contract_exception exceptions[CASE_EXCEPTIONS_MAX];
	size_t n_exceptions;
	struct escalation_request request;
	struct event event; /* the fact under check (CASE_EVENT) */
	int64_t now;
	bool expect_allow;
	uint32_t expect_rules;  /* bit per rule id: unwaived reasons */
	uint32_t expect_waived; /* bit per rule id: waived reasons */
};

/*
 * Builds case `c` of the file `root` (which holds the named "contracts" and
 * "partners"). Returns false with a message in err on a malformed case.
 */
bool case_load(const json_t *root, const json_t *c, struct policy_case *out, char *err,
               size_t cap);

#endif
