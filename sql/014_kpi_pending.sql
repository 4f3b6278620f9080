-- A decision's KPI counts are written with it, in its commit batch, to kpi_pending, and folded
-- into kpi_daily by the gateway's KPI folder (gateway/kpi_fold.c, every kpi_fold_interval_ms).
--
-- Until now a batch upserted its counters straight into kpi_daily (kpi_count.c, 007, 008):
-- ~10 counter rows per batch of ~13 decisions, each updated hundreds of times a second, a new
-- row version per update. In alternated runs of `./ops/bench ab` (100,000 dossiers, 64
-- connections, 4 rounds) leaving the counters out of the batch took the gateway's and
-- PostgreSQL's CPU per decision from 247 to 212 us. Plain inserts into a table without an
-- index cost a fraction of that, and the fold upserts each counter once per fold instead
-- of once per batch.
--
-- Nothing is counted late: a report reads kpi_counts, the folded counters and the pending rows
-- together, in one snapshot. The fold deletes what it adds in the same statement, so a row is
-- counted in kpi_daily or in kpi_pending, never in both and never in neither; two gateways'
-- folds running at once each take the rows the other has not deleted (the second waits on the
-- first's deleted rows, then skips them).
CREATE TABLE kpi_pending (
    creditor_id text NOT NULL,
    partner_id  text NOT NULL,
    day         date NOT NULL,
    metric      text NOT NULL,
    key         text NOT NULL DEFAULT '',
    value       bigint NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
-- No index: every batch inserts, the fold reads all of it, a report filters a second's rows.
-- Folds empty it several times a second: autovacuum is told to come by count, not by share.

-- Every KPI figure reads this: kpi_daily and what is still to be folded into it.
CREATE VIEW kpi_counts AS
    SELECT creditor_id, partner_id, day, metric, key, value FROM kpi_daily
    UNION ALL
    SELECT creditor_id, partner_id, day, metric, key, value FROM kpi_pending;

-- Folds every pending row into kpi_daily (shard 0) and returns how many it folded. Counters in
-- key order, so concurrent folds lock kpi_daily's rows in one order.
CREATE FUNCTION fairgate_kpi_fold() RETURNS bigint
LANGUAGE sql AS $$
    WITH moved AS (
        DELETE FROM kpi_pending RETURNING creditor_id, partner_id, day, metric, key, value
    ), folded AS (
        INSERT INTO kpi_daily (creditor_id, partner_id, day, metric, key, shard, value)
        SELECT creditor_id, partner_id, day, metric, key, 0, sum(value)::bigint FROM moved
        GROUP BY creditor_id, day, partner_id, metric, key
        ORDER BY creditor_id, day, partner_id, metric, key
        ON CONFLICT (creditor_id, day, partner_id, metric, key, shard)
        DO UPDATE SET value = kpi_daily.value + EXCLUDED.value
        RETURNING 1
    )
    SELECT count(*) FROM moved
$$;
