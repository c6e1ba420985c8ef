"""The SQL statements of the job store in SQLite's dialect, with ``?`` parameters (see ``postgres_sql``)."""

from __future__ import annotations

INSERT_JOB = """
INSERT INTO jobs (
    requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url,
    locale, parent_job_id, clip_index, extension_count, source_message_id, interaction_token,
    token_expires_at, created_at, updated_at, clips, loop, raw, end_image_url, cost, price,
    attachment_size_limit, lease_owner, lease_expires_at, lease_token
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
RETURNING *
"""

SELECT_JOB = "SELECT * FROM jobs WHERE id = ?"
# A write transaction already holds the database's write lock (BEGIN IMMEDIATE): nothing to lock.
SELECT_JOB_FOR_UPDATE = SELECT_JOB

# The member's newest job from the same message by the same trigger since a moment; failed,
# timed-out and cancelled jobs do not count, so a member can retry after a failure or a cancel.
SELECT_SAME_SOURCE_JOB = """
SELECT * FROM jobs
WHERE source_message_id = ? AND requester_id = ? AND source = ? AND created_at >= ?
    AND status NOT IN ('failed', 'timed_out', 'cancelled')
ORDER BY id DESC LIMIT 1
"""
SELECT_JOB_ID_BY_TASK = "SELECT id FROM jobs WHERE provider_task_id = ?"
# A job whose card is this message (ix_jobs_card_message); the newest when a card id came back.
SELECT_JOB_BY_CARD = "SELECT * FROM jobs WHERE card_message_id = ? ORDER BY id DESC LIMIT 1"

MARK_SUBMITTING = """
UPDATE jobs SET status = 'submitting', updated_at = ?1 WHERE id = ?2 RETURNING *
"""

# ?3: the time of a "no account instance" answer (the job then waits behind the others), else NULL.
REQUEUE = """
UPDATE jobs SET status = 'queued', updated_at = ?1, capacity_refused_at = COALESCE(?3, capacity_refused_at)
WHERE id = ?2 RETURNING *
"""

MARK_SUBMITTED = """
UPDATE jobs SET status = 'submitted', provider_task_id = ?1, submitted_at = ?2, updated_at = ?2
WHERE id = ?3 RETURNING *
"""

# MAX keeps progress from moving backwards when the provider reports out of order.
UPDATE_PROGRESS = """
UPDATE jobs SET status = ?1, progress = MAX(progress, ?2), updated_at = ?3 WHERE id = ?4 RETURNING *
"""

MARK_SUCCEEDED = """
UPDATE jobs SET status = 'succeeded', progress = 100, clip_urls = ?1, finished_at = ?2, updated_at = ?2,
    error = NULL, failure_kind = NULL
WHERE id = ?3 RETURNING *
"""

COUNT_SUCCESS = """
INSERT INTO usage (day, guild_id, user_id, succeeded) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (day, guild_id, user_id) DO UPDATE SET succeeded = succeeded + ?4
"""

REFUND_SUCCESS = """
UPDATE usage SET succeeded = MAX(succeeded - ?4, 0) WHERE day = ?1 AND guild_id = ?2 AND user_id = ?3
"""

# A job that succeeded and then failed delivery keeps the time the provider finished. A timeout
# (the bot's own) is stamped so a late provider success can still be delivered.
MARK_FAILED = """
UPDATE jobs SET status = ?1, failure_kind = ?2, error = ?3, finished_at = COALESCE(finished_at, ?4),
    updated_at = ?4, timed_out_at = CASE WHEN ?1 = 'timed_out' THEN ?4 ELSE timed_out_at END
WHERE id = ?5 RETURNING *
"""

# Nothing was counted in usage before success, so a cancel has nothing to refund. final_shown_at
# stays NULL until the card says "cancelled" (a restart in between re-announces it).
MARK_CANCELLED = """
UPDATE jobs SET status = 'cancelled', finished_at = ?1, updated_at = ?1, final_shown_at = NULL,
    lease_owner = ?3, lease_expires_at = ?4
WHERE id = ?2 RETURNING *
"""

MARK_DELIVERED = """
UPDATE jobs SET status = 'delivered', delivered_at = ?1, final_shown_at = ?1, updated_at = ?1 WHERE id = ?2
RETURNING *
"""

# A delivery that posted some clips: the job is delivered (the member holds clips), the rest listed.
MARK_PARTLY_DELIVERED = """
UPDATE jobs SET status = 'delivered', missing_clips = ?1, delivered_at = ?2, final_shown_at = ?2,
    updated_at = ?2
WHERE id = ?3 RETURNING *
"""

SET_MISSING_CLIPS = "UPDATE jobs SET missing_clips = ?1, updated_at = ?2 WHERE id = ?3 RETURNING *"

COUNT_PARTLY_DELIVERED = """
SELECT COUNT(*) AS jobs FROM jobs WHERE status = 'delivered' AND missing_clips <> '[]'
"""

MARK_FINAL_SHOWN = "UPDATE jobs SET final_shown_at = ?1, updated_at = ?1 WHERE id = ?2 RETURNING *"

UNANNOUNCED_FAILURES = """
SELECT * FROM jobs WHERE status IN ('failed', 'timed_out', 'cancelled') AND final_shown_at IS NULL ORDER BY id
"""

SET_CARD_MESSAGE = "UPDATE jobs SET card_message_id = ?1, updated_at = ?2 WHERE id = ?3 RETURNING *"

STOP_LATE_WATCH = """
UPDATE jobs SET timed_out_at = NULL, updated_at = ?1 WHERE id = ?2
RETURNING *
"""

FORGET_INTERACTION = """
UPDATE jobs SET interaction_token = NULL, token_expires_at = NULL, updated_at = ?1 WHERE id = ?2
RETURNING *
"""

# The statuses arrive as one JSON array (the engine binds a list as JSON text) so the statement text
# never depends on their number.
JOBS_WITH_STATUS = """
SELECT * FROM jobs WHERE status IN (SELECT value FROM json_each(?)) ORDER BY id
"""

# Jobs the bot timed out itself whose provider task may still finish, oldest first.
LATE_WATCH_JOBS = """
SELECT * FROM jobs
WHERE status = 'timed_out' AND provider_task_id IS NOT NULL AND timed_out_at >= ?
ORDER BY id
"""

COUNT_BY_STATUS = "SELECT status, COUNT(*) AS jobs FROM jobs GROUP BY status"

RECENT_JOBS = """
SELECT * FROM jobs WHERE requester_id = ? AND guild_id IS ?
ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?
"""

COUNT_JOBS = "SELECT COUNT(*) FROM jobs WHERE requester_id = ? AND guild_id IS ?"

# The literal list is models.ACTIVE_STATUSES (tests check the two agree). Ids grow with creation
# time, and ordering by id lets SQLite use ix_jobs_requester_status.
RUNNING_JOBS = """
SELECT * FROM jobs
WHERE requester_id = ? AND status IN ('queued', 'submitting', 'submitted', 'running')
ORDER BY id
"""

# Counted in SQLite rather than loaded: admission asks this for every request, whatever the load.
COUNT_ACTIVE_IN_GUILD = """
SELECT COALESCE(SUM(cost), 0) FROM jobs
WHERE guild_id = ? AND status IN ('queued', 'submitting', 'submitted', 'running')
"""

ALL_JOBS = "SELECT * FROM jobs ORDER BY id"
ALL_JOBS_SINCE = "SELECT * FROM jobs WHERE created_at >= ? ORDER BY id"

USER_USAGE = "SELECT succeeded FROM usage WHERE day = ? AND guild_id = ? AND user_id = ?"
GUILD_USAGE = "SELECT COALESCE(SUM(succeeded), 0) AS total FROM usage WHERE day = ? AND guild_id = ?"

SELECT_GUILD_SETTINGS = "SELECT * FROM guild_settings WHERE guild_id = ?"

UPSERT_GUILD_SETTINGS = """
INSERT INTO guild_settings (
    guild_id, allowed_channel_ids, reactions_enabled, reaction_emoji, reaction_channel_ids,
    buttons_everyone, default_motion, default_quality, max_concurrent_per_user, max_daily_per_user,
    max_daily_per_guild, updated_at, default_clips, count_clips, all_channels
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
    all_channels = excluded.all_channels
"""

SELECT_META = "SELECT value FROM meta WHERE key = ?"
# Stores the value unless it is already there, and returns a row only when it changed: one statement,
# so of several processes setting the same value at once exactly one sees the change.
CHANGE_META = """
INSERT INTO meta (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value <> excluded.value
RETURNING key
"""

UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)

# -- leases (migration 0010) ---------------------------------------------------------------------
# LEASABLE: some process must still act on the job (see JobLeases). Each statement repeats the
# partial index's own predicate (ix_jobs_leasable) word for word so SQLite's planner can use it.

_LEASE_CANDIDATE = """
(status IN ('queued', 'submitting', 'submitted', 'running', 'succeeded')
    OR final_shown_at IS NULL OR timed_out_at IS NOT NULL)
"""
_LEASABLE = """
(status IN ('queued', 'submitting', 'submitted', 'running', 'succeeded')
    OR (status IN ('failed', 'timed_out', 'cancelled') AND final_shown_at IS NULL)
    OR (status = 'timed_out' AND timed_out_at IS NOT NULL AND provider_task_id IS NOT NULL
        AND timed_out_at >= ?3))
"""

# ?1 owner, ?2 new expiry, ?3 start of the late-watch window
RENEW_LEASES = f"""
UPDATE jobs SET lease_expires_at = ?2
WHERE lease_owner = ?1 AND {_LEASE_CANDIDATE} AND {_LEASABLE}
RETURNING id
"""  # noqa: S608 - constant fragments only

# ?1 owner, ?2 new expiry, ?3 start of the late-watch window, ?4 now, ?5 how many
CLAIM_EXPIRED = f"""
UPDATE jobs SET lease_owner = ?1, lease_expires_at = ?2, lease_token = lease_token + 1
WHERE id IN (
    SELECT id FROM jobs
    WHERE {_LEASE_CANDIDATE} AND {_LEASABLE} AND (lease_owner IS NULL OR lease_expires_at < ?4)
    ORDER BY id LIMIT ?5
)
RETURNING *
"""  # noqa: S608 - constant fragments only

RELEASE_LEASES = (
    "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?1 RETURNING id"
)

# ?1 owner, ?2 new expiry, ?3 the job: a fresh lease for a process about to act outside the database
# (a provider submit, an upload), once the caller checked the job's token (nobody claimed it since).
EXTEND_LEASE = "UPDATE jobs SET lease_owner = ?1, lease_expires_at = ?2 WHERE id = ?3 RETURNING *"

# ?1 owner, ?2 new expiry, ?3 now, ?4 the ids decide() chose (a JSON array)
# Jobs that were at the provider at some moment since ``?1`` (when the oldest waiting job arrived) and
# have finished since: with the ones still there, they are served jobs that count in the fair rounds.
SERVED_SINCE = """
SELECT * FROM jobs WHERE finished_at >= ?1 AND submitted_at IS NOT NULL ORDER BY id
"""

DISPATCH_MOVE = """
UPDATE jobs SET status = 'submitting', lease_owner = ?1, lease_expires_at = ?2, updated_at = ?3,
    lease_token = lease_token + 1
WHERE id IN (SELECT value FROM json_each(?4)) AND status = 'queued'
RETURNING *
"""

# -- moving to PostgreSQL (bot.store.transfer reads the whole file in one snapshot) ---------------

ALL_GUILD_SETTINGS = "SELECT * FROM guild_settings ORDER BY guild_id"
ALL_USAGE = "SELECT day, guild_id, user_id, succeeded FROM usage ORDER BY day, guild_id, user_id"
ALL_META = "SELECT key, value FROM meta ORDER BY key"
# AUTOINCREMENT remembers the highest id ever given, deleted jobs included.
JOBS_SEQUENCE = "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'jobs'"

# -- spend reports: the ledger's counting rows summed per day, person or server (/usage, `usage`) ----

# ?1, ?2 the first and last UTC day; ?3, ?4 their months (the ledger's indexes hold the month
# before the day); ?5, ?6 the server or person the report is about. Released rows count nothing.
_SPEND = """
SELECT {key} AS key, state, COUNT(*) AS jobs, SUM(units) AS units, SUM(amount) AS amount
FROM ledger
WHERE {where}month BETWEEN ?3 AND ?4 AND day BETWEEN ?1 AND ?2 AND state IN ('reserved', 'charged')
GROUP BY {key}, state
"""
SPEND_DAYS = _SPEND.format(key="day", where="")
SPEND_DAYS_IN_GUILD = _SPEND.format(key="day", where="guild_id = ?5 AND ")
# ?6: one server, or NULL for every server and direct messages.
SPEND_DAYS_OF_PERSON = _SPEND.format(key="day", where="person_id = ?5 AND (?6 IS NULL OR guild_id = ?6) AND ")
SPEND_PEOPLE = _SPEND.format(key="person_id", where="")
SPEND_PEOPLE_IN_GUILD = _SPEND.format(key="person_id", where="guild_id = ?5 AND ")
SPEND_GUILDS = _SPEND.format(key="guild_id", where="")
