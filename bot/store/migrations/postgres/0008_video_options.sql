-- 0008: the video options a job was asked with and the daily-limit units it is charged on success;
-- servers get a default batch size and the "count clips" switch.
ALTER TABLE jobs ADD COLUMN clips INTEGER NOT NULL DEFAULT 4 CHECK (clips IN (1, 2, 4));
ALTER TABLE jobs ADD COLUMN loop BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE jobs ADD COLUMN raw BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE jobs ADD COLUMN end_image_url TEXT;
ALTER TABLE jobs ADD COLUMN cost INTEGER NOT NULL DEFAULT 1 CHECK (cost >= 1);
ALTER TABLE guild_settings ADD COLUMN default_clips INTEGER CHECK (default_clips IN (1, 2, 4));
ALTER TABLE guild_settings ADD COLUMN count_clips BOOLEAN NOT NULL DEFAULT FALSE;
