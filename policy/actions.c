/* actions.c - action classes the rules share, and plain-language names of actions and channels.
 */
#include <string.h>

#include "policy_int.h"

/* Every action but extend_duration puts pressure on the debtor or adds cost. */
bool action_is_escalation(enum action a)
{
	return a != ACTION_EXTEND_DURATION;
}

/* The judicial route: only a bailiff takes it (R16). */
bool action_is_judicial(enum action a)
{
	return a == ACTION_SUMMONS || a == ACTION_WAGE_GARNISHMENT ||
	       a == ACTION_GOODS_SEIZURE || a == ACTION_BANK_SEIZURE || a == ACTION_EVICTION;
}

/* Amicable actions a bailiff may take only on the shortened track (R05). */
bool action_is_amicable(enum action a)
{
	return a == ACTION_COLLECTION_COSTS || a == ACTION_CREDIT_REGISTRATION ||
	       a == ACTION_EXTEND_DURATION;
}

/* Execution needs an enforceable title: a judgment (R17). */
bool action_needs_title(enum action a)
{
	return a == ACTION_WAGE_GARNISHMENT || a == ACTION_GOODS_SEIZURE ||
	       a == ACTION_BANK_SEIZURE || a == ACTION_EVICTION;
}

static const char *const actions_nl[ACTION__COUNT] = {
    "incassokosten rekenen",
    "het dossier naar een deurwaarder sturen",
    "dagvaarden",
    "beslag op loon",
    "beslag op spullen",
    "beslag op de bankrekening",
    "ontruimen",
    "een melding bij het kredietregister",
    "de looptijd verlengen",
};
static const char *const actions_en[ACTION__COUNT] = {
    "charging collection costs",
    "transferring the dossier to a bailiff",
    "a summons",
    "wage garnishment",
    "seizure of goods",
    "bank seizure",
    "eviction",
    "credit registration",
    "extending the duration",
};

const char *action_nl(enum action a)
{
	return (unsigned)a < ACTION__COUNT ? actions_nl[a] : "deze stap";
}

const char *action_en(enum action a)
{
	return (unsigned)a < ACTION__COUNT ? actions_en[a] : "this step";
}

static const char *const channel_nl[CHANNEL__COUNT] = {"telefoon", "huisbezoek", "video",
                                                       "e-mail",   "sms",        "brief"};
static const char *const channel_en[CHANNEL__COUNT] = {"phone", "visit", "video",
                                                       "email", "sms",   "letter"};

/* "telefoon of huisbezoek": the channels of a bit set joined by a word. */
static const char *join_channels(uint32_t set, const char *const *names, const char * or,
                                 char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int ch = 0; ch < CHANNEL__COUNT; ch++) {
		if (!(set & (1u << ch)))
			continue;
		set &= ~(1u << ch);
		if (buf[0] != '\0')
			text_append(buf, cap, set != 0 ? ", " : or);
		text_append(buf, cap, "%s", names[ch]);
	}
	return buf;
}

const char *channels_nl(uint32_t channels, char *buf, size_t cap)
{
	return join_channels(channels, channel_nl, " of ", buf, cap);
}

const char *channels_en(uint32_t channels, char *buf, size_t cap)
{
	return join_channels(channels, channel_en, " or ", buf, cap);
}
