"""The failure a member reads when the video service had no account for their job (code 3, bounded).

It says the service has no capacity for this video right now and what to do: try again later (the
card's Retry), and, for a new 720p video, start it again in 480p. An extension cannot change its
quality (it extends a clip of the video it belongs to), so it is never told to.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.i18n import Catalogue, Lang
from bot.models import FailureKind, Job, JobSource, JobStatus, Quality
from cogs.cards import CardRenderer, DeleteButton, RetryButton
from tests.cogs.cards.test_card_layout import NOW, job

REASON = "CometAPI has no account for this request (code 3): 无可用的账号实例, for more than 60 minutes"


def failed(quality: Quality, **changes: object) -> Job:
    no_capacity = replace(job(JobStatus.FAILED), error=REASON, failure_kind=FailureKind.NO_CAPACITY)
    return replace(no_capacity, quality=quality, **changes)


def reason(job: Job, lang: Lang) -> str:
    return CardRenderer(Catalogue.load(), lang).failure_reason(job)


@pytest.mark.parametrize(
    ("lang", "now", "later", "lower"),
    [
        (Lang.EN, "no capacity for 720p videos right now", "Try again later with Retry", "quality 480p"),
        (Lang.VI, "không đủ tài nguyên để tạo video 720p", "Thử lại", "chất lượng 480p"),
    ],
)
def test_a_720p_video_is_told_to_try_later_or_in_480p(lang: Lang, now: str, later: str, lower: str) -> None:
    text = reason(failed(Quality.HD), lang)
    assert now in text and later in text and lower in text
    assert "无可用" not in text and "code 3" not in text  # the provider's words stay in the log


@pytest.mark.parametrize("lang", list(Lang))
def test_a_480p_video_or_an_extension_is_told_to_try_later_only(lang: Lang) -> None:
    sd = reason(failed(Quality.SD), lang)
    extension = reason(failed(Quality.HD, parent_job_id=6, clip_index=0, source=JobSource.EXTEND), lang)
    assert sd == extension
    assert "480p" not in sd and "720p" not in sd
    assert sd == Catalogue.load().text(lang, "failure.no_capacity")


def test_the_card_of_such_a_job_offers_retry_and_says_it_was_not_counted() -> None:
    card = CardRenderer(Catalogue.load(), Lang.EN).job(failed(Quality.HD), now=NOW)
    assert "no capacity for 720p videos right now" in card.state
    assert "did not count against your daily limit" in "\n".join(card.notes)
    assert [type(item) for row in card.rows for item in row] == [RetryButton, DeleteButton]
    assert card.state.startswith("Failed:")
