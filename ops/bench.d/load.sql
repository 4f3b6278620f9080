-- ops/bench.d/load.sql - loads :n dossiers of creditor woonstad, handed to incasso-noord under
-- contract woonstad-incassonoord, each with a realistic history of facts, directly with SQL.
-- Rows are as the gateway writes them (gateway/h_dossiers.c): the dossier row with its
-- deadline (handover day + max_duration_days, gateway/policy derive.c), one events row per
-- fact whose body is the request body the gateway stored (gateway/input.c event_read reads it
-- back: type, occurred_at and the members of that type, nothing else), and the dossier's
-- version bumped once per fact. KPI counters and audit records of the load are not written:
-- escalations never read them.
-- psql variables: n (dossiers), partner_pid and creditor_pid (principal ids of the reporters).
\set ON_ERROR_STOP on
SET synchronous_commit = off;  -- loading only; the measured runs use the server's setting (on)

BEGIN;
-- Dossier i: handed over 1..100 days ago; every 10th is judicial, every 25th is vulnerable,
-- every 40th is in dispute; principal between EUR 50 and EUR 5,000.
CREATE TEMP TABLE bench_d ON COMMIT DROP AS
SELECT i,
       'bd-' || lpad(i::text, 7, '0') AS id,
       now() - make_interval(days => (1 + (i::bigint * 7919) % 100)::int, hours => (i * 31) % 24) AS handed_over_at,
       5000 + (i::bigint * 104729) % 495000 AS principal_cents,
       CASE WHEN i % 10 = 0 THEN 'judicial' ELSE 'amicable' END AS phase,
       CASE WHEN i % 25 = 0 THEN '{vulnerable}'::text[]
            WHEN i % 40 = 0 THEN '{dispute}'::text[] ELSE '{}'::text[] END AS flags
FROM generate_series(1, :n) AS i;

-- The facts of each dossier: (kind k, offset in hours after the handover); a fact never lies
-- in the future, so facts of recent handovers are cut off at now.
CREATE TEMP TABLE bench_e ON COMMIT DROP AS
SELECT d.id AS dossier_id, d.i, f.k, d.handed_over_at + make_interval(hours => f.h) AS at
FROM bench_d d
CROSS JOIN LATERAL (VALUES
    (1, 20),                  -- reminder letter
    (2, 24 * 15),             -- fourteen-day letter
    (3, 24 * 16 + 2),         -- contact attempt by phone, not reached
    (4, 24 * 18 + 3),         -- contact attempt by phone, reached (two in three)
    (5, 24 * 18 + 4),         -- personal contact by phone (two in three)
    (6, 24 * 25),             -- partial payment (one in two)
    (7, 24 * 30),             -- arrangement agreed (one in four)
    (8, 24 * 33),             -- payment in the arrangement (one in four)
    (9, 24 * 40)              -- contact attempt by sms, not reached
) AS f(k, h)
WHERE d.handed_over_at + make_interval(hours => f.h) < now() - interval '1 minute'
  AND (f.k NOT IN (4, 5) OR d.i % 3 <> 0)
  AND (f.k <> 6 OR d.i % 2 = 0)
  AND (f.k NOT IN (7, 8) OR d.i % 4 = 1);

INSERT INTO dossiers (id, creditor_id, partner_id, contract_id, debtor_ref, principal_cents,
                      currency, due_date, phase, shortened_track, flags, handed_over_at,
                      deadline, version, created_at)
SELECT d.id, 'woonstad', 'incasso-noord', 'woonstad-incassonoord',
       'deb-' || substr(md5(d.id), 1, 12), d.principal_cents, 'EUR',
       ((d.handed_over_at AT TIME ZONE 'Europe/Amsterdam')::date - 45),
       d.phase, false, d.flags, date_trunc('second', d.handed_over_at),
       CASE WHEN d.phase = 'amicable'
            THEN (d.handed_over_at AT TIME ZONE 'Europe/Amsterdam')::date + 120 END,
       coalesce(c.n, 0), d.handed_over_at
FROM bench_d d
LEFT JOIN (SELECT dossier_id, count(*) AS n FROM bench_e GROUP BY dossier_id) c ON c.dossier_id = d.id
ORDER BY d.i;

INSERT INTO events (dossier_id, type, occurred_at, reporter, principal_id, body, recorded_at)
SELECT e.dossier_id, b.body ->> 'type', date_trunc('second', e.at), 'partner', :partner_pid,
       b.body, e.at + interval '3 minutes'
FROM bench_e e
CROSS JOIN LATERAL (SELECT to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ts) t
CROSS JOIN LATERAL (SELECT CASE e.k
    WHEN 1 THEN jsonb_build_object('type', 'letter_sent', 'occurred_at', t.ts,
                                   'template', 'herinnering-v3', 'kind', 'reminder')
    WHEN 2 THEN jsonb_build_object('type', 'letter_sent', 'occurred_at', t.ts,
                                   'template', 'veertiendagenbrief-v2', 'kind', 'fourteen_day_letter',
                                   'received_on', to_char((e.at AT TIME ZONE 'Europe/Amsterdam')::date + 1, 'YYYY-MM-DD'))
    WHEN 3 THEN jsonb_build_object('type', 'contact_attempt', 'occurred_at', t.ts,
                                   'channel', 'phone', 'reached', false)
    WHEN 4 THEN jsonb_build_object('type', 'contact_attempt', 'occurred_at', t.ts,
                                   'channel', 'phone', 'reached', true)
    WHEN 5 THEN jsonb_build_object('type', 'personal_contact', 'occurred_at', t.ts, 'channel', 'phone')
    WHEN 6 THEN jsonb_build_object('type', 'payment', 'occurred_at', t.ts,
                                   'amount_cents', 1000 + (e.i * 7) % 4000)
    WHEN 7 THEN jsonb_build_object('type', 'arrangement_agreed', 'occurred_at', t.ts,
                                   'installment_cents', 2500, 'installments', 12)
    WHEN 8 THEN jsonb_build_object('type', 'payment', 'occurred_at', t.ts, 'amount_cents', 2500)
    ELSE jsonb_build_object('type', 'contact_attempt', 'occurred_at', t.ts,
                            'channel', 'sms', 'reached', false)
    END AS body) b
ORDER BY e.at, e.dossier_id;
COMMIT;

VACUUM ANALYZE dossiers;
VACUUM ANALYZE events;
-- The facts the triggers on events wrote, too: otherwise autovacuum's first pass over them (the
-- insert threshold) falls inside the first measured runs. At 1,000,000 dossiers it took 30 s
-- and ~4 s of CPU and dirtied 94,000 pages while scale's first run of that size was measured.
-- FREEZE, as a database that grew over months has had it. Only the loaded tables: an ANALYZE
-- of the gateway's still empty tables (decisions, audit_log, ...) records them as empty, and
-- the first run on a 5,000-dossier database was then four times slower than the next.
VACUUM (FREEZE, ANALYZE) dossier_facts;
SELECT count(*) AS dossiers, (SELECT count(*) FROM events) AS events FROM dossiers WHERE id LIKE 'bd-%';
