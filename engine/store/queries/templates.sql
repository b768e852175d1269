-- name: insert_template
INSERT INTO announce_templates (template_id, account_id, name, text)
VALUES ($1, $2, $3, $4)
ON CONFLICT (template_id) DO NOTHING
RETURNING template_id, account_id, name, text, status, created_at, approved_at;

-- name: list_templates
SELECT template_id, account_id, name, text, status, created_at, approved_at
FROM announce_templates WHERE account_id = $1
ORDER BY created_at, template_id;

-- name: get_template
SELECT template_id, account_id, name, text, status, created_at, approved_at
FROM announce_templates WHERE template_id = $1 AND account_id = $2;

-- name: delete_template
DELETE FROM announce_templates WHERE template_id = $1 AND account_id = $2
RETURNING template_id;

-- name: approve_template
-- Approving twice keeps the first approval time.
UPDATE announce_templates
SET status = 'approved', approved_at = COALESCE(approved_at, now())
WHERE template_id = $1
RETURNING template_id, account_id, name, text, status, created_at, approved_at;

-- name: pending_templates
SELECT template_id, account_id, name, text, status, created_at, approved_at
FROM announce_templates WHERE status = 'pending'
ORDER BY created_at, template_id;
