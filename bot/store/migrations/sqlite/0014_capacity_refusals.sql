-- 0014: when the provider last answered a submit of a job with "no account instance" (code 3: no
-- upstream account can make this kind of video now, 720p say). Such a job goes back in line behind
-- every other waiting job (bot.fair_queue), so one job the provider cannot place never holds the
-- line; the column makes that order the same in every process sharing the database. NULL for a
-- job never refused so, as for every job before this migration.
ALTER TABLE jobs ADD COLUMN capacity_refused_at TEXT;
