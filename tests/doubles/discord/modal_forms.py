"""Modal fields: what Discord checks when a bot opens a modal (callback type 9) and what a user's
submit (MODAL_SUBMIT, interaction type 5) carries back.

A modal holds up to 5 top-level components: Labels (type 18, the current layout) wrapping one text
input or select menu, legacy action rows holding one text input, or text displays. A user can only
submit what the form lets them enter: text within the input's length bounds, and select values
among its options within ``min_values``..``max_values``; ``submitted_components`` refuses anything
else with ``ValueError`` (a test mistake, not something Discord would deliver).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import FormErrors, FormPath

ACTION_ROW, STRING_SELECT, TEXT_INPUT, TEXT_DISPLAY, LABEL = 1, 3, 4, 10, 18
MODAL_SELECTS = {STRING_SELECT, 5, 6, 7, 8}
LABEL_TEXT, LABEL_DESCRIPTION, PLACEHOLDER, TEXT_VALUE, OPTIONS = 45, 100, 100, 4000, 25
# What a user submits for one field: a text, or a select's chosen values (None: left as shown).
FieldValue = str | Sequence[str]


def check_modal_fields(components: list[Any], errors: FormErrors) -> None:
    """Check every top-level component of a modal and the field inside it."""
    for index, component in enumerate(components):
        path: FormPath = ("components", index)
        kind = component.get("type") if isinstance(component, dict) else None
        if kind == LABEL:
            _check_label(component, path, errors)
        elif kind == ACTION_ROW:
            _check_legacy_row(component, path, errors)
        elif kind != TEXT_DISPLAY:
            errors.add(
                (*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1, 10, 18).'
            )


def _check_label(label: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    errors.bad_length((*path, "label"), label.get("label"), 1, LABEL_TEXT)
    errors.max_length((*path, "description"), label.get("description"), LABEL_DESCRIPTION)
    inner = label.get("component")
    kind = inner.get("type") if isinstance(inner, dict) else None
    if kind == TEXT_INPUT:
        _check_text_input(inner, (*path, "component"), errors, in_label=True)
    elif kind in MODAL_SELECTS:
        _check_modal_select(inner, (*path, "component"), errors)
    elif kind not in {19, 21, 22, 23}:  # file upload, radio group, checkbox group, checkbox
        errors.add((*path, "component", "type"), "UNION_TYPE_CHOICES", "Invalid component type in a label.")


def _check_legacy_row(row: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    children = row.get("components")
    if not isinstance(children, list) or len(children) != 1 or children[0].get("type") != TEXT_INPUT:
        # Select menus in a modal must sit in a Label; a modal action row holds one text input.
        errors.add((*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must hold exactly one text input.")
        return
    _check_text_input(children[0], (*path, "components", 0), errors, in_label=False)


def _check_text_input(field: dict[str, Any], path: FormPath, errors: FormErrors, *, in_label: bool) -> None:
    if field.get("style") not in (1, 2):
        errors.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
    if in_label and field.get("label") is not None:
        errors.add(
            (*path, "label"), "TEXT_INPUT_LABEL_IN_LABEL", "A text input in a label cannot have a label"
        )
    elif not in_label:
        errors.bad_length((*path, "label"), field.get("label"), 1, LABEL_TEXT)
    low, high = _bound(field, "min_length", 0), _bound(field, "max_length", TEXT_VALUE)
    if not 0 <= low <= TEXT_VALUE:
        errors.add((*path, "min_length"), "NUMBER_TYPE_MAX", f"Must be between 0 and {TEXT_VALUE}.")
    if not 1 <= high <= TEXT_VALUE:
        errors.add((*path, "max_length"), "NUMBER_TYPE_MAX", f"Must be between 1 and {TEXT_VALUE}.")
    errors.max_length((*path, "value"), field.get("value"), high)
    errors.max_length((*path, "placeholder"), field.get("placeholder"), PLACEHOLDER)


def _check_modal_select(field: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    errors.bad_length((*path, "custom_id"), field.get("custom_id"), 1, 100)
    errors.max_length((*path, "placeholder"), field.get("placeholder"), 150)
    low, high = _bound(field, "min_values", 1), _bound(field, "max_values", 1)
    if not 0 <= low <= high <= OPTIONS:
        errors.add((*path, "max_values"), "NUMBER_TYPE_MAX", f"Must be between min_values and {OPTIONS}.")
    if field.get("type") != STRING_SELECT:
        return
    options = field.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= OPTIONS:
        errors.add((*path, "options"), "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {OPTIONS} in length.")
        return
    for index, option in enumerate(options):
        errors.bad_length((*path, "options", index, "label"), option.get("label"), 1, 100)
        errors.bad_length((*path, "options", index, "value"), option.get("value"), 1, 100)
    if sum(bool(option.get("default")) for option in options) > high:
        errors.add((*path, "options"), "SELECT_DEFAULTS_EXCEED_MAX", "More default options than max_values.")


def _bound(field: dict[str, Any], key: str, default: int) -> int:
    value = field.get(key)
    return value if isinstance(value, int) else default


# -- the user's submit --------------------------------------------------------------------------


def submitted_components(modal: dict[str, Any], values: Mapping[str, FieldValue]) -> list[dict[str, Any]]:
    """Return a submit's ``data.components`` for ``modal``: each field as filled by ``values``
    (by custom id) or as the modal showed it (its prefilled text, its default options)."""
    submitted: list[dict[str, Any]] = []
    for component in modal.get("components") or []:
        if component.get("type") == LABEL:
            inner = _field(component["component"], values.get(str(component["component"].get("custom_id"))))
            submitted.append({"type": LABEL, "id": component.get("id"), "component": inner})
        elif component.get("type") == ACTION_ROW:
            children = [_field(c, values.get(str(c.get("custom_id")))) for c in component["components"]]
            submitted.append({"type": ACTION_ROW, "id": component.get("id"), "components": children})
        else:
            submitted.append({"type": component.get("type"), "id": component.get("id")})
    return submitted


def _field(field: dict[str, Any], given: FieldValue | None) -> dict[str, Any]:
    base = {"type": field.get("type"), "id": field.get("id"), "custom_id": field.get("custom_id")}
    if field.get("type") == TEXT_INPUT:
        text = given if isinstance(given, str) else str(field.get("value") or "")
        _check_typed_text(field, text)
        return {**base, "value": text}
    if isinstance(given, str):
        raise ValueError(f"select {field.get('custom_id')!r} takes a list of values, not a text")
    chosen = list(given) if given is not None else _defaults(field)
    _check_chosen(field, chosen)
    return {**base, "values": chosen}


def _check_typed_text(field: dict[str, Any], text: str) -> None:
    low, high = _bound(field, "min_length", 0), _bound(field, "max_length", TEXT_VALUE)
    required = field.get("required", True) is not False
    if len(text) > high:
        raise ValueError(f"text input {field.get('custom_id')!r} takes at most {high} characters")
    if (text or required) and len(text) < max(low, 1 if required else 0):
        raise ValueError(f"text input {field.get('custom_id')!r} needs at least {max(low, 1)} characters")


def _defaults(field: dict[str, Any]) -> list[str]:
    return [str(option["value"]) for option in field.get("options") or [] if option.get("default")]


def _check_chosen(field: dict[str, Any], chosen: list[str]) -> None:
    low, high = _bound(field, "min_values", 1), _bound(field, "max_values", 1)
    if field.get("required", True) is False:
        low = 0
    if not low <= len(chosen) <= high:
        raise ValueError(f"select {field.get('custom_id')!r} takes {low} to {high} values, not {len(chosen)}")
    if field.get("type") == STRING_SELECT:
        offered = {str(option.get("value")) for option in field.get("options") or []}
        if not set(chosen) <= offered:
            raise ValueError(f"select {field.get('custom_id')!r} offers only {sorted(offered)}")
