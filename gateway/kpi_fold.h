/* kpi_fold.h - a timer that folds the pending KPI counts into the daily counters. */
#ifndef FAIRGATE_KPI_FOLD_H
#define FAIRGATE_KPI_FOLD_H

struct server;
struct kpi_fold;

/*
 * Every kpi_fold_interval_ms, runs fairgate_kpi_fold() (sql/014_kpi_pending.sql):
 * the counts that commit batches wrote to kpi_pending move into kpi_daily, one
 * upsert per counter. Reports read both tables, so a fold that is late or fails
 * changes no figure, only how many rows a report adds up; a failed fold is
 * tried again on the next tick. Several gateway processes may fold at once.
 */
struct kpi_fold *kpi_fold_create(struct server *srv);
void kpi_fold_free(struct kpi_fold *f);

#endif
