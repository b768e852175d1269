-- The answering-machine verdict of a Plivo API call, on the CDR row of the leg it ran on:
-- machine_detection "true" | "false", and AMD's own words (e.g. MACHINE/LONGGREETING-1500-1500).
ALTER TABLE cdrs ADD COLUMN machine_detection text;
ALTER TABLE cdrs ADD COLUMN machine_detection_status text;
