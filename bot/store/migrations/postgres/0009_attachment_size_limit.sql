-- 0009: the per-file upload limit (bytes) of the interaction that made a job; NULL without one.
ALTER TABLE jobs ADD COLUMN attachment_size_limit BIGINT CHECK (attachment_size_limit > 0);
