/* kpi_count.h - the KPI counts a decision adds, in its own commit batch. */
#ifndef FAIRGATE_KPI_COUNT_H
#define FAIRGATE_KPI_COUNT_H

#include <stdint.h>

#include "committer.h"
#include "policy.h"

/*
 * Counts what one decision counts, in its batch: requested and
 * allowed|denied per action, denied_rule per unwaived denying rule,
 * summons_allowed and summons_after_contact (an earlier contact attempt or
 * personal contact on a channel of the contract in force). The rows of a
 * whole batch go in one insert into kpi_pending, summed per counter
 * (sql/014_kpi_pending.sql); kpi_fold.c folds them into kpi_daily.
 */
void kpi_count_decision(const struct commit_ctx *ctx, const char *creditor_id,
			const char *partner_id, const struct contract *contract,
			const struct dossier *dossier, enum action action, const struct decision *dec,
			int64_t decided_at);

#endif
