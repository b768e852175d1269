-- Multi-party calls (Plivo's PHLO multi-party call node): one row per (phlo_id, node_id)
-- of an account, and one row per member leg it dialled (its call's request_id, so its CDR).
CREATE TABLE multiparty_calls (
    phlo_id      text NOT NULL,
    node_id      text NOT NULL,
    account_id   text NOT NULL REFERENCES accounts (account_id),
    name         text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    caller_id    text NOT NULL,
    record       boolean NOT NULL DEFAULT false,
    recordings   text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (phlo_id, node_id)
);
CREATE INDEX multiparty_calls_account ON multiparty_calls (account_id, created_at);

CREATE TABLE multiparty_members (
    id           bigserial PRIMARY KEY,
    phlo_id      text NOT NULL,
    node_id      text NOT NULL,
    request_id   text NOT NULL UNIQUE,
    -- "extension" (an agent's softphone) or "number" (E.164 digits without "+").
    party_kind   text NOT NULL CHECK (party_kind IN ('extension', 'number')),
    party        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('agent', 'customer')),
    state        text NOT NULL CHECK (state IN ('ringing', 'connected', 'on hold', 'left')),
    created_at   timestamptz NOT NULL,
    joined_at    timestamptz,
    left_at      timestamptz,
    -- The session of the call it joined (its bridge is multiparty-<node_id>-<session>):
    -- after a restart, the members still live are taken back into that bridge.
    session      text NOT NULL DEFAULT '',
    FOREIGN KEY (phlo_id, node_id) REFERENCES multiparty_calls (phlo_id, node_id)
        ON DELETE CASCADE
);
CREATE INDEX multiparty_members_call ON multiparty_members (phlo_id, node_id, id);
