-- 0020 in issue 22: the messages of a private or webhook-only job that channel history never shows
-- (ephemeral and webhook messages of the interaction, the DM card and DM clips), as a JSON array of
-- [channel id, message id, place, [clip indexes]] with place "webhook" or "dm". A delete removes
-- them while Discord allows; a restarted delivery posts only the clips none of them carries.
ALTER TABLE jobs ADD COLUMN private_posts TEXT NOT NULL DEFAULT '[]';
