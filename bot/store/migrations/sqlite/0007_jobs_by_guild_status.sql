-- 0007: count a server's active jobs (admission's daily budget check) without reading every active
-- job of every server: with a deep queue the status index alone holds thousands of rows.
CREATE INDEX ix_jobs_guild_status ON jobs (guild_id, status);
