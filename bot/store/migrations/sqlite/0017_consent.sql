-- 0017 (issue 22, consent): who may animate an image someone else posted, and the requests waiting for
-- the poster's answer. The buttons carry only a request's id, so a request outlives a restart here.
ALTER TABLE guild_settings ADD COLUMN consent TEXT NOT NULL DEFAULT 'anyone'
    CHECK (consent IN ('anyone', 'ask', 'poster_only'));

CREATE TABLE consent_requests (
    -- AUTOINCREMENT: an id on a button is never given to another request.
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id           INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL,
    source_message_id  INTEGER NOT NULL,
    poster_id          INTEGER NOT NULL,
    requester_id       INTEGER NOT NULL,
    source             TEXT    NOT NULL CHECK (source IN ('context_menu', 'reaction')),
    locale             TEXT    NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'allowed', 'denied', 'expired')),
    created_at         TEXT    NOT NULL,
    expires_at         TEXT    NOT NULL,
    decided_at         TEXT,
    prompt_message_id  INTEGER
);
CREATE INDEX ix_consent_requests_pending ON consent_requests (status, expires_at);
CREATE INDEX ix_consent_requests_requester ON consent_requests (requester_id, source_message_id);
