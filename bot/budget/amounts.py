"""An amount of money a server admin types (a budget, an allowance), checked against the operator's cap."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.budget.prices import Money, PriceTable, to_money
from bot.guild_settings import InvalidSetting

# Up to a million, to the millionth, as the operator's own amounts (bot.settings.Amount). A comma may
# stand for the decimal point (Vietnamese writes 2,5); no thousands separators, so "1.000" is one.
AMOUNT = re.compile(r"([0-9]{1,7})(?:[.,]([0-9]{1,6}))?")  # ASCII digits only: \d takes any script's
MOST = to_money(Decimal(1_000_000))
EXAMPLE = Money(2_500_000)


class AboveOperatorBudget(InvalidSetting):
    """An amount above the operator's cap: a server may lower the operator's budgets, never raise them."""

    message_key = "settings.above_budget_cap"

    def __init__(self, cap: str) -> None:
        super().__init__("settings.expected.amount_up_to", cap=cap)


def parse_amount(raw: str, cap: Money | None, prices: PriceTable) -> Money:
    """Return ``raw`` (such as ``2.50``, ``2,5`` or ``2.50 USD``) as ``Money``, or raise ``InvalidSetting``.

    ``cap`` is the operator's (``None``: no cap); an amount above it raises ``AboveOperatorBudget``
    naming the cap in the price table's currency.
    """
    text = raw.strip()
    unit = prices.currency.casefold()
    if text.casefold().endswith(unit):
        text = text[: -len(unit)].strip()
    found = AMOUNT.fullmatch(text)
    amount = None if found is None else to_money(Decimal(f"{found[1]}.{found[2] or 0}"))
    if amount is None or amount > MOST:
        raise InvalidSetting("settings.expected.amount", example=prices.format(EXAMPLE))
    if cap is not None and amount > cap:
        raise AboveOperatorBudget(prices.format(cap))
    return amount
