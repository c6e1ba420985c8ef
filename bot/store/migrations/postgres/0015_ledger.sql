-- 0015: the spend ledger, one row per job: its price (millionths of PRICE_CURRENCY) and daily-limit
-- units, reserved at admission, then charged or released (see sqlite/0015_ledger.sql).
ALTER TABLE jobs ADD COLUMN price BIGINT NOT NULL DEFAULT 0 CHECK (price >= 0);

CREATE TABLE ledger (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      BIGINT  UNIQUE REFERENCES jobs (id),  -- NULL: carried over from the daily counters
    person_id   BIGINT  NOT NULL,
    guild_id    BIGINT  NOT NULL,                     -- 0 for direct messages, as in usage
    day         DATE    NOT NULL,                     -- UTC day of admission
    month       TEXT    NOT NULL,                     -- UTC month of admission, YYYY-MM
    units       INTEGER NOT NULL CHECK (units >= 0),
    amount      BIGINT  NOT NULL CHECK (amount >= 0),
    state       TEXT    NOT NULL CHECK (state IN ('reserved', 'charged', 'released')),
    created_at  TIMESTAMPTZ NOT NULL,
    settled_at  TIMESTAMPTZ
);
CREATE INDEX ix_ledger_person ON ledger (person_id, month, day);
CREATE INDEX ix_ledger_guild ON ledger (guild_id, month, day);
CREATE INDEX ix_ledger_month ON ledger (month, day);

-- Today's counters keep their meaning: one charged row per counted (day, server, member) of its units.
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at, settled_at)
SELECT NULL, user_id, guild_id, day, to_char(day, 'YYYY-MM'), succeeded, 0, 'charged',
       day::timestamp AT TIME ZONE 'UTC', day::timestamp AT TIME ZONE 'UTC'
FROM usage WHERE succeeded > 0;

-- Jobs waiting or running now were admitted against the counters as reservations: they get theirs.
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at)
SELECT id, requester_id, COALESCE(guild_id, 0), (created_at AT TIME ZONE 'UTC')::date,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'), cost, 0,
       CASE WHEN status IN ('submitted', 'running') THEN 'charged' ELSE 'reserved' END, created_at
FROM jobs WHERE status IN ('queued', 'submitting', 'submitted', 'running');
