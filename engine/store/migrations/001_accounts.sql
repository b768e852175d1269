-- Accounts and their API tokens. Tokens are stored only as salted hashes.
CREATE TABLE accounts (
    account_id  text PRIMARY KEY CHECK (account_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    token_salt  bytea NOT NULL,
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    rotated_at  timestamptz NOT NULL DEFAULT now()
);
