-- Status callbacks (Plivo's ring_url, hangup_url, machine_detection_url, conference
-- callbackUrl, …): one row per callback to deliver, and one per attempt made.
-- A dispatcher claims due rows (state 'delivering', leased_by/lease_until, committed before
-- the request goes out) with SELECT … FOR UPDATE SKIP LOCKED, so two engines never deliver
-- one at the same time; a lease that ran out (its engine died) makes the row due again.
CREATE TABLE webhook_deliveries (
    delivery_id      bigserial PRIMARY KEY,
    account_id       text NOT NULL,
    request_id       text NOT NULL,
    kind             text NOT NULL,
    url              text NOT NULL,
    method           text NOT NULL CHECK (method IN ('GET', 'POST')),
    params           jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_by        text,
    lease_until      timestamptz,
    last_status      integer,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state IN ('pending', 'delivering');
CREATE INDEX webhook_deliveries_call ON webhook_deliveries (account_id, request_id, delivery_id);

CREATE TABLE webhook_attempts (
    delivery_id  bigint NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    status       integer,            -- the HTTP status; NULL when there was no answer
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
