"""The book of offered smaller jobs: taken once, stale after its time, bounded."""

from __future__ import annotations

from decimal import Decimal

from bot.budget import Offer, to_money
from bot.checks import ImageRef, JobRequest, OfferedRefusal
from bot.checks.quotas import LimitKind, QuotaExceeded
from bot.intake import OfferBook
from bot.intake.offers import CAPACITY
from bot.models import JobSource, Quality

REQUEST = JobRequest(
    requester_id=1,
    guild_id=2,
    channel_id=3,
    source=JobSource.SLASH,
    image=ImageRef("https://cdn.discordapp.com/a.png", "image/png", 10, 1, 1),
    locale="en-US",
)


def refusal() -> OfferedRefusal:
    refused = QuotaExceeded(LimitKind.USER_DAILY, 3, None)
    return OfferedRefusal(refused, Offer(Quality.SD, 1, to_money(Decimal("0.05"))), REQUEST, "0.05 USD")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_offer_is_found_until_taken_and_taken_once():
    book = OfferBook()
    offer = refusal()
    token = book.keep(offer)
    assert book.find(token) is offer
    assert book.take(token) is offer
    assert book.take(token) is None and book.find(token) is None


def test_a_stale_offer_is_gone():
    clock = Clock()
    book = OfferBook(clock, ttl=600)
    token = book.keep(refusal())
    clock.now = 599.9
    assert book.find(token) is not None
    clock.now = 600.0
    assert book.find(token) is None


def test_tokens_are_random_and_fit_the_custom_id():
    book = OfferBook()
    tokens = {book.keep(refusal()) for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) == 16 and int(token, 16) >= 0 for token in tokens)


def test_the_book_forgets_the_oldest_beyond_its_capacity():
    book = OfferBook()
    first = book.keep(refusal())
    for _ in range(CAPACITY):
        book.keep(refusal())
    assert book.find(first) is None
