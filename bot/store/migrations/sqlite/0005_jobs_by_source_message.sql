-- 0005: find a member's recent job from one source message quickly (the duplicate check in
-- JobStore.create_job runs inside every job creation's write transaction).
CREATE INDEX ix_jobs_source_message ON jobs (source_message_id, requester_id, source, created_at);
