-- 0008: the video options a job was asked with (batch size, loop, raw, end frame) and the daily-limit
-- units it is charged on success (1, or its clips when the server counts clips), fixed at admission
-- so a refund gives back exactly what was counted. Servers get a default batch size and the switch.
ALTER TABLE jobs ADD COLUMN clips INTEGER NOT NULL DEFAULT 4 CHECK (clips IN (1, 2, 4));
ALTER TABLE jobs ADD COLUMN loop INTEGER NOT NULL DEFAULT 0 CHECK (loop IN (0, 1));
ALTER TABLE jobs ADD COLUMN raw INTEGER NOT NULL DEFAULT 0 CHECK (raw IN (0, 1));
ALTER TABLE jobs ADD COLUMN end_image_url TEXT;
ALTER TABLE jobs ADD COLUMN cost INTEGER NOT NULL DEFAULT 1 CHECK (cost >= 1);
ALTER TABLE guild_settings ADD COLUMN default_clips INTEGER CHECK (default_clips IN (1, 2, 4));
ALTER TABLE guild_settings ADD COLUMN count_clips INTEGER NOT NULL DEFAULT 0 CHECK (count_clips IN (0, 1));
