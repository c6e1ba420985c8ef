"""Custom ids of Motionbot's buttons: they carry all their state, so buttons survive restarts.

Every id starts with ``mb:`` and stays far below Discord's 100-character limit.
"""

from __future__ import annotations

import re

from bot.models import Motion

# Job ids are SQLite rowids; 18 digits keep a forged id inside SQLite's 64-bit integers.
EXTEND_TEMPLATE = r"mb:x:(?P<job>[0-9]{1,18}):(?P<clip>[0-9]):(?P<motion>[lh])"
JOBS_PAGE_TEMPLATE = r"mb:j:(?P<user>[0-9]{1,20}):(?P<page>[0-9]{1,4})"
CANCEL_TEMPLATE = r"mb:c:(?P<job>[0-9]{1,18})"
# "Cancel anyway": the private confirmation a Cancel of a job already at the provider asks for.
CANCEL_CONFIRM_TEMPLATE = r"mb:cc:(?P<job>[0-9]{1,18})"
RETRY_TEMPLATE = r"mb:r:(?P<job>[0-9]{1,18})"
EXTEND_PROMPT_TEMPLATE = r"mb:p:(?P<job>[0-9]{1,18}):(?P<clip>[0-9])"
POST_MISSING_TEMPLATE = r"mb:m:(?P<job>[0-9]{1,18})"
# Issue 22, delete: the 🗑 button on a card, and "Delete anyway" for a job already at the provider.
DELETE_TEMPLATE = r"mb:d:(?P<job>[0-9]{1,18})"
DELETE_CONFIRM_TEMPLATE = r"mb:dc:(?P<job>[0-9]{1,18})"
# "Post to channel" on a private job's card (issue 22).
POST_TO_CHANNEL_TEMPLATE = r"mb:pc:(?P<job>[0-9]{1,18})"
# The offer of a smaller job under a refusal: a random token, the request stays in the process.
OFFER_TEMPLATE = r"mb:o:(?P<offer>[0-9a-f]{16})"
# issue 22 (consent): the poster's Allow (a) / Deny (d) under a request; the request is in the store.
CONSENT_TEMPLATE = r"mb:ok:(?P<consent>[0-9]{1,18}):(?P<answer>[ad])"
# Not a button: the modal the Extend-with-prompt button opens (its submit names the job and clip).
EXTEND_PROMPT_MODAL_TEMPLATE = r"mb:pm:(?P<job>[0-9]{1,18}):(?P<clip>[0-9])"
TEMPLATES = (
    EXTEND_TEMPLATE,
    JOBS_PAGE_TEMPLATE,
    CANCEL_TEMPLATE,
    CANCEL_CONFIRM_TEMPLATE,
    RETRY_TEMPLATE,
    EXTEND_PROMPT_TEMPLATE,
    POST_MISSING_TEMPLATE,
    OFFER_TEMPLATE,
    CONSENT_TEMPLATE,
    DELETE_TEMPLATE,
    DELETE_CONFIRM_TEMPLATE,
    POST_TO_CHANNEL_TEMPLATE,
)
KNOWN_TEMPLATES = tuple(re.compile(template) for template in TEMPLATES)
# Modals whose submits a cog answers from the custom id alone (not from discord.py's modal store).
LISTENED_MODALS = (re.compile(EXTEND_PROMPT_MODAL_TEMPLATE),)
MOTION_CODES = {Motion.LOW: "l", Motion.HIGH: "h"}
MOTIONS_BY_CODE = {code: motion for motion, code in MOTION_CODES.items()}


def extend_id(job_id: int, clip_index: int, motion: Motion) -> str:
    """Return the custom id of an Extend button."""
    return f"mb:x:{job_id}:{clip_index}:{MOTION_CODES[motion]}"


def jobs_page_id(user_id: int, page: int) -> str:
    """Return the custom id of a /jobs page button."""
    return f"mb:j:{user_id}:{page}"


def cancel_id(job_id: int) -> str:
    """Return the custom id of a waiting or running job's Cancel button."""
    return f"mb:c:{job_id}"


def cancel_confirm_id(job_id: int) -> str:
    """Return the custom id of the "Cancel anyway" button of a job already at the provider."""
    return f"mb:cc:{job_id}"


def retry_id(job_id: int) -> str:
    """Return the custom id of a failed job's Retry button."""
    return f"mb:r:{job_id}"


def post_missing_id(job_id: int) -> str:
    """Return the custom id of a partly delivered job's "Post missing clips" button."""
    return f"mb:m:{job_id}"


def consent_answer_id(consent_id: int, *, allow: bool) -> str:
    """Return the custom id of the poster's Allow or Deny button under request ``consent_id``."""
    return f"mb:ok:{consent_id}:{'a' if allow else 'd'}"


def delete_id(job_id: int) -> str:
    """Return the custom id of a card's 🗑 Delete button."""
    return f"mb:d:{job_id}"


def delete_confirm_id(job_id: int) -> str:
    """Return the custom id of the "Delete anyway" button of a job already at the provider."""
    return f"mb:dc:{job_id}"


def offer_id(token: str) -> str:
    """Return the custom id of the button that takes the offer filed under ``token``."""
    return f"mb:o:{token}"


def extend_prompt_id(job_id: int, clip_index: int) -> str:
    """Return the custom id of an "Extend with prompt…" button."""
    return f"mb:p:{job_id}:{clip_index}"


def extend_prompt_modal_id(job_id: int, clip_index: int) -> str:
    """Return the custom id of the modal that button opens."""
    return f"mb:pm:{job_id}:{clip_index}"


def is_known(custom_id: str) -> bool:
    """Return True if some Motionbot button handles ``custom_id``."""
    return any(template.fullmatch(custom_id) for template in KNOWN_TEMPLATES)


def is_listened_modal(custom_id: str) -> bool:
    """Return True if a Motionbot cog answers submits of the modal ``custom_id`` by itself."""
    return any(template.fullmatch(custom_id) for template in LISTENED_MODALS)


def post_to_channel_id(job_id: int) -> str:
    """Return the custom id of a private job's "Post to channel" button."""
    return f"mb:pc:{job_id}"
