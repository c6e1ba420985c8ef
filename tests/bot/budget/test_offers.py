"""The smaller job offered when a job does not fit what is left."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.budget import Money, Offer, PriceTable, Room, best_fit, to_money
from bot.budget.offers import variants
from bot.models import Quality

PRICES = PriceTable(
    per_clip_480p=to_money(Decimal("0.05")),
    per_clip_720p=to_money(Decimal("0.16")),
    per_extension_clip=to_money(Decimal("0.05")),
    currency="USD",
)


def money(amount: str) -> Money:
    return to_money(Decimal(amount))


def test_fewer_clips_at_the_same_quality_come_before_480p():
    assert variants(Quality.HD, 4) == [
        (Quality.HD, 2),
        (Quality.HD, 1),
        (Quality.SD, 4),
        (Quality.SD, 2),
        (Quality.SD, 1),
    ]
    assert variants(Quality.SD, 4) == [(Quality.SD, 2), (Quality.SD, 1)]
    assert variants(Quality.SD, 1) == []


@pytest.mark.parametrize(
    ("quality", "clips", "left", "offer"),
    [
        (Quality.HD, 4, "0.40", Offer(Quality.HD, 2, money("0.32"))),
        (Quality.HD, 4, "0.20", Offer(Quality.HD, 1, money("0.16"))),
        (Quality.HD, 1, "0.10", Offer(Quality.SD, 1, money("0.05"))),
        (Quality.HD, 4, "0.15", Offer(Quality.SD, 2, money("0.10"))),
        (Quality.SD, 4, "0.12", Offer(Quality.SD, 2, money("0.10"))),
        (Quality.SD, 4, "0.04", None),
        (Quality.SD, 1, "1.00", None),  # nothing smaller than one 480p clip
    ],
)
def test_the_largest_smaller_job_within_the_money_left_is_offered(quality, clips, left, offer):
    assert best_fit(PRICES, quality, clips, Room(money(left), None), counts_clips=False) == offer


def test_units_left_bound_the_offer_only_when_the_server_counts_clips():
    room = Room(None, 2)
    assert best_fit(PRICES, Quality.SD, 4, room, counts_clips=True) == Offer(Quality.SD, 2, money("0.10"))
    # Counting jobs, a smaller job takes the same one unit: when it fits, so did the job itself
    assert best_fit(PRICES, Quality.SD, 4, Room(None, 0), counts_clips=False) is None
