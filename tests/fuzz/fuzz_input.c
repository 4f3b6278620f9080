/* fuzz_input.c - libFuzzer target: the request-body readers (handover, fact, escalation) on any input. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, so the fuzzer keeps the input. */
static void require(bool ok)
{
	if (!ok)
		abort();
}

/* A refusal carries errors that serialise into a 422 body; an acceptance none. */
static void check(bool ok, const struct contract_errors *errs)
{
	json_t *list = contract_errors_to_json(errs);
	require(list != NULL);
	require(ok == (json_array_size(list) == 0));
	json_decref(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t now = 1795000000; /* a fixed clock keeps runs reproducible */
	struct contract_errors errs;
	struct handover h;
	struct event ev;
	struct escalation_request er;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(doc)) {
		json_decref(doc);
		return 0;
	}
	check(handover_read(doc, now, &h, &errs), &errs);
	check(event_read(doc, now, &ev, &errs), &errs);
	check(escalation_read(doc, &er, &errs), &errs);
	json_decref(doc);
	return 0;
}
