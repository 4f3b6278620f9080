/* policy_int.h - private to policy/: the rule context, rule units and text helpers. */
#ifndef FAIRGATE_POLICY_INT_H
#define FAIRGATE_POLICY_INT_H

#include "caldate.h"
#include "policy.h"

/* What every rule sees while deciding one request. */
struct rule_ctx {
	const struct policy_input *in;
	const struct contract_terms *terms;
	const struct dossier_state *st;
	const struct escalation_request *req; /* NULL outside policy_decide */
	enum action action;
	int32_t today; /* caldate, Europe/Amsterdam */
};

/* Calendar helpers (nlcal.c). */
void amsterdam_split(int64_t t, int32_t *day, int *sec);
bool nlcal_outside_hours_local(int32_t day, int sec);
int32_t nlcal_easter(int year);
bool nlcal_is_sunday_or_holiday(int32_t day);
/* R18: true when a contact at UTC instant t falls outside allowed hours. */
bool nlcal_outside_contact_hours(int64_t t);
/* R10: presumed day of receipt of a letter posted on that day. */
int32_t nlcal_presumed_receipt(int32_t posted);
/* R10: the first day costs may be charged after receipt on that day. */
int32_t nlcal_fourteen_day_expiry(int32_t receipt);

/* Action classes (decide.c). */
bool action_is_escalation(enum action a); /* everything but extend_duration */
bool action_is_judicial(enum action a);   /* summons, seizures, eviction */
bool action_is_amicable(
    enum action a); /* collection_costs, credit_registration, extend_duration */
bool action_needs_title(enum action a); /* seizures and eviction (R17) */
const char *action_nl(enum action a);   /* "de dagvaarding", ... */
const char *action_en(enum action a);   /* "a summons", ... */
const char *channels_nl(uint32_t channels, char *buf, size_t cap);
const char *channels_en(uint32_t channels, char *buf, size_t cap);

/*
 * Text (text.c). reason_add starts a reason; reason_msg and reason_remedy
 * append to the Dutch and English texts from two formats that take the SAME
 * arguments in the same order: %s string, %d int, %c cents Dutch ("€ 48,40"),
 * %C cents English ("EUR 48.40"), %j caldate Dutch ("5 december 2026"),
 * %J caldate English ("5 December 2026"). Cents are int64_t, caldates int32_t.
 */
struct reason *reason_add(struct decision *d, enum rule_id r, const char *clause);
void reason_msg(struct reason *r, const char *nl, const char *en, ...);
void reason_remedy(struct reason *r, const char *nl, const char *en, ...);
/* Writes formatted text at the end of buf (NUL-terminated, truncates safely). */
void text_append(char *buf, size_t cap, const char *fmt, ...);

/* The rule units: each adds at most one reason to out. */
void rule_r01_bank(const struct rule_ctx *c, struct decision *out);
void rule_r02_fee_model(const struct rule_ctx *c, struct decision *out);
void rule_r03_contact(const struct rule_ctx *c, struct decision *out);
void rule_r04_duration(const struct rule_ctx *c, struct decision *out);
void rule_r05_shortened(const struct rule_ctx *c, struct decision *out);
void rule_r06_debt_help(const struct rule_ctx *c, struct decision *out);
void rule_r07_dispute(const struct rule_ctx *c, struct decision *out);
void rule_r08_arrangement(const struct rule_ctx *c, struct decision *out);
void rule_r09_referral(const struct rule_ctx *c, struct decision *out);
void rule_r10_costs(const struct rule_ctx *c, struct decision *out);
void rule_r11_proportional(const struct rule_ctx *c, struct decision *out);
void rule_r12_registered(const struct rule_ctx *c, int32_t day, struct decision *out);
void rule_r13_letter(const struct rule_ctx *c, const struct event *ev, struct decision *out);
void rule_r14_allowed(const struct rule_ctx *c, struct decision *out);
void rule_r15_vulnerable(const struct rule_ctx *c, struct decision *out);
void rule_r16_partner_kind(const struct rule_ctx *c, struct decision *out);
void rule_r17_title(const struct rule_ctx *c, struct decision *out);
void rule_r18_hours(const struct rule_ctx *c, const struct event *ev, struct decision *out);

/*
 * Shared by derive.c and rule_contact.c: does this contact count for R03?
 * day and sec are the event's Amsterdam day and seconds since midnight.
 */
bool contact_counts(const struct contract_terms *t, const struct event *ev, int32_t day,
                    int sec);
/* Shared by derive.c and rule_letters.c. */
bool template_approved(const struct contract_terms *t, const char *tmpl);

#endif
