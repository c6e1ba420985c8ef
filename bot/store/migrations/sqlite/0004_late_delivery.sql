-- 0004: remember when Motionbot stopped waiting for a job (its own timeout). The provider may still
-- finish (and bill) that task later; the tracker keeps watching it for a while, delivers the clips
-- (TIMED_OUT -> SUCCEEDED) and the card says the video arrived late.
ALTER TABLE jobs ADD COLUMN timed_out_at TEXT;

-- Jobs timed out before this migration were timed out by the bot (nothing else sets timed_out).
UPDATE jobs SET timed_out_at = COALESCE(finished_at, updated_at) WHERE status = 'timed_out';
