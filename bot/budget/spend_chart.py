"""The spend chart ``/usage`` attaches: money by UTC day, charged and reserved stacked, as a small PNG.

Drawn by matplotlib's Agg renderer on a ``Figure`` of its own (no pyplot, no global state, no display),
in a worker thread so the event loop never waits for it. matplotlib is imported on the first chart,
not with the bot: most processes never draw one. Released reservations are not drawn (they count
nothing). Every text on it comes from the caller, in the member's language.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.store import Spend

MICROS = Decimal(1_000_000)
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 3.6, 100  # 800 × 360 pixels: readable inline on Discord
CHARGED_COLOUR, RESERVED_COLOUR = "#5865F2", "#F0B232"  # Discord's blurple and yellow
TICK_EVERY = 7  # a label a week, the last on today
HEADROOM = 1.12  # the highest day's bar stops below the top edge
# Room for the title above, the amounts (up to 8 characters) left, the days and the legend below.
MARGINS = {"left": 0.1, "right": 0.98, "top": 0.9, "bottom": 0.26}
# matplotlib's figures are not meant to be drawn from several threads at once; charts are rare.
_DRAWING = threading.Lock()


@dataclass(frozen=True, slots=True)
class ChartText:
    """Every text on the chart, in the reader's language; ``day_label`` writes an axis day."""

    title: str
    days_axis: str
    amount_axis: str
    charged: str
    reserved: str
    day_label: Callable[[dt.date], str]


async def draw_spend_chart(days: Sequence[tuple[dt.date, Spend]], text: ChartText) -> bytes:
    """Return the PNG of ``days`` (day, spend) in order, drawn in a worker thread."""
    return await asyncio.to_thread(render_spend_chart, days, text)


def render_spend_chart(days: Sequence[tuple[dt.date, Spend]], text: ChartText) -> bytes:
    """Return the PNG of ``days`` (blocking: call ``draw_spend_chart`` from the event loop)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported late: see the module docstring
    from matplotlib.figure import Figure

    with _DRAWING:
        # Fixed margins: a layout engine would measure every text first, which is half the drawing time.
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
        figure.subplots_adjust(**MARGINS)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        places = range(len(days))
        charged = [_currency(spend.charged) for _, spend in days]
        reserved = [_currency(spend.reserved) for _, spend in days]
        axes.bar(places, charged, width=0.8, color=CHARGED_COLOUR, label=text.charged)
        axes.bar(places, reserved, width=0.8, bottom=charged, color=RESERVED_COLOUR, label=text.reserved)
        ticks = list(range(len(days) - 1, -1, -TICK_EVERY))[::-1]
        axes.set_xticks(ticks, [text.day_label(days[tick][0]) for tick in ticks])
        highest = max(map(sum, zip(charged, reserved, strict=True)), default=0.0)
        axes.set_ylim(bottom=0, top=highest * HEADROOM if highest > 0 else 1)
        axes.set_title(text.title)
        axes.set_xlabel(text.days_axis)
        axes.set_ylabel(text.amount_axis)
        figure.legend(loc="lower center", ncols=2, frameon=False)
        axes.grid(axis="y", alpha=0.3)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        png = io.BytesIO()
        figure.savefig(png, format="png", metadata={"Software": None})
    return png.getvalue()


def _currency(amount: int) -> float:
    """Return millionths of the currency as currency units, for plotting only (texts stay exact)."""
    return float(Decimal(amount) / MICROS)
