-- 006_principal_notify.sql - tell every gateway at once when a principal changes, so a revoked
-- token stops working immediately (gateway/auth.c listens and empties its cache).
CREATE FUNCTION fairgate_principal_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fairgate_principals', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER principals_changed AFTER UPDATE OR DELETE ON principals
    FOR EACH ROW EXECUTE FUNCTION fairgate_principal_changed();
