-- 007_batch.sql - set-based writes for the committer's batches (gateway/committer.c).
--
-- A batch checks the versions of all the dossiers its allowing decisions were decided on in one
-- statement: every one still at the version read is bumped; otherwise nothing is and the error
-- names the 1-based positions of the stale ones ("stale dossier versions at {2,7}"), so the
-- committer fails those decisions alone (they are decided again) and commits the rest.
CREATE FUNCTION fairgate_expect_versions(p_ids text[], p_versions bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_stale int[];
BEGIN
    WITH want AS (
        SELECT u.id, u.v, u.n FROM unnest(p_ids, p_versions) WITH ORDINALITY AS u(id, v, n)
    ), bumped AS (
        UPDATE dossiers d SET version = d.version + 1 FROM want
        WHERE d.id = want.id AND d.version = want.v RETURNING d.id
    )
    SELECT array_agg(want.n ORDER BY want.n) INTO v_stale
    FROM want WHERE NOT EXISTS (SELECT 1 FROM bumped b WHERE b.id = want.id);
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'stale dossier versions at %', v_stale USING ERRCODE = '40001';
    END IF;
END
$$;

-- The allowed escalations of a dossier (every decision reads them): an index of allows only, so
-- the read does not grow with the denials a dossier collects.
CREATE INDEX decisions_allowed ON decisions (dossier_id, decided_at) WHERE outcome = 'allow';
