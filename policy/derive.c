/* derive.c - the dossier state the rules read, folded from the events as of now. */
#include <string.h>

#include "policy_int.h"

/* Per-action counters that only live while deriving. */
struct derive_counts {
	int approvals[ACTION__COUNT]; /* creditor_approval events by the creditor */
	int allowed[ACTION__COUNT];   /* escalations allowed before */
	int extend_days;              /* days granted by extensions */
};

/* R10: a fourteen-day letter on an approved template starts the 14 days. */
static void derive_letter(const struct contract_terms *t, const struct event *ev,
                          struct dossier_state *s)
{
	if (ev->letter_kind != LETTER_FOURTEEN_DAY || !template_approved(t, ev->template_id))
		return;
	int32_t posted = amsterdam_day(ev->occurred_at);
	int32_t receipt = ev->received_on;
	if (receipt == CALDATE_NONE || receipt < posted)
		receipt = nlcal_presumed_receipt(posted);
	int32_t expires = nlcal_fourteen_day_expiry(receipt);
	if (!s->fourteen_day_letter_sent || expires < s->fourteen_day_expires)
		s->fourteen_day_expires = expires;
	s->fourteen_day_letter_sent = true;
}

/* R03: contacts on a contract channel, in hours, within the window before today. */
static void derive_contact(const struct contract_terms *t, const struct event *ev,
                           struct dossier_state *s)
{
	int32_t day;
	int sec;
	amsterdam_split(ev->occurred_at, &day, &sec);
	if (!contact_counts(t, ev, day, sec))
		return;
	if (s->last_contact_day == CALDATE_NONE || day > s->last_contact_day)
		s->last_contact_day = day;
	if (day < s->today - t->contact.within_days)
		return;
	s->contact_attempts_counting++;
	if (ev->type == EVENT_PERSONAL_CONTACT || ev->reached)
		s->personal_contact = true;
}

/* Holds and signals: the last event of a start/end pair wins. */
static void derive_holds(const struct event *ev, struct dossier_state *s)
{
	switch (ev->type) {
	case EVENT_ARRANGEMENT_AGREED:
		s->arrangement_active = true;
		break;
	case EVENT_ARRANGEMENT_BROKEN:
		s->arrangement_active = false;
		break;
	case EVENT_DEBT_HELP_STARTED:
		s->debt_help_active = true;
		s->debt_help_kind = ev->debt_help;
		break;
	case EVENT_DEBT_HELP_ENDED:
		s->debt_help_active = false;
		break;
	case EVENT_DISPUTE_OPENED:
		s->dispute_open = true;
		break;
	case EVENT_DISPUTE_RESOLVED:
		s->dispute_open = false;
		break;
	case EVENT_OTHER_ARREARS_SHARED:
		if (ev->creditors > 0 || ev->amount_cents > 0)
			s->other_arrears_shared = true;
		break;
	case EVENT_REFERRAL:
		s->referral_recorded = true;
		break;
	default:
		break;
	}
}

/* Folds one event into the state. */
static void derive_event(const struct contract_terms *t, const struct event *ev,
                         struct dossier_state *s, struct derive_counts *k)
{
	switch (ev->type) {
	case EVENT_LETTER_SENT:
		derive_letter(t, ev, s);
		break;
	case EVENT_CONTACT_ATTEMPT:
	case EVENT_PERSONAL_CONTACT:
		derive_contact(t, ev, s);
		break;
	case EVENT_PAYMENT:
		s->paid_cents += ev->amount_cents;
		break;
	case EVENT_COSTS_CHARGED:
		s->costs_charged_cents += ev->amount_cents;
		s->n_costs_charged++;
		break;
	case EVENT_SUMMONS_SERVED:
		s->summons_served = true;
		break;
	case EVENT_JUDGMENT:
		s->judgment_recorded = true;
		break;
	case EVENT_CREDITOR_APPROVAL:
		if (ev->reporter == REPORTER_CREDITOR &&
		    (unsigned)ev->approved_action < ACTION__COUNT)
			k->approvals[ev->approved_action]++;
		break;
	default:
		derive_holds(ev, s);
		break;
	}
}

/* Escalations allowed before: extensions, costs, and used-up approvals. */
static void derive_allowed(const struct dossier *d, int64_t now, struct dossier_state *s,
                           struct derive_counts *k)
{
	for (size_t i = 0; i < d->n_allowed; i++) {
		const struct prior_escalation *p = &d->allowed[i];
		if (p->decided_at > now || (unsigned)p->action >= ACTION__COUNT)
			continue;
		k->allowed[p->action]++;
		if (p->action == ACTION_EXTEND_DURATION) {
			s->n_extensions++;
			/* as granted (policy_extension_days) and as the deadline moved: the default
			 * when the request named no days */
			k->extend_days += policy_extension_days(p->extend_days);
		} else if (p->action == ACTION_COLLECTION_COSTS) {
			s->n_costs_charged++;
		}
	}
}

/* Starts a state from the handover: flags, days, nothing happened yet. */
static void derive_init(const struct dossier *d, int64_t now, struct dossier_state *s)
{
	memset(s, 0, sizeof *s);
	s->today = amsterdam_day(now);
	s->handed_over_day = amsterdam_day(d->handed_over_at);
	s->debt_help_active = (d->flags & DOSSIER_FLAG_DEBT_HELP) != 0;
	s->debt_help_kind = DEBT_HELP_DEBT_HELP;
	s->dispute_open = (d->flags & DOSSIER_FLAG_DISPUTE) != 0;
	s->financial_problems = (d->flags & DOSSIER_FLAG_FINANCIAL_PROBLEMS) != 0;
	s->fourteen_day_expires = CALDATE_NONE;
	s->last_contact_day = CALDATE_NONE;
}

/*
 * Derives the state from the dossier's events as of now: events that
 * occurred after now, and escalations decided after now, are ignored, so a
 * decision can be replayed at any moment of the dossier's history.
 */
void dossier_derive(const struct contract *c, const struct dossier *d, int64_t now,
                    struct dossier_state *out)
{
	struct derive_counts k;
	memset(&k, 0, sizeof k);
	derive_init(d, now, out);
	for (size_t i = 0; i < d->n_events; i++)
		if (d->events[i].occurred_at <= now)
			derive_event(&c->terms, &d->events[i], out, &k);
	derive_allowed(d, now, out, &k);
	for (int a = 0; a < ACTION__COUNT; a++)
		if (k.approvals[a] > k.allowed[a])
			out->approved_actions |= 1u << a;
	out->amicable = d->phase == PHASE_AMICABLE && !out->summons_served;
	out->max_duration_until = CALDATE_NONE;
	if (out->amicable)
		out->max_duration_until =
		    out->handed_over_day + c->terms.max_duration_days + k.extend_days;
	out->past_max_duration = out->amicable && out->today > out->max_duration_until;
	out->outstanding_cents = d->principal_cents - out->paid_cents;
	if (out->outstanding_cents < 0)
		out->outstanding_cents = 0;
}
