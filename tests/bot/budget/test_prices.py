"""The price table: a job's price from the operator's settings, and amounts shown to people."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.budget import Money, Period, PriceTable, Scope, format_money, lower, operator_budgets, to_money
from bot.models import Quality
from bot.settings import read_settings

SECRETS = {"discord_token": "x" * 60, "cometapi_key": "sk-test"}


def table(**prices: str) -> PriceTable:
    settings = read_settings(None, **SECRETS, **{name: Decimal(value) for name, value in prices.items()})
    return PriceTable.from_settings(settings)


def test_a_job_costs_its_clips_times_the_price_of_a_clip_at_its_quality():
    prices = table(price_per_clip_480p="0.05", price_per_clip_720p="0.16", price_per_extension_clip="0.04")
    assert prices.job_price(Quality.SD, 4) == to_money(Decimal("0.20"))
    assert prices.job_price(Quality.HD, 2) == to_money(Decimal("0.32"))
    assert prices.job_price(Quality.HD, 4, extension=True) == to_money(Decimal("0.16"))


def test_the_defaults_are_a_price_table_in_usd():
    prices = PriceTable.from_settings(read_settings(None, **SECRETS))
    assert prices.currency == "USD"
    assert prices.per_clip_720p > prices.per_clip_480p > 0


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Money(50_000), "0.05 USD"),
        (Money(125_000), "0.125 USD"),
        (Money(2_000_000), "2.00 USD"),
        (Money(100_000_000), "100.00 USD"),
        (Money(0), "0.00 USD"),
        (Money(1), "0.000001 USD"),
    ],
)
def test_amounts_show_two_decimals_unless_they_need_more(amount, shown):
    assert format_money(amount, "USD") == shown


def test_amounts_round_to_the_millionth():
    assert to_money(Decimal("0.0000005")) == 1
    assert to_money(Decimal("1.2345674")) == 1_234_567


@pytest.mark.parametrize("name", ["BUDGET_PERSON_DAY", "BUDGET_BOT_MONTH"])
def test_an_empty_budget_means_no_cap(name, monkeypatch):
    monkeypatch.setenv(name, "")
    settings = read_settings(None, **SECRETS)
    assert getattr(settings, name.lower()) is None


def test_a_negative_price_is_refused():
    with pytest.raises(Exception, match=r"price_per_clip_480p|PRICE_PER_CLIP_480P"):
        read_settings(None, **SECRETS, price_per_clip_480p=Decimal("-1"))


def test_the_operator_budgets_come_from_the_settings_and_empty_means_no_cap():
    settings = read_settings(None, **SECRETS, budget_server_month=None, budget_person_day=Decimal("1.5"))
    budgets = operator_budgets(settings)
    assert budgets.cap(Scope.PERSON, Period.DAY) == 1_500_000
    assert budgets.cap(Scope.SERVER, Period.MONTH) is None


def test_a_server_or_role_may_only_lower_a_cap():
    assert lower(Money(100), Money(50)) == 50
    assert lower(Money(100), Money(500)) == 100
    assert lower(None, Money(500)) == 500
    assert lower(Money(100), None) == 100
