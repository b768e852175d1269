-- OTP announce templates: an account writes the text, an operator approves it; only an
-- approved template may be spoken by an OTP call. The text is never edited after creation
-- (editing would bypass the approval); a changed wording is a new template.
CREATE TABLE announce_templates (
    template_id  text PRIMARY KEY CHECK (template_id ~ '^AN[0-9a-f]{10}$'),
    account_id   text NOT NULL REFERENCES accounts (account_id),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
    text         text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 500),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    approved_at  timestamptz,
    CHECK ((status = 'approved') = (approved_at IS NOT NULL))
);
CREATE INDEX announce_templates_account ON announce_templates (account_id, created_at);
CREATE INDEX announce_templates_pending ON announce_templates (created_at)
    WHERE status = 'pending';
