-- 0010: leases, so several Motionbot processes sharing this database each act on their own jobs
-- (see sqlite/0010_leases.sql). Existing jobs start without an owner: the first process claims them.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at TIMESTAMPTZ;

CREATE INDEX ix_jobs_leasable ON jobs (lease_owner, lease_expires_at)
WHERE (status IN ('queued', 'submitting', 'submitted', 'running', 'succeeded')
    OR final_shown_at IS NULL OR timed_out_at IS NOT NULL);

-- Jobs that left the line while the oldest waiting job waited (the dispatch's fairness memory): read
-- by finished_at, so a long history is never scanned.
CREATE INDEX ix_jobs_finished ON jobs (finished_at);
