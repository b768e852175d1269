-- name: insert_feedback
-- Stored only for an ended call of this account; nothing is returned otherwise.
INSERT INTO call_feedback (request_id, account_id, rating, issues, notes, api_id)
SELECT c.request_id, c.account_id, $3, $4, $5, $6
FROM calls c
WHERE c.request_id = $1 AND c.account_id = $2 AND c.ended_at IS NOT NULL
RETURNING *;

-- name: feedback_call_ended
-- NULL: no such call of this account; false: still live; true: ended.
SELECT ended_at IS NOT NULL FROM calls WHERE request_id = $1 AND account_id = $2;

-- name: latest_feedback
SELECT * FROM call_feedback WHERE request_id = $1 AND account_id = $2
ORDER BY id DESC LIMIT 1;

-- name: feedback_totals
SELECT count(*) AS feedbacks, avg(rating) AS mean_rating
FROM call_feedback
WHERE account_id = $1
  AND ($2::timestamptz IS NULL OR created_at >= $2)
  AND ($3::timestamptz IS NULL OR created_at < $3);

-- name: feedback_issue_counts
SELECT issue, count(*) AS n
FROM call_feedback f CROSS JOIN LATERAL unnest(f.issues) AS issue
WHERE f.account_id = $1
  AND ($2::timestamptz IS NULL OR f.created_at >= $2)
  AND ($3::timestamptz IS NULL OR f.created_at < $3)
GROUP BY issue;
