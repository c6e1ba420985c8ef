-- 0012: "all channels" becomes an explicit choice, and a job's card can be found by its message.
-- all_channels: with no channel listed, commands work in every channel (1) or in none (0); a list,
-- when there is one, always limits. An empty list meant "every channel" before, so it still does.
ALTER TABLE guild_settings ADD COLUMN all_channels INTEGER NOT NULL DEFAULT 1 CHECK (all_channels IN (0, 1));
UPDATE guild_settings SET all_channels = CASE WHEN allowed_channel_ids = '[]' THEN 1 ELSE 0 END;

-- A deleted message -> the job whose card it was (a moderator removed it, so /show needs one to bring
-- it back); read for every message deleted in the bot's servers, so never a scan.
CREATE INDEX ix_jobs_card_message ON jobs (card_message_id);
