-- 0013: a delivered job whose clips did not all reach Discord. missing_clips lists the 0-based indexes
-- of the clips that could not be posted (a JSON array, like clip_urls); '[]' when every clip arrived,
-- which is what every job delivered before this migration had. The job is 'delivered' either way: the
-- member holds clips and is charged for those (Job.charged_units); the card offers to post the rest.
ALTER TABLE jobs ADD COLUMN missing_clips TEXT NOT NULL DEFAULT '[]';
