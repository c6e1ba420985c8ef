-- 0018: a job its requester, its image's poster or a moderator deleted (issue 22, item 4).
-- source_author_id: who posted the image a reaction or "Animate image" job animated (NULL for an
-- /animate upload, whose poster is the requester, and for every job before this migration).
-- posts: the bot's other messages that carry the job (clip replies, /show re-posts and their
-- replies), a JSON array of [channel id, message id] pairs, so a delete removes them all.
-- deleted_at: when it was deleted; such a job is shown by no path again. Its ledger row stays.
ALTER TABLE jobs ADD COLUMN source_author_id INTEGER;
ALTER TABLE jobs ADD COLUMN posts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN deleted_at TEXT;
