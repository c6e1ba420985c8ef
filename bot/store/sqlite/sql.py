"""The SQL statements of the job store in SQLite's dialect, with ``?`` parameters (see ``postgres_sql``)."""

from __future__ import annotations

INSERT_JOB = """
INSERT INTO jobs (
    requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url,
    locale, parent_job_id, clip_index, extension_count, source_message_id, interaction_token,
    token_expires_at, created_at, updated_at, clips, loop, raw, end_image_url, cost, price,
    attachment_size_limit, lease_owner, lease_expires_at, lease_token, source_author_id, private, webhook_only
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
RETURNING *
"""

SELECT_JOB = "SELECT * FROM jobs WHERE id = ?"
# A write transaction already holds the database's write lock (BEGIN IMMEDIATE): nothing to lock.
SELECT_JOB_FOR_UPDATE = SELECT_JOB

# The member's newest job from the same message by the same trigger since a moment; failed,
# timed-out, cancelled and deleted jobs do not count, so a member can retry after a failure or a cancel.
SELECT_SAME_SOURCE_JOB = """
SELECT * FROM jobs
WHERE source_message_id = ? AND requester_id = ? AND source = ? AND created_at >= ?
    AND status NOT IN ('failed', 'timed_out', 'cancelled') AND deleted_at IS NULL
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

# A job that succeeded and then failed delivery keeps the time the provider finished. A timeout
# (the bot's own) is stamped so a late provider success can still be delivered.
MARK_FAILED = """
UPDATE jobs SET status = ?1, failure_kind = ?2, error = ?3, finished_at = COALESCE(finished_at, ?4),
    updated_at = ?4, timed_out_at = CASE WHEN ?1 = 'timed_out' THEN ?4 ELSE timed_out_at END
WHERE id = ?5 RETURNING *
"""

# final_shown_at stays NULL until the card says "cancelled" (a restart in between re-announces it). A
# job cancelled while its submit was on the wire keeps when that began (its last update, the move to
# SUBMITTING) as submitted_at: the provider may have the task, so the ledger charges it (Job.billed).
MARK_CANCELLED = """
UPDATE jobs SET status = 'cancelled', finished_at = ?1, updated_at = ?1, final_shown_at = NULL,
    lease_owner = ?3, lease_expires_at = ?4,
    submitted_at = CASE WHEN status = 'submitting' THEN updated_at ELSE submitted_at END
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

# One more message of the bot carrying the job, appended in the statement (never read-modify-write).
ADD_POST = "UPDATE jobs SET posts = json_insert(posts, '$[#]', json(?1)) WHERE id = ?2"
ADD_PRIVATE_POST = (
    "UPDATE jobs SET private_posts = json_insert(private_posts, '$[#]', json(?1)) WHERE id = ?2 RETURNING *"
)
MARK_DELETED = "UPDATE jobs SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2 RETURNING *"

COUNT_PARTLY_DELIVERED = """
SELECT COUNT(*) AS jobs FROM jobs WHERE status = 'delivered' AND missing_clips <> '[]'
"""

MARK_FINAL_SHOWN = "UPDATE jobs SET final_shown_at = ?1, updated_at = ?1 WHERE id = ?2 RETURNING *"

UNANNOUNCED_FAILURES = """
SELECT * FROM jobs WHERE status IN ('failed', 'timed_out', 'cancelled') AND final_shown_at IS NULL ORDER BY id
"""

SET_CARD_MESSAGE = "UPDATE jobs SET card_message_id = ?1, updated_at = ?2 WHERE id = ?3 RETURNING *"
# A private job its requester posted: its card is now the public message ?1 (the token edits no more).
MAKE_PUBLIC = """
UPDATE jobs SET private = 0, card_message_id = ?1, interaction_token = NULL, token_expires_at = NULL,
    updated_at = ?2
WHERE id = ?3 RETURNING *
"""

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

# -- the spend ledger (migration 0015; bot.store.ledger) -------------------------------------------

# ?1 job, ?2 person, ?3 guild (0: direct messages), ?4 day, ?5 month, ?6 units, ?7 amount, ?8 now
INSERT_LEDGER = """
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'reserved', ?8)
"""

SELECT_LEDGER_ROW = "SELECT state, units, amount FROM ledger WHERE job_id = ?"

# ?1 state, ?2 units, ?3 amount, ?4 now, ?5 job: settled_at marks when the row left 'reserved'.
SETTLE_LEDGER = """
UPDATE ledger SET state = ?1, units = ?2, amount = ?3,
    settled_at = CASE WHEN ?1 = 'reserved' THEN NULL WHEN state = ?1 THEN settled_at ELSE ?4 END
WHERE job_id = ?5
"""

# ?1 person, ?2 guild, ?3 day, ?4 month: what admission checks, in one statement (each part on its index).
SPEND = """
SELECT p.person_units_here, p.person_units, p.person_day_here, p.person_month_here, p.person_day,
    p.person_month, g.guild_units, g.guild_day, g.guild_month, b.bot_day, b.bot_month
FROM (
    SELECT COALESCE(SUM(CASE WHEN guild_id = ?2 AND day = ?3 THEN units END), 0) AS person_units_here,
        COALESCE(SUM(CASE WHEN day = ?3 THEN units END), 0) AS person_units,
        COALESCE(SUM(CASE WHEN guild_id = ?2 AND day = ?3 THEN amount END), 0) AS person_day_here,
        COALESCE(SUM(CASE WHEN guild_id = ?2 THEN amount END), 0) AS person_month_here,
        COALESCE(SUM(CASE WHEN day = ?3 THEN amount END), 0) AS person_day,
        COALESCE(SUM(amount), 0) AS person_month
    FROM ledger WHERE person_id = ?1 AND month = ?4 AND state <> 'released'
) AS p, (
    SELECT COALESCE(SUM(CASE WHEN day = ?3 THEN units END), 0) AS guild_units,
        COALESCE(SUM(CASE WHEN day = ?3 THEN amount END), 0) AS guild_day,
        COALESCE(SUM(amount), 0) AS guild_month
    FROM ledger WHERE guild_id = ?2 AND month = ?4 AND state <> 'released'
) AS g, (
    SELECT COALESCE(SUM(CASE WHEN day = ?3 THEN amount END), 0) AS bot_day,
        COALESCE(SUM(amount), 0) AS bot_month
    FROM ledger WHERE month = ?4 AND state <> 'released'
) AS b
"""

# ?1 day, ?2 month, ?3 guild, ?4 person: the units charged today to the person there and to the server.
CHARGED_TODAY = """
SELECT COALESCE(SUM(CASE WHEN person_id = ?4 THEN units END), 0) AS user_today,
    COALESCE(SUM(units), 0) AS guild_today
FROM ledger WHERE guild_id = ?3 AND month = ?2 AND day = ?1 AND state = 'charged'
"""

# ?1 day, ?2 month: the whole bot's money charged and reserved (metrics).
SPEND_TOTALS = """
SELECT COALESCE(SUM(CASE WHEN state = 'charged' AND day = ?1 THEN amount END), 0) AS charged_day,
    COALESCE(SUM(CASE WHEN state = 'charged' THEN amount END), 0) AS charged_month,
    COALESCE(SUM(CASE WHEN state = 'reserved' AND day = ?1 THEN amount END), 0) AS reserved_day,
    COALESCE(SUM(CASE WHEN state = 'reserved' THEN amount END), 0) AS reserved_month
FROM ledger WHERE month = ?2
"""

SELECT_GUILD_SETTINGS = "SELECT * FROM guild_settings WHERE guild_id = ?"

UPSERT_GUILD_SETTINGS = """
INSERT INTO guild_settings (
    guild_id, allowed_channel_ids, reactions_enabled, reaction_emoji, reaction_channel_ids,
    buttons_everyone, default_motion, default_quality, max_concurrent_per_user, max_daily_per_user,
    max_daily_per_guild, updated_at, default_clips, count_clips, all_channels, budget_server_day,
    budget_server_month, budget_person_day, budget_person_month, consent, private_default
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
SELECT_ROLE_ALLOWANCES = "SELECT * FROM role_allowances WHERE guild_id = ? ORDER BY role_id"
UPSERT_ROLE_ALLOWANCE = """
INSERT INTO role_allowances (guild_id, role_id, day, month, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (guild_id, role_id) DO UPDATE SET
    day = excluded.day, month = excluded.month, updated_at = excluded.updated_at
"""
DELETE_ROLE_ALLOWANCE = "DELETE FROM role_allowances WHERE guild_id = ? AND role_id = ? RETURNING role_id"

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
# A row whose job an admin deleted by hand (foreign keys off in their SQLite shell) keeps counting,
# without the link PostgreSQL would refuse.
ALL_LEDGER = """
SELECT jobs.id AS job_id, person_id, ledger.guild_id, day, month, units, amount, state,
    ledger.created_at, settled_at
FROM ledger LEFT JOIN jobs ON jobs.id = ledger.job_id ORDER BY ledger.id
"""
ALL_ROLE_ALLOWANCES = "SELECT * FROM role_allowances ORDER BY guild_id, role_id"
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

# -- issue 22 (consent): requests to animate another member's image, waiting for the poster ------------

INSERT_CONSENT = """
INSERT INTO consent_requests (
    guild_id, channel_id, source_message_id, poster_id, requester_id, source, locale,
    created_at, expires_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_CONSENT = "SELECT * FROM consent_requests WHERE id = ?"
# ?1 requester, ?2 source message, ?3 now, ?4 poster: a request that stops a new one. The poster's
# Deny of this image stands, and each request pings the poster: one waits for an answer at a time.
SELECT_BLOCKING_CONSENT = """
SELECT * FROM consent_requests
WHERE requester_id = ?1 AND (
    (source_message_id = ?2 AND status = 'denied')
    OR (poster_id = ?4 AND status = 'pending' AND expires_at > ?3)
)
ORDER BY id DESC LIMIT 1
"""
SET_CONSENT_PROMPT = "UPDATE consent_requests SET prompt_message_id = ? WHERE id = ?"
# Only a waiting request is decided, once: a second press (or the sweep) finds nothing to change.
DECIDE_CONSENT = """
UPDATE consent_requests SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending' RETURNING *
"""
DUE_CONSENTS = "SELECT * FROM consent_requests WHERE status = 'pending' AND expires_at <= ? ORDER BY id"
NEXT_CONSENT_EXPIRY = "SELECT MIN(expires_at) FROM consent_requests WHERE status = 'pending'"
ALL_CONSENTS = "SELECT * FROM consent_requests ORDER BY id"
CONSENTS_SEQUENCE = "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'consent_requests'"
