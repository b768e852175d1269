-- An account's token sealed (Fernet, with the engine's key file) so webhooks can be signed
-- with it as Plivo signs them; the database never holds a token in the clear. NULL for
-- accounts made before this, or by a process without the key: sealed at the next
-- successful login.
ALTER TABLE accounts ADD COLUMN token_sealed bytea;
