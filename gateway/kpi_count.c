/* kpi_count.c - the KPI counts a decision adds, in its own commit batch. */
#include "kpi_count.h"

#include "caldate.h"
#include "rowset.h"

/*
 * Rows for kpi_pending (sql/014_kpi_pending.sql), summed per counter: a plain
 * insert into a table without an index. gateway/kpi_fold.c folds them into
 * kpi_daily every kpi_fold_interval_ms; reports read both (the view kpi_counts).
 */
static const struct rowset_def KPI_ROWS = {
	"INSERT INTO kpi_pending (creditor_id, partner_id, day, metric, key, value) "
	"SELECT c, p, d::date, m, k, sum(v::bigint)::bigint FROM unnest($1::text[], "
	"$2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(c, p, d, m, k, v) "
	"GROUP BY c, d::date, p, m, k",
	6, 900};

struct counter {
	const struct commit_ctx *ctx;
	const char *creditor, *partner;
	char day[11];
};

static void add(const struct counter *k, const char *metric, const char *key)
{
	const char *v[] = {k->creditor, k->partner, k->day, metric, key, "1"};
	commit_rows(k->ctx, &KPI_ROWS, v);
}

/* As fairgate_kpi_counts: the contract's channels, or phone and visit when it lists none. */
static bool contact_before(const struct contract *contract, const struct dossier *d, int64_t at)
{
	uint32_t channels = contract->terms.contact.channels;
	if (!channels)
		channels = (1u << CHANNEL_PHONE) | (1u << CHANNEL_VISIT);
	for (size_t i = 0; i < d->n_events; i++) {
		const struct event *ev = &d->events[i];
		if ((ev->type == EVENT_CONTACT_ATTEMPT || ev->type == EVENT_PERSONAL_CONTACT) &&
		    ev->occurred_at <= at && (unsigned)ev->channel < CHANNEL__COUNT &&
		    (channels & (1u << ev->channel)))
			return true;
	}
	return false;
}

void kpi_count_decision(const struct commit_ctx *ctx, const char *creditor_id,
			const char *partner_id, const struct contract *contract,
			const struct dossier *dossier, enum action action, const struct decision *dec,
			int64_t decided_at)
{
	struct counter k = {ctx, creditor_id, partner_id, ""};
	const char *a = action_name(action);
	caldate_format(amsterdam_day(decided_at), k.day);
	add(&k, "requested", a);
	add(&k, dec->allow ? "allowed" : "denied", a);
	for (int i = 0; i < dec->n_reasons; i++)
		if (!dec->reasons[i].waived)
			add(&k, "denied_rule", rule_code(dec->reasons[i].rule));
	if (dec->allow && action == ACTION_SUMMONS) {
		add(&k, "summons_allowed", "");
		if (contact_before(contract, dossier, decided_at))
			add(&k, "summons_after_contact", "");
	}
}
