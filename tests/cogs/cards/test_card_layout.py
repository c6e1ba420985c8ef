"""The job card (a Components V2 message) against Discord's limits (the Discord double's own validator).

Every card shape is rendered in English and Vietnamese with the longest ids a job can have: delivered
(4 clips, and the renderer's cap of 5), fully extended (buttons disabled but present), with clip links
too long to include, and the Cancel / Retry cards of waiting, running and failed jobs. Each whole card
(container, texts, gallery, rows) must pass the double's V2 checks: 40 components, 4000 characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from bot.i18n import Catalogue, Lang
from bot.models import MAX_EXTENSIONS, Job, JobSource, JobStatus, Motion, Quality
from cogs.cards._render import MAX_URL_LENGTH, CardRenderer
from tests.doubles.discord.components import MAX_ROW_WIDTH, check_components
from tests.doubles.discord.components_v2 import MAX_COMPONENTS, MAX_TEXT
from tests.doubles.discord.errors import FormErrors
from tests.doubles.discord.model import iter_components

V2 = 1 << 15
MAX_CLIP_ROWS = 5

LONGEST_JOB_ID = 10**18 - 1  # the custom id templates allow 18 digits
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SHORT_URL, LONG_URL = "https://cdn.example/clip.mp4", "https://cdn.example/" + "x" * MAX_URL_LENGTH


def job(status: JobStatus, clips: int = 0, *, url: str = SHORT_URL, extensions: int = 0) -> Job:
    """A job with the longest id, in ``status``, with ``clips`` clip URLs."""
    return Job(
        id=LONGEST_JOB_ID,
        requester_id=1,
        guild_id=2,
        channel_id=3,
        source=JobSource.SLASH,
        status=status,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="a cat",
        image_url="https://cdn.example/cat.png",
        locale="en-US",
        created_at=NOW,
        updated_at=NOW,
        clip_urls=tuple(f"{url}?n={n}" for n in range(clips)),
        extension_count=extensions,
    )


def accepted(components: list[dict[str, Any]], files: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Return a whole V2 card's components after the double accepted them (no 400/50035)."""
    errors = FormErrors()
    check_components(components, errors, components_v2=True, files=files)
    assert errors.empty, errors._tree
    return components


def rows_of(card_job: Job, lang: Lang) -> list[dict[str, Any]]:
    """Render the whole card and return its action rows, once the double accepted the card."""
    card = CardRenderer(Catalogue.load(), lang).job(card_job, now=NOW)
    components = accepted(card.layout().to_components())
    rows = [c for c in iter_components(components) if c.get("type") == 1]
    assert len(rows) <= MAX_CLIP_ROWS and all(len(row["components"]) <= MAX_ROW_WIDTH for row in rows)
    return rows


def kinds(row: dict[str, Any]) -> list[str]:
    """Name each component of a row by its custom id's kind, or "link"."""
    return [c["custom_id"].split(":")[1] if "custom_id" in c else "link" for c in row["components"]]


@pytest.mark.parametrize("lang", list(Lang))
def test_a_delivered_card_has_one_row_per_clip_with_four_components(lang: Lang) -> None:
    rows = rows_of(job(JobStatus.DELIVERED, 4), lang)
    assert [kinds(row) for row in rows] == [["x", "x", "p", "link"]] * 4 + [["d"]]
    assert not any(c.get("disabled") for row in rows for c in row["components"])


@pytest.mark.parametrize("lang", list(Lang))
def test_a_fully_extended_card_keeps_its_buttons_disabled(lang: Lang) -> None:
    rows = rows_of(job(JobStatus.DELIVERED, 4, extensions=MAX_EXTENSIONS), lang)
    assert [kinds(row) for row in rows] == [["x", "x", "p", "link"]] * 4 + [["d"]]
    for row in rows[:4]:
        assert [bool(c.get("disabled")) for c in row["components"]] == [True, True, True, False]


@pytest.mark.parametrize("lang", list(Lang))
def test_clip_links_too_long_to_include_leave_three_buttons_per_row(lang: Lang) -> None:
    rows = rows_of(job(JobStatus.DELIVERED, 4, url=LONG_URL, extensions=MAX_EXTENSIONS), lang)
    assert [kinds(row) for row in rows] == [["x", "x", "p"]] * 4 + [["d"]]


def test_the_renderer_caps_a_card_at_five_clip_rows() -> None:
    rows = rows_of(job(JobStatus.DELIVERED, 6), Lang.VI)
    # 🗑 Delete ends the fifth row when the clips take every row.
    expected = [["x", "x", "p", "link"]] * 4 + [["x", "x", "p", "link", "d"]]
    assert len(rows) == MAX_CLIP_ROWS and [kinds(row) for row in rows] == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (JobStatus.QUEUED, [["c", "d"]]),
        (JobStatus.RUNNING, [["c", "d"]]),
        (JobStatus.FAILED, [["r", "d"]]),
        (JobStatus.TIMED_OUT, [["r", "d"]]),
        (JobStatus.CANCELLED, [["d"]]),
    ],
)
def test_cancel_and_retry_cards_end_with_delete(status: JobStatus, expected: list[list[str]]) -> None:
    assert [kinds(row) for row in rows_of(job(status), Lang.EN)] == expected


def test_a_failed_extension_card_shows_retry_not_extend() -> None:
    failed_child = replace(
        job(JobStatus.FAILED), parent_job_id=1, clip_index=0, extension_count=MAX_EXTENSIONS
    )
    assert [kinds(row) for row in rows_of(failed_child, Lang.EN)] == [["r", "d"]]


def names(count: int) -> tuple[str, ...]:
    return tuple(f"motionbot-{LONGEST_JOB_ID}-clip{n + 1}.mp4" for n in range(count))


def biggest(**changes: Any) -> Job:
    """A fully extended extension card's job: 6 clips with links, the longest prompt, a late note."""
    return replace(
        job(JobStatus.DELIVERED, 6, extensions=MAX_EXTENSIONS),
        parent_job_id=LONGEST_JOB_ID - 1,
        clip_index=3,
        prompt="[x](https://e.example) " * 200,
        timed_out_at=NOW,
        **changes,
    )


def assert_fits(card_job: Job, lang: Lang, files: tuple[str, ...]) -> None:
    """The whole card passes the double's V2 checks, within 40 components and 4000 characters."""
    card = CardRenderer(Catalogue.load(), lang).job(card_job, now=NOW, gallery=files)
    everything = list(iter_components(accepted(card.layout().to_components(), files)))
    assert len(everything) <= MAX_COMPONENTS
    assert sum(len(c.get("content") or "") for c in everything if c.get("type") == 10) <= MAX_TEXT


@pytest.mark.parametrize("lang", list(Lang))
def test_the_largest_card_stays_within_forty_components_and_four_thousand_characters(lang: Lang) -> None:
    """A fully extended extension card, 5 clips with links and a gallery, the longest prompt and notes."""
    assert_fits(biggest(), lang, names(5))


@pytest.mark.parametrize("lang", list(Lang))
def test_a_partly_delivered_card_keeps_its_clip_rows_adds_the_missing_button_and_fits(lang: Lang) -> None:
    """The biggest card again, four of its six clips missing: "Post missing clips" is the last row."""
    partial = biggest(missing_clips=(2, 3, 4, 5))
    assert_fits(partial, lang, names(2))
    assert [kinds(row) for row in rows_of(partial, lang)][-1] == ["m", "d"]


def test_a_delivered_card_is_one_container_with_the_texts_the_gallery_and_the_buttons() -> None:
    card = CardRenderer(Catalogue.load(), Lang.EN).job(job(JobStatus.DELIVERED, 4), now=NOW, gallery=names(4))
    (container,) = accepted(card.layout().to_components(), names(4))
    kinds_in_order = [c["type"] for c in container["components"]]
    assert container["type"] == 17
    assert kinds_in_order == [10, 10, 10, 10, 12, 14, 1, 1, 1, 1, 1]  # ready, title, state, fields
    gallery = container["components"][4]
    assert [item["media"]["url"] for item in gallery["items"]] == [f"attachment://{n}" for n in names(4)]
