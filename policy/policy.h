/* policy.h - the rule engine: (contract, dossier, request, now) -> decision. No I/O. */
#ifndef FAIRGATE_POLICY_H
#define FAIRGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contract.h"
#include "exception.h"
#include "partner.h"

enum rule_id {
	RULE_R01, /* no_bank_seizure */
	RULE_R02, /* no_cure_no_pay */
	RULE_R03, /* contact_before_summons */
	RULE_R04, /* max_duration */
	RULE_R05, /* shortened_track */
	RULE_R06, /* debt_help_hold */
	RULE_R07, /* dispute_hold */
	RULE_R08, /* arrangement_hold */
	RULE_R09, /* refer_before_escalation */
	RULE_R10, /* wik_costs */
	RULE_R11, /* judicial_last_resort */
	RULE_R12, /* registered_agency */
	RULE_R13, /* approved_letters */
	RULE_R14, /* action_allowed */
	RULE_R15, /* vulnerable_review */
	RULE_R16, /* partner_kind */
	RULE_R17, /* enforceable_title */
	RULE_R18, /* contact_hours */
	RULE_F01, /* fact_time: occurred_at/handed_over_at not in the future, not before
	             handover */
	RULE__COUNT
};

/*
 * "R01".."R18" and "F01"; rule_parse accepts the same. F01 is input
 * validation, not a contract promise: an exception can never waive it.
 */
const char *rule_code(enum rule_id r);
const char *rule_name(enum rule_id r); /* "no_bank_seizure", ... */
bool rule_parse(const char *s, enum rule_id *out);

enum event_type {
	EVENT_LETTER_SENT,
	EVENT_CONTACT_ATTEMPT,
	EVENT_PERSONAL_CONTACT,
	EVENT_ARRANGEMENT_AGREED,
	EVENT_ARRANGEMENT_BROKEN,
	EVENT_PAYMENT,
	EVENT_REFERRAL,
	EVENT_DEBT_HELP_STARTED,
	EVENT_DEBT_HELP_ENDED,
	EVENT_DISPUTE_OPENED,
	EVENT_DISPUTE_RESOLVED,
	EVENT_OTHER_ARREARS_SHARED,
	EVENT_COSTS_CHARGED,
	EVENT_SUMMONS_SERVED,
	EVENT_JUDGMENT,
	EVENT_CREDITOR_APPROVAL, /* creditor approves one escalation on a vulnerable dossier
	                            (R15) */
	EVENT__COUNT
};

enum letter_kind { LETTER_REMINDER, LETTER_FOURTEEN_DAY, LETTER_OTHER, LETTER__COUNT };
enum referral_to {
	REFERRAL_GELDFIT,
	REFERRAL_BUDGET_COACH,
	REFERRAL_MUNICIPALITY,
	REFERRAL_VROEG_EROPAF,
	REFERRAL_DEBT_HELP_PROVIDER,
	REFERRAL__COUNT
};
enum debt_help_kind {
	DEBT_HELP_DEBT_HELP,
	DEBT_HELP_MORATORIUM,
	DEBT_HELP_WSNP,
	DEBT_HELP__COUNT
};
enum phase { PHASE_AMICABLE, PHASE_JUDICIAL, PHASE__COUNT };

const char *event_type_name(enum event_type t);
bool event_type_parse(const char *s, enum event_type *out);
const char *letter_kind_name(enum letter_kind k);
bool letter_kind_parse(const char *s, enum letter_kind *out);
const char *referral_to_name(enum referral_to r);
bool referral_to_parse(const char *s, enum referral_to *out);
const char *debt_help_kind_name(enum debt_help_kind k);
bool debt_help_kind_parse(const char *s, enum debt_help_kind *out);
const char *phase_name(enum phase p);
bool phase_parse(const char *s, enum phase *out);

/* Who reported a fact. */
enum reporter { REPORTER_CREDITOR, REPORTER_PARTNER };

/* One recorded fact. Only the fields of its type are meaningful. */
struct event {
	enum event_type type;
	enum reporter reporter;
	int64_t occurred_at;               /* UTC seconds */
	char template_id[CONTRACT_ID_MAX]; /* letter_sent */
	enum letter_kind letter_kind;      /* letter_sent */
	int32_t
	    received_on; /* letter_sent: caldate of receipt, or CALDATE_NONE (must be set!) */
	enum channel channel; /* contact_attempt, personal_contact */
	bool reached;         /* contact_attempt */
	int64_t amount_cents; /* payment, costs_charged, arrangement installment, judgment
	                         awarded, arrears total */
	int installments;     /* arrangement_agreed */
	int creditors;        /* other_arrears_shared */
	enum referral_to referral_to;  /* referral */
	enum debt_help_kind debt_help; /* debt_help_started */
	enum action approved_action;   /* creditor_approval */
};

enum dossier_flag {
	DOSSIER_FLAG_VULNERABLE = 1u << 0,
	DOSSIER_FLAG_DEBT_HELP = 1u << 1,          /* known at handover: in debt help */
	DOSSIER_FLAG_DISPUTE = 1u << 2,            /* known at handover: claim disputed */
	DOSSIER_FLAG_FINANCIAL_PROBLEMS = 1u << 3, /* a financial-problems signal (R09) */
};
/* Flag names in the API: "vulnerable", "debt_help", "dispute", "financial_problems". */
bool dossier_flag_parse(const char *s, uint32_t *bit);
const char *dossier_flag_name(uint32_t bit);

/* An escalation the gateway allowed earlier on this dossier. */
struct prior_escalation {
	enum action action;
	int64_t decided_at;
	int64_t amount_cents;
	int extend_days; /* extend_duration: the days asked (0: POLICY_EXTEND_DEFAULT_DAYS granted) */
};

/* A dossier as handed over, with its history. The policy only reads it. */
struct dossier {
	char id[CONTRACT_ID_MAX];
	enum phase phase;
	bool shortened_track;
	uint32_t flags; /* DOSSIER_FLAG_x */
	int64_t principal_cents;
	int32_t due_date;           /* caldate */
	int64_t handed_over_at;     /* UTC seconds */
	const struct event *events; /* in occurred_at order */
	size_t n_events;
	const struct prior_escalation *allowed; /* in decided_at order */
	size_t n_allowed;
};

/* Everything the rules need, derived from a dossier by dossier_derive(). */
struct dossier_state {
	int32_t handed_over_day;    /* caldate, Europe/Amsterdam */
	int32_t today;              /* caldate, Europe/Amsterdam, of now */
	bool amicable;              /* phase amicable and no summons served yet (R04 applies) */
	int32_t max_duration_until; /* last day with the partner, incl. extensions;
	                               CALDATE_NONE outside the amicable phase */
	bool past_max_duration;     /* today > max_duration_until: return to the creditor */
	int n_extensions;           /* extend_duration allowed before */
	bool debt_help_active;
	enum debt_help_kind debt_help_kind;
	bool dispute_open;
	bool arrangement_active; /* agreed and not broken */
	bool other_arrears_shared;
	bool financial_problems;
	bool referral_recorded;
	bool fourteen_day_letter_sent;
	int32_t
	    fourteen_day_expires; /* caldate: first day costs may be charged, or CALDATE_NONE */
	int64_t costs_charged_cents;
	int n_costs_charged; /* costs_charged events plus collection_costs allowed before */
	int contact_attempts_counting; /* valid attempts on contract channels in window */
	int32_t last_contact_day; /* caldate of the last counting contact, or CALDATE_NONE */
	bool personal_contact;
	bool summons_served;
	bool judgment_recorded;
	uint32_t approved_actions; /* R15: bit per action with an unused creditor approval */
	int64_t paid_cents;
	int64_t outstanding_cents; /* principal minus payments, at least 0 */
};

/* A partner's request. */
struct escalation_request {
	enum action action;
	bool has_amount;
	int64_t amount_cents; /* collection_costs: the amount to charge */
	bool has_expected_costs;
	int64_t expected_costs_cents; /* summons: expected judicial costs */
	int extend_days; /* extend_duration: days asked (0 = POLICY_EXTEND_DEFAULT_DAYS) */
};

/* An extension without a number of days adds this many (R04). */
#define POLICY_EXTEND_DEFAULT_DAYS 30
/* The days an extension grants: those asked, or the default when it named none (0). */
int policy_extension_days(int asked);

#define REASON_MESSAGE_MAX 384
#define REASON_REMEDY_MAX 256

/* One rule's verdict, explained. */
struct reason {
	enum rule_id rule;
	const char *clause; /* contract term, static string */
	bool waived;        /* a valid exception waived it: does not deny */
	char exception_id[CONTRACT_ID_MAX];
	char message_nl[REASON_MESSAGE_MAX]; /* plain Dutch, B1 */
	char message_en[REASON_MESSAGE_MAX];
	char remedy_nl[REASON_REMEDY_MAX];
	char remedy_en[REASON_REMEDY_MAX];
};

struct decision {
	bool allow;
	int n_reasons;
	struct reason reasons[RULE__COUNT];
};

/* Everything a decision depends on. The policy holds no pointer after return. */
struct policy_input {
	const struct contract *contract; /* the version in force at now */
	const struct partner *partner;
	const struct dossier *dossier;
	const struct contract_exception *exceptions; /* may be waived rules; any state */
	size_t n_exceptions;
	int64_t now; /* UTC seconds */
};

/* Derives the state from the dossier's events as of now. */
void dossier_derive(const struct contract *c, const struct dossier *d, int64_t now,
                    struct dossier_state *out);

/*
 * Decides an escalation request: every rule that applies adds a reason;
 * allow only when no unwaived reason remains. Never allocates.
 */
void policy_decide(const struct policy_input *in, const struct escalation_request *req,
                   struct decision *out);

/*
 * Checks a fact before it is recorded (R13 letter templates, R18 contact
 * hours, and handover-like checks). Returns false and fills *out when the
 * fact must be refused.
 */
bool policy_check_event(const struct policy_input *in, const struct event *ev,
                        struct decision *out);

/*
 * Checks a handover (R02 fee model, R12 registration, R06 debt-help flag,
 * F01 handed_over_at in the future). Returns false when it must be refused.
 */
bool policy_check_handover(const struct policy_input *in, struct decision *out);

/*
 * The most collection costs (WIK, Besluit vergoeding voor buitengerechtelijke
 * incassokosten) for a principal, in cents, VAT (21%) included when vat.
 */
int64_t wik_max_cents(int64_t principal_cents, bool vat);

/* The calendar day in Europe/Amsterdam of a UTC instant (EU summer time rules). */
int32_t amsterdam_day(int64_t t);
/* Seconds since local midnight in Europe/Amsterdam of a UTC instant. */
int amsterdam_seconds_of_day(int64_t t);
/* True for a Dutch public holiday (Algemene termijnenwet list, see README). */
bool nl_public_holiday(int32_t day);

#endif
