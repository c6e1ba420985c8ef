"""Modals: Discord's checks on a type-9 MODAL callback, and a member filling one in and submitting it.

Top-level modal components are Labels (type 18), Text Displays (10) or, deprecated, Action Rows
holding one Text Input (1 > 4). A Label wraps one Text Input, select (3, 5-8), File Upload (19),
Radio Group (21), Checkbox Group (22) or Checkbox (23). Limits from Discord's component reference:
label 1-45 and description 100 characters; File Upload min_values 0-10 and max_values 1-10;
select options 1-25; ``min_values`` at least 1 unless ``required`` is false; nothing disabled.

A submit echoes each Label as ``{"type": 18, "id", "component": {type, id, custom_id, value|values}}``;
uploaded files become ephemeral attachments on the double's CDN, listed in ``data.resolved.attachments``
by the ids in the File Upload's ``values``, as slash-command attachments are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import FormErrors, FormPath
from .options import FileSpec, Resolver

ACTION_ROW, STRING_SELECT, TEXT_INPUT, TEXT_DISPLAY, LABEL, FILE_UPLOAD = 1, 3, 4, 10, 18, 19
SELECTS = {3, 5, 6, 7, 8}
LABEL_CHILDREN = {TEXT_INPUT, FILE_UPLOAD, 21, 22, 23} | SELECTS
MAX_FILES = 10
MAX_TEXT = 4000
# What a member may put in the form: text for a Text Input, chosen values for a select.
ModalValue = str | Sequence[str]


def check_modal_component(component: Any, path: FormPath, errors: FormErrors) -> None:
    """Check one top-level modal component (Label, Text Display or a row with one Text Input)."""
    kind = component.get("type") if isinstance(component, dict) else None
    if kind == LABEL:
        _check_label(component, path, errors)
    elif kind == ACTION_ROW:
        children = component.get("components")
        if not isinstance(children, list) or len(children) != 1 or children[0].get("type") != TEXT_INPUT:
            errors.add((*path, "components"), "MODAL_ROW_INVALID", "A modal row holds exactly one text input")
        else:
            _check_text_input(children[0], (*path, "components", 0), errors)
    elif kind != TEXT_DISPLAY:
        errors.add((*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1, 10, 18).')


def _check_label(label: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    errors.bad_length((*path, "label"), label.get("label"), 1, 45)
    errors.max_length((*path, "description"), label.get("description"), 100)
    child = label.get("component")
    where = (*path, "component")
    kind = child.get("type") if isinstance(child, dict) else None
    if kind not in LABEL_CHILDREN:
        errors.add((*where, "type"), "UNION_TYPE_CHOICES", "Invalid component type inside a label.")
        return
    assert isinstance(child, dict)
    if child.get("disabled"):
        errors.add((*where, "disabled"), "MODAL_COMPONENT_DISABLED", "Modals cannot have disabled components")
    if kind == TEXT_INPUT:
        _check_text_input(child, where, errors)
    elif kind == FILE_UPLOAD:
        errors.bad_length((*where, "custom_id"), child.get("custom_id"), 1, 100)
        _check_counts(child, where, errors, high=MAX_FILES)
    elif kind in SELECTS:
        errors.bad_length((*where, "custom_id"), child.get("custom_id"), 1, 100)
        _check_counts(child, where, errors, high=25)


def _check_text_input(text_input: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    errors.bad_length((*path, "custom_id"), text_input.get("custom_id"), 1, 100)
    errors.max_length((*path, "label"), text_input.get("label"), 45)
    errors.max_length((*path, "value"), text_input.get("value"), MAX_TEXT)
    errors.max_length((*path, "placeholder"), text_input.get("placeholder"), 100)
    if text_input.get("style") not in (1, 2):
        errors.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
    for key, low in (("min_length", 0), ("max_length", 1)):
        value = text_input.get(key)
        if value is not None and not (isinstance(value, int) and low <= value <= MAX_TEXT):
            errors.add((*path, key), "NUMBER_TYPE_MAX", f"{key} must be between {low} and {MAX_TEXT}.")


def _check_counts(component: dict[str, Any], path: FormPath, errors: FormErrors, *, high: int) -> None:
    low_count, high_count = component.get("min_values", 1), component.get("max_values", 1)
    if not (isinstance(low_count, int) and 0 <= low_count <= high):
        errors.add((*path, "min_values"), "NUMBER_TYPE_MAX", f"min_values must be between 0 and {high}.")
    elif not (isinstance(high_count, int) and 1 <= high_count <= high and low_count <= high_count):
        errors.add((*path, "max_values"), "NUMBER_TYPE_MAX", f"max_values must be between 1 and {high}.")
    elif component.get("required", True) and low_count < 1:
        errors.add(
            (*path, "min_values"),
            "COMPONENT_MIN_VALUES_REQUIRED",
            "min_values must be at least 1 when the component is required",
        )
    if component.get("type") == STRING_SELECT:
        options = component.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= 25:
            errors.add((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")


def submitted_components(
    modal: Mapping[str, Any],
    values: Mapping[str, ModalValue],
    files: Mapping[str, Sequence[FileSpec]],
    resolver: Resolver,
) -> list[dict[str, Any]]:
    """The ``data.components`` of a submit, as a Discord client fills in the form for the member.

    Like a real client, it will not submit a form whose required parts are empty (``ValueError``).
    """
    submitted: list[dict[str, Any]] = []
    for component in modal.get("components") or []:
        if component.get("type") == LABEL:
            inner = _answer(component["component"], values, files, resolver)
            submitted.append({"type": LABEL, "id": component.get("id"), "component": inner})
        elif component.get("type") == ACTION_ROW:
            row = [_answer(child, values, files, resolver) for child in component.get("components") or []]
            submitted.append({"type": ACTION_ROW, "id": component.get("id"), "components": row})
    return submitted


def _answer(
    component: dict[str, Any],
    values: Mapping[str, ModalValue],
    files: Mapping[str, Sequence[FileSpec]],
    resolver: Resolver,
) -> dict[str, Any]:
    custom_id = str(component.get("custom_id"))
    kind = component.get("type")
    answer: dict[str, Any] = {"type": kind, "id": component.get("id"), "custom_id": custom_id}
    if kind == TEXT_INPUT:
        answer["value"] = _text(component, values.get(custom_id))
    elif kind == FILE_UPLOAD:
        answer["values"] = [resolver.attachment(spec) for spec in files.get(custom_id, ())]
    else:
        answer["values"] = _chosen(component, values.get(custom_id))
    _check_filled(component, answer)
    return answer


def _text(component: dict[str, Any], given: ModalValue | None) -> str:
    if given is not None and not isinstance(given, str):
        raise TypeError(f"text input {component.get('custom_id')!r} takes a str")
    text = str(component.get("value") or "") if given is None else given
    high = int(component.get("max_length") or MAX_TEXT)
    if len(text) > high:
        raise ValueError(
            f"the client stops typing at max_length: {component.get('custom_id')!r} takes at most {high}"
        )
    return text


def _chosen(component: dict[str, Any], given: ModalValue | None) -> list[str]:
    if given is None:
        return [str(o["value"]) for o in component.get("options") or [] if o.get("default")]
    chosen = [given] if isinstance(given, str) else list(given)
    offered = {str(o["value"]) for o in component.get("options") or []}
    if component.get("type") == STRING_SELECT and not set(chosen) <= offered:
        name = component.get("custom_id")
        raise ValueError(f"{chosen} are not all options: {name!r} offers only {offered}")
    return chosen


def _check_filled(component: dict[str, Any], answer: dict[str, Any]) -> None:
    filled = answer.get("values") if "values" in answer else answer.get("value")
    count = len(filled or ())
    high = int(component.get("max_values", 1))
    if "values" in answer and count > high:
        low = int(component.get("min_values", 1))
        raise ValueError(
            f"the client allows at most max_values: {answer['custom_id']!r} takes {low} to {high} values"
        )
    if not component.get("required", True):
        return
    if count < max(1, int(component.get("min_values", component.get("min_length", 1)) or 1)):
        raise ValueError(f"the client will not submit: {answer['custom_id']!r} is required")
