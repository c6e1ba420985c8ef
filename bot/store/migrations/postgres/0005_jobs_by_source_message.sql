-- 0005: find a member's recent job from one source message quickly (create_job's duplicate check).
CREATE INDEX ix_jobs_source_message ON jobs (source_message_id, requester_id, source, created_at);
