-- 005_checkpoints.sql: signed checkpoints of every audit chain head (Ed25519).
-- body is the canonical JSON {"checkpoint_at", "heads":[{"chain","seq","hash"}...]} exactly
-- as signed; signature is base64; public_key is the signer's PEM (SubjectPublicKeyInfo).
-- A verifier checks the signature with a key it trusts, never with the stored one alone.
CREATE TABLE audit_checkpoints (
    id         bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    body       text NOT NULL,
    signature  text NOT NULL,
    public_key text NOT NULL
);
