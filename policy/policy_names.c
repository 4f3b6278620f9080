/* policy_names.c - API names of rules, event types, letter kinds, referrals, phases, flags. */
#include <string.h>

#include "policy_int.h"

static const char *const rule_codes[RULE__COUNT] = {
    "R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10",
    "R11", "R12", "R13", "R14", "R15", "R16", "R17", "R18", "F01",
};
static const char *const rule_names[RULE__COUNT] = {
    "no_bank_seizure",  "no_cure_no_pay",       "contact_before_summons",
    "max_duration",     "shortened_track",      "debt_help_hold",
    "dispute_hold",     "arrangement_hold",     "refer_before_escalation",
    "wik_costs",        "judicial_last_resort", "registered_agency",
    "approved_letters", "action_allowed",       "vulnerable_review",
    "partner_kind",     "enforceable_title",    "contact_hours",
    "fact_time",
};
static const char *const event_names[EVENT__COUNT] = {
    "letter_sent",        "contact_attempt", "personal_contact", "arrangement_agreed",
    "arrangement_broken", "payment",         "referral",         "debt_help_started",
    "debt_help_ended",    "dispute_opened",  "dispute_resolved", "other_arrears_shared",
    "costs_charged",      "summons_served",  "judgment",         "creditor_approval",
};
static const char *const letter_names[LETTER__COUNT] = {"reminder", "fourteen_day_letter",
                                                        "other"};
static const char *const referral_names[REFERRAL__COUNT] = {
    "geldfit", "budget_coach", "municipality", "vroeg_eropaf", "debt_help_provider"};
static const char *const debt_help_names[DEBT_HELP__COUNT] = {"debt_help", "moratorium",
                                                              "wsnp"};
static const char *const phase_names[PHASE__COUNT] = {"amicable", "judicial"};
static const char *const flag_names[] = {"vulnerable", "debt_help", "dispute",
                                         "financial_problems"};
#define N_FLAGS (sizeof flag_names / sizeof flag_names[0])

/* Looks s up in a table of n names; -1 when absent. */
static int lookup(const char *const *names, int n, const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* The name at index i of a table of n, or NULL when out of range. */
static const char *name_at(const char *const *names, int n, int i)
{
	return (i >= 0 && i < n) ? names[i] : NULL;
}

const char *rule_code(enum rule_id r)
{
	return name_at(rule_codes, RULE__COUNT, (int)r);
}

const char *rule_name(enum rule_id r)
{
	return name_at(rule_names, RULE__COUNT, (int)r);
}

/* Accepts the code ("R03") or the name ("contact_before_summons"). */
bool rule_parse(const char *s, enum rule_id *out)
{
	int i = lookup(rule_codes, RULE__COUNT, s);
	if (i < 0)
		i = lookup(rule_names, RULE__COUNT, s);
	if (i < 0)
		return false;
	*out = (enum rule_id)i;
	return true;
}

const char *event_type_name(enum event_type t)
{
	return name_at(event_names, EVENT__COUNT, (int)t);
}

bool event_type_parse(const char *s, enum event_type *out)
{
	int i = lookup(event_names, EVENT__COUNT, s);
	if (i >= 0)
		*out = (enum event_type)i;
	return i >= 0;
}

const char *letter_kind_name(enum letter_kind k)
{
	return name_at(letter_names, LETTER__COUNT, (int)k);
}

bool letter_kind_parse(const char *s, enum letter_kind *out)
{
	int i = lookup(letter_names, LETTER__COUNT, s);
	if (i >= 0)
		*out = (enum letter_kind)i;
	return i >= 0;
}

const char *referral_to_name(enum referral_to r)
{
	return name_at(referral_names, REFERRAL__COUNT, (int)r);
}

bool referral_to_parse(const char *s, enum referral_to *out)
{
	int i = lookup(referral_names, REFERRAL__COUNT, s);
	if (i >= 0)
		*out = (enum referral_to)i;
	return i >= 0;
}

const char *debt_help_kind_name(enum debt_help_kind k)
{
	return name_at(debt_help_names, DEBT_HELP__COUNT, (int)k);
}

bool debt_help_kind_parse(const char *s, enum debt_help_kind *out)
{
	int i = lookup(debt_help_names, DEBT_HELP__COUNT, s);
	if (i >= 0)
		*out = (enum debt_help_kind)i;
	return i >= 0;
}

const char *phase_name(enum phase p)
{
	return name_at(phase_names, PHASE__COUNT, (int)p);
}

bool phase_parse(const char *s, enum phase *out)
{
	int i = lookup(phase_names, PHASE__COUNT, s);
	if (i >= 0)
		*out = (enum phase)i;
	return i >= 0;
}

/* Flag name to its single bit. */
bool dossier_flag_parse(const char *s, uint32_t *bit)
{
	int i = lookup(flag_names, (int)N_FLAGS, s);
	if (i >= 0)
		*bit = 1u << i;
	return i >= 0;
}

/* The name of a single flag bit; NULL for anything else. */
const char *dossier_flag_name(uint32_t bit)
{
	for (size_t i = 0; i < N_FLAGS; i++)
		if (bit == 1u << i)
			return flag_names[i];
	return NULL;
}
