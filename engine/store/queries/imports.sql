-- CSV import jobs: created by the API, claimed by an engine's runner (SKIP LOCKED + lease).

-- name: insert_import_job
INSERT INTO import_jobs (job_id, account_id, target_kind, target_id, file_name, bytes_total)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (job_id) DO NOTHING
RETURNING *;

-- name: notify_import_jobs
SELECT pg_notify('import_jobs', $1);

-- name: get_import_job
SELECT * FROM import_jobs WHERE job_id = $1 AND account_id = $2;

-- name: claim_import_jobs
-- Queued jobs, and running ones whose claimant stopped renewing its lease (it died: its
-- import transaction rolled back with its connection, so the job starts again from the
-- beginning). SKIP LOCKED: two runners never claim the same job.
WITH next AS (
    SELECT job_id FROM import_jobs
    WHERE status = 'queued'
       OR (status = 'running' AND claimed_at <= now() - make_interval(secs => $2))
    ORDER BY created_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE import_jobs j
SET status = 'running', claimed_by = $1, claimed_at = now(), bytes_read = 0, rows_read = 0,
    imported = 0, duplicates = 0, rejected = 0, errors = '[]', failure = ''
FROM next WHERE j.job_id = next.job_id
RETURNING j.*;

-- name: seconds_to_import_lease_expiry
SELECT extract(epoch FROM (min(claimed_at) + make_interval(secs => $1) - now()))::float8
FROM import_jobs WHERE status = 'running';

-- name: renew_import_job
-- The running job's lease and progress; nothing is returned once the claim is lost.
UPDATE import_jobs SET claimed_at = now(), bytes_read = $3, rows_read = $4
WHERE job_id = $1 AND claimed_by = $2 AND status = 'running'
RETURNING job_id;

-- name: finish_import_job
-- Runs inside the import's own transaction: the rows and "done" commit together.
UPDATE import_jobs
SET status = 'done', bytes_read = $3, rows_read = $4, imported = $5, duplicates = $6,
    rejected = $7, errors = $8, finished_at = now()
WHERE job_id = $1 AND claimed_by = $2 AND status = 'running'
RETURNING job_id;

-- name: fail_import_job
UPDATE import_jobs
SET status = 'failed', failure = $3, bytes_read = $4, rows_read = $5, rejected = $6,
    errors = $7, finished_at = now()
WHERE job_id = $1 AND claimed_by = $2 AND status = 'running'
RETURNING job_id;

-- name: release_import_job
-- A runner stopping (engine shutdown) hands its job back at once instead of after the lease.
UPDATE import_jobs SET status = 'queued', claimed_by = NULL, claimed_at = NULL
WHERE job_id = $1 AND claimed_by = $2 AND status = 'running'
RETURNING job_id;
