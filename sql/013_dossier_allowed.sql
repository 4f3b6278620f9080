-- A dossier's allowed escalations, kept on the dossier's row as the read returns them
-- (gateway/dossier_load.c: [action, decided_at epoch, amount_cents, extend_days] entries).
--
-- Every decision reads them. Aggregating them from decisions cost one heap page per allow
-- (a decision row is ~1 KB with its body): ~23 us per dossier of ~5 allows (psql, 4,000
-- dossiers). An allow already updates its dossier's row in its batch (the version check), so
-- the same UPDATE appends the entry, and the read gets it with the row. simulate.c still
-- reads decisions: it needs them as of a past time.
--
-- allowed: the entries joined by ',' (no brackets; '' for none), in commit order.
ALTER TABLE dossiers ADD COLUMN allowed text NOT NULL DEFAULT '';

-- The version checks of a batch (gateway/committer.c) now also record what each allow changes
-- on its dossier, in the same UPDATE of the row: its entry appended to allowed, and for an
-- extension the deadline moved by extend_days (which lifts the flag for return). A second
-- UPDATE of the row in the same transaction (first written as fairgate_record_allows, one
-- statement per allow) cost 32 to 64 us per allow in the benchmark's profile: another row
-- version, and the foreign key check on partners that PostgreSQL repeats for a row its own
-- transaction wrote. p_allowed[i] NULL or '' and p_extend_days[i] 0 change only the version.
-- The two-argument function of 007 is dropped: a gateway of the previous release would commit
-- allows without appending them, and the new gateways would then read an incomplete list. Without
-- it, such a gateway's allows fail (fail closed: nothing allowed) until it is upgraded.
CREATE FUNCTION fairgate_expect_versions(p_ids text[], p_versions bigint[], p_allowed text[],
                                         p_extend_days int[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_stale int[];
BEGIN
    WITH want AS (
        SELECT u.id, u.v, u.a, u.x, u.n
        FROM unnest(p_ids, p_versions, p_allowed, p_extend_days) WITH ORDINALITY AS u(id, v, a, x, n)
    ), bumped AS (
        UPDATE dossiers d
        SET version = d.version + 1,
            allowed = CASE WHEN coalesce(want.a, '') = '' THEN d.allowed
                           WHEN d.allowed = '' THEN want.a
                           ELSE d.allowed || ',' || want.a END,
            deadline = CASE WHEN want.x > 0 THEN d.deadline + want.x ELSE d.deadline END,
            flagged_for_return_at = CASE WHEN want.x > 0 THEN NULL ELSE d.flagged_for_return_at END
        FROM want
        WHERE d.id = want.id AND d.version = want.v RETURNING d.id
    )
    SELECT array_agg(want.n ORDER BY want.n) INTO v_stale
    FROM want WHERE NOT EXISTS (SELECT 1 FROM bumped b WHERE b.id = want.id);
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'stale dossier versions at %', v_stale USING ERRCODE = '40001';
    END IF;
END
$$;
-- As for 007's function (sql/009): the generic plan, an index probe per dossier, for any batch.
ALTER FUNCTION fairgate_expect_versions(text[], bigint[], text[], int[])
    SET plan_cache_mode = force_generic_plan;

-- The allows already stored, as the read aggregated them (decided_at order).
UPDATE dossiers d SET allowed = a.entries
FROM (SELECT x.dossier_id,
             string_agg(json_build_array(x.action, extract(epoch FROM x.decided_at)::bigint,
                                         coalesce(x.amount_cents, 0),
                                         coalesce((x.request->>'extend_days')::int, 0))::text,
                        ',' ORDER BY x.decided_at, x.audit_chain, x.audit_seq) AS entries
      FROM decisions x WHERE x.outcome = 'allow' GROUP BY x.dossier_id) a
WHERE d.id = a.dossier_id;

DROP FUNCTION fairgate_expect_versions(text[], bigint[]);
