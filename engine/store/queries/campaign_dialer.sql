-- The campaign dialer's claims and bookkeeping. Every moment ($now) is the engine's clock.

-- name: dialer_activate
-- Scheduled campaigns whose window has opened start running.
UPDATE campaigns
SET status = 1, started_at = coalesce(started_at, $1), updated_at = $1,
    next_dial_at = greatest(coalesce(next_dial_at, start_at), start_at)
WHERE status = 0 AND start_at <= $1 AND end_at > $1
RETURNING campaign_id;

-- name: dialer_expire
-- Campaigns whose window closed are completed; contacts still waiting expire.
WITH ended AS (
    UPDATE campaigns
    SET status = 3, status_reason = 'the campaign window closed', finished_at = $1,
        updated_at = $1
    WHERE status IN (0, 1, 2, 5) AND end_at <= $1
    RETURNING campaign_id
)
UPDATE campaign_contacts cc SET state = 'expired', updated_at = $1
FROM ended
WHERE cc.campaign_id = ended.campaign_id AND cc.state IN ('pending', 'retry');

-- name: dialer_complete
-- Running campaigns with nobody left to dial (or being dialled) are completed.
UPDATE campaigns c
SET status = 3, status_reason = 'every contact was dialled', finished_at = $1, updated_at = $1
WHERE c.status = 1 AND c.scrubbed_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM campaign_contacts cc
                  WHERE cc.campaign_id = c.campaign_id
                    AND cc.state IN ('pending', 'retry', 'dialling'))
RETURNING campaign_id;

-- name: dialer_to_scrub
-- Running campaigns due a DND scrub: never scrubbed, or not for $2 seconds.
SELECT campaign_id FROM campaigns
WHERE status = 1 AND (scrubbed_at IS NULL OR scrubbed_at < $1::timestamptz - make_interval(secs => $2));

-- name: dialer_scrub
-- The DND scrub of one campaign, as one set operation: waiting contacts whose number is on
-- the campaign's DND list become 'dnd' and each gets its DND CDR row (no call placed).
WITH campaign AS (
    SELECT campaign_id, account_id, list_id, dnd_list_id, campaign_type,
           coalesce(definition->>'caller_id', '') AS caller_id
    FROM campaigns WHERE campaign_id = $1 AND dnd_list_id IS NOT NULL
), hit AS (
    UPDATE campaign_contacts cc SET state = 'dnd', last_status = 'DND', updated_at = $2
    FROM campaign, dnd_numbers d
    WHERE cc.campaign_id = campaign.campaign_id AND cc.state IN ('pending', 'retry')
      AND d.dnd_list_id = campaign.dnd_list_id AND d.number = cc.number
    RETURNING cc.number
), ledger AS (
    INSERT INTO cdrs (account_id, request_id, uniqueid, role, dialed_number, caller_id,
                      call_direction, destination_context, dial_status, call_date,
                      campaign_id, list_id, is_dnd)
    SELECT campaign.account_id, NULL, NULL, 'customer', hit.number, campaign.caller_id,
           'outbound-campaign', 'campaign_type_' || campaign.campaign_type, 'DND', $2,
           campaign.campaign_id, campaign.list_id, '1'
    FROM hit CROSS JOIN campaign
    RETURNING 1
)
UPDATE campaigns SET scrubbed_at = $2
WHERE campaign_id = $1
RETURNING (SELECT count(*) FROM ledger) AS scrubbed;

-- name: dialer_due_campaigns
SELECT campaign_id, account_id FROM campaigns
WHERE status = 1 AND next_dial_at <= $1 AND end_at > $1
ORDER BY next_dial_at, campaign_id
LIMIT $2;

-- name: dialer_lock_campaign
SELECT campaign_id, account_id, list_id, dnd_list_id, campaign_type, definition,
       calls_per_minute, next_dial_at, hours_start, hours_end, time_zone
FROM campaigns
WHERE campaign_id = $1 AND status = 1 AND next_dial_at <= $2 AND end_at > $2
FOR UPDATE SKIP LOCKED;

-- name: dialer_pick_contact
-- The campaign's next contact: due, not closed by a final written-back result (iSales), not
-- on its DND list, inside the daily calling hours in every one of the number's zones (the campaign's zone, $6, when the number's is unknown).
SELECT cc.contact_id, cc.number, cc.attempts, c.name, c.fields
FROM campaign_contacts cc JOIN contacts c ON c.contact_id = cc.contact_id
WHERE cc.campaign_id = $1 AND cc.state IN ('pending', 'retry') AND NOT cc.result_final
  AND (cc.next_at IS NULL OR cc.next_at <= $2)
  AND NOT EXISTS (SELECT 1 FROM dnd_numbers d
                  WHERE d.dnd_list_id = $3 AND d.number = cc.number)
  AND ($4::time IS NULL OR NOT EXISTS (
        SELECT 1
        FROM unnest(CASE WHEN cardinality(cc.zones) = 0 THEN ARRAY[$6::text]
                         ELSE cc.zones END) AS zone,
             LATERAL (SELECT ($2::timestamptz AT TIME ZONE zone)::time AS local) AS t
        WHERE NOT CASE WHEN $4::time < $5::time
                       THEN t.local >= $4::time AND t.local < $5::time
                       ELSE t.local >= $4::time OR t.local < $5::time END))
ORDER BY cc.next_at NULLS FIRST, cc.contact_id
LIMIT 1
FOR UPDATE OF cc SKIP LOCKED;

-- name: dialer_mark_dialling
UPDATE campaign_contacts SET state = 'dialling', attempts = attempts + 1, updated_at = $3
WHERE campaign_id = $1 AND contact_id = $2
RETURNING attempts;

-- name: dialer_insert_attempt
INSERT INTO campaign_attempts (request_id, campaign_id, contact_id, attempt, number,
                               claimed_by, claimed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: dialer_set_next_dial
UPDATE campaigns SET next_dial_at = $2, updated_at = $3 WHERE campaign_id = $1;

-- name: dialer_next_waiting
-- When the campaign's next waiting contact could be due (NULL: none is waiting).
SELECT min(coalesce(next_at, $2)) FROM campaign_contacts
WHERE campaign_id = $1 AND state IN ('pending', 'retry');

-- name: dialer_seconds_to_next
SELECT extract(epoch FROM least(
    (SELECT min(next_dial_at) FROM campaigns WHERE status = 1),
    (SELECT min(start_at) FROM campaigns WHERE status = 0),
    (SELECT min(end_at) FROM campaigns WHERE status IN (0, 1, 2, 5))) - $1::timestamptz);

-- name: dialer_claim_unplaced
-- Attempts claimed more than $3 seconds ago that never got a call: their claimant died
-- before dialling. Claimed again (once at a time), to be dialled under the same id.
UPDATE campaign_attempts a SET claimed_by = $1, claimed_at = $2
WHERE a.request_id IN (
    SELECT u.request_id FROM campaign_attempts u
    WHERE u.ended_at IS NULL AND u.claimed_at < $2::timestamptz - make_interval(secs => $3)
      AND NOT EXISTS (SELECT 1 FROM calls WHERE calls.request_id = u.request_id)
    ORDER BY u.claimed_at
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
RETURNING a.request_id, a.campaign_id, a.contact_id, a.attempt, a.number;

-- name: dialer_attempt_context
SELECT c.campaign_id, c.account_id, c.list_id, c.campaign_type, c.definition, c.status,
       k.name, k.fields
FROM campaigns c JOIN contacts k ON k.contact_id = $2
WHERE c.campaign_id = $1;

-- name: dialer_drop_attempt
-- An unplaced attempt of a campaign that no longer runs: it never happened.
WITH gone AS (
    DELETE FROM campaign_attempts WHERE request_id = $1 AND ended_at IS NULL
    RETURNING campaign_id, contact_id
)
UPDATE campaign_contacts cc SET state = $2, attempts = cc.attempts - 1, updated_at = $3
FROM gone
WHERE cc.campaign_id = gone.campaign_id AND cc.contact_id = gone.contact_id
  AND cc.state = 'dialling';

-- name: dialer_unsettled
-- Attempts whose call ended while nobody recorded the outcome (a crash in between).
SELECT a.request_id,
       coalesce(d.dial_status, 'CHANUNAVAIL') AS dial_status, d.hangup_cause,
       d.answer IS NOT NULL AS answered, c.ended_at
FROM campaign_attempts a
JOIN calls c ON c.request_id = a.request_id
LEFT JOIN LATERAL (SELECT dial_status, hangup_cause, answer FROM cdrs
                   WHERE cdrs.request_id = a.request_id AND cdrs.role = 'customer'
                   ORDER BY id DESC LIMIT 1) d ON true
WHERE a.ended_at IS NULL AND c.ended_at IS NOT NULL
LIMIT $1;

-- name: dialer_close_attempt
UPDATE campaign_attempts SET dial_status = $2, hangup_cause = $3, ended_at = $4
WHERE request_id = $1 AND ended_at IS NULL
RETURNING campaign_id, contact_id, attempt;

-- name: dialer_retry_policy
SELECT status, max_retries, retry_seconds, retry_on FROM campaigns WHERE campaign_id = $1
FOR UPDATE;

-- name: dialer_settle_contact
-- A contact whose written-back result is final (iSales) is closed instead of retried.
UPDATE campaign_contacts
SET state = CASE WHEN result_final AND $3 = 'retry' THEN 'closed' ELSE $3 END,
    next_at = CASE WHEN result_final THEN NULL ELSE $4::timestamptz END,
    last_status = $5, updated_at = $6
WHERE campaign_id = $1 AND contact_id = $2 AND state = 'dialling';

-- name: dialer_pull_next_dial
-- A retry became due earlier than the campaign's next call: bring the call forward.
UPDATE campaigns SET next_dial_at = $2
WHERE campaign_id = $1 AND status = 1 AND next_dial_at > $2;

-- name: dialer_recent_outcomes
SELECT dial_status FROM campaign_attempts
WHERE campaign_id = $1 AND ended_at IS NOT NULL
ORDER BY ended_at DESC
LIMIT $2;

-- name: dialer_suspend
UPDATE campaigns SET status = 5, status_reason = $2, updated_at = $3
WHERE campaign_id = $1 AND status = 1
RETURNING campaign_id;
