-- 0019 in issue 22 (0017 here until the merge: the loader refuses gaps). Private results: a job
-- whose card and clips only its requester sees (ephemeral while the interaction token lives, by DM
-- after); never shown publicly until its requester posts it. And each server's default for
-- /animate's `private` option when the member leaves it out.
ALTER TABLE jobs ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
-- A job started where the bot is not a member (a user-installed app in another server or a group DM):
-- its card and clips go through the interaction's webhook alone, then by DM.
ALTER TABLE jobs ADD COLUMN webhook_only INTEGER NOT NULL DEFAULT 0 CHECK (webhook_only IN (0, 1));
ALTER TABLE guild_settings ADD COLUMN private_default INTEGER NOT NULL DEFAULT 0 CHECK (private_default IN (0, 1));
