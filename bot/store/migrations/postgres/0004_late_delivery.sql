-- 0004: remember when Motionbot stopped waiting for a job (its own timeout), for a late delivery.
ALTER TABLE jobs ADD COLUMN timed_out_at TIMESTAMPTZ;

UPDATE jobs SET timed_out_at = COALESCE(finished_at, updated_at) WHERE status = 'timed_out';
