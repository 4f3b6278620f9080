/* decide.c - the entry points: decide a request, check a fact, check a handover; waivers. */
#include <string.h>

#include "policy_int.h"

typedef void (*rule_fn)(const struct rule_ctx *c, struct decision *out);

static void rule_r12_today(const struct rule_ctx *c, struct decision *out)
{
	rule_r12_registered(c, c->today, out);
}

/* The rules of an escalation request, in rule-id order so reasons come out sorted. */
static const rule_fn decide_rules[] = {
    rule_r01_bank,      rule_r02_fee_model,  rule_r03_contact,      rule_r04_duration,
    rule_r05_shortened, rule_r06_debt_help,  rule_r07_dispute,      rule_r08_arrangement,
    rule_r09_referral,  rule_r10_costs,      rule_r11_proportional, rule_r12_today,
    rule_r14_allowed,   rule_r15_vulnerable, rule_r16_partner_kind, rule_r17_title,
};

/* A valid exception for rule r: same contract and partner, in force on that day. */
static const struct contract_exception *find_exception(const struct policy_input *in,
                                                       enum rule_id r, int32_t day)
{
	const char *code = rule_code(r);
	for (size_t i = 0; i < in->n_exceptions; i++) {
		const struct contract_exception *e = &in->exceptions[i];
		if (strcmp(e->rule, code) != 0 || !exception_in_force(e, day))
			continue;
		if (strcmp(e->contract_id, in->contract->id) == 0 &&
		    strcmp(e->partner_id, in->partner->id) == 0)
			return e;
	}
	return NULL;
}

/* Marks one reason waived by exception e and says so in both languages. */
static void waive(struct reason *r, const struct contract_exception *e)
{
	char nl[REASON_MESSAGE_MAX], en[REASON_MESSAGE_MAX];
	memcpy(nl, r->message_nl, sizeof nl);
	memcpy(en, r->message_en, sizeof en);
	r->waived = true;
	memcpy(r->exception_id, e->id, sizeof r->exception_id);
	r->exception_id[sizeof r->exception_id - 1] = '\0';
	r->message_nl[0] = r->message_en[0] = '\0';
	r->remedy_nl[0] = r->remedy_en[0] = '\0';
	reason_msg(r, "Uitzondering %s zet deze regel opzij. ", "Waived by exception %s. ",
	           r->exception_id);
	text_append(r->message_nl, sizeof r->message_nl, "%s", nl);
	text_append(r->message_en, sizeof r->message_en, "%s", en);
	reason_remedy(r, "Niets nodig: de uitzondering geldt tot en met %j.",
	              "Nothing to do: the exception is valid up to and including %J.",
	              e->valid_until);
}

/*
 * Seed 002, section 1.4: an exception may not lead to breaking the law. The
 * rules that carry a statute (WSNP/moratorium, WIK, WKI, enforceable title,
 * the bailiff's monopoly, WKI conduct) and F01 cannot be waived.
 */
static bool rule_waivable(enum rule_id r)
{
	return r != RULE_R06 && r != RULE_R10 && r != RULE_R12 && r != RULE_R16 &&
	       r != RULE_R17 && r != RULE_R18 && r != RULE_F01;
}

/* Says why a matching exception did not help. */
static void not_waivable(struct reason *r, const struct contract_exception *e)
{
	text_append(r->remedy_nl, sizeof r->remedy_nl,
	            " Uitzondering %s helpt hier niet: deze regel komt uit de wet.", e->id);
	text_append(r->remedy_en, sizeof r->remedy_en,
	            " Exception %s cannot waive this rule: it comes from the law.", e->id);
}

/* Applies exceptions, then allows only when no unwaived reason is left. */
static bool finish(const struct policy_input *in, int32_t day, struct decision *out)
{
	out->allow = true;
	for (int i = 0; i < out->n_reasons; i++) {
		struct reason *r = &out->reasons[i];
		const struct contract_exception *e = find_exception(in, r->rule, day);
		if (e != NULL && rule_waivable(r->rule)) {
			waive(r, e);
			continue;
		}
		if (e != NULL)
			not_waivable(r, e);
		out->allow = false;
	}
	return out->allow;
}

/*
 * Decides an escalation request: derives the dossier state as of now, runs
 * every rule, keeps every reason, waives those a valid exception names, and
 * allows only when nothing unwaived is left. Never allocates.
 */
void policy_decide(const struct policy_input *in, const struct escalation_request *req,
                   struct decision *out)
{
	struct dossier_state st;
	dossier_derive(in->contract, in->dossier, in->now, &st);
	struct rule_ctx c = {in, &in->contract->terms, &st, req, req->action, st.today};
	out->n_reasons = 0;
	for (size_t i = 0; i < sizeof decide_rules / sizeof decide_rules[0]; i++)
		decide_rules[i](&c, out);
	(void)finish(in, st.today, out);
}

/* F01: a fact or a handover at instant t must not lie in the future or before `from`. */
static void check_time(int64_t t, int64_t now, int64_t from, struct decision *out)
{
	if (t <= now && t >= from)
		return;
	struct reason *r = reason_add(out, RULE_F01, "occurred_at");
	if (t > now) {
		reason_msg(r, "Deze datum ligt in de toekomst. Meld alleen wat al gebeurd is.",
		           "This moment lies in the future. Report only what has happened.");
		reason_remedy(r, "Meld het opnieuw als het gebeurd is.",
		              "Report it again once it has happened.");
		return;
	}
	reason_msg(r, "Dit gebeurde voor de overdracht van het dossier op %j.",
	           "This happened before the dossier was handed over on %J.",
	           amsterdam_day(from));
	reason_remedy(r, "Controleer de datum en tijd.", "Check the date and time.");
}

/*
 * Checks a fact before it is recorded: F01 (time), R13 (letter template),
 * R18 (contact hours). Returns false with the reasons when it is refused.
 */
bool policy_check_event(const struct policy_input *in, const struct event *ev,
                        struct decision *out)
{
	int32_t today = amsterdam_day(in->now);
	struct rule_ctx c = {in, &in->contract->terms, NULL, NULL, ACTION__COUNT, today};
	out->n_reasons = 0;
	if (ev->type == EVENT_LETTER_SENT)
		rule_r13_letter(&c, ev, out);
	if (ev->type == EVENT_CONTACT_ATTEMPT || ev->type == EVENT_PERSONAL_CONTACT)
		rule_r18_hours(&c, ev, out);
	check_time(ev->occurred_at, in->now,
	           in->dossier != NULL ? in->dossier->handed_over_at : INT64_MIN, out);
	return finish(in, today, out);
}

/*
 * Checks a handover: F01 (not in the future), R02 (fee model), R12 (WKI
 * registration valid on the handover day), R06 (debt-help flag).
 */
bool policy_check_handover(const struct policy_input *in, struct decision *out)
{
	int32_t today = amsterdam_day(in->now);
	int32_t handover = amsterdam_day(in->dossier->handed_over_at);
	struct rule_ctx c = {in, &in->contract->terms, NULL, NULL, ACTION__COUNT, today};
	out->n_reasons = 0;
	rule_r02_fee_model(&c, out);
	rule_r06_debt_help(&c, out);
	rule_r12_registered(&c, handover, out);
	check_time(in->dossier->handed_over_at, in->now, INT64_MIN, out);
	return finish(in, today, out);
}
