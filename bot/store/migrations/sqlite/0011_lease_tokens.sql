-- 0011: fencing tokens. Every claim of a job's lease (creating it, taking an expired lease over, the
-- shared dispatch moving it to SUBMITTING) bumps lease_token; a renewal keeps it. A process remembers
-- the token it claimed with and every write it makes about the job carries it: a write whose token is
-- no longer the stored one comes from a process that lost the job (it was paused past its lease and
-- another took over) and is refused. On SQLite one process holds every job, so the token never moves
-- after creation. Existing jobs start at 0; the first claim makes it 1.
ALTER TABLE jobs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
