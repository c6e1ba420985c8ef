-- 0019 in issue 22 (0017 here until the merge). Private results: see sqlite/0017_private_results.sql.
ALTER TABLE jobs ADD COLUMN private BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE jobs ADD COLUMN webhook_only BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE guild_settings ADD COLUMN private_default BOOLEAN NOT NULL DEFAULT FALSE;
