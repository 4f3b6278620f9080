-- A dossier's allowed escalations, kept on the dossier's row as the read returns them
-- (gateway/dossier_load.c: [action, decided_at epoch, amount_cents, extend_days] entries).
--
-- Every decision reads them. Aggregating them from decisions cost one heap page per allow
-- (a decision row is ~1 KB with its body): ~23 us per dossier of ~5 allows (psql, 4,000
-- dossiers). An allow already updates its dossier's row in its batch (the version check), so
-- the entry is appended to the row by fairgate_record_allows in the same transaction, and
-- the read gets it with the row. simulate.c still reads decisions: it needs them as of a
-- past time.
--
-- allowed: the entries joined by ',' (no brackets; '' for none), in commit order.
ALTER TABLE dossiers ADD COLUMN allowed text NOT NULL DEFAULT '';

-- The allows of one commit batch (gateway/h_escalations.c, ALLOWED_ROWS): for each dossier
-- its entry, and the days an extension moves its deadline (0 for other actions; an extension
-- also lifts the dossier's flag for return). A batch never holds two allows of one dossier
-- (gateway/committer.c defers the second), and every dossier was version-checked earlier in
-- the batch, so each exists and is already locked by this transaction. One statement per
-- dossier, by primary key: a generic plan can never scan the table.
CREATE FUNCTION fairgate_record_allows(p_ids text[], p_entries text[], p_extend_days int[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
        IF p_extend_days[i] > 0 THEN
            UPDATE dossiers
            SET allowed = CASE WHEN allowed = '' THEN p_entries[i] ELSE allowed || ',' || p_entries[i] END,
                deadline = deadline + p_extend_days[i], flagged_for_return_at = NULL
            WHERE id = p_ids[i];
        ELSE
            UPDATE dossiers
            SET allowed = CASE WHEN allowed = '' THEN p_entries[i] ELSE allowed || ',' || p_entries[i] END
            WHERE id = p_ids[i];
        END IF;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'allowed escalation for unknown dossier %', p_ids[i] USING ERRCODE = '23503';
        END IF;
    END LOOP;
END
$$;

-- The allows already stored, as the read aggregated them (decided_at order).
UPDATE dossiers d SET allowed = a.entries
FROM (SELECT x.dossier_id,
             string_agg(json_build_array(x.action, extract(epoch FROM x.decided_at)::bigint,
                                         coalesce(x.amount_cents, 0),
                                         coalesce((x.request->>'extend_days')::int, 0))::text,
                        ',' ORDER BY x.decided_at, x.audit_chain, x.audit_seq) AS entries
      FROM decisions x WHERE x.outcome = 'allow' GROUP BY x.dossier_id) a
WHERE d.id = a.dossier_id;
