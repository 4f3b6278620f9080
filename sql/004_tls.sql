-- 004_tls.sql - client certificates bound to principals (tls_client_ca).
-- The hex SHA-256 of the DER certificate; a certificate names at most one principal.
ALTER TABLE principals ADD COLUMN cert_sha256 text UNIQUE
    CHECK (cert_sha256 IS NULL OR cert_sha256 ~ '^[0-9a-f]{64}$');
