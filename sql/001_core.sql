-- 001_core.sql: principals, partners, contracts, dossiers, events, decisions, the audit chain.
-- Debtor data is pseudonymous: a dossier carries a debtor_ref chosen by the creditor, never a
-- name or BSN. Money is integer cents.

CREATE TABLE principals (
    id           bigserial PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,          -- hex SHA-256 of the token; the token is never stored
    role         text NOT NULL CHECK (role IN ('admin', 'creditor', 'agency', 'bailiff', 'monitor')),
    name         text NOT NULL,
    creditor_id  text,                          -- creditor: itself; monitor: the creditor it is granted
    partner_id   text,                          -- agency, bailiff: the partner it acts for
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    CHECK (role NOT IN ('creditor', 'monitor') OR creditor_id IS NOT NULL),
    CHECK (role NOT IN ('agency', 'bailiff') OR partner_id IS NOT NULL)
);

CREATE TABLE creditors (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    webhook_url text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partners (
    id              text PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('agency', 'bailiff')),
    name            text NOT NULL,
    wki_number      text,
    wki_valid_until date,
    webhook_url     text,
    doc             jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contracts (
    id          text NOT NULL,
    version     int  NOT NULL CHECK (version >= 1),
    creditor_id text NOT NULL,
    partner_id  text NOT NULL REFERENCES partners (id),
    valid_from  date NOT NULL,
    valid_to    date,
    doc         jsonb NOT NULL,                 -- the document as validated
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);

CREATE TABLE dossiers (
    id                   text PRIMARY KEY,
    creditor_id          text NOT NULL,
    partner_id           text NOT NULL REFERENCES partners (id),
    contract_id          text NOT NULL,
    debtor_ref           text NOT NULL,
    principal_cents      bigint NOT NULL CHECK (principal_cents > 0),
    currency             text NOT NULL CHECK (currency = 'EUR'),
    due_date             date NOT NULL,
    phase                text NOT NULL CHECK (phase IN ('amicable', 'judicial')),
    shortened_track      boolean NOT NULL,
    flags                text[] NOT NULL DEFAULT '{}',
    handed_over_at       timestamptz NOT NULL,
    deadline             date,                   -- last amicable day with the partner (R04); NULL once judicial
    flagged_for_return_at timestamptz,
    version              bigint NOT NULL DEFAULT 0,  -- bumped by every fact and decision
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_creditor ON dossiers (creditor_id);
CREATE INDEX dossiers_partner ON dossiers (partner_id);
-- The deadline timer reads only dossiers not yet flagged, in deadline order.
CREATE INDEX dossiers_deadline_open ON dossiers (deadline)
    WHERE flagged_for_return_at IS NULL AND deadline IS NOT NULL;

CREATE TABLE events (
    id           bigserial PRIMARY KEY,
    dossier_id   text NOT NULL REFERENCES dossiers (id),
    type         text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    reporter     text NOT NULL CHECK (reporter IN ('creditor', 'partner')),
    principal_id bigint NOT NULL,
    body         jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_dossier ON events (dossier_id, occurred_at);

CREATE TABLE decisions (
    id               text PRIMARY KEY,
    dossier_id       text NOT NULL REFERENCES dossiers (id),
    creditor_id      text NOT NULL,
    partner_id       text NOT NULL,
    action           text NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('allow', 'deny')),
    rules            text[] NOT NULL DEFAULT '{}',   -- rules that denied
    contract_id      text NOT NULL,
    contract_version int NOT NULL,
    amount_cents     bigint,
    request          jsonb NOT NULL,
    body             text NOT NULL,                  -- the response as sent
    audit_chain      int NOT NULL,
    audit_seq        bigint NOT NULL,
    decided_at       timestamptz NOT NULL
);
CREATE INDEX decisions_dossier ON decisions (dossier_id, decided_at);
CREATE INDEX decisions_creditor ON decisions (creditor_id, decided_at);

-- One hash chain per gateway process start; signed checkpoints cover every head.
CREATE TABLE audit_chains (
    id         serial PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    host       text NOT NULL,
    pid        int NOT NULL
);

CREATE TABLE audit_log (
    chain       int NOT NULL REFERENCES audit_chains (id),
    seq         bigint NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    kind        text NOT NULL,
    subject     text NOT NULL,
    creditor_id text,
    recorded_at timestamptz NOT NULL,
    payload     text NOT NULL,                  -- canonical JSON, hashed as stored
    PRIMARY KEY (chain, seq)
);

-- Raises when a dossier changed since it was read: concurrent decisions on one
-- dossier (also from another gateway process) are serialized by this check.
CREATE FUNCTION fairgate_expect_version(p_dossier text, p_version bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dossiers SET version = version + 1 WHERE id = p_dossier AND version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dossier % changed concurrently', p_dossier USING ERRCODE = '40001';
    END IF;
END
$$;

-- Written, time-bound waivers of one rule of one contract (seed 002, section 1.4).
CREATE TABLE contract_exceptions (
    id          text NOT NULL,
    version     int  NOT NULL CHECK (version >= 1),
    creditor_id text NOT NULL,
    contract_id text NOT NULL,
    partner_id  text NOT NULL,
    rule        text NOT NULL,
    valid_from  date NOT NULL,
    valid_until date NOT NULL,
    doc         jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);
CREATE INDEX contract_exceptions_contract ON contract_exceptions (contract_id);

-- Facts refused by a rule (R13, R18): kept so they count against the partner.
CREATE TABLE refused_events (
    id           bigserial PRIMARY KEY,
    dossier_id   text NOT NULL REFERENCES dossiers (id),
    partner_id   text NOT NULL,
    creditor_id  text NOT NULL,
    type         text NOT NULL,
    rules        text[] NOT NULL,
    occurred_at  timestamptz NOT NULL,
    body         jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refused_events_partner ON refused_events (partner_id, recorded_at);

-- Guards for immutable, numbered versions owned by one creditor. Custom SQLSTATEs:
-- FG001 owned by another creditor, FG002 not the next version, FG003 unknown contract.
CREATE FUNCTION fairgate_contract_check(p_id text, p_version int, p_creditor text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_owner text;
    v_max int;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('contract:' || p_id));
    SELECT min(creditor_id), max(version) INTO v_owner, v_max FROM contracts WHERE id = p_id;
    IF v_owner IS NOT NULL AND v_owner <> p_creditor THEN
        RAISE EXCEPTION 'contract % belongs to another creditor', p_id USING ERRCODE = 'FG001';
    END IF;
    IF p_version <> coalesce(v_max, 0) + 1 THEN
        RAISE EXCEPTION 'version must be %', coalesce(v_max, 0) + 1 USING ERRCODE = 'FG002';
    END IF;
END
$$;

CREATE FUNCTION fairgate_exception_check(p_id text, p_version int, p_creditor text,
                                         p_contract text, p_partner text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_owner text;
    v_max int;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('exception:' || p_id));
    IF NOT EXISTS (SELECT 1 FROM contracts WHERE id = p_contract AND creditor_id = p_creditor
                   AND partner_id = p_partner) THEN
        RAISE EXCEPTION 'no contract % of this creditor with partner %', p_contract, p_partner
            USING ERRCODE = 'FG003';
    END IF;
    SELECT min(creditor_id), max(version) INTO v_owner, v_max FROM contract_exceptions WHERE id = p_id;
    IF v_owner IS NOT NULL AND v_owner <> p_creditor THEN
        RAISE EXCEPTION 'exception % belongs to another creditor', p_id USING ERRCODE = 'FG001';
    END IF;
    IF p_version <> coalesce(v_max, 0) + 1 THEN
        RAISE EXCEPTION 'version must be %', coalesce(v_max, 0) + 1 USING ERRCODE = 'FG002';
    END IF;
END
$$;

-- Idempotency-Key (IETF httpapi draft): the first answer to (principal, key), stored in the
-- same transaction as the change it reports, replayed byte for byte. Kept at least 24 hours.
CREATE TABLE idempotency_keys (
    principal_id   bigint NOT NULL,
    key            text NOT NULL,
    request_sha256 text NOT NULL,
    status         int NOT NULL,
    content_type   text NOT NULL,
    response       text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
