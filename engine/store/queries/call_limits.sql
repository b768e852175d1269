-- name: get_account_limits
SELECT a.account_id, l.max_concurrent_calls, l.calls_per_second, l.queue_limit
FROM accounts a LEFT JOIN account_limits l USING (account_id)
WHERE a.account_id = $1;

-- name: set_account_limits
-- $2/$3/$5 NULL: keep the stored value; $4 true: clear the others (back to the defaults).
INSERT INTO account_limits (account_id, max_concurrent_calls, calls_per_second, queue_limit)
VALUES ($1, $2, $3, $5)
ON CONFLICT (account_id) DO UPDATE SET
    max_concurrent_calls = COALESCE($2, CASE WHEN $4 THEN NULL
                                        ELSE account_limits.max_concurrent_calls END),
    calls_per_second = COALESCE($3, CASE WHEN $4 THEN NULL
                                    ELSE account_limits.calls_per_second END),
    queue_limit = COALESCE($5, CASE WHEN $4 THEN NULL ELSE account_limits.queue_limit END),
    updated_at = now()
RETURNING max_concurrent_calls, calls_per_second, queue_limit;

-- name: admission_state
-- The account's stored limits, how many of its calls wait in the queue, and how many of
-- its calls are live according to the database (every engine process's), leaving out $2:
-- calls this engine knows have ended but whose final state is still being saved.
SELECT l.max_concurrent_calls, l.calls_per_second, l.queue_limit,
       (SELECT count(*) FROM api_call_queue q WHERE q.account_id = $1) AS queued,
       (SELECT count(*) FROM calls c WHERE c.account_id = $1 AND c.ended_at IS NULL
                                      AND NOT (c.request_id = ANY($2::text[]))) AS live
FROM (SELECT 1) AS one LEFT JOIN account_limits l ON l.account_id = $1;

-- name: enqueue_api_call
-- Queued only while the account's queue holds fewer than $4 calls.
INSERT INTO api_call_queue (request_id, account_id, snapshot)
SELECT $1, $2, $3::jsonb
WHERE (SELECT count(*) FROM api_call_queue WHERE account_id = $2) < $4
RETURNING seq;

-- name: notify_api_call_queue
SELECT pg_notify('api_call_queue', $1);

-- name: queued_accounts
-- Accounts with a queued call that can be claimed now (unclaimed, or a stale claim whose
-- call was never persisted).
SELECT DISTINCT q.account_id FROM api_call_queue q
WHERE q.claimed_at IS NULL
   OR (q.claimed_at <= now() - make_interval(secs => $1)
       AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.request_id = q.request_id));

-- name: claim_next_api_call
-- The account's oldest claimable queued call, claimed by $2 (committed before launching).
WITH next AS (
    SELECT q.seq FROM api_call_queue q
    WHERE q.account_id = $1
      AND (q.claimed_at IS NULL
           OR (q.claimed_at <= now() - make_interval(secs => $3)
               AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.request_id = q.request_id)))
    ORDER BY q.seq
    LIMIT 1
    FOR UPDATE OF q SKIP LOCKED
)
UPDATE api_call_queue q SET claimed_at = now(), claimed_by = $2
FROM next WHERE q.seq = next.seq
RETURNING q.seq, q.request_id, q.account_id, q.snapshot::text AS snapshot;

-- name: remove_api_call
DELETE FROM api_call_queue WHERE seq = $1;

-- name: settle_launched_api_calls
-- Claimed rows whose call exists were launched by an engine that stopped before removing
-- them: they are done.
DELETE FROM api_call_queue q
WHERE q.claimed_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM calls c WHERE c.request_id = q.request_id);

-- name: cancel_api_call
-- A queued call not yet claimed can be cancelled (Plivo's DELETE …/Request/{uuid}/).
DELETE FROM api_call_queue
WHERE request_id = $1 AND account_id = $2 AND claimed_at IS NULL
RETURNING seq;

-- name: queued_api_call
SELECT seq, request_id, account_id, queued_at, claimed_at IS NOT NULL AS claimed
FROM api_call_queue WHERE request_id = $1 AND account_id = $2;
