-- 0007: count a server's active jobs (admission's daily budget check) from an index.
CREATE INDEX ix_jobs_guild_status ON jobs (guild_id, status);
