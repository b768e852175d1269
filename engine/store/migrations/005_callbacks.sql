-- Scheduled callbacks. A callback's request_id is also the request_id of the call it places.
-- scheduled_at/time_zone are kept as the client sent them; due_at is the UTC instant.
CREATE TABLE callbacks (
    request_id          text PRIMARY KEY CHECK (request_id ~ '^[0-9a-f]{10}$'),
    account_id          text NOT NULL REFERENCES accounts (account_id),
    agent_number        text NOT NULL,
    caller_id           text NOT NULL,
    destination_number  text NOT NULL,
    recording_option    text NOT NULL,
    time_zone           text NOT NULL,
    scheduled_at        text NOT NULL,
    due_at              timestamptz NOT NULL,
    status              text NOT NULL CHECK (status IN
                            ('scheduled', 'fired', 'done', 'failed', 'cancelled')),
    -- Claims: set in the same transaction that flips the row to 'fired'.
    claimed_at          timestamptz,
    claimed_by          text,
    attempts            integer NOT NULL DEFAULT 0,
    reason              text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX callbacks_due ON callbacks (due_at) WHERE status = 'scheduled';
CREATE INDEX callbacks_fired ON callbacks (claimed_at) WHERE status = 'fired';
CREATE INDEX callbacks_account ON callbacks (account_id, created_at);
