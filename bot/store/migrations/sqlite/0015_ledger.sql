-- 0015: the spend ledger. One row per job holds what the job costs, fixed when it was admitted: its
-- price in money (amount, in millionths of the operator's PRICE_CURRENCY) and its daily-limit units
-- (Job.cost: 1 per job, or its clips when the server counts clips). A row is 'reserved' while the job
-- waits or runs, 'charged' once the provider has the task and bills it, 'released' when the provider
-- did not bill (a failure it reported, a refusal or an interruption before submission, a cancel while
-- waiting). Budgets and daily limits sum the reserved and charged rows of a person (across servers),
-- a server, or the whole bot, for a UTC day or month. job_id is UNIQUE: one reservation per job.
ALTER TABLE jobs ADD COLUMN price INTEGER NOT NULL DEFAULT 0 CHECK (price >= 0);

CREATE TABLE ledger (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      INTEGER UNIQUE REFERENCES jobs (id),  -- NULL: carried over from the daily counters
    person_id   INTEGER NOT NULL,
    guild_id    INTEGER NOT NULL,                     -- 0 for direct messages, as in usage
    day         TEXT    NOT NULL,                     -- UTC day of admission, YYYY-MM-DD
    month       TEXT    NOT NULL,                     -- UTC month of admission, YYYY-MM
    units       INTEGER NOT NULL CHECK (units >= 0),
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    state       TEXT    NOT NULL CHECK (state IN ('reserved', 'charged', 'released')),
    created_at  TEXT    NOT NULL,
    settled_at  TEXT
);
CREATE INDEX ix_ledger_person ON ledger (person_id, month, day);
CREATE INDEX ix_ledger_guild ON ledger (guild_id, month, day);
CREATE INDEX ix_ledger_month ON ledger (month, day);

-- Today's counters keep their meaning: every succeeded job they counted becomes one charged row of
-- its units (the price of those jobs was never known: amount 0), so the daily limits of every server
-- count the same jobs after the move as before it.
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at, settled_at)
SELECT NULL, user_id, guild_id, day, substr(day, 1, 7), succeeded, 0, 'charged',
       day || 'T00:00:00+00:00', day || 'T00:00:00+00:00'
FROM usage WHERE succeeded > 0;

-- Jobs waiting or running now were admitted against the counters as reservations: they get theirs.
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at)
SELECT id, requester_id, COALESCE(guild_id, 0), substr(created_at, 1, 10), substr(created_at, 1, 7),
       cost, 0, CASE WHEN status IN ('submitted', 'running') THEN 'charged' ELSE 'reserved' END, created_at
FROM jobs WHERE status IN ('queued', 'submitting', 'submitted', 'running');
