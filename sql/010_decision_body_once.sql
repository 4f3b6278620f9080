-- A decision's body (decisions.body, the response as sent) was written four times per decision:
-- in decisions, in its audit record, in the creditor's notification and in the Idempotency-Key
-- answer. The last two now refer to the decision instead (decision_id; payload or response
-- NULL), and are read through it: the outbox claim and the idempotency lookup take the body
-- from decisions (gateway/outbox.c, gateway/idempotency.c). The audit record keeps its own
-- copy: the chain is verified from audit_log alone. Decisions are never deleted, so a
-- reference never dangles (as for 007's decisions.dossier_id, no foreign key check per row).
ALTER TABLE outbox ADD COLUMN decision_id text;
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_payload_or_decision
    CHECK ((payload IS NULL) <> (decision_id IS NULL));

ALTER TABLE idempotency_keys ADD COLUMN decision_id text;
ALTER TABLE idempotency_keys ALTER COLUMN response DROP NOT NULL;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_response_or_decision
    CHECK ((response IS NULL) <> (decision_id IS NULL));
