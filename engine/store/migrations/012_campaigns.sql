-- The campaign dialer: contact lists, DND lists, CSV import jobs, campaigns, and the
-- per-contact dial state the dialer claims with FOR UPDATE SKIP LOCKED.

CREATE TABLE contact_lists (
    list_id      text PRIMARY KEY CHECK (list_id ~ '^LS[0-9a-f]{10}$'),
    account_id   text NOT NULL REFERENCES accounts (account_id),
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, name)
);

-- One row per number of a list (numbers are E.164 digits without "+").
CREATE TABLE contacts (
    contact_id   bigserial PRIMARY KEY,
    list_id      text NOT NULL REFERENCES contact_lists (list_id) ON DELETE CASCADE,
    number       text NOT NULL,
    name         text NOT NULL DEFAULT '',
    fields       jsonb NOT NULL DEFAULT '{}',
    -- The number's IANA time zones (phonenumbers' prefix data): daily calling hours apply
    -- in every one of them. Empty: unknown, the campaign's own zone applies.
    zones        text[] NOT NULL DEFAULT '{}',
    -- An external id of the contact (iSales uniqueId), optional.
    unique_id    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (list_id, number)
);

CREATE TABLE dnd_lists (
    dnd_list_id  text PRIMARY KEY CHECK (dnd_list_id ~ '^DN[0-9a-f]{10}$'),
    account_id   text NOT NULL REFERENCES accounts (account_id),
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, name)
);

CREATE TABLE dnd_numbers (
    dnd_list_id  text NOT NULL REFERENCES dnd_lists (dnd_list_id) ON DELETE CASCADE,
    number       text NOT NULL,
    name         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dnd_list_id, number)
);

-- CSV imports run as jobs (claimed like everything else, so a crash resumes nothing twice).
CREATE TABLE import_jobs (
    job_id       text PRIMARY KEY CHECK (job_id ~ '^IJ[0-9a-f]{10}$'),
    account_id   text NOT NULL REFERENCES accounts (account_id),
    target_kind  text NOT NULL CHECK (target_kind IN ('contacts', 'dnd')),
    target_id    text NOT NULL,
    file_name    text NOT NULL,
    status       text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'done', 'failed')),
    bytes_total  bigint NOT NULL DEFAULT 0,
    bytes_read   bigint NOT NULL DEFAULT 0,
    rows_read    bigint NOT NULL DEFAULT 0,
    imported     bigint NOT NULL DEFAULT 0,
    duplicates   bigint NOT NULL DEFAULT 0,
    rejected     bigint NOT NULL DEFAULT 0,
    -- The first few rejected rows: [{"row": 7, "reason": "…"}, …]
    errors       jsonb NOT NULL DEFAULT '[]',
    failure      text NOT NULL DEFAULT '',
    claimed_by   text,
    claimed_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX import_jobs_waiting ON import_jobs (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE campaigns (
    campaign_id      text PRIMARY KEY CHECK (campaign_id ~ '^CM[0-9a-f]{10}$'),
    account_id       text NOT NULL REFERENCES accounts (account_id),
    name             text NOT NULL,
    list_id          text NOT NULL REFERENCES contact_lists (list_id),
    dnd_list_id      text REFERENCES dnd_lists (dnd_list_id),
    campaign_type    smallint NOT NULL CHECK (campaign_type IN (0, 1)),
    -- The validated definition (engine.domain.campaigns.definition), as JSON.
    definition       jsonb NOT NULL,
    start_at         timestamptz NOT NULL,
    end_at           timestamptz NOT NULL,
    calls_per_minute double precision NOT NULL CHECK (calls_per_minute > 0),
    max_retries      integer NOT NULL DEFAULT 0,
    retry_seconds    integer NOT NULL DEFAULT 0,
    retry_on         text[] NOT NULL DEFAULT '{}',
    -- Daily calling hours in the callee's local time; NULL: any hour of the window.
    hours_start      time,
    hours_end        time,
    -- 0 scheduled, 1 running, 2 paused, 3 completed, 4 stopped, 5 suspended (breaker)
    status           smallint NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 5),
    status_reason    text NOT NULL DEFAULT '',
    -- Pacing: the earliest moment the campaign's next call may start (shared by engines).
    next_dial_at     timestamptz,
    scrubbed_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    UNIQUE (account_id, name)
);
CREATE INDEX campaigns_active ON campaigns (next_dial_at) WHERE status IN (0, 1);

-- The campaign's own copy of its list, taken when it is created, with each contact's state.
CREATE TABLE campaign_contacts (
    campaign_id  text NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    contact_id   bigint NOT NULL,
    number       text NOT NULL,
    zones        text[] NOT NULL DEFAULT '{}',
    -- pending, dialling (an attempt is claimed or live), retry (waits for next_at),
    -- answered, failed (no retry left), dnd (scrubbed, never dialled), expired (the
    -- window closed first), stopped (the campaign was stopped first)
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN
                     ('pending', 'dialling', 'retry', 'answered', 'failed', 'dnd', 'expired',
                      'stopped')),
    attempts     integer NOT NULL DEFAULT 0,
    next_at      timestamptz,
    last_status  text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, contact_id)
);
CREATE INDEX campaign_contacts_due ON campaign_contacts (campaign_id, next_at NULLS FIRST, contact_id)
    WHERE state IN ('pending', 'retry');

-- Every attempt, claimed before it is dialled; request_id is its call's id.
CREATE TABLE campaign_attempts (
    request_id   text PRIMARY KEY,
    campaign_id  text NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    contact_id   bigint NOT NULL,
    attempt      integer NOT NULL,
    number       text NOT NULL,
    claimed_by   text NOT NULL,
    claimed_at   timestamptz NOT NULL DEFAULT now(),
    dial_status  text,
    hangup_cause integer,
    ended_at     timestamptz,
    UNIQUE (campaign_id, contact_id, attempt)
);
CREATE INDEX campaign_attempts_open ON campaign_attempts (claimed_at) WHERE ended_at IS NULL;
CREATE INDEX campaign_attempts_recent ON campaign_attempts (campaign_id, claimed_at);

-- DND rows of the campaign ledger have no call: no request_id, no uniqueid.
ALTER TABLE cdrs ALTER COLUMN request_id DROP NOT NULL;
ALTER TABLE cdrs ALTER COLUMN uniqueid DROP NOT NULL;
