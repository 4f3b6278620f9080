-- 003_kpi.sql - daily KPI counters, kept in the same transaction as each handover, fact and decision.
--
-- kpi_daily holds one integer per (creditor, partner, Amsterdam day, metric, key). The gateway
-- adds to it with one statement per state change (fairgate_kpi_handover, _event, _refused,
-- _decision, called from gateway/h_dossiers.c and gateway/h_escalations.c; the return flag by
-- a trigger because the janitor sets it). A KPI call then sums at most the days of its period
-- (gateway/h_kpi.c), never scanning decisions or events.
--
-- Metrics (key in brackets, '' when none):
--   handed_over                        dossiers handed over (day of handed_over_at)
--   closed [paid|returned]             payments reached the principal; flagged past max duration
--   requested|allowed|denied [action]  escalation decisions
--   denied_rule [Rnn]                  one per rule that denied
--   summons_allowed, summons_after_contact   allowed summonses; of those, preceded by a counting contact
--   contact_attempts, contact_reached  contact_attempt facts; of those reached=true (right-party contact)
--   personal_contacts [channel]        personal_contact facts
--   first_contact_days [n]             histogram: days from handover to the first counting contact
--   amicable_days [n]                  histogram: days in the amicable phase when it ends
--                                      (summons served, paid, returned)
--   returned_past_max                  dossiers flagged past their maximum duration
--   costs_charged_cents, wik_cap_cents costs charged; the WIK cap of each dossier charged (once)
--   referrals [to]                     referrals to debt help
--   arrangements_agreed, arrangements_broken
--   refused_facts [Rnn]                facts refused by R13 or R18, per rule
-- Medians use the histograms: per-day rows keyed by the number of days, summed over the
-- period and walked in key order (bounded by days x distinct durations, not by history).

CREATE TABLE kpi_daily (
    creditor_id text NOT NULL,
    partner_id  text NOT NULL,
    day         date NOT NULL,
    metric      text NOT NULL,
    key         text NOT NULL DEFAULT '',
    value       bigint NOT NULL,
    PRIMARY KEY (creditor_id, day, partner_id, metric, key)
);
-- "active" needs handed_over and closed since the beginning: one metric over all days.
CREATE INDEX kpi_daily_metric ON kpi_daily (creditor_id, metric, day);

CREATE FUNCTION fairgate_kpi_add(p_creditor text, p_partner text, p_at timestamptz, p_metric text,
                                 p_key text, p_value bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO kpi_daily (creditor_id, partner_id, day, metric, key, value)
    VALUES (p_creditor, p_partner, (p_at AT TIME ZONE 'Europe/Amsterdam')::date, p_metric,
            coalesce(p_key, ''), p_value)
    ON CONFLICT (creditor_id, day, partner_id, metric, key)
    DO UPDATE SET value = kpi_daily.value + EXCLUDED.value
$$;

-- The WIK maximum (Besluit vergoeding buitengerechtelijke incassokosten, art. 2), as policy/wik.c.
CREATE FUNCTION fairgate_wik_cap(p_principal bigint, p_vat boolean) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_principal <= 0 THEN 0 ELSE (
        SELECT CASE WHEN p_vat THEN (c * 121 + 50) / 100 ELSE c END
        FROM (SELECT least(677500, greatest(4000, (
            least(p_principal, 250000) * 150
            + greatest(least(p_principal, 500000) - 250000, 0) * 100
            + greatest(least(p_principal, 1000000) - 500000, 0) * 50
            + greatest(least(p_principal, 20000000) - 1000000, 0) * 10
            + greatest(p_principal - 20000000, 0) * 5 + 500) / 1000)) AS c) x) END
$$;

-- Days between handover and p_at, in Amsterdam days.
CREATE FUNCTION fairgate_kpi_days(p_from timestamptz, p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT greatest(0, (p_at AT TIME ZONE 'Europe/Amsterdam')::date
                       - (p_from AT TIME ZONE 'Europe/Amsterdam')::date)::text
$$;

-- A handover: called right after the dossier row is inserted.
CREATE FUNCTION fairgate_kpi_handover(p_dossier text) RETURNS void
LANGUAGE sql AS $$
    SELECT fairgate_kpi_add(creditor_id, partner_id, handed_over_at, 'handed_over', '', 1)
    FROM dossiers WHERE id = p_dossier
$$;

-- True when the contact fact counts as personal contact under the dossier's contract.
CREATE FUNCTION fairgate_kpi_counts(p_contract text, p_type text, p_body jsonb) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_type IN ('contact_attempt', 'personal_contact') AND coalesce((
        SELECT (c.doc #> '{terms,personal_contact_before_summons,channels}') ? (p_body ->> 'channel')
        FROM contracts c WHERE c.id = p_contract ORDER BY c.version DESC LIMIT 1),
        p_body ->> 'channel' IN ('phone', 'visit'))
$$;

-- An accepted fact: called right after its events row is inserted (same parameters).
CREATE FUNCTION fairgate_kpi_event(p_dossier text, p_type text, p_at timestamptz, p_reporter text,
                                   p_principal bigint, p_body jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d dossiers%ROWTYPE;
    v_paid bigint;
BEGIN
    SELECT * INTO d FROM dossiers WHERE id = p_dossier;
    IF p_type = 'contact_attempt' THEN
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'contact_attempts', '', 1);
        IF (p_body ->> 'reached')::boolean THEN
            PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'contact_reached', '', 1);
        END IF;
    ELSIF p_type = 'personal_contact' THEN
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'personal_contacts',
                                 p_body ->> 'channel', 1);
    ELSIF p_type = 'referral' THEN
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'referrals', p_body ->> 'to', 1);
    ELSIF p_type = 'arrangement_agreed' THEN
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'arrangements_agreed', '', 1);
    ELSIF p_type = 'arrangement_broken' THEN
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'arrangements_broken', '', 1);
    ELSIF p_type = 'summons_served' THEN
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'amicable_days',
                                 fairgate_kpi_days(d.handed_over_at, p_at), 1);
    ELSIF p_type = 'costs_charged' THEN
        IF NOT EXISTS (SELECT 1 FROM events e WHERE e.dossier_id = p_dossier
                       AND e.type = 'costs_charged' AND e.id < currval('events_id_seq')) THEN
            PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'wik_cap_cents', '',
                fairgate_wik_cap(d.principal_cents, coalesce((SELECT (c.doc #>> '{terms,collection_costs,vat}')::boolean
                    FROM contracts c WHERE c.id = d.contract_id ORDER BY c.version DESC LIMIT 1), false)));
        END IF;
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'costs_charged_cents', '',
                                 coalesce((p_body ->> 'amount_cents')::bigint, 0));
    ELSIF p_type = 'payment' AND d.flagged_for_return_at IS NULL THEN
        SELECT coalesce(sum((e.body ->> 'amount_cents')::bigint), 0) INTO v_paid
        FROM events e WHERE e.dossier_id = p_dossier AND e.type = 'payment';
        IF v_paid >= d.principal_cents
           AND v_paid - coalesce((p_body ->> 'amount_cents')::bigint, 0) < d.principal_cents THEN
            PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'closed', 'paid', 1);
            IF d.phase = 'amicable' AND d.deadline IS NOT NULL THEN
                PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'amicable_days',
                                         fairgate_kpi_days(d.handed_over_at, p_at), 1);
            END IF;
        END IF;
    END IF;
    IF fairgate_kpi_counts(d.contract_id, p_type, p_body)
       AND (p_type = 'personal_contact' OR (p_body ->> 'reached')::boolean)
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.dossier_id = p_dossier
                       AND e.id < currval('events_id_seq')
                       AND fairgate_kpi_counts(d.contract_id, e.type, e.body)
                       AND (e.type = 'personal_contact' OR (e.body ->> 'reached')::boolean)) THEN
        PERFORM fairgate_kpi_add(d.creditor_id, d.partner_id, p_at, 'first_contact_days',
                                 fairgate_kpi_days(d.handed_over_at, p_at), 1);
    END IF;
END
$$;

-- A fact refused by R13 or R18: called right after its refused_events row (same parameters).
CREATE FUNCTION fairgate_kpi_refused(p_dossier text, p_partner text, p_creditor text, p_type text,
                                     p_rules text[], p_at timestamptz, p_body jsonb) RETURNS void
LANGUAGE sql AS $$
    SELECT fairgate_kpi_add(p_creditor, p_partner, p_at, 'refused_facts', r, 1)
    FROM unnest(p_rules) r WHERE r IN ('R13', 'R18')
$$;

-- A decision: called right after its decisions row is inserted.
CREATE FUNCTION fairgate_kpi_decision(p_decision text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    x decisions%ROWTYPE;
    v_rule text;
BEGIN
    SELECT * INTO x FROM decisions WHERE id = p_decision;
    PERFORM fairgate_kpi_add(x.creditor_id, x.partner_id, x.decided_at, 'requested', x.action, 1);
    PERFORM fairgate_kpi_add(x.creditor_id, x.partner_id, x.decided_at,
                             CASE x.outcome WHEN 'allow' THEN 'allowed' ELSE 'denied' END, x.action, 1);
    FOREACH v_rule IN ARRAY x.rules LOOP
        PERFORM fairgate_kpi_add(x.creditor_id, x.partner_id, x.decided_at, 'denied_rule', v_rule, 1);
    END LOOP;
    IF x.outcome = 'allow' AND x.action = 'summons' THEN
        PERFORM fairgate_kpi_add(x.creditor_id, x.partner_id, x.decided_at, 'summons_allowed', '', 1);
        IF EXISTS (SELECT 1 FROM events e WHERE e.dossier_id = x.dossier_id
                   AND e.occurred_at <= x.decided_at
                   AND fairgate_kpi_counts(x.contract_id, e.type, e.body)) THEN
            PERFORM fairgate_kpi_add(x.creditor_id, x.partner_id, x.decided_at, 'summons_after_contact', '', 1);
        END IF;
    END IF;
END
$$;

-- The janitor flags a dossier past its maximum duration: counted once per flagging.
CREATE FUNCTION fairgate_kpi_flagged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fairgate_kpi_add(NEW.creditor_id, NEW.partner_id, NEW.flagged_for_return_at, 'returned_past_max', '', 1);
    PERFORM fairgate_kpi_add(NEW.creditor_id, NEW.partner_id, NEW.flagged_for_return_at, 'closed', 'returned', 1);
    PERFORM fairgate_kpi_add(NEW.creditor_id, NEW.partner_id, NEW.flagged_for_return_at, 'amicable_days',
                             fairgate_kpi_days(NEW.handed_over_at, NEW.flagged_for_return_at), 1);
    RETURN NEW;
END
$$;
CREATE TRIGGER dossiers_kpi_flagged AFTER UPDATE OF flagged_for_return_at ON dossiers
    FOR EACH ROW WHEN (OLD.flagged_for_return_at IS NULL AND NEW.flagged_for_return_at IS NOT NULL)
    EXECUTE FUNCTION fairgate_kpi_flagged();
