-- name: insert_multiparty_call
INSERT INTO multiparty_calls (phlo_id, node_id, account_id, name, caller_id, record)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: multiparty_call
SELECT * FROM multiparty_calls WHERE phlo_id = $1 AND node_id = $2 AND account_id = $3;

-- name: multiparty_calls_of_phlo
SELECT * FROM multiparty_calls WHERE phlo_id = $1 AND account_id = $2 ORDER BY created_at;

-- name: multiparty_calls_of_account
SELECT * FROM multiparty_calls WHERE account_id = $1
ORDER BY created_at DESC, node_id LIMIT $2 OFFSET $3;

-- name: delete_multiparty_call
DELETE FROM multiparty_calls WHERE phlo_id = $1 AND node_id = $2 AND account_id = $3
RETURNING phlo_id;

-- name: add_multiparty_recording
UPDATE multiparty_calls SET recordings = array_append(recordings, $3)
WHERE phlo_id = $1 AND node_id = $2;

-- name: multiparty_recording_owner
SELECT phlo_id FROM multiparty_calls
WHERE account_id = $1 AND phlo_id = $2 AND node_id = $3 AND $4 = ANY (recordings);

-- name: upsert_multiparty_member
INSERT INTO multiparty_members (phlo_id, node_id, request_id, party_kind, party, role, state,
                                created_at, joined_at, left_at, session)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (request_id) DO UPDATE
SET state = EXCLUDED.state, joined_at = EXCLUDED.joined_at, left_at = EXCLUDED.left_at;

-- name: multiparty_members
SELECT * FROM multiparty_members WHERE phlo_id = $1 AND node_id = $2 ORDER BY id;

-- name: adoptable_multiparty_members
-- At start: the members whose calls the router restored live ($1), with their call.
SELECT m.*, c.account_id, c.record FROM multiparty_members m
JOIN multiparty_calls c USING (phlo_id, node_id)
WHERE m.request_id = ANY ($1::text[]) AND m.state <> 'left'
ORDER BY m.id;

-- name: close_stale_multiparty_members
-- At start, once live members were taken back ($2): the others dialled before this engine
-- started ($1) are gone (their calls ended while no engine held them).
UPDATE multiparty_members SET state = 'left', left_at = coalesce(left_at, now())
WHERE state <> 'left' AND created_at < $1 AND NOT (request_id = ANY ($2::text[]));
