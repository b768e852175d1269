-- The iSales write-back (README "iSales write-back").
--
-- Campaigns may name an iSales-compatible endpoint the engine pushes each attempt's result
-- to (the bearer token sealed with the engine's key, never in the clear), and an external
-- service id the server side accepts as serviceId besides the campaign id.
ALTER TABLE campaigns ADD COLUMN isales_url text;
ALTER TABLE campaigns ADD COLUMN isales_token_sealed bytea;
ALTER TABLE campaigns ADD COLUMN isales_sub_cc_no integer NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN isales_vdn_id integer NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN isales_service_id text;
CREATE UNIQUE INDEX campaigns_isales_service_id ON campaigns (account_id, isales_service_id)
    WHERE isales_service_id IS NOT NULL;

-- A contact's uniqueId: its unique_id, or (none given) its contact id as text.
CREATE INDEX contacts_unique_id ON contacts (list_id, (coalesce(unique_id, contact_id::text)));

-- The last result written back for a campaign's contact. A final one (README) stops its
-- retries: a waiting contact becomes 'closed' and is never claimed again.
ALTER TABLE campaign_contacts ADD COLUMN result_status text;
ALTER TABLE campaign_contacts ADD COLUMN result_final boolean NOT NULL DEFAULT false;
ALTER TABLE campaign_contacts ADD COLUMN result_at timestamptz;
ALTER TABLE campaign_contacts DROP CONSTRAINT campaign_contacts_state_check;
ALTER TABLE campaign_contacts ADD CONSTRAINT campaign_contacts_state_check CHECK (state IN
    ('pending', 'dialling', 'retry', 'answered', 'failed', 'dnd', 'expired', 'stopped',
     'closed'));

-- Every result written back through POST /rest/isales/…/midresult, as received.
CREATE TABLE contact_results (
    result_id    bigserial PRIMARY KEY,
    campaign_id  text NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    contact_id   bigint NOT NULL,
    status       text NOT NULL,
    final        boolean NOT NULL,
    body         jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_results_contact ON contact_results (campaign_id, contact_id, result_id);

-- Webhook deliveries with a JSON body and a bearer token (the iSales push): ``body`` is
-- posted as application/json instead of the form ``params``; ``bearer_ref`` names whose
-- token goes in ``Authorization: Bearer …`` (for kind 'isales': the campaign id) instead
-- of the Plivo signature. Both NULL: a status callback as before.
ALTER TABLE webhook_deliveries ADD COLUMN body jsonb;
ALTER TABLE webhook_deliveries ADD COLUMN bearer_ref text;
