-- Decisions' KPI counters are counted by the committer (gateway/kpi_count.c, summed per
-- batch, 007), so the per-decision function of 003 has no caller left.
DROP FUNCTION fairgate_kpi_decision(text);
