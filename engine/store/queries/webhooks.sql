-- name: insert_webhook
INSERT INTO webhook_deliveries (account_id, request_id, kind, url, method, params)
VALUES ($1, $2, $3, $4, $5, $6::jsonb)
RETURNING delivery_id;

-- name: notify_webhooks
SELECT pg_notify('webhooks', $1);

-- name: claim_due_webhooks
-- Due rows, and rows whose delivering engine's lease ran out. The claim commits before
-- anything is sent; SKIP LOCKED: two dispatchers never claim the same row.
WITH due AS (
    SELECT delivery_id FROM webhook_deliveries
    WHERE (state = 'pending' AND next_attempt_at <= now())
       OR (state = 'delivering' AND lease_until <= now())
    ORDER BY next_attempt_at, delivery_id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET state = 'delivering', leased_by = $1, lease_until = now() + make_interval(secs => $2),
    attempts = d.attempts + 1, updated_at = now()
FROM due WHERE d.delivery_id = due.delivery_id
RETURNING d.*;

-- name: log_webhook_attempt
INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status, error)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (delivery_id, attempt) DO NOTHING;

-- name: settle_webhook
-- $4: 'delivered', 'pending' (again after $7 seconds) or 'failed'. Only the claimer of this
-- attempt settles it (a lease taken over by another engine is that engine's now).
UPDATE webhook_deliveries
SET state = $4, last_status = $5, last_error = $6, leased_by = NULL, lease_until = NULL,
    next_attempt_at = CASE WHEN $4 = 'pending'
                           THEN now() + make_interval(secs => $7) ELSE next_attempt_at END,
    delivered_at = CASE WHEN $4 = 'delivered' THEN now() ELSE delivered_at END,
    updated_at = now()
WHERE delivery_id = $1 AND leased_by = $2 AND attempts = $3 AND state = 'delivering'
RETURNING delivery_id;

-- name: seconds_to_next_webhook
SELECT extract(epoch FROM (min(CASE WHEN state = 'pending' THEN next_attempt_at
                                    ELSE lease_until END) - now()))::float8
FROM webhook_deliveries WHERE state IN ('pending', 'delivering');

-- name: list_call_webhooks
SELECT * FROM webhook_deliveries
WHERE account_id = $1 AND request_id = $2
ORDER BY delivery_id;

-- name: list_webhook_attempts
SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1::bigint[])
ORDER BY delivery_id, attempt;

-- name: ended_api_calls_without_hangup
-- Plivo API calls that ended before $1 with a hangup_url but no hangup delivery recorded:
-- an engine stopped between the call's last snapshot and the callback's record.
SELECT c.snapshot FROM calls c
WHERE c.origin = 'api' AND c.ended_at IS NOT NULL
  AND c.ended_at < $1 AND c.ended_at > $1 - make_interval(secs => $2)
  AND jsonb_typeof(c.snapshot -> 'api' -> 'hangup') = 'object'
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                  WHERE d.account_id = c.account_id AND d.request_id = c.request_id
                    AND d.kind = 'hangup')
ORDER BY c.ended_at;
