-- name: insert_callback
INSERT INTO callbacks (request_id, account_id, agent_number, caller_id, destination_number,
                       recording_option, time_zone, scheduled_at, due_at, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'scheduled');

-- name: get_callback
SELECT cb.*, EXISTS (SELECT 1 FROM calls c WHERE c.request_id = cb.request_id) AS has_call
FROM callbacks cb WHERE cb.request_id = $1 AND cb.account_id = $2;

-- name: list_callbacks
SELECT cb.*, EXISTS (SELECT 1 FROM calls c WHERE c.request_id = cb.request_id) AS has_call
FROM callbacks cb WHERE cb.account_id = $1 ORDER BY cb.due_at, cb.request_id;

-- name: update_callback
-- Only a callback still waiting can change; nothing is returned otherwise.
UPDATE callbacks
SET agent_number = $3, caller_id = $4, destination_number = $5, recording_option = $6,
    time_zone = $7, scheduled_at = $8, due_at = $9, attempts = 0, reason = '',
    updated_at = now()
WHERE request_id = $1 AND account_id = $2 AND status = 'scheduled'
RETURNING request_id;

-- name: cancel_callback
UPDATE callbacks SET status = 'cancelled', updated_at = now()
WHERE request_id = $1 AND account_id = $2 AND status = 'scheduled'
RETURNING request_id;

-- name: notify_callbacks
SELECT pg_notify('callbacks', $1);

-- name: claim_due_callbacks
-- Claims due callbacks, and fired ones whose claim outlived the lease without their call
-- ever being persisted (the claimer died before dialling). SKIP LOCKED: two schedulers
-- never claim the same row; the claim commits before anything is dialled.
WITH due AS (
    SELECT cb.request_id FROM callbacks cb
    WHERE (cb.status = 'scheduled' AND cb.due_at <= now())
       OR (cb.status = 'fired' AND cb.claimed_at <= now() - make_interval(secs => $2)
           AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.request_id = cb.request_id))
    ORDER BY cb.due_at
    LIMIT $3
    FOR UPDATE OF cb SKIP LOCKED
)
UPDATE callbacks cb
SET status = 'fired', claimed_at = now(), claimed_by = $1, attempts = cb.attempts + 1,
    updated_at = now()
FROM due WHERE cb.request_id = due.request_id
RETURNING cb.*, false AS has_call;

-- name: seconds_to_next_due
-- Seconds until the next claim can succeed (a due time, or a lease running out); NULL if none.
SELECT extract(epoch FROM (min(t) - now()))::float8 FROM (
    SELECT min(due_at) AS t FROM callbacks WHERE status = 'scheduled'
    UNION ALL
    SELECT min(cb.claimed_at) + make_interval(secs => $1) FROM callbacks cb
    WHERE cb.status = 'fired'
      AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.request_id = cb.request_id)
) AS next;

-- name: retry_callback
-- Back to waiting (the PBX was down), unless the call got persisted after all.
UPDATE callbacks
SET status = 'scheduled', due_at = now() + make_interval(secs => $3), reason = $4,
    claimed_at = NULL, claimed_by = NULL, updated_at = now()
WHERE request_id = $1 AND claimed_by = $2 AND status = 'fired'
  AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.request_id = $1)
RETURNING request_id;

-- name: fail_unplaced_callback
UPDATE callbacks SET status = 'failed', reason = $3, updated_at = now()
WHERE request_id = $1 AND claimed_by = $2 AND status = 'fired'
  AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.request_id = $1)
RETURNING request_id;

-- name: finish_callback
UPDATE callbacks SET status = $2, reason = $3, updated_at = now()
WHERE request_id = $1 AND status = 'fired';

-- name: settle_ended_callbacks
-- Safety net for a finished-call hook that never ran (engine stopped as the call ended):
-- a fired callback whose call has ended is done when both its legs answered.
UPDATE callbacks cb
SET status = CASE WHEN
        EXISTS (SELECT 1 FROM cdrs d WHERE d.request_id = cb.request_id
                AND d.role = 'agent' AND d.answer IS NOT NULL)
        AND EXISTS (SELECT 1 FROM cdrs d WHERE d.request_id = cb.request_id
                    AND d.role = 'customer' AND d.answer IS NOT NULL)
        THEN 'done' ELSE 'failed' END,
    updated_at = now()
FROM calls c
WHERE c.request_id = cb.request_id AND cb.status = 'fired' AND c.ended_at IS NOT NULL;
