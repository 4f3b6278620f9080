-- ops/bench.d/decision1.sql - pgbench: one decision and its audit record per transaction, the
-- rows the gateway's committer writes (gateway/h_escalations.c esc_build, committer.c
-- AUDIT_ROWS), of the same sizes: the decision's body is the audit record's payload only, the
-- decision's row leaves it NULL (sql/015_decision_body_in_audit.sql). Into bench_decisions and
-- bench_audit_log, copies of the two tables with the same columns, checks and indexes (ops/bench
-- pgbench_prepare), so the gateway's tables do not grow by them between its runs.
-- Variables (-D): dossiers, chain.
\set d random(1, :dossiers)
BEGIN;
INSERT INTO bench_decisions (id, dossier_id, creditor_id, partner_id, action, outcome, rules, contract_id, contract_version, amount_cents, request, audit_chain, audit_seq, decided_at) VALUES ('dec_' || substr(md5(random()::text), 1, 24), 'bd-' || lpad(:d::text, 7, '0'), 'woonstad', 'incasso-noord', 'bank_seizure', 'deny', '{R05}'::text[], 'woonstad-incassonoord', 1, NULL, '{"action":"bank_seizure"}'::jsonb, :chain::int, nextval('bench_audit_seq'), now());
INSERT INTO bench_audit_log (chain, seq, prev_hash, hash, kind, subject, creditor_id, recorded_at, payload) VALUES (:chain::int, nextval('bench_audit_seq'), md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text), 'decision.recorded', 'bd-' || lpad(:d::text, 7, '0'), 'woonstad', now(), '{"action":"bank_seizure","audit_chain":1,"audit_seq":123456,"contract":{"id":"woonstad-incassonoord","version":1},"decided_at":"2026-11-22T07:00:00Z","decision":"deny","decision_id":"dec_0123456789abcdef01234567","dossier_id":"bd-0000001","reasons":[{"en":"The contract does not allow bank seizure for this partner.","nl":"Het contract staat beslag op een bankrekening door deze partner niet toe.","rule":"R05","waived": false}]}');
END;
