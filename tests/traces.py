"""Where an object still keeps a job: its id as a key or member, the job itself, anywhere beneath it.

A component that forgets a job must forget it everywhere. ``traces`` walks everything reachable from
a component (attributes, slots, mappings, sequences, sets) and names each path that still holds the
job, so a test of "forgotten" keeps failing for a map or field added later and not cleared. It walks
generically and names nothing private. ``skip`` leaves out what is not the component's own memory
(the store, the provider client, the Discord client...), which the test checks by its answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import types
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass

from bot.models import Job

# Values that hold no job, or that run rather than remember (tasks, locks, callables, classes).
ATOMS = (str, bytes, int, float, bool, type(None), enum.Enum, dt.datetime, dt.date, dt.timedelta)
NOT_MEMORY = (
    asyncio.Future,
    asyncio.Event,
    asyncio.Lock,
    asyncio.Semaphore,
    asyncio.Condition,
    logging.Logger,
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.ModuleType,
    types.CoroutineType,
    type,
)


def traces(root: object, job_id: int, *, skip: tuple[type, ...] = ()) -> list[str]:
    """Return the paths beneath ``root`` that still hold job ``job_id`` (empty: it is forgotten)."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(value: object, path: str) -> None:
        if isinstance(value, ATOMS + NOT_MEMORY + skip) or id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, Job):
            if value.id == job_id:  # another job's fields (clip indexes, say) are not this job's id
                found.append(path)
            return
        for where, item, member in _parts(value, path):
            if member and type(item) is int and item == job_id:
                found.append(where)
            else:
                walk(item, where)

    walk(root, "root")
    return found


def _parts(value: object, path: str) -> Iterable[tuple[str, object, bool]]:
    """Yield ``(path, item, member)`` for what ``value`` holds: keys and values, members, attributes.

    ``member``: the item is a key or an element of a collection, where an id means a job (an
    attribute that happens to equal the id is a count or a setting).
    """
    if isinstance(value, Mapping):
        for key, item in list(value.items()):
            yield f"{path} key {key!r}", key, True
            yield f"{path}[{key!r}]", item, False
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(list(value)):
            yield f"{path}[{index}]", item, True
    else:
        for name in _attribute_names(value):
            if hasattr(value, name):
                yield f"{path}.{name}", getattr(value, name), False


def _attribute_names(value: object) -> list[str]:
    names = list(vars(value)) if hasattr(value, "__dict__") else []
    for cls in type(value).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else [name for name in slots if name != "__weakref__"]
    if is_dataclass(value):
        names += [field.name for field in fields(value)]
    return list(dict.fromkeys(names))
