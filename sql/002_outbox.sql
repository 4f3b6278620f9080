-- 002_outbox.sql - durable outbox of signed webhook notifications, delivered at least once.
--
-- A row is inserted in the same transaction as the state change it announces
-- (gateway/outbox.c, outbox_enqueue) and delivered later by the deliverer on the
-- event loop. Self-contained: depends on no other migration's tables.
--
-- Delivery states:
--   pending      waiting for its first or next attempt (next_attempt_at)
--   delivered    the receiver answered 2xx (delivered_at); never sent again
--   dead         max_attempts failed attempts; kept for inspection, never sent again
--   no_endpoint  the target had no URL when the row was written; never sent
-- locked_until is the claim of one deliverer: while it lies in the future, no
-- other deliverer takes the row; if a deliverer dies, the claim simply expires
-- and the row is delivered again with the same Idempotency-Key.

CREATE TABLE IF NOT EXISTS outbox (
	id bigserial PRIMARY KEY,
	created_at timestamptz NOT NULL DEFAULT now(),
	target_kind text NOT NULL CHECK (target_kind IN ('partner', 'creditor')),
	target_id text NOT NULL,
	url text,
	-- goes into a header verbatim, so a narrow alphabet (no CR/LF injection)
	event_type text NOT NULL CHECK (event_type ~ '^[A-Za-z0-9_.-]{1,100}$'),
	payload text NOT NULL, -- the exact JSON body sent (and signed)
	status text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'delivered', 'dead', 'no_endpoint')),
	attempts int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	last_error text,
	last_status int, -- HTTP status of the last attempt; NULL when no response came
	delivered_at timestamptz,
	locked_until timestamptz,
	CONSTRAINT outbox_pending_has_url
		CHECK (status <> 'pending' OR (url IS NOT NULL AND url <> '')),
	CONSTRAINT outbox_delivered_at
		CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);

-- The deliverer's poll: due pending rows in next_attempt_at order. Partial, so
-- polling and the backlog count never touch delivered rows.
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- Listing undelivered rows page by page (GET of pending / dead deliveries).
CREATE INDEX IF NOT EXISTS outbox_undelivered ON outbox (status, id)
	WHERE status IN ('pending', 'dead');
