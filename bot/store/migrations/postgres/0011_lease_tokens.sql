-- 0011: fencing tokens (see sqlite/0011_lease_tokens.sql). Every claim of a job's lease bumps
-- lease_token, a renewal keeps it, and a write carrying an older token is refused: the process that
-- made it lost the job to another one while it was paused.
ALTER TABLE jobs ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
