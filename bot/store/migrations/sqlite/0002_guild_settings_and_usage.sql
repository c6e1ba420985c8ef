-- 0002: per-server settings and the daily usage counters behind the quotas.

CREATE TABLE guild_settings (
    guild_id                 INTEGER PRIMARY KEY,
    -- Sets of channel ids as JSON arrays of integers; [] means "no restriction / default".
    allowed_channel_ids      TEXT    NOT NULL DEFAULT '[]',
    reactions_enabled        INTEGER CHECK (reactions_enabled IN (0, 1)),
    reaction_emoji           TEXT,
    reaction_channel_ids     TEXT    NOT NULL DEFAULT '[]',
    buttons_everyone         INTEGER NOT NULL DEFAULT 0 CHECK (buttons_everyone IN (0, 1)),
    default_motion           TEXT    CHECK (default_motion IN ('low', 'high')),
    default_quality          TEXT    CHECK (default_quality IN ('480p', '720p')),
    max_concurrent_per_user  INTEGER,
    max_daily_per_user       INTEGER,
    max_daily_per_guild      INTEGER,
    updated_at               TEXT    NOT NULL
);

-- Succeeded jobs per UTC day, server and user. guild_id 0 stands for direct messages: Discord
-- never issues snowflake 0, and a NOT NULL key lets the upsert find the existing row.
CREATE TABLE usage (
    day        TEXT    NOT NULL,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    succeeded  INTEGER NOT NULL DEFAULT 0 CHECK (succeeded >= 0),
    PRIMARY KEY (day, guild_id, user_id)
) WITHOUT ROWID;
