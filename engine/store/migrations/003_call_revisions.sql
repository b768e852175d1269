-- Every snapshot carries the call's revision; a replayed or late snapshot never overwrites
-- a newer one (the durable outbox may deliver the same call more than once).
ALTER TABLE calls ADD COLUMN revision integer NOT NULL DEFAULT 0;
