-- Contact lists, DND lists, and the staging tables a list import writes through.

-- name: insert_contact_list
-- Nothing is returned when the id or the account's name is taken.
INSERT INTO contact_lists (list_id, account_id, name) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING list_id, name, created_at, 0::bigint AS entries;

-- name: contact_list_name_taken
SELECT EXISTS (SELECT 1 FROM contact_lists WHERE account_id = $1 AND name = $2);

-- name: contact_lists_of_account
SELECT l.list_id, l.name, l.created_at,
       (SELECT count(*) FROM contacts c WHERE c.list_id = l.list_id) AS entries
FROM contact_lists l WHERE l.account_id = $1
ORDER BY l.created_at, l.list_id;

-- name: get_contact_list
SELECT list_id, name, created_at, 0::bigint AS entries
FROM contact_lists WHERE list_id = $1 AND account_id = $2;

-- name: insert_dnd_list
INSERT INTO dnd_lists (dnd_list_id, account_id, name) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING dnd_list_id AS list_id, name, created_at, 0::bigint AS entries;

-- name: dnd_list_name_taken
SELECT EXISTS (SELECT 1 FROM dnd_lists WHERE account_id = $1 AND name = $2);

-- name: dnd_lists_of_account
SELECT l.dnd_list_id AS list_id, l.name, l.created_at,
       (SELECT count(*) FROM dnd_numbers d WHERE d.dnd_list_id = l.dnd_list_id) AS entries
FROM dnd_lists l WHERE l.account_id = $1
ORDER BY l.created_at, l.dnd_list_id;

-- name: get_dnd_list
SELECT dnd_list_id AS list_id, name, created_at, 0::bigint AS entries
FROM dnd_lists WHERE dnd_list_id = $1 AND account_id = $2;

-- name: create_contact_stage
-- Filled with COPY one batch at a time, merged, emptied; dropped with the transaction.
CREATE TEMP TABLE contact_stage (
    row_no bigint, number text, name text, fields jsonb, zones text[], unique_id text
) ON COMMIT DROP;

-- name: merge_contact_stage
-- A number already in the list (or earlier in the import: rows go in file order) is a
-- duplicate; the first occurrence is kept.
INSERT INTO contacts (list_id, number, name, fields, zones, unique_id)
SELECT $1, number, name, fields, zones, unique_id FROM contact_stage ORDER BY row_no
ON CONFLICT (list_id, number) DO NOTHING;

-- name: clear_contact_stage
TRUNCATE contact_stage;

-- name: create_dnd_stage
CREATE TEMP TABLE dnd_stage (row_no bigint, number text, name text) ON COMMIT DROP;

-- name: merge_dnd_stage
INSERT INTO dnd_numbers (dnd_list_id, number, name)
SELECT $1, number, name FROM dnd_stage ORDER BY row_no
ON CONFLICT (dnd_list_id, number) DO NOTHING;

-- name: clear_dnd_stage
TRUNCATE dnd_stage;
