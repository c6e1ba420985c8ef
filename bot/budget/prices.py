"""The operator's price table (``PRICE_*`` settings) and the price of a job, fixed at admission.

CometAPI bills a Midjourney video task by what it makes: every clip of a batch (``--bs`` 1, 2 or 4),
more at 720p than at 480p, and an extension for every clip it extends. The operator copies their own
CometAPI price list into the settings; Motionbot multiplies, it never asks the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NewType

from bot.models import Quality
from bot.settings import Settings

Money = NewType("Money", int)  # millionths of the operator's currency
FREE = Money(0)
MICROS = Decimal(1_000_000)


def to_money(amount: Decimal) -> Money:
    """Return ``amount`` (currency units, such as 0.05) as ``Money``, rounded to the millionth."""
    return Money(int((amount * MICROS).to_integral_value(rounding=ROUND_HALF_UP)))


def format_money(amount: Money, currency: str) -> str:
    """Return ``amount`` for people: two decimals unless it needs more (``0.05 USD``, ``0.125 USD``)."""
    return f"{format_amount(amount)} {currency}"


def format_amount(amount: Money) -> str:
    """Return ``amount`` as an exact decimal without the currency (``0.05``, ``0.125``), for exports."""
    value = Decimal(amount) / MICROS
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2  # an int for every finite amount
    return f"{value:.{places}f}"


@dataclass(frozen=True, slots=True)
class PriceTable:
    """What one clip costs at each quality and one extended clip costs, and the currency label."""

    per_clip_480p: Money
    per_clip_720p: Money
    per_extension_clip: Money
    currency: str

    @classmethod
    def from_settings(cls, settings: Settings) -> PriceTable:
        """Return the table the operator set (``PRICE_*``)."""
        return cls(
            per_clip_480p=to_money(settings.price_per_clip_480p),
            per_clip_720p=to_money(settings.price_per_clip_720p),
            per_extension_clip=to_money(settings.price_per_extension_clip),
            currency=settings.price_currency,
        )

    def job_price(self, quality: Quality, clips: int, *, extension: bool = False) -> Money:
        """Return what a job making ``clips`` clips at ``quality`` costs (an extension: per extended clip)."""
        if extension:
            return Money(self.per_extension_clip * clips)
        per_clip = self.per_clip_720p if quality is Quality.HD else self.per_clip_480p
        return Money(per_clip * clips)

    def format(self, amount: Money) -> str:
        """Return ``amount`` with the currency label, for cards, ``/jobs``, ``/quota`` and refusals."""
        return format_money(amount, self.currency)
