-- 0003: remember when a job's final state (delivered clips, or its failure) reached its card.
ALTER TABLE jobs ADD COLUMN final_shown_at TIMESTAMPTZ;

UPDATE jobs SET final_shown_at = COALESCE(delivered_at, finished_at, updated_at)
WHERE status IN ('delivered', 'failed', 'timed_out');

CREATE INDEX ix_jobs_unannounced ON jobs (status) WHERE final_shown_at IS NULL;
