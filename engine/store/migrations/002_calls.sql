-- Calls and their legs. One cdr row per leg is the ledger the CDR API reads.
CREATE TABLE calls (
    request_id   text PRIMARY KEY CHECK (request_id ~ '^[0-9a-f]{10}$'),
    account_id   text NOT NULL REFERENCES accounts (account_id),
    origin       text NOT NULL CHECK (origin IN
                     ('click2call', 'otp', 'callback', 'campaign', 'api', 'inbound')),
    state        text NOT NULL,
    -- The whole call as the state machine last saw it; a restarted engine rebuilds from it.
    snapshot     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX calls_live ON calls (state) WHERE ended_at IS NULL;
CREATE INDEX calls_account_created ON calls (account_id, created_at);

CREATE TABLE cdrs (
    id                   bigserial PRIMARY KEY,
    account_id           text NOT NULL REFERENCES accounts (account_id),
    request_id           text NOT NULL REFERENCES calls (request_id),
    uniqueid             text NOT NULL UNIQUE,
    role                 text NOT NULL,
    agent_number         text NOT NULL DEFAULT '',
    customer_number      text NOT NULL DEFAULT '',
    dialed_number        text NOT NULL DEFAULT '',
    caller_id            text NOT NULL DEFAULT '',
    channel              text NOT NULL DEFAULT '',
    call_direction       text NOT NULL,
    destination_context  text NOT NULL,
    dial_status          text,
    call_status          text,
    call_date            timestamptz NOT NULL,
    answer               timestamptz,
    "end"                timestamptz,
    billsec              double precision,
    call_duration        double precision,
    hangup_cause         integer,
    dtmf_inputs          text NOT NULL DEFAULT '',
    recording_name       text NOT NULL DEFAULT '',
    campaign_id          text,
    list_id              text,
    is_dnd               text
);
CREATE INDEX cdrs_account_date ON cdrs (account_id, call_date DESC, id DESC);
CREATE INDEX cdrs_request ON cdrs (request_id);
CREATE INDEX cdrs_campaign ON cdrs (account_id, campaign_id) WHERE campaign_id IS NOT NULL;

-- Inbound routing: a DID belongs to one account and rings one agent extension.
CREATE TABLE dids (
    did          text PRIMARY KEY CHECK (did ~ '^[0-9]{3,20}$'),
    account_id   text NOT NULL REFERENCES accounts (account_id),
    agent        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Transcripts of recorded calls, produced off the call path.
CREATE TABLE transcripts (
    request_id   text PRIMARY KEY REFERENCES calls (request_id),
    account_id   text NOT NULL REFERENCES accounts (account_id),
    status       text NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    text         text NOT NULL DEFAULT '',
    reason       text NOT NULL DEFAULT '',
    recording    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
