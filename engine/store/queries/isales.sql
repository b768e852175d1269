-- The iSales write-back: results written back to a campaign's contacts, the push of each
-- attempt's result (a webhook delivery with a JSON body and a bearer token), and the views.

-- name: isales_find_campaign
-- The account's campaign a serviceId names: its campaign id, or its isales_service_id.
SELECT campaign_id FROM campaigns
WHERE account_id = $1 AND (campaign_id = $2 OR isales_service_id = $2)
ORDER BY (campaign_id = $2) DESC
LIMIT 1;

-- name: isales_lock_contact
-- The campaign's contact a uniqueId names (its unique_id, or its contact id when it has
-- none; an explicit unique_id wins, then the first imported), locked for the result.
SELECT cc.contact_id, cc.state
FROM campaigns ca
JOIN contacts k ON k.list_id = ca.list_id AND coalesce(k.unique_id, k.contact_id::text) = $2
JOIN campaign_contacts cc ON cc.campaign_id = ca.campaign_id AND cc.contact_id = k.contact_id
WHERE ca.campaign_id = $1
ORDER BY (k.unique_id IS NULL), k.contact_id
LIMIT 1
FOR UPDATE OF cc;

-- name: isales_insert_result
INSERT INTO contact_results (campaign_id, contact_id, status, final, body, received_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6);

-- name: isales_apply_result
-- The contact's last result; a final one is sticky and closes a waiting contact.
UPDATE campaign_contacts
SET result_status = $3, result_final = result_final OR $4, result_at = $5,
    state = CASE WHEN $4 AND state IN ('pending', 'retry') THEN 'closed' ELSE state END,
    next_at = CASE WHEN $4 AND state IN ('pending', 'retry') THEN NULL ELSE next_at END,
    updated_at = $5
WHERE campaign_id = $1 AND contact_id = $2;

-- name: isales_set_target
UPDATE campaigns
SET isales_url = $2, isales_token_sealed = $3, isales_sub_cc_no = $4, isales_vdn_id = $5,
    isales_service_id = $6
WHERE campaign_id = $1;

-- name: isales_sealed_token
SELECT isales_token_sealed FROM campaigns WHERE campaign_id = $1;

-- name: isales_push_context
-- What the push of a settled attempt says; no row when its campaign pushes nowhere.
SELECT a.campaign_id, c.account_id, c.isales_url, c.isales_sub_cc_no, c.isales_vdn_id,
       coalesce(c.isales_service_id, c.campaign_id) AS service_id,
       coalesce(k.unique_id, k.contact_id::text) AS unique_id, a.number, a.claimed_at
FROM campaign_attempts a
JOIN campaigns c ON c.campaign_id = a.campaign_id
JOIN contacts k ON k.contact_id = a.contact_id
WHERE a.request_id = $1 AND c.isales_url IS NOT NULL;

-- name: isales_insert_push
INSERT INTO webhook_deliveries (account_id, request_id, kind, url, method, params, body,
                                bearer_ref)
VALUES ($1, $2, 'isales', $3, 'POST', '{}'::jsonb, $4::jsonb, $5)
RETURNING delivery_id;

-- name: isales_campaign_pushes
-- The campaign's pushes, oldest first.
SELECT d.* FROM campaign_attempts a
JOIN webhook_deliveries d ON d.account_id = $2 AND d.request_id = a.request_id
WHERE a.campaign_id = $1 AND d.kind = 'isales'
ORDER BY d.delivery_id
LIMIT $3;

-- name: isales_contact
SELECT cc.contact_id, coalesce(k.unique_id, k.contact_id::text) AS unique_id, cc.number,
       k.name, cc.state, cc.attempts, cc.last_status, cc.result_status, cc.result_final,
       cc.result_at
FROM campaigns ca
JOIN contacts k ON k.list_id = ca.list_id AND coalesce(k.unique_id, k.contact_id::text) = $3
JOIN campaign_contacts cc ON cc.campaign_id = ca.campaign_id AND cc.contact_id = k.contact_id
WHERE ca.campaign_id = $1 AND ca.account_id = $2
ORDER BY (k.unique_id IS NULL), k.contact_id
LIMIT 1;

-- name: isales_contact_attempts
SELECT request_id, attempt, number, claimed_at, ended_at, dial_status, hangup_cause
FROM campaign_attempts WHERE campaign_id = $1 AND contact_id = $2
ORDER BY attempt;

-- name: isales_contact_results
SELECT status, final, body, received_at FROM contact_results
WHERE campaign_id = $1 AND contact_id = $2
ORDER BY result_id;

-- name: isales_contact_pushes
SELECT d.* FROM campaign_attempts a
JOIN webhook_deliveries d ON d.account_id = $3 AND d.request_id = a.request_id
WHERE a.campaign_id = $1 AND a.contact_id = $2 AND d.kind = 'isales'
ORDER BY d.delivery_id;
