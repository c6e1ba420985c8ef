-- 0009: the per-file upload limit (bytes) of the interaction that made a job. Boosted servers and
-- Nitro members get more than the server's limit; it applies while the interaction token lives.
-- NULL for jobs made by a reaction (no interaction) and for jobs made before this migration.
ALTER TABLE jobs ADD COLUMN attachment_size_limit INTEGER CHECK (attachment_size_limit > 0);
