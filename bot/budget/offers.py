"""What still fits when a job does not: the smaller video a member is offered instead of a bare refusal.

A job refused by a budget or a daily limit may still fit as fewer clips, or at 480p: the refusal
offers the largest such variant (as a button where there is an interaction to answer). Fewer clips at
the same quality come first (the member keeps the look they asked for), then 480p from the most clips
down. An extension keeps its parent's batch and quality, so it has nothing smaller to offer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.budget.prices import Money, PriceTable
from bot.models import CLIP_CHOICES, Quality


@dataclass(frozen=True, slots=True)
class Room:
    """What is left before the first limit: money (None: no money cap) and daily-limit units."""

    money: Money | None
    units: int | None


@dataclass(frozen=True, slots=True)
class Offer:
    """A smaller job that fits: its quality, clips and price."""

    quality: Quality
    clips: int
    price: Money


def variants(quality: Quality, clips: int) -> list[tuple[Quality, int]]:
    """Return the smaller jobs to try, best first: fewer clips at ``quality``, then 480p."""
    smaller = sorted((n for n in CLIP_CHOICES if n < clips), reverse=True)
    ordered = [(quality, n) for n in smaller]
    if quality is Quality.HD:
        ordered += [(Quality.SD, n) for n in sorted((n for n in CLIP_CHOICES if n <= clips), reverse=True)]
    return ordered


def best_fit(
    prices: PriceTable, quality: Quality, clips: int, room: Room, *, counts_clips: bool
) -> Offer | None:
    """Return the best smaller job that fits ``room``, or None when nothing smaller does.

    ``counts_clips``: the server's daily limits count clips, so fewer clips also take fewer units.
    """
    for option_quality, option_clips in variants(quality, clips):
        price = prices.job_price(option_quality, option_clips)
        units = option_clips if counts_clips else 1
        if _fits(room, price, units):
            return Offer(option_quality, option_clips, price)
    return None


def _fits(room: Room, price: Money, units: int) -> bool:
    money_fits = room.money is None or price <= room.money
    units_fit = room.units is None or units <= room.units
    return money_fits and units_fit
