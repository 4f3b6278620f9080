-- A dossier's facts, kept as the JSON array every read of the dossier returns
-- (gateway/dossier_load.c: [{id, reporter, body}] in occurred_at, id order).
--
-- Every decision reads its dossier's facts. Aggregating them from events on each read cost
-- ~19 us per dossier (psql, 4,000 dossiers of ~5 facts: a bitmap scan of the dossier's events,
-- each on a heap page of its own since facts arrive over weeks), against ~5 us to fetch this
-- row by its key. Facts are written rarely and read on every decision, so the array is built
-- when they are written, by triggers on events: whoever writes a fact (the API, a loader,
-- an operator's psql), dossier_facts follows in the same transaction.
CREATE TABLE dossier_facts (
    dossier_id text PRIMARY KEY REFERENCES dossiers (id),
    facts      text NOT NULL
);

-- Rebuilds the arrays of these dossiers from events. The dossiers' rows are locked first, so
-- a concurrent fact on the same dossier waits for this transaction and then rebuilds from a
-- snapshot that holds both facts (without the lock, the later commit would keep an array
-- built without the earlier fact). PL/pgSQL takes a new snapshot for each statement.
CREATE FUNCTION fairgate_dossier_facts_rebuild(p_ids text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM dossiers d WHERE d.id = ANY (p_ids) ORDER BY d.id FOR NO KEY UPDATE;
    DELETE FROM dossier_facts f WHERE f.dossier_id = ANY (p_ids)
        AND NOT EXISTS (SELECT 1 FROM events e WHERE e.dossier_id = f.dossier_id);
    INSERT INTO dossier_facts (dossier_id, facts)
    SELECT e.dossier_id,
           '[' || string_agg('{"id":' || e.id || ',"reporter":"' || e.reporter || '","body":' ||
                             e.body::text || '}', ',' ORDER BY e.occurred_at, e.id) || ']'
    FROM events e WHERE e.dossier_id = ANY (p_ids)
    GROUP BY e.dossier_id
    ON CONFLICT (dossier_id) DO UPDATE SET facts = EXCLUDED.facts;
END
$$;

CREATE FUNCTION fairgate_events_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM fairgate_dossier_facts_rebuild(ARRAY(SELECT DISTINCT dossier_id FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM fairgate_dossier_facts_rebuild(ARRAY(SELECT dossier_id FROM new_rows
                                                     UNION SELECT dossier_id FROM old_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM fairgate_dossier_facts_rebuild(ARRAY(SELECT DISTINCT dossier_id FROM old_rows));
    ELSE -- TRUNCATE
        DELETE FROM dossier_facts;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_facts_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION fairgate_events_changed();
CREATE TRIGGER events_facts_update AFTER UPDATE ON events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fairgate_events_changed();
CREATE TRIGGER events_facts_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fairgate_events_changed();
CREATE TRIGGER events_facts_truncate AFTER TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION fairgate_events_changed();

-- The facts already stored.
INSERT INTO dossier_facts (dossier_id, facts)
SELECT e.dossier_id,
       '[' || string_agg('{"id":' || e.id || ',"reporter":"' || e.reporter || '","body":' ||
                         e.body::text || '}', ',' ORDER BY e.occurred_at, e.id) || ']'
FROM events e
GROUP BY e.dossier_id;
