/* names.c - the API names of actions, channels, fee models and partner kinds. */
#include "contract.h"

#include <string.h>

/* Indexed by the enums of contract.h; the order must follow the enums. */
static const char *const action_names[ACTION__COUNT] = {
    "collection_costs", "transfer_to_bailiff", "summons",
    "wage_garnishment", "goods_seizure",       "bank_seizure",
    "eviction",         "credit_registration", "extend_duration",
};

static const char *const channel_names[CHANNEL__COUNT] = {
    "phone", "visit", "video", "email", "sms", "letter",
};

static const char *const fee_model_names[FEE__COUNT] = {
    "fixed_fee", "hourly", "per_action", "percentage_with_base", "no_cure_no_pay",
};

static const char *const partner_kind_names[PARTNER__COUNT] = {
    "agency",
    "bailiff",
};

/* The name at index i of a table of n, or NULL when i is out of range. */
static const char *name_at(const char *const *names, int n, int i)
{
	if (i < 0 || i >= n)
		return NULL;
	return names[i];
}

/* The index of s in a table of n names, or -1. */
static int name_find(const char *const *names, int n, const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0)
			return i;
	}
	return -1;
}

/* The API name of an action, e.g. "wage_garnishment". */
const char *action_name(enum action a)
{
	return name_at(action_names, ACTION__COUNT, (int)a);
}

/* The API name of a contact channel, e.g. "visit". */
const char *channel_name(enum channel c)
{
	return name_at(channel_names, CHANNEL__COUNT, (int)c);
}

/* The API name of a fee model, e.g. "fixed_fee". */
const char *fee_model_name(enum fee_model f)
{
	return name_at(fee_model_names, FEE__COUNT, (int)f);
}

/* The API name of a partner kind: "agency" or "bailiff". */
const char *partner_kind_name(enum partner_kind k)
{
	return name_at(partner_kind_names, PARTNER__COUNT, (int)k);
}

/* Reads an action name; false (and *out untouched) when it is not one. */
bool action_parse(const char *s, enum action *out)
{
	int i = name_find(action_names, ACTION__COUNT, s);

	if (i < 0)
		return false;
	*out = (enum action)i;
	return true;
}

/* Reads a channel name; false (and *out untouched) when it is not one. */
bool channel_parse(const char *s, enum channel *out)
{
	int i = name_find(channel_names, CHANNEL__COUNT, s);

	if (i < 0)
		return false;
	*out = (enum channel)i;
	return true;
}

/* Reads a fee model name, no_cure_no_pay included (so R02 can name it). */
bool fee_model_parse(const char *s, enum fee_model *out)
{
	int i = name_find(fee_model_names, FEE__COUNT, s);

	if (i < 0)
		return false;
	*out = (enum fee_model)i;
	return true;
}

/* Reads a partner kind name; false (and *out untouched) when it is not one. */
bool partner_kind_parse(const char *s, enum partner_kind *out)
{
	int i = name_find(partner_kind_names, PARTNER__COUNT, s);

	if (i < 0)
		return false;
	*out = (enum partner_kind)i;
	return true;
}
