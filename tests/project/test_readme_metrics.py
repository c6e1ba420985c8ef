"""The README's metrics table lists exactly what the bot's ``/metrics`` serves, with types and labels."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.harness import make_world
from tests.project.readme_blocks import metrics_table

_SUFFIXES = ("_bucket", "_count", "_sum")
# metric name -> (type, label names)
Metrics = dict[str, tuple[str, frozenset[str]]]


def exposed_metrics(text: str) -> Metrics:
    """Return what a Prometheus text page declares: family -> (type, label names seen on its samples)."""
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))
    labels: dict[str, set[str]] = {name: set() for name in types}
    for sample, label_text in re.findall(r"^(\w+)\{(.*)\} ", text, re.MULTILINE):
        labels[_family(sample, types)] |= set(re.findall(r'(\w+)="', label_text)) - {"le"}
    return {name: (kind, frozenset(labels[name])) for name, kind in types.items()}


def _family(sample: str, families: dict[str, str]) -> str:
    """Return the family a sample belongs to (``x_bucket``, ``x_count`` and ``x_sum`` are ``x``'s)."""
    stripped = [
        sample.removesuffix(suffix) for suffix in _SUFFIXES if sample.removesuffix(suffix) in families
    ]
    return sample if sample in families else stripped[0]


def differences(documented: Metrics, served: Metrics) -> list[str]:
    """Return every way the README's table and a served page disagree (labels where samples show them)."""
    problems = [f"served but not in the README: {name}" for name in sorted(served.keys() - documented.keys())]
    problems += [
        f"in the README but not served: {name}" for name in sorted(documented.keys() - served.keys())
    ]
    for name in sorted(documented.keys() & served.keys()):
        (kind, labels), (served_kind, served_labels) = documented[name], served[name]
        if kind != served_kind:
            problems.append(f"{name}: the README says {kind}, the bot serves a {served_kind}")
        if served_labels and labels != served_labels:
            problems.append(
                f"{name}: the README names labels {sorted(labels)}, the bot {sorted(served_labels)}"
            )
    return problems


async def test_the_metrics_table_lists_every_metric_the_bot_serves_and_no_other(tmp_path: Path) -> None:
    async with make_world(tmp_path) as world:
        page = (await world.bot.services.metrics.render()).decode()
    served = exposed_metrics(page)
    assert len(served) >= 20
    assert differences(metrics_table(), served) == []
