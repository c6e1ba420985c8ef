"""The SQL statements of the job store in PostgreSQL's dialect, with ``$n`` parameters.

Same names and the same parameters in the same order as ``sqlite_sql``; only the dialect differs:
GREATEST for SQLite's two-argument MAX, ``= ANY($n::text[])`` for ``json_each``, ``IS NOT DISTINCT
FROM`` for ``IS ?``, ``FOR UPDATE`` row locks in a transition's check, ``SKIP LOCKED`` in the claim.
"""

from __future__ import annotations

INSERT_JOB = """
INSERT INTO jobs (
    requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url,
    locale, parent_job_id, clip_index, extension_count, source_message_id, interaction_token,
    token_expires_at, created_at, updated_at, clips, loop, raw, end_image_url, cost, price,
    attachment_size_limit, lease_owner, lease_expires_at, lease_token, source_author_id, private, webhook_only
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
    $21, $22, $23, $24, $25, $26, $27, 1, $28, $29, $30
)
RETURNING *
"""

SELECT_JOB = "SELECT * FROM jobs WHERE id = $1"
# The row lock makes "check status, then update" race-free against other processes.
SELECT_JOB_FOR_UPDATE = "SELECT * FROM jobs WHERE id = $1 FOR UPDATE"

SELECT_SAME_SOURCE_JOB = """
SELECT * FROM jobs
WHERE source_message_id = $1 AND requester_id = $2 AND source = $3 AND created_at >= $4
    AND status NOT IN ('failed', 'timed_out', 'cancelled') AND deleted_at IS NULL
ORDER BY id DESC LIMIT 1
"""
SELECT_JOB_ID_BY_TASK = "SELECT id FROM jobs WHERE provider_task_id = $1"
# A job whose card is this message (ix_jobs_card_message); the newest when a card id came back.
SELECT_JOB_BY_CARD = "SELECT * FROM jobs WHERE card_message_id = $1 ORDER BY id DESC LIMIT 1"

MARK_SUBMITTING = "UPDATE jobs SET status = 'submitting', updated_at = $1 WHERE id = $2 RETURNING *"

# $3: the time of a "no account instance" answer (the job then waits behind the others), else NULL.
REQUEUE = """
UPDATE jobs SET status = 'queued', updated_at = $1, capacity_refused_at = COALESCE($3, capacity_refused_at)
WHERE id = $2 RETURNING *
"""

MARK_SUBMITTED = """
UPDATE jobs SET status = 'submitted', provider_task_id = $1, submitted_at = $2, updated_at = $2
WHERE id = $3 RETURNING *
"""

UPDATE_PROGRESS = """
UPDATE jobs SET status = $1, progress = GREATEST(progress, $2), updated_at = $3 WHERE id = $4 RETURNING *
"""

MARK_SUCCEEDED = """
UPDATE jobs SET status = 'succeeded', progress = 100, clip_urls = $1, finished_at = $2, updated_at = $2,
    error = NULL, failure_kind = NULL
WHERE id = $3 RETURNING *
"""

MARK_FAILED = """
UPDATE jobs SET status = $1, failure_kind = $2, error = $3, finished_at = COALESCE(finished_at, $4),
    updated_at = $4, timed_out_at = CASE WHEN $1 = 'timed_out' THEN $4 ELSE timed_out_at END
WHERE id = $5 RETURNING *
"""

MARK_CANCELLED = """
UPDATE jobs SET status = 'cancelled', finished_at = $1, updated_at = $1, final_shown_at = NULL,
    lease_owner = $3, lease_expires_at = $4,
    submitted_at = CASE WHEN status = 'submitting' THEN updated_at ELSE submitted_at END
WHERE id = $2 RETURNING *
"""

MARK_DELIVERED = """
UPDATE jobs SET status = 'delivered', delivered_at = $1, final_shown_at = $1, updated_at = $1 WHERE id = $2
RETURNING *
"""

# A delivery that posted some clips: the job is delivered (the member holds clips), the rest listed.
MARK_PARTLY_DELIVERED = """
UPDATE jobs SET status = 'delivered', missing_clips = $1, delivered_at = $2, final_shown_at = $2,
    updated_at = $2
WHERE id = $3 RETURNING *
"""

SET_MISSING_CLIPS = "UPDATE jobs SET missing_clips = $1, updated_at = $2 WHERE id = $3 RETURNING *"

ADD_POST = "UPDATE jobs SET posts = (posts::jsonb || jsonb_build_array($1::text::jsonb))::text WHERE id = $2"
ADD_PRIVATE_POST = """
UPDATE jobs SET private_posts = (private_posts::jsonb || jsonb_build_array($1::text::jsonb))::text
WHERE id = $2 RETURNING *
"""
MARK_DELETED = "UPDATE jobs SET deleted_at = $1, updated_at = $1 WHERE id = $2 RETURNING *"

COUNT_PARTLY_DELIVERED = """
SELECT COUNT(*) AS jobs FROM jobs WHERE status = 'delivered' AND missing_clips <> '[]'
"""

MARK_FINAL_SHOWN = "UPDATE jobs SET final_shown_at = $1, updated_at = $1 WHERE id = $2 RETURNING *"

UNANNOUNCED_FAILURES = """
SELECT * FROM jobs WHERE status IN ('failed', 'timed_out', 'cancelled') AND final_shown_at IS NULL ORDER BY id
"""

SET_CARD_MESSAGE = "UPDATE jobs SET card_message_id = $1, updated_at = $2 WHERE id = $3 RETURNING *"
MAKE_PUBLIC = """
UPDATE jobs SET private = FALSE, card_message_id = $1, interaction_token = NULL, token_expires_at = NULL,
    updated_at = $2
WHERE id = $3 RETURNING *
"""

STOP_LATE_WATCH = "UPDATE jobs SET timed_out_at = NULL, updated_at = $1 WHERE id = $2 RETURNING *"

FORGET_INTERACTION = """
UPDATE jobs SET interaction_token = NULL, token_expires_at = NULL, updated_at = $1 WHERE id = $2
RETURNING *
"""

JOBS_WITH_STATUS = "SELECT * FROM jobs WHERE status = ANY($1::text[]) ORDER BY id"

LATE_WATCH_JOBS = """
SELECT * FROM jobs
WHERE status = 'timed_out' AND provider_task_id IS NOT NULL AND timed_out_at >= $1
ORDER BY id
"""

COUNT_BY_STATUS = "SELECT status, COUNT(*) AS jobs FROM jobs GROUP BY status"

RECENT_JOBS = """
SELECT * FROM jobs WHERE requester_id = $1 AND guild_id IS NOT DISTINCT FROM $2
ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4
"""

COUNT_JOBS = "SELECT COUNT(*) FROM jobs WHERE requester_id = $1 AND guild_id IS NOT DISTINCT FROM $2"

RUNNING_JOBS = """
SELECT * FROM jobs
WHERE requester_id = $1 AND status IN ('queued', 'submitting', 'submitted', 'running')
ORDER BY id
"""

COUNT_ACTIVE_IN_GUILD = """
SELECT COALESCE(SUM(cost), 0) FROM jobs
WHERE guild_id = $1 AND status IN ('queued', 'submitting', 'submitted', 'running')
"""

ALL_JOBS = "SELECT * FROM jobs ORDER BY id"
ALL_JOBS_SINCE = "SELECT * FROM jobs WHERE created_at >= $1 ORDER BY id"

# -- the spend ledger (see sqlite_sql) -------------------------------------------------------------

INSERT_LEDGER = """
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'reserved', $8)
"""

SELECT_LEDGER_ROW = "SELECT state, units, amount FROM ledger WHERE job_id = $1"

SETTLE_LEDGER = """
UPDATE ledger SET state = $1, units = $2, amount = $3,
    settled_at = CASE WHEN $1 = 'reserved' THEN NULL WHEN state = $1 THEN settled_at ELSE $4 END
WHERE job_id = $5
"""

# SUM of a BIGINT is NUMERIC in PostgreSQL: cast back, every amount fits (at most a million a job).
SPEND = """
SELECT p.person_units_here, p.person_units, p.person_day_here, p.person_month_here, p.person_day,
    p.person_month, g.guild_units, g.guild_day, g.guild_month, b.bot_day, b.bot_month
FROM (
    SELECT COALESCE(SUM(CASE WHEN guild_id = $2 AND day = $3 THEN units END), 0)::bigint AS person_units_here,
        COALESCE(SUM(CASE WHEN day = $3 THEN units END), 0)::bigint AS person_units,
        COALESCE(SUM(CASE WHEN guild_id = $2 AND day = $3 THEN amount END), 0)::bigint AS person_day_here,
        COALESCE(SUM(CASE WHEN guild_id = $2 THEN amount END), 0)::bigint AS person_month_here,
        COALESCE(SUM(CASE WHEN day = $3 THEN amount END), 0)::bigint AS person_day,
        COALESCE(SUM(amount), 0)::bigint AS person_month
    FROM ledger WHERE person_id = $1 AND month = $4 AND state <> 'released'
) AS p, (
    SELECT COALESCE(SUM(CASE WHEN day = $3 THEN units END), 0)::bigint AS guild_units,
        COALESCE(SUM(CASE WHEN day = $3 THEN amount END), 0)::bigint AS guild_day,
        COALESCE(SUM(amount), 0)::bigint AS guild_month
    FROM ledger WHERE guild_id = $2 AND month = $4 AND state <> 'released'
) AS g, (
    SELECT COALESCE(SUM(CASE WHEN day = $3 THEN amount END), 0)::bigint AS bot_day,
        COALESCE(SUM(amount), 0)::bigint AS bot_month
    FROM ledger WHERE month = $4 AND state <> 'released'
) AS b
"""

CHARGED_TODAY = """
SELECT COALESCE(SUM(CASE WHEN person_id = $4 THEN units END), 0)::bigint AS user_today,
    COALESCE(SUM(units), 0)::bigint AS guild_today
FROM ledger WHERE guild_id = $3 AND month = $2 AND day = $1 AND state = 'charged'
"""

SPEND_TOTALS = """
SELECT COALESCE(SUM(CASE WHEN state = 'charged' AND day = $1 THEN amount END), 0)::bigint AS charged_day,
    COALESCE(SUM(CASE WHEN state = 'charged' THEN amount END), 0)::bigint AS charged_month,
    COALESCE(SUM(CASE WHEN state = 'reserved' AND day = $1 THEN amount END), 0)::bigint AS reserved_day,
    COALESCE(SUM(CASE WHEN state = 'reserved' THEN amount END), 0)::bigint AS reserved_month
FROM ledger WHERE month = $2
"""

SELECT_GUILD_SETTINGS = "SELECT * FROM guild_settings WHERE guild_id = $1"

UPSERT_GUILD_SETTINGS = """
INSERT INTO guild_settings (
    guild_id, allowed_channel_ids, reactions_enabled, reaction_emoji, reaction_channel_ids,
    buttons_everyone, default_motion, default_quality, max_concurrent_per_user, max_daily_per_user,
    max_daily_per_guild, updated_at, default_clips, count_clips, all_channels, budget_server_day,
    budget_server_month, budget_person_day, budget_person_month, consent, private_default
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
ON CONFLICT (guild_id) DO UPDATE SET
    allowed_channel_ids = excluded.allowed_channel_ids,
    reactions_enabled = excluded.reactions_enabled,
    reaction_emoji = excluded.reaction_emoji,
    reaction_channel_ids = excluded.reaction_channel_ids,
    buttons_everyone = excluded.buttons_everyone,
    default_motion = excluded.default_motion,
    default_quality = excluded.default_quality,
    max_concurrent_per_user = excluded.max_concurrent_per_user,
    max_daily_per_user = excluded.max_daily_per_user,
    max_daily_per_guild = excluded.max_daily_per_guild,
    updated_at = excluded.updated_at,
    default_clips = excluded.default_clips,
    count_clips = excluded.count_clips,
    all_channels = excluded.all_channels,
    budget_server_day = excluded.budget_server_day,
    budget_server_month = excluded.budget_server_month,
    budget_person_day = excluded.budget_person_day,
    budget_person_month = excluded.budget_person_month,
    consent = excluded.consent,
    private_default = excluded.private_default
"""

# A server's allowances per role (bot.budget.effective_budgets picks the member's highest).
SELECT_ROLE_ALLOWANCES = "SELECT * FROM role_allowances WHERE guild_id = $1 ORDER BY role_id"
UPSERT_ROLE_ALLOWANCE = """
INSERT INTO role_allowances (guild_id, role_id, day, month, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (guild_id, role_id) DO UPDATE SET
    day = excluded.day, month = excluded.month, updated_at = excluded.updated_at
"""
DELETE_ROLE_ALLOWANCE = "DELETE FROM role_allowances WHERE guild_id = $1 AND role_id = $2 RETURNING role_id"

SELECT_META = "SELECT value FROM meta WHERE key = $1"
# Stores the value unless it is already there, and returns a row only when it changed: one statement,
# so of several processes setting the same value at once exactly one sees the change.
CHANGE_META = """
INSERT INTO meta (key, value) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value <> excluded.value
RETURNING key
"""

UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)

# -- leases (migration 0010); the rule is explained in sqlite_sql ------------------------------

_LEASE_CANDIDATE = """
(status IN ('queued', 'submitting', 'submitted', 'running', 'succeeded')
    OR final_shown_at IS NULL OR timed_out_at IS NOT NULL)
"""
_LEASABLE = """
(status IN ('queued', 'submitting', 'submitted', 'running', 'succeeded')
    OR (status IN ('failed', 'timed_out', 'cancelled') AND final_shown_at IS NULL)
    OR (status = 'timed_out' AND timed_out_at IS NOT NULL AND provider_task_id IS NOT NULL
        AND timed_out_at >= $3))
"""

RENEW_LEASES = f"""
UPDATE jobs SET lease_expires_at = $2
WHERE lease_owner = $1 AND {_LEASE_CANDIDATE} AND {_LEASABLE}
RETURNING id
"""  # noqa: S608 - constant fragments only

# SKIP LOCKED: a job another process is claiming (or changing) right now is left to it, so one
# job never goes to two processes and no claim waits for another.
CLAIM_EXPIRED = f"""
WITH picked AS (
    SELECT id FROM jobs
    WHERE {_LEASE_CANDIDATE} AND {_LEASABLE} AND (lease_owner IS NULL OR lease_expires_at < $4)
    ORDER BY id LIMIT $5
    FOR UPDATE SKIP LOCKED
)
UPDATE jobs SET lease_owner = $1, lease_expires_at = $2, lease_token = jobs.lease_token + 1
FROM picked WHERE jobs.id = picked.id
RETURNING jobs.*
"""  # noqa: S608 - constant fragments only

RELEASE_LEASES = (
    "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1 RETURNING id"
)

EXTEND_LEASE = "UPDATE jobs SET lease_owner = $1, lease_expires_at = $2 WHERE id = $3 RETURNING *"

# Jobs that were at the provider at some moment since ``$1`` (when the oldest waiting job arrived) and
# have finished since: with the ones still there, they are served jobs that count in the fair rounds.
SERVED_SINCE = """
SELECT * FROM jobs WHERE finished_at >= $1 AND submitted_at IS NOT NULL ORDER BY id
"""

DISPATCH_MOVE = """
UPDATE jobs SET status = 'submitting', lease_owner = $1, lease_expires_at = $2, updated_at = $3,
    lease_token = lease_token + 1
WHERE id = ANY($4::bigint[]) AND status = 'queued'
RETURNING *
"""

# -- moving an SQLite database in (bot.store.transfer), all in one transaction -------------------

# No other process may add a row between the emptiness check and the copy.
LOCK_FOR_MOVE = "LOCK TABLE jobs, guild_settings, role_allowances, usage, ledger, meta IN EXCLUSIVE MODE"
COUNT_ROWS = """
SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM guild_settings) AS guild_settings,
    (SELECT COUNT(*) FROM role_allowances) AS role_allowances, (SELECT COUNT(*) FROM usage) AS usage,
    (SELECT COUNT(*) FROM ledger) AS ledger,
    (SELECT COUNT(*) FROM meta) AS meta, (SELECT COUNT(*) FROM consent_requests) AS consent_requests
"""

# Every column but the lease's owner and expiry: the first process to start on PostgreSQL claims what
# needs a process (and bumps the token it copied).
COPY_JOB = """
INSERT INTO jobs (
    id, requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url,
    locale, created_at, updated_at, progress, parent_job_id, clip_index, extension_count,
    provider_task_id, clip_urls, source_message_id, card_message_id, interaction_token,
    token_expires_at, error, failure_kind, submitted_at, finished_at, delivered_at, final_shown_at,
    timed_out_at, clips, loop, raw, end_image_url, cost, attachment_size_limit, missing_clips,
    lease_token, capacity_refused_at, price, source_author_id, posts, deleted_at, private, webhook_only,
    private_posts
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
    $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40,
    $41, $42, $43, $44, $45, $46
)
"""

COPY_USAGE = "INSERT INTO usage (day, guild_id, user_id, succeeded) VALUES ($1, $2, $3, $4)"
# The ledger's own ids are new ones (nothing refers to them); its rows keep their order.
COPY_LEDGER = """
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at, settled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

# Only ever forward (a sequence may be past every row already): an id given once is never reused.
ADVANCE_JOB_IDS = """
SELECT setval(
    pg_get_serial_sequence('jobs', 'id'),
    GREATEST(
        $1::bigint,
        COALESCE(pg_sequence_last_value(pg_get_serial_sequence('jobs', 'id')::regclass), 0)
    )
)
"""

# -- spend reports: the ledger's counting rows summed per day, person or server (/usage, `usage`) ----

# $1, $2 the first and last UTC day; $3, $4 their months (the ledger's indexes hold the month
# before the day); $5, $6 the server or person the report is about. Released rows count nothing.
_SPEND = """
SELECT {key} AS key, state, COUNT(*) AS jobs, SUM(units) AS units, SUM(amount) AS amount
FROM ledger
WHERE {where}month BETWEEN $3 AND $4 AND day BETWEEN $1 AND $2 AND state IN ('reserved', 'charged')
GROUP BY {key}, state
"""
SPEND_DAYS = _SPEND.format(key="day", where="")
SPEND_DAYS_IN_GUILD = _SPEND.format(key="day", where="guild_id = $5 AND ")
# $6: one server, or NULL for every server and direct messages.
SPEND_DAYS_OF_PERSON = _SPEND.format(
    key="day", where="person_id = $5 AND ($6::bigint IS NULL OR guild_id = $6) AND "
)
SPEND_PEOPLE = _SPEND.format(key="person_id", where="")
SPEND_PEOPLE_IN_GUILD = _SPEND.format(key="person_id", where="guild_id = $5 AND ")
SPEND_GUILDS = _SPEND.format(key="guild_id", where="")

# -- issue 22 (consent): requests to animate another member's image, waiting for the poster ------------

INSERT_CONSENT = """
INSERT INTO consent_requests (
    guild_id, channel_id, source_message_id, poster_id, requester_id, source, locale,
    created_at, expires_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *
"""
SELECT_CONSENT = "SELECT * FROM consent_requests WHERE id = $1"
SELECT_BLOCKING_CONSENT = """
SELECT * FROM consent_requests
WHERE requester_id = $1 AND (
    (source_message_id = $2 AND status = 'denied')
    OR (poster_id = $4 AND status = 'pending' AND expires_at > $3)
)
ORDER BY id DESC LIMIT 1
"""
SET_CONSENT_PROMPT = "UPDATE consent_requests SET prompt_message_id = $1 WHERE id = $2"
DECIDE_CONSENT = """
UPDATE consent_requests SET status = $1, decided_at = $2 WHERE id = $3 AND status = 'pending' RETURNING *
"""
DUE_CONSENTS = "SELECT * FROM consent_requests WHERE status = 'pending' AND expires_at <= $1 ORDER BY id"
NEXT_CONSENT_EXPIRY = "SELECT MIN(expires_at) FROM consent_requests WHERE status = 'pending'"
# The move copies every column, ids included (the buttons in Discord name them), then moves the identity.
COPY_CONSENT = """
INSERT INTO consent_requests (
    id, guild_id, channel_id, source_message_id, poster_id, requester_id, source, locale,
    created_at, expires_at, status, decided_at, prompt_message_id
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
"""
ADVANCE_CONSENT_IDS = "SELECT setval(pg_get_serial_sequence('consent_requests', 'id'), $1::bigint)"
