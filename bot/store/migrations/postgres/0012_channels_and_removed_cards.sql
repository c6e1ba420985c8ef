-- 0012: "all channels" becomes an explicit choice, and a job's card can be found by its message
-- (see sqlite/0012_channels_and_removed_cards.sql). An empty list meant "every channel", so it still does.
ALTER TABLE guild_settings ADD COLUMN all_channels BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE guild_settings SET all_channels = (allowed_channel_ids = '[]');

CREATE INDEX ix_jobs_card_message ON jobs (card_message_id);
