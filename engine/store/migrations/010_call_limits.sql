-- Account call limits (set by the CLI; a NULL column means the engine's default setting),
-- and the durable queue of API calls waiting for a slot.
CREATE TABLE account_limits (
    account_id            text PRIMARY KEY REFERENCES accounts (account_id),
    max_concurrent_calls  integer CHECK (max_concurrent_calls >= 1),
    calls_per_second      double precision CHECK (calls_per_second > 0),
    queue_limit           integer CHECK (queue_limit >= 0),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- One row per queued API call, with the call's snapshot (engine.store.call_codec): the
-- dispatcher starts rows in seq order. A row is claimed (claimed_at/claimed_by, committed)
-- before its call is launched and deleted once launched; a claim older than the lease whose
-- call never reached `calls` was left by a dead engine and is claimed again.
CREATE TABLE api_call_queue (
    seq         bigserial PRIMARY KEY,
    request_id  text NOT NULL UNIQUE,
    account_id  text NOT NULL REFERENCES accounts (account_id),
    snapshot    jsonb NOT NULL,
    queued_at   timestamptz NOT NULL DEFAULT now(),
    claimed_at  timestamptz,
    claimed_by  text
);
CREATE INDEX api_call_queue_account ON api_call_queue (account_id, seq);
