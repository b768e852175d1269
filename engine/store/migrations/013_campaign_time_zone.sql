-- The campaign's own time zone (create_campaign's time_zone): get_campaign_details shows
-- it, and daily calling hours apply in it to a contact whose number has no known zone.
ALTER TABLE campaigns ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
