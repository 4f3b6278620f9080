/* fuzz_contract.c - libFuzzer target: the contract, partner and exception readers on any input. */
#include "contract.h"
#include "exception.h"
#include "partner.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, so the fuzzer keeps the input. */
static void require(bool ok)
{
	if (!ok)
		abort();
}

/* A refusal has errors that serialise; an acceptance has none. */
static void check_errors(bool ok, const struct contract_errors *errs)
{
	json_t *list = contract_errors_to_json(errs);

	require(list != NULL);
	require(ok == (json_array_size(list) == 0));
	json_decref(list);
}

/* An accepted contract writes out to a document that reads back the same. */
static void check_contract(const uint8_t *data, size_t size)
{
	struct contract c, c2;
	struct contract_errors errs;
	bool ok = contract_parse((const char *)data, size, &c, &errs);
	json_t *out, *back;

	check_errors(ok, &errs);
	if (!ok)
		return;
	out = contract_to_json(&c);
	require(out != NULL && contract_from_json(out, &c2, &errs));
	back = contract_to_json(&c2);
	require(json_equal(out, back));
	json_decref(out);
	json_decref(back);
}

/* The same for partners and exceptions, from the parsed document. */
static void check_others(const json_t *doc)
{
	struct partner p, p2;
	struct contract_exception e, e2;
	struct contract_errors errs;
	json_t *out;
	bool ok;

	ok = partner_from_json(doc, &p, &errs);
	check_errors(ok, &errs);
	if (ok) {
		out = partner_to_json(&p);
		require(out != NULL && partner_from_json(out, &p2, &errs));
		json_decref(out);
	}
	ok = exception_from_json(doc, &e, &errs);
	check_errors(ok, &errs);
	if (ok) {
		out = exception_to_json(&e);
		require(out != NULL && exception_from_json(out, &e2, &errs));
		json_decref(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc;

	check_contract(data, size);
	doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (doc != NULL) {
		check_others(doc);
		json_decref(doc);
	}
	return 0;
}
