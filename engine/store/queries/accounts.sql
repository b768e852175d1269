-- name: get_account
SELECT account_id, token_salt, token_hash, created_at, rotated_at, token_sealed
FROM accounts WHERE account_id = $1;

-- name: list_accounts
SELECT account_id, token_salt, token_hash, created_at, rotated_at, token_sealed
FROM accounts ORDER BY account_id;

-- name: insert_account
INSERT INTO accounts (account_id, token_salt, token_hash, token_sealed)
VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id) DO NOTHING
RETURNING account_id;

-- name: set_account_token
-- A new token replaces the sealed one too (NULL when the caller cannot seal).
UPDATE accounts SET token_salt = $2, token_hash = $3, token_sealed = $4, rotated_at = now()
WHERE account_id = $1
RETURNING account_id;

-- name: seal_account_token
-- Only while the token it was sealed from is still the account's token.
UPDATE accounts SET token_sealed = $3
WHERE account_id = $1 AND token_hash = $2
RETURNING account_id;
