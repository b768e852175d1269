-- Call quality feedback (Plivo's POST /v1/Call/{call_uuid}/Feedback/): one row per post;
-- the newest row of a call is the one its details show. Only ended calls get feedback.
CREATE TABLE call_feedback (
    id          bigserial PRIMARY KEY,
    request_id  text NOT NULL REFERENCES calls (request_id),
    account_id  text NOT NULL REFERENCES accounts (account_id),
    rating      double precision NOT NULL CHECK (rating >= 1 AND rating <= 5),
    issues      text[] NOT NULL DEFAULT '{}',
    notes       text NOT NULL DEFAULT '' CHECK (length(notes) <= 1000),
    api_id      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_feedback_call ON call_feedback (request_id, id DESC);
CREATE INDEX call_feedback_account ON call_feedback (account_id, created_at);
