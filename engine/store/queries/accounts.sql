-- name: get_account
SELECT account_id, token_salt, token_hash, created_at, rotated_at
FROM accounts WHERE account_id = $1;

-- name: list_accounts
SELECT account_id, token_salt, token_hash, created_at, rotated_at
FROM accounts ORDER BY account_id;

-- name: insert_account
INSERT INTO accounts (account_id, token_salt, token_hash)
VALUES ($1, $2, $3)
ON CONFLICT (account_id) DO NOTHING
RETURNING account_id;

-- name: set_account_token
UPDATE accounts SET token_salt = $2, token_hash = $3, rotated_at = now()
WHERE account_id = $1
RETURNING account_id;
