-- 0006: status 'cancelled' (final, never charged). PostgreSQL widens the CHECK in place; SQLite had
-- to rebuild the table.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'submitting', 'submitted', 'running',
                      'succeeded', 'delivered', 'failed', 'timed_out', 'cancelled'));
