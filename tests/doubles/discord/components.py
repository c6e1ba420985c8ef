"""Validation of message components (classic action rows and components v2) and modals."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .components_v2 import V2Checker
from .errors import FormErrors, FormPath
from .modals import check_modal_component
from .model import iter_components

ACTION_ROW, BUTTON, TEXT_INPUT, SECTION, TEXT_DISPLAY, LABEL = 1, 2, 4, 9, 10, 18
SELECTS = {3, 5, 6, 7, 8}
MAX_ROWS = 5
MAX_ROW_WIDTH = 5
LINK, PREMIUM = 5, 6


def check_components(
    components: Any, errors: FormErrors, *, components_v2: bool, files: Collection[str] = ()
) -> None:
    """Check rows, buttons, selects, custom_id length and uniqueness, labels and URLs.

    ``files`` are the message's file names, which a V2 ``attachment://`` URL must name.
    """
    if components is None:
        return
    if not isinstance(components, list):
        errors.add(("components",), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if components_v2:
        _check_v2(components, errors, files)
    else:
        _check_classic(components, errors)
    _check_unique_custom_ids(components, errors)


def _check_classic(components: list[Any], errors: FormErrors) -> None:
    if len(components) > MAX_ROWS:
        errors.add(("components",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROWS} or fewer in length.")
    for index, row in enumerate(components):
        path = ("components", index)
        if not isinstance(row, dict) or row.get("type") != ACTION_ROW:
            errors.add((*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
            continue
        _check_row(row, path, errors)


def _check_row(row: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    children = row.get("components")
    if not isinstance(children, list) or not 1 <= len(children) <= MAX_ROW_WIDTH:
        errors.add(
            (*path, "components"), "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_ROW_WIDTH} in length."
        )
        return
    if len(children) > 1 and any(c.get("type") in SELECTS for c in children):
        errors.add(
            (*path, "components"),
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )
    for index, child in enumerate(children):
        _check_interactive(child, (*path, "components", index), errors)


def _check_interactive(component: Any, path: FormPath, errors: FormErrors) -> None:
    kind = component.get("type") if isinstance(component, dict) else None
    if kind == BUTTON:
        _check_button(component, path, errors)
    elif kind in SELECTS:
        _check_select(component, path, errors)
    else:
        errors.add(
            (*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).'
        )


def _check_button(button: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    style = button.get("style")
    if style not in range(1, 7):
        errors.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
    errors.max_length((*path, "label"), button.get("label"), 80)
    if style == LINK:
        errors.bad_length((*path, "url"), button.get("url"), 1, 512)
        if "custom_id" in button:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_CUSTOM_ID_WITH_URL",
                "A link button cannot have a custom id",
            )
    elif style != PREMIUM:
        errors.bad_length((*path, "custom_id"), button.get("custom_id"), 1, 100)
        if "url" in button:
            errors.add(
                (*path, "url"), "BUTTON_COMPONENT_URL_WITH_CUSTOM_ID", "Only link buttons can have a url"
            )
    if style != PREMIUM and not button.get("label") and not button.get("emoji"):
        errors.add(
            (*path, "label"), "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A label or an emoji is required"
        )


def _check_select(select: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    errors.bad_length((*path, "custom_id"), select.get("custom_id"), 1, 100)
    errors.max_length((*path, "placeholder"), select.get("placeholder"), 150)
    if select.get("type") == 3:
        options = select.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= 25:
            errors.add((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
            return
        for index, option in enumerate(options):
            errors.bad_length((*path, "options", index, "label"), option.get("label"), 1, 100)
            errors.bad_length((*path, "options", index, "value"), option.get("value"), 1, 100)
            errors.max_length((*path, "options", index, "description"), option.get("description"), 100)


def _check_v2(components: list[Any], errors: FormErrors, files: Collection[str]) -> None:
    V2Checker(errors, files, _check_row).check(components)
    for path, component in _walk_with_paths(components, ("components",)):
        accessory = component.get("accessory") if component.get("type") == SECTION else None
        if isinstance(accessory, dict) and accessory.get("type") == BUTTON:
            _check_button(accessory, (*path, "accessory"), errors)


def _check_unique_custom_ids(components: list[Any], errors: FormErrors) -> None:
    seen: set[str] = set()
    for path, component in _walk_with_paths(components, ("components",)):
        custom_id = component.get("custom_id")
        if custom_id is None:
            continue
        if custom_id in seen:
            errors.add(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def _walk_with_paths(components: list[Any], prefix: FormPath) -> list[tuple[FormPath, dict[str, Any]]]:
    found: list[tuple[FormPath, dict[str, Any]]] = []
    for index, component in enumerate(components):
        found.extend(_walk_one(component, (*prefix, index)))
    return found


def _walk_one(component: Any, path: FormPath) -> list[tuple[FormPath, dict[str, Any]]]:
    if not isinstance(component, dict):
        return []
    found: list[tuple[FormPath, dict[str, Any]]] = [(path, component)]
    found.extend(_walk_with_paths(component.get("components") or [], (*path, "components")))
    for key in ("accessory", "component"):
        found.extend(_walk_one(component.get(key), (*path, key)))
    return found


def check_modal_components(components: Any, errors: FormErrors) -> None:
    """Check the 1-5 rows or labels of a modal and their text inputs."""
    if not isinstance(components, list) or not 1 <= len(components) <= MAX_ROWS:
        errors.add(("components",), "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_ROWS} in length.")
        return
    for index, component in enumerate(components):
        check_modal_component(component, ("components", index), errors)
    _check_unique_custom_ids(components, errors)


def assign_component_ids(components: list[dict[str, Any]]) -> None:
    """Give every component without an ``id`` the next free sequential id, as Discord does."""
    everything = list(iter_components(components))
    used = {c["id"] for c in everything if isinstance(c.get("id"), int)}
    next_id = 1
    for component in everything:
        if isinstance(component.get("id"), int):
            continue
        while next_id in used:
            next_id += 1
        component["id"] = next_id
        used.add(next_id)
