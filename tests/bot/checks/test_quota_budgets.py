"""The operator's money budgets and the per-person limits across servers, on the ledger (issue 21)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from bot.budget import Money, Period, Scope
from bot.checks import BudgetExceeded, BudgetStatus
from bot.checks.quotas import LimitKind, QuotaExceeded, QuotaService
from bot.i18n import Lang, catalogue
from bot.models import FailureKind, GuildSettings, JobStatus
from bot.settings import Settings
from tests.bot.checks.test_quotas import GUILD, NEXT_MIDNIGHT, OTHER_GUILD, OTHER_USER, USER, job_in, new_job
from tests.store_fixtures import save_settings

NEXT_MONTH = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)  # the clock starts on 1 March 2025, 23:50 UTC
NO_CAPS = {f"budget_{scope}_{period}": None for scope in Scope for period in Period}
CENTS = 10_000  # Money of 0.01


def settings(**values: object) -> Settings:
    base: dict[str, object] = {"max_daily_jobs_per_user": 100, "max_daily_jobs_per_guild": 1000, **NO_CAPS}
    base.update(values)
    return Settings(discord_token="token", cometapi_key="key", _env_file=None, **base)  # type: ignore[arg-type]


async def spent(store, cents: int, status: JobStatus = JobStatus.DELIVERED, **who: object) -> None:
    """A job of ``cents`` in ``status`` (its price is reserved, charged or, failed, released)."""
    job = await store.create_job(dataclasses.replace(new_job(**who), price=cents * CENTS))  # type: ignore[arg-type]
    if status is JobStatus.QUEUED:
        return
    if status is JobStatus.FAILED:
        await store.mark_failed(job.id, FailureKind.REFUSED, "no")
        return
    await store.mark_submitted(job.id, f"task-{job.id}")
    await store.mark_succeeded(job.id, ["https://cdn.example/1.mp4"])
    await store.mark_delivered(job.id)


async def budget_refusal(quotas: QuotaService, cents: int, guild: int | None = GUILD) -> BudgetExceeded:
    with pytest.raises(BudgetExceeded) as caught:
        await quotas.check(guild, USER, price=Money(cents * CENTS))
    for lang in Lang:  # every budget refusal renders in both languages
        text = catalogue().text(lang, caught.value.key, **caught.value.params)
        assert f"<t:{int(caught.value.resets_at.timestamp())}:R>" in text
    return caught.value


async def test_a_job_that_does_not_fit_the_persons_day_budget_is_refused_naming_it(store, clock):
    quotas = QuotaService(store, settings(budget_person_day=Decimal("1.00")), clock=clock)
    await spent(store, 60)
    await spent(store, 20, JobStatus.QUEUED)  # a waiting job holds its price
    await quotas.check(GUILD, USER, price=Money(20 * CENTS))  # exactly fits

    error = await budget_refusal(quotas, 21)

    assert (error.limit, error.scope, error.period) == (LimitKind.BUDGET, Scope.PERSON, Period.DAY)
    assert error.key == "quota.budget.person_day" and error.resets_at == NEXT_MIDNIGHT
    assert error.params["limit"] == "1.00 USD" and error.params["left"] == "0.20 USD"
    assert error.params["price"] == "0.21 USD" and error.left == 20 * CENTS
    text = catalogue().text(Lang.EN, error.key, **error.params)
    assert "0.21 USD" in text and "daily budget of 1.00 USD" in text and "0.20 USD left" in text


async def test_a_month_budget_renews_on_the_first_of_the_next_month_and_is_named_first(store, clock):
    quotas = QuotaService(
        store, settings(budget_person_day=Decimal("0.50"), budget_person_month=Decimal("0.50")), clock=clock
    )
    await spent(store, 50)
    error = await budget_refusal(quotas, 10)
    assert (error.key, error.resets_at) == ("quota.budget.person_month", NEXT_MONTH)
    clock.advance(minutes=15)  # a new day, the same month
    assert (await budget_refusal(quotas, 10)).key == "quota.budget.person_month"
    clock.advance(days=31)
    await quotas.check(GUILD, USER, price=Money(10 * CENTS))


async def test_the_person_budget_holds_across_servers_and_direct_messages(store, clock):
    quotas = QuotaService(store, settings(budget_person_day=Decimal("1.00")), clock=clock)
    await spent(store, 40, guild=OTHER_GUILD)
    await spent(store, 40, guild=None)
    assert (await budget_refusal(quotas, 30)).scope is Scope.PERSON
    await quotas.check(GUILD, OTHER_USER, price=Money(90 * CENTS))  # another person is not held


async def test_the_server_budget_counts_every_member_of_that_server_only(store, clock):
    quotas = QuotaService(store, settings(budget_server_month=Decimal("2.00")), clock=clock)
    await spent(store, 150, user=OTHER_USER)
    await spent(store, 500, guild=OTHER_GUILD)
    error = await budget_refusal(quotas, 60)
    assert (error.key, error.params["left"]) == ("quota.budget.server_month", "0.50 USD")
    await quotas.check(None, USER, price=Money(60 * CENTS))  # direct messages have no server budget


async def test_the_bot_budget_counts_everyone_everywhere(store, clock):
    quotas = QuotaService(store, settings(budget_bot_day=Decimal("3.00")), clock=clock)
    await spent(store, 100, user=OTHER_USER, guild=OTHER_GUILD)
    await spent(store, 100, user=OTHER_USER + 1, guild=None)
    await spent(store, 90, user=OTHER_USER + 2)
    assert (await budget_refusal(quotas, 11)).key == "quota.budget.bot_day"


async def test_released_jobs_give_their_money_back(store, clock):
    quotas = QuotaService(store, settings(budget_person_day=Decimal("1.00")), clock=clock)
    await spent(store, 90, JobStatus.FAILED)
    await quotas.check(GUILD, USER, price=Money(100 * CENTS))


async def test_admission_refuses_past_a_budget_and_stores_nothing(store, clock):
    quotas = QuotaService(store, settings(budget_person_day=Decimal("0.30")), clock=clock)
    await quotas.admission(dataclasses.replace(new_job(), price=20 * CENTS))
    with pytest.raises(BudgetExceeded):
        await quotas.admission(dataclasses.replace(new_job(), price=20 * CENTS))
    assert len(await store.all_jobs()) == 1


async def test_role_ids_reach_the_budget_seam(store, clock):
    """For now every member has the operator's budgets; the seam takes the member's roles."""
    quotas = QuotaService(store, settings(budget_person_day=Decimal("0.10")), clock=clock)
    with pytest.raises(BudgetExceeded):
        await quotas.check(GUILD, USER, price=Money(20 * CENTS), role_ids=frozenset({77}))
    with pytest.raises(BudgetExceeded):
        await quotas.admission(dataclasses.replace(new_job(), price=20 * CENTS), role_ids=frozenset({77}))


async def test_the_operators_daily_limit_holds_across_servers(store, clock):
    """MAX_DAILY_JOBS_PER_USER counts the person in every server; a server's max_daily_per_user only there."""
    quotas = QuotaService(store, settings(max_daily_jobs_per_user=3), clock=clock)
    await job_in(store, JobStatus.DELIVERED, guild=OTHER_GUILD)
    await job_in(store, JobStatus.DELIVERED, guild=None)
    await job_in(store, JobStatus.DELIVERED, guild=OTHER_GUILD + 1)
    with pytest.raises(QuotaExceeded) as caught:
        await quotas.check(GUILD, USER)
    assert (caught.value.limit, caught.value.limit_value) == (LimitKind.USER_DAILY, 3)


async def test_a_servers_own_daily_limit_counts_the_person_in_that_server_only(store, clock):
    quotas = QuotaService(store, settings(max_daily_jobs_per_user=10), clock=clock)
    await save_settings(store, GuildSettings(guild_id=GUILD, max_daily_per_user=2))
    await job_in(store, JobStatus.DELIVERED)
    await job_in(store, JobStatus.DELIVERED)
    with pytest.raises(QuotaExceeded) as caught:
        await quotas.check(GUILD, USER)
    assert (caught.value.limit, caught.value.limit_value) == (LimitKind.USER_DAILY, 2)
    await quotas.check(OTHER_GUILD, USER)


async def test_status_reports_each_budget_spent_left_and_renewal(store, clock):
    quotas = QuotaService(
        store, settings(budget_person_day=Decimal("1.00"), budget_server_month=Decimal("5.00")), clock=clock
    )
    await spent(store, 30)
    await spent(store, 20, JobStatus.QUEUED, user=OTHER_USER)

    budgets = {(b.scope, b.period): b for b in (await quotas.status(GUILD, USER)).budgets}

    assert budgets[Scope.PERSON, Period.DAY] == BudgetStatus(
        Scope.PERSON, Period.DAY, Money(100 * CENTS), Money(30 * CENTS), NEXT_MIDNIGHT
    )
    assert budgets[Scope.PERSON, Period.DAY].left == 70 * CENTS
    server = budgets[Scope.SERVER, Period.MONTH]
    assert (server.spent, server.left, server.resets_at) == (50 * CENTS, 450 * CENTS, NEXT_MONTH)
    assert budgets[Scope.BOT, Period.MONTH].cap is None and budgets[Scope.BOT, Period.MONTH].left is None
    in_dms = (await quotas.status(None, USER)).budgets
    assert len(in_dms) == 4 and all(b.scope is not Scope.SERVER for b in in_dms)
