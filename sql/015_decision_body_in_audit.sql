-- A decision's body (the response as sent) is kept once, as its audit record's payload.
--
-- Since 010 the body was written twice per decision: in decisions.body and in audit_log.payload,
-- the same bytes (gateway/h_escalations.c hands the one buffer to both). A decision row of ~1.3
-- KB filled a heap page every six decisions, and extending the table by a page is the dearest
-- part of an insert: pgbench, one client, 32 decision rows per statement, asynchronous commit, 4
-- alternations on the benchmark's database: 0.97-1.11 ms per statement with a 1,100-byte body,
-- 0.71-0.89 ms with an empty one, ~8 us of PostgreSQL's CPU per decision.
--
-- New decisions leave decisions.body NULL and name their record (audit_chain, audit_seq, its
-- primary key); older ones keep their copy. fairgate_decision_body is the one place that reads
-- a body back: the GET of a decision, the Idempotency-Key replay and the outbox's claim use it.
-- The audit record is never deleted (the chain would break), so a body is never lost.
ALTER TABLE decisions ALTER COLUMN body DROP NOT NULL;

CREATE FUNCTION fairgate_decision_body(p_id text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(d.body, a.payload)
    FROM decisions d LEFT JOIN audit_log a ON a.chain = d.audit_chain AND a.seq = d.audit_seq
    WHERE d.id = p_id
$$;
