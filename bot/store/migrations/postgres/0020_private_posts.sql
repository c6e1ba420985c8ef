-- 0020 in issue 22: the messages of a private or webhook-only job that channel history never shows
-- (see the SQLite migration of the same number).
ALTER TABLE jobs ADD COLUMN private_posts TEXT NOT NULL DEFAULT '[]';
