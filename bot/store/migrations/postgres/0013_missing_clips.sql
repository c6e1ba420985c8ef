-- 0013: the 0-based indexes of a delivered job's clips that could not be posted (JSON array; '[]'
-- when every clip arrived, as for every job delivered before this migration).
ALTER TABLE jobs ADD COLUMN missing_clips TEXT NOT NULL DEFAULT '[]';
