-- 0001: jobs and the meta key/value table.
-- Timestamps are ISO-8601 text in UTC with an explicit offset, written by bot.store_rows, so text
-- order is time order. Discord snowflakes fit in SQLite's 64-bit INTEGER.

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
                                         'succeeded', 'delivered', 'failed', 'timed_out')),
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
    delivered_at       TEXT
);

-- A user's recent jobs, newest first; `id` breaks ties so paging needs no extra sort.
CREATE INDEX ix_jobs_requester_created ON jobs (requester_id, created_at DESC, id DESC);
-- A user's running jobs (concurrency quota).
CREATE INDEX ix_jobs_requester_status ON jobs (requester_id, status);
-- Jobs by status (tracker resume, metrics).
CREATE INDEX ix_jobs_status ON jobs (status);
-- Provider task id -> job; NULL until submitted, unique once known.
CREATE UNIQUE INDEX ux_jobs_provider_task ON jobs (provider_task_id);
-- Extensions of a job (also keeps the foreign key check on delete cheap).
CREATE INDEX ix_jobs_parent ON jobs (parent_job_id);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
