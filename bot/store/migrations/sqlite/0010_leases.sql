-- 0010: leases, so several Motionbot processes sharing one store each act on their own jobs. The
-- process that holds a job's lease (lease_owner, until lease_expires_at) tracks, delivers and announces
-- it; a lease that is not renewed expires and another process claims the job. Existing jobs start
-- without an owner, so the first process to look claims them.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at TEXT;

-- Only jobs a process may still have to act on (a superset of the LEASABLE rule in bot/store/sqlite_sql.py,
-- written the same way there): the claim and renew queries read this small index, never every job.
CREATE INDEX ix_jobs_leasable ON jobs (lease_owner, lease_expires_at)
WHERE (status IN ('queued', 'submitting', 'submitted', 'running', 'succeeded')
    OR final_shown_at IS NULL OR timed_out_at IS NOT NULL);

-- Jobs that left the line while the oldest waiting job waited (the dispatch's fairness memory): read
-- by finished_at, so a long history is never scanned.
CREATE INDEX ix_jobs_finished ON jobs (finished_at);
