-- 0003: remember when a job's final state (delivered clips, or its failure) reached its card.
-- A process killed between storing a failure and editing the card would otherwise leave the
-- card showing "Generating…" forever; the tracker re-announces failures not yet shown.
ALTER TABLE jobs ADD COLUMN final_shown_at TEXT;

-- Jobs finished before this migration were shown by the version that finished them.
UPDATE jobs SET final_shown_at = COALESCE(delivered_at, finished_at, updated_at)
WHERE status IN ('delivered', 'failed', 'timed_out');

CREATE INDEX ix_jobs_unannounced ON jobs (status) WHERE final_shown_at IS NULL;
