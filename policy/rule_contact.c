/* rule_contact.c - contact with the debtor: R03 contact before a summons, R18 contact hours. */
#include "policy_int.h"

/*
 * A contact counts for R03 when it is a contact_attempt or personal_contact
 * on a channel the contract lists, made in allowed hours (R18). The gateway
 * refuses contacts outside those hours, so the last test is defence only.
 */
bool contact_counts(const struct contract_terms *t, const struct event *ev, int32_t day,
                    int sec)
{
	if (ev->type != EVENT_CONTACT_ATTEMPT && ev->type != EVENT_PERSONAL_CONTACT)
		return false;
	if ((unsigned)ev->channel >= CHANNEL__COUNT ||
	    !(t->contact.channels & (1u << ev->channel)))
		return false;
	return !nlcal_outside_hours_local(day, sec);
}

/*
 * R03. Sources: seed 004 "Voor de dagvaarding moet een poging tot persoonlijk
 * contact plaatsvinden"; M2 (understand first, seed 000/001); K4 (personal
 * contact, seed 002). Contract term personal_contact_before_summons: at
 * least min_attempts contacts on a listed channel on a day within
 * within_days before today (today - within_days counts, one day earlier does
 * not). One personal contact (or a reached attempt) in that window is
 * enough on its own.
 */
void rule_r03_contact(const struct rule_ctx *c, struct decision *out)
{
	const struct contact_terms *ct = &c->terms->contact;
	const struct dossier_state *s = c->st;
	if (c->action != ACTION_SUMMONS || !ct->required || s->personal_contact ||
	    s->contact_attempts_counting >= ct->min_attempts)
		return;
	char chn[96], che[96];
	struct reason *r = reason_add(out, RULE_R03, "personal_contact_before_summons");
	text_append(
	    r->message_nl, sizeof r->message_nl,
	    "Voor een dagvaarding moet u eerst proberen de klant persoonlijk te spreken. "
	    "Nodig: %d keer geprobeerd via %s, in de laatste %d dagen. Nu: %d keer.",
	    ct->min_attempts, channels_nl(ct->channels, chn, sizeof chn), ct->within_days,
	    s->contact_attempts_counting);
	text_append(r->message_en, sizeof r->message_en,
	            "A summons needs an attempt at personal contact first: %d attempt(s) by %s "
	            "within the last %d days. Counted: %d.",
	            ct->min_attempts, channels_en(ct->channels, che, sizeof che),
	            ct->within_days, s->contact_attempts_counting);
	reason_remedy(r,
	              "Leg eerst een poging tot persoonlijk contact vast. Er zijn nog %d "
	              "poging(en) nodig.",
	              "Record an attempt at personal contact first: %d more needed.",
	              ct->min_attempts - s->contact_attempts_counting);
}

/*
 * R18. Source: seed 002, section 2 (WKI, 2024) and the conduct rules for
 * collectors: no contact between 20:00 and 07:00, on a Sunday or on a public
 * holiday, Europe/Amsterdam time. 07:00:00 is allowed, 20:00:00 is not.
 * The fact is refused (and never counts for R03); the gateway counts it
 * against the partner. Applies to every channel.
 */
void rule_r18_hours(const struct rule_ctx *c, const struct event *ev, struct decision *out)
{
	if (!nlcal_outside_contact_hours(ev->occurred_at))
		return;
	int32_t day = amsterdam_day(ev->occurred_at);
	int sec = amsterdam_seconds_of_day(ev->occurred_at);
	struct reason *r = reason_add(out, RULE_R18, "contact_hours");
	if (sec < 7 * 3600 || sec >= 20 * 3600)
		reason_msg(r, "Contact met de klant mag niet tussen 20.00 uur en 07.00 uur. ",
		           "Contact is not allowed between 20:00 and 07:00. ");
	if (caldate_weekday(day) == 6)
		reason_msg(r, "Contact op zondag mag niet. ",
		           "Contact on a Sunday is not allowed. ");
	else if (nl_public_holiday(day))
		reason_msg(r, "Contact op een feestdag (%j) mag niet. ",
		           "Contact on a public holiday (%J) is not allowed. ", day);
	reason_msg(r, "Dit contact telt niet mee.", "This contact does not count.");
	reason_remedy(
	    r,
	    "Probeer het op maandag tot en met zaterdag tussen 07.00 en 20.00 uur, "
	    "niet op een feestdag.",
	    "Try Monday to Saturday between 07:00 and 20:00 (Amsterdam time), not on a "
	    "public holiday.");
}
