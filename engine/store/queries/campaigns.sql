-- Campaigns: creation with the snapshot of the list, the account's control actions, views.
-- (The dialer's own queries are in campaign_dialer.sql.)

-- name: campaigns_list_owned
SELECT 1 FROM contact_lists WHERE list_id = $1 AND account_id = $2;

-- name: campaigns_dnd_list_owned
SELECT 1 FROM dnd_lists WHERE dnd_list_id = $1 AND account_id = $2;

-- name: campaigns_name_taken
SELECT 1 FROM campaigns WHERE account_id = $1 AND name = $2;

-- name: campaigns_list_field_keys
-- Every contact_fields key used in the list (placeholders are checked against them).
SELECT DISTINCT jsonb_object_keys(fields) AS key FROM contacts WHERE list_id = $1;

-- name: campaigns_insert
INSERT INTO campaigns (campaign_id, account_id, name, list_id, dnd_list_id, campaign_type,
                       definition, start_at, end_at, calls_per_minute, max_retries,
                       retry_seconds, retry_on, hours_start, hours_end, time_zone, status,
                       next_dial_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, $8)
ON CONFLICT (campaign_id) DO NOTHING
RETURNING campaign_id;

-- name: campaigns_snapshot_contacts
-- The campaign's own copy of its list, taken with the campaign in one transaction.
INSERT INTO campaign_contacts (campaign_id, contact_id, number, zones)
SELECT $1, contact_id, number, zones FROM contacts WHERE list_id = $2;

-- name: campaigns_notify
SELECT pg_notify('campaigns', $1);

-- name: campaigns_lock
SELECT status FROM campaigns WHERE campaign_id = $1 AND account_id = $2 FOR UPDATE;

-- name: campaigns_stop
UPDATE campaigns
SET status = 4, status_reason = '', finished_at = now(), updated_at = now()
WHERE campaign_id = $1;

-- name: campaigns_stop_contacts
-- Contacts not yet dialled (or waiting for a retry) are never dialled; calls in flight end
-- on their own and settle their contact as usual.
UPDATE campaign_contacts SET state = 'stopped', next_at = NULL, updated_at = now()
WHERE campaign_id = $1 AND state IN ('pending', 'retry');

-- name: campaigns_pause
UPDATE campaigns SET status = 2, updated_at = now() WHERE campaign_id = $1;

-- name: campaigns_resume
-- Back to running (scheduled while the window has not opened), pacing from now.
UPDATE campaigns
SET status = CASE WHEN start_at > now() THEN 0 ELSE 1 END, status_reason = '',
    next_dial_at = greatest(now(), start_at), updated_at = now()
WHERE campaign_id = $1;

-- name: campaigns_of_account
SELECT campaign_id, name, list_id, dnd_list_id, campaign_type, definition, start_at, end_at,
       time_zone, calls_per_minute, max_retries, retry_seconds, retry_on, hours_start,
       hours_end, status, status_reason, created_at,
       isales_url, isales_sub_cc_no, isales_vdn_id, isales_service_id,
       (SELECT count(*) FROM campaign_contacts cc WHERE cc.campaign_id = c.campaign_id
          AND cc.result_status IS NOT NULL) AS results_written_back,
       (SELECT count(*) FROM campaign_contacts cc WHERE cc.campaign_id = c.campaign_id
          AND cc.result_final) AS results_final
FROM campaigns c WHERE account_id = $1 AND ($2::text IS NULL OR campaign_id = $2)
ORDER BY created_at, campaign_id;

-- name: campaigns_progress
SELECT
    count(*) AS total,
    count(*) FILTER (WHERE attempts > 0) AS dialled,
    count(*) FILTER (WHERE state = 'answered') AS answered,
    count(*) FILTER (WHERE state = 'failed') AS failed,
    count(*) FILTER (WHERE state = 'dnd') AS dnd,
    count(*) FILTER (WHERE state = 'pending') AS pending,
    count(*) FILTER (WHERE state = 'retry') AS retry_scheduled,
    count(*) FILTER (WHERE state = 'dialling') AS in_progress,
    count(*) FILTER (WHERE state = 'expired') AS expired,
    count(*) FILTER (WHERE state = 'stopped') AS stopped,
    count(*) FILTER (WHERE state = 'closed') AS closed,
    count(*) FILTER (WHERE result_status IS NOT NULL) AS written_back,
    count(*) FILTER (WHERE result_final) AS written_back_final
FROM campaign_contacts WHERE campaign_id = $1;

-- name: campaigns_push_counts
-- The campaign's iSales pushes by delivery state.
SELECT count(*) FILTER (WHERE d.state = 'delivered') AS pushes_delivered,
       count(*) FILTER (WHERE d.state = 'failed') AS pushes_failed,
       count(*) FILTER (WHERE d.state IN ('pending', 'delivering')) AS pushes_pending
FROM campaign_attempts a
JOIN campaigns c ON c.campaign_id = a.campaign_id
JOIN webhook_deliveries d ON d.account_id = c.account_id AND d.request_id = a.request_id
WHERE a.campaign_id = $1 AND d.kind = 'isales';

-- name: campaigns_attempt_counts
SELECT count(*) AS attempts,
       count(*) FILTER (WHERE claimed_at > now() - interval '60 seconds') AS last_minute
FROM campaign_attempts WHERE campaign_id = $1;
