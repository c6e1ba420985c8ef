-- 0018: a job its requester, its image's poster or a moderator deleted (issue 22, item 4).
ALTER TABLE jobs ADD COLUMN source_author_id BIGINT;
ALTER TABLE jobs ADD COLUMN posts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN deleted_at TIMESTAMPTZ;
