"""The /usage chart: a small PNG of spend by day, charged and reserved stacked, drawn off the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import matplotlib.image
import numpy as np

from bot.budget import ChartText, draw_spend_chart
from bot.i18n import Lang, format_day
from bot.store import Spend

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIRST = dt.date(2025, 2, 1)
TEXT = ChartText(
    title="Spend by day, last 30 days",
    days_axis="Day (UTC)",
    amount_axis="Amount (USD)",
    charged="Charged",
    reserved="Reserved",
    day_label=lambda day: format_day(day, Lang.EN),
)


def days(spend_of: dict[int, Spend]) -> list[tuple[dt.date, Spend]]:
    return [(FIRST + dt.timedelta(days=n), spend_of.get(n, Spend())) for n in range(30)]


def pixels(png: bytes) -> np.ndarray:
    return matplotlib.image.imread(io.BytesIO(png), format="png")


async def test_the_chart_is_a_small_png_of_800_by_360_pixels():
    png = await draw_spend_chart(days({29: Spend(jobs=2, charged=200_000, reserved=50_000)}), TEXT)
    assert png.startswith(PNG_SIGNATURE)
    assert pixels(png).shape[:2] == (360, 800)
    assert len(png) < 60_000  # Discord shows it inline; an upload of a few tens of kilobytes


async def test_different_spend_draws_a_different_chart_and_the_same_spend_the_same_one():
    first = await draw_spend_chart(days({3: Spend(jobs=1, charged=500_000)}), TEXT)
    again = await draw_spend_chart(days({3: Spend(jobs=1, charged=500_000)}), TEXT)
    other = await draw_spend_chart(days({20: Spend(jobs=1, charged=500_000)}), TEXT)
    assert first == again
    assert not np.array_equal(pixels(first), pixels(other))


async def test_reserved_spend_is_drawn_in_its_own_colour_on_top_of_the_charged():
    charged_only = pixels(await draw_spend_chart(days({10: Spend(jobs=1, charged=400_000)}), TEXT))
    stacked = pixels(
        await draw_spend_chart(days({10: Spend(jobs=2, charged=400_000, reserved=400_000)}), TEXT)
    )
    yellow = np.array([0xF0, 0xB2, 0x32]) / 255  # the reserved bars' colour, also in the legend
    assert _area(stacked, yellow) > _area(charged_only, yellow)


async def test_the_texts_are_drawn_in_the_readers_language():
    vietnamese = ChartText(
        title="Chi tiêu theo ngày, 30 ngày qua",
        days_axis="Ngày (UTC)",
        amount_axis="Số tiền (USD)",
        charged="Đã tính phí",
        reserved="Đang giữ chỗ",
        day_label=lambda day: format_day(day, Lang.VI),
    )
    spend = days({5: Spend(jobs=1, charged=100_000)})
    english, translated = await draw_spend_chart(spend, TEXT), await draw_spend_chart(spend, vietnamese)
    assert not np.array_equal(pixels(english), pixels(translated))


async def test_a_month_without_spend_still_draws_its_axes():
    png = await draw_spend_chart(days({}), TEXT)
    assert pixels(png).shape[:2] == (360, 800)


async def test_the_chart_is_drawn_while_the_event_loop_goes_on():
    """Drawn in a worker thread: the loop keeps turning until the chart is ready."""
    drawing = asyncio.create_task(draw_spend_chart(days({1: Spend(jobs=1, charged=1)}), TEXT))
    turns = 0
    while not drawing.done():
        turns += 1
        await asyncio.sleep(0)
    assert (await drawing).startswith(PNG_SIGNATURE)
    assert turns > 2  # drawn on the loop itself, the first turn would have waited for all of it


def _area(image: np.ndarray, colour: np.ndarray) -> int:
    return int(np.all(np.abs(image[:, :, :3] - colour) < 0.02, axis=2).sum())
