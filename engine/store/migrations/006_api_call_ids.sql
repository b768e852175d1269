-- Calls of the Plivo-compatible API are named by a UUID (their request_uuid/call_uuid);
-- every other call keeps the seed's 10 hex characters.
ALTER TABLE calls DROP CONSTRAINT IF EXISTS calls_request_id_check;
ALTER TABLE calls ADD CONSTRAINT calls_request_id_check CHECK (
    request_id ~ '^[0-9a-f]{10}$'
    OR request_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
);
