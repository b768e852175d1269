-- name: insert_transcript
INSERT INTO transcripts (request_id, account_id, status, recording)
VALUES ($1, $2, 'pending', $3)
ON CONFLICT (request_id) DO NOTHING;

-- name: finish_transcript
UPDATE transcripts SET status = $2, text = $3, reason = $4, updated_at = now()
WHERE request_id = $1;

-- name: get_transcript
SELECT request_id, status, text, reason, recording, created_at, updated_at
FROM transcripts WHERE request_id = $1 AND account_id = $2;

-- name: pending_transcripts
SELECT request_id, account_id, recording FROM transcripts WHERE status = 'pending'
ORDER BY created_at;
