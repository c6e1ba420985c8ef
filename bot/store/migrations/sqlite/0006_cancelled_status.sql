-- 0006: a member may cancel a job before it has a result: status 'cancelled' (final, never charged).
-- SQLite cannot widen a CHECK constraint in place, so the jobs table is rebuilt. The migration runs in
-- one transaction on a connection with foreign keys ON (PRAGMA foreign_keys cannot change inside a
-- transaction), so the old table is renamed first: its self-reference follows it to jobs_old, and
-- dropping jobs_old later cannot touch the new table's parent_job_id values. Ids are copied as they
-- are and the AUTOINCREMENT sequence is carried over, so no id (and no provider `state`) is reused.
PRAGMA defer_foreign_keys = ON;

ALTER TABLE jobs RENAME TO jobs_old;

CREATE TABLE jobs (
    -- AUTOINCREMENT so an id (and the provider `state` built from it) is never reused.
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_id       INTEGER NOT NULL,
    guild_id           INTEGER,
    channel_id         INTEGER NOT NULL,
    source             TEXT    NOT NULL
                       CHECK (source IN ('slash', 'context_menu', 'reaction', 'extend')),
    status             TEXT    NOT NULL
                       CHECK (status IN ('queued', 'submitting', 'submitted', 'running',
                                         'succeeded', 'delivered', 'failed', 'timed_out',
                                         'cancelled')),
    motion             TEXT    NOT NULL CHECK (motion IN ('low', 'high')),
    quality            TEXT    NOT NULL CHECK (quality IN ('480p', '720p')),
    prompt             TEXT    NOT NULL,
    image_url          TEXT    NOT NULL,
    locale             TEXT    NOT NULL,
    progress           INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    parent_job_id      INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    clip_index         INTEGER,
    extension_count    INTEGER NOT NULL DEFAULT 0 CHECK (extension_count >= 0),
    provider_task_id   TEXT,
    clip_urls          TEXT    NOT NULL DEFAULT '[]',
    source_message_id  INTEGER,
    card_message_id    INTEGER,
    interaction_token  TEXT,
    token_expires_at   TEXT,
    error              TEXT,
    failure_kind       TEXT,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    submitted_at       TEXT,
    finished_at        TEXT,
    delivered_at       TEXT,
    final_shown_at     TEXT,
    timed_out_at       TEXT
);

-- In id order, so every parent row is in place before the extensions that name it.
INSERT INTO jobs (
    id, requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url, locale,
    progress, parent_job_id, clip_index, extension_count, provider_task_id, clip_urls, source_message_id,
    card_message_id, interaction_token, token_expires_at, error, failure_kind, created_at, updated_at,
    submitted_at, finished_at, delivered_at, final_shown_at, timed_out_at
)
SELECT
    id, requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url, locale,
    progress, parent_job_id, clip_index, extension_count, provider_task_id, clip_urls, source_message_id,
    card_message_id, interaction_token, token_expires_at, error, failure_kind, created_at, updated_at,
    submitted_at, finished_at, delivered_at, final_shown_at, timed_out_at
FROM jobs_old ORDER BY id;

-- The old sequence is at least the highest id ever given (deleted rows included): keep it.
DELETE FROM sqlite_sequence WHERE name = 'jobs';
UPDATE sqlite_sequence SET name = 'jobs' WHERE name = 'jobs_old';

-- Dropping jobs_old drops its indexes too; they are recreated below exactly as 0001-0005 made them.
DROP TABLE jobs_old;

-- 0001
CREATE INDEX ix_jobs_requester_created ON jobs (requester_id, created_at DESC, id DESC);
CREATE INDEX ix_jobs_requester_status ON jobs (requester_id, status);
CREATE INDEX ix_jobs_status ON jobs (status);
CREATE UNIQUE INDEX ux_jobs_provider_task ON jobs (provider_task_id);
CREATE INDEX ix_jobs_parent ON jobs (parent_job_id);
-- 0003
CREATE INDEX ix_jobs_unannounced ON jobs (status) WHERE final_shown_at IS NULL;
-- 0005
CREATE INDEX ix_jobs_source_message ON jobs (source_message_id, requester_id, source, created_at);
