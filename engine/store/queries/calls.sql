-- name: upsert_call
-- Returns nothing when the stored revision is newer: the snapshot is stale, skip its CDRs.
INSERT INTO calls (request_id, account_id, origin, state, snapshot, created_at, ended_at,
                   revision)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
ON CONFLICT (request_id) DO UPDATE
SET state = EXCLUDED.state, snapshot = EXCLUDED.snapshot, updated_at = now(),
    ended_at = EXCLUDED.ended_at, revision = EXCLUDED.revision
WHERE calls.revision <= EXCLUDED.revision
RETURNING request_id;

-- name: live_call_snapshots
SELECT request_id, snapshot FROM calls WHERE ended_at IS NULL ORDER BY created_at;

-- name: close_unreadable_call
UPDATE calls SET state = 'ended', ended_at = $2, updated_at = now()
WHERE request_id = $1 AND ended_at IS NULL;

-- name: upsert_cdr
INSERT INTO cdrs (account_id, request_id, uniqueid, role, agent_number, customer_number,
                  dialed_number, caller_id, channel, call_direction, destination_context,
                  dial_status, call_status, call_date, answer, "end", billsec, call_duration,
                  hangup_cause, dtmf_inputs, recording_name, campaign_id, list_id, is_dnd,
                  machine_detection, machine_detection_status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
        $19, $20, $21, $22, $23, $24, $25, $26)
ON CONFLICT (uniqueid) DO UPDATE
SET channel = EXCLUDED.channel, dial_status = EXCLUDED.dial_status,
    call_status = EXCLUDED.call_status, answer = EXCLUDED.answer, "end" = EXCLUDED."end",
    billsec = EXCLUDED.billsec, call_duration = EXCLUDED.call_duration,
    hangup_cause = EXCLUDED.hangup_cause, dtmf_inputs = EXCLUDED.dtmf_inputs,
    recording_name = EXCLUDED.recording_name, machine_detection = EXCLUDED.machine_detection,
    machine_detection_status = EXCLUDED.machine_detection_status;

-- name: cdrs_by_date
SELECT * FROM cdrs
WHERE account_id = $1 AND call_date >= $2 AND call_date < $3
ORDER BY call_date DESC, id DESC
LIMIT $4 OFFSET $5;

-- name: cdrs_by_request
SELECT * FROM cdrs WHERE account_id = $1 AND request_id = $2 ORDER BY id;

-- name: cdrs_by_campaign
SELECT * FROM cdrs WHERE account_id = $1 AND campaign_id = $2 ORDER BY id;

-- name: cdr_statistics
-- Legs the platform lost (hangup causes 900/901: the engine or the PBX was away) count as
-- platform failures only, never as an outcome of the callee.
SELECT
    count(*) FILTER (WHERE dial_status = 'ANSWER' AND NOT platform) AS answer_calls,
    count(*) FILTER (WHERE dial_status = 'BUSY' AND NOT platform) AS busy_calls,
    count(*) FILTER (WHERE dial_status = 'CANCEL' AND NOT platform) AS cancel_calls,
    count(*) FILTER (WHERE dial_status = 'CHANUNAVAIL' AND NOT platform) AS chanunavail_calls,
    count(*) FILTER (WHERE dial_status = 'CONGESTION' AND NOT platform) AS congestion_calls,
    count(*) FILTER (WHERE dial_status = 'NOANSWER' AND NOT platform) AS noanswer_calls,
    count(*) FILTER (WHERE platform) AS platform_failed_calls,
    count(*) AS total_calls
FROM (SELECT dial_status, coalesce(hangup_cause IN (900, 901), false) AS platform
      FROM cdrs WHERE account_id = $1 AND dial_status IS NOT NULL) AS legs;

-- name: recording_owner
SELECT account_id FROM cdrs WHERE recording_name = $1 AND account_id = $2 LIMIT 1;

-- name: get_did
SELECT did, account_id, agent FROM dids WHERE did = $1;

-- name: upsert_did
INSERT INTO dids (did, account_id, agent) VALUES ($1, $2, $3)
ON CONFLICT (did) DO UPDATE SET agent = EXCLUDED.agent
WHERE dids.account_id = EXCLUDED.account_id
RETURNING did;

-- name: list_dids
SELECT did, account_id, agent FROM dids WHERE account_id = $1 ORDER BY did;

-- name: delete_did
DELETE FROM dids WHERE did = $1 AND account_id = $2 RETURNING did;

-- name: stored_call
SELECT snapshot FROM calls WHERE request_id = $1 AND account_id = $2;

-- name: call_owner
SELECT 1 FROM calls WHERE request_id = $1 AND account_id = $2;

-- name: cdr_campaign_owner
SELECT 1 FROM campaigns WHERE campaign_id = $1 AND account_id = $2;

-- name: campaign_cdr_statistics
-- The seed's campaign counts: as cdr_statistics, for one campaign, with its DND rows (no
-- call was placed for them; they count in total_calls, as in the seed's example).
SELECT
    count(*) FILTER (WHERE dial_status = 'ANSWER' AND NOT platform) AS answer_calls,
    count(*) FILTER (WHERE dial_status = 'BUSY' AND NOT platform) AS busy_calls,
    count(*) FILTER (WHERE dial_status = 'CANCEL' AND NOT platform) AS cancel_calls,
    count(*) FILTER (WHERE dial_status = 'CHANUNAVAIL' AND NOT platform) AS chanunavail_calls,
    count(*) FILTER (WHERE dial_status = 'CONGESTION' AND NOT platform) AS congestion_calls,
    count(*) FILTER (WHERE dial_status = 'DND') AS dnd_calls,
    count(*) FILTER (WHERE dial_status = 'NOANSWER' AND NOT platform) AS noanswer_calls,
    count(*) FILTER (WHERE platform) AS platform_failed_calls,
    count(*) AS total_calls
FROM (SELECT dial_status, coalesce(hangup_cause IN (900, 901), false) AS platform
      FROM cdrs WHERE account_id = $1 AND campaign_id = $2 AND dial_status IS NOT NULL)
     AS legs;
