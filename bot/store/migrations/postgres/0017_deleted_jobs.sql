-- 0018 (0017 on its branch: the loader refuses gaps): deleted jobs, their image's poster and the bot's posts of them (see sqlite/0018_deleted_jobs.sql).
ALTER TABLE jobs ADD COLUMN source_author_id BIGINT;
ALTER TABLE jobs ADD COLUMN posts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN deleted_at TIMESTAMPTZ;
