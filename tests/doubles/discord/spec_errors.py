"""Discord's ``errors`` tree for a request body the vendored JSON Schema refuses.

Shape: docs developers/reference.mdx "Error Messages" (a tree keyed by field name and list index whose
leaves are ``_errors: [{code, message}]``). Codes and messages: BASE_TYPE_REQUIRED, BASE_TYPE_MAX_LENGTH,
BASE_TYPE_BAD_LENGTH and BASE_TYPE_CHOICES as in that page and the double's other checks (errors.py);
NUMBER_TYPE_MAX/MIN ("int value should be less than or equal to N."), UNION_TYPE_CHOICES ('Value of
field "type" must be one of (1,).'), STRING_TYPE_CONVERT and NUMBER_TYPE_COERCE as Discord answers
them in client code and bug reports. The other type-conversion codes follow the same naming.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import FormErrors

Entry = tuple[tuple[str | int, ...], str, str]
SNOWFLAKE_PATTERN = "^(0|[1-9][0-9]*)$"
# A union branch fails "at the door" when the value is not even of its kind: wrong JSON type, or a
# different ``type`` discriminator (every component, option and callback union has one).
_SHALLOW = frozenset({"type", "const", "enum", "not"})
_TYPE_ERRORS = {
    "object": ("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"),
    "array": ("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"),
}


def form_errors(validator: Draft202012Validator, payload: Any) -> dict[str, Any] | None:
    """The ``errors`` tree for every way ``payload`` breaks the schema, or None when it is valid."""
    entries: dict[Entry, None] = {}
    for error in validator.iter_errors(payload):
        entries.update(dict.fromkeys(_entries(error)))
    form = FormErrors()
    for path, code, message in entries:
        form.add(path, code, message)
    return None if form.empty else form.tree


def _entries(error: ValidationError) -> Iterator[Entry]:
    path = tuple(error.absolute_path)
    if error.validator in ("anyOf", "oneOf"):
        branch = _chosen_branch(error)
        if branch is None:
            yield path, "UNION_TYPE_CHOICES", _union_message(error)
            return
        for sub in branch:
            yield from _entries(sub)
    elif error.validator == "required":
        for name in error.validator_value:
            if isinstance(error.instance, dict) and name not in error.instance:
                yield (*path, name), "BASE_TYPE_REQUIRED", "This field is required"
    else:
        yield (path, *_describe(error))


def _chosen_branch(error: ValidationError) -> list[ValidationError] | None:
    """The errors of the one union branch the value was meant for, or None if that is unclear."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    candidates = [errors for errors in branches.values() if not any(map(_at_the_door, errors))]
    if not candidates:  # wrong kind for every branch: name the one that is not the "or null"
        candidates = [errors for errors in branches.values() if not any(map(_only_null, errors))]
    return candidates[0] if len(candidates) == 1 else None


def _only_null(sub: ValidationError) -> bool:
    return sub.validator == "type" and sub.validator_value == "null"


def _at_the_door(sub: ValidationError) -> bool:
    relative = list(sub.relative_path)
    discriminator = relative == ["type"] and sub.validator != "type"
    return sub.validator in _SHALLOW and (relative == [] or discriminator)


def _union_message(error: ValidationError) -> str:
    kinds: set[Any] = set()
    for sub in error.context or []:
        if sub.validator in ("const", "enum") and list(sub.relative_path) == ["type"]:
            kinds.update([sub.validator_value] if sub.validator == "const" else sub.validator_value)
    if kinds:
        return f'Value of field "type" must be one of {_choices(sorted(kinds, key=_order))}.'
    return "Value matched none of the allowed types."


def _describe(error: ValidationError) -> tuple[str, str]:
    keyword, value, schema = str(error.validator), error.validator_value, error.schema
    if keyword in ("minLength", "maxLength", "minItems", "maxItems"):
        unit = "Length" if keyword.endswith("Length") else "Items"
        return _length(schema.get(f"min{unit}"), schema.get(f"max{unit}"))
    if keyword in ("maximum", "exclusiveMaximum"):
        return "NUMBER_TYPE_MAX", f"int value should be less than or equal to {_number(value)}."
    if keyword in ("minimum", "exclusiveMinimum"):
        return "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {_number(value)}."
    if keyword in ("const", "enum"):
        allowed = [value] if keyword == "const" else value
        return "BASE_TYPE_CHOICES", f"Value must be one of {_choices(allowed)}."
    if keyword == "pattern" and value == SNOWFLAKE_PATTERN:
        return "NUMBER_TYPE_COERCE", f'Value "{error.instance}" is not snowflake.'
    if keyword == "pattern":
        return "STRING_TYPE_REGEX", "String value did not match validation regex."
    if keyword == "type":
        return _type_error(value, error.instance)
    return "BASE_TYPE_INVALID", error.message


def _length(low: int | None, high: int | None) -> tuple[str, str]:
    if low and high is not None:
        return "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."
    if high is not None:
        return "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length."
    return "BASE_TYPE_MIN_LENGTH", f"Must be {low} or more in length."


def _type_error(expected: str | Sequence[str], instance: Any) -> tuple[str, str]:
    kinds = [expected] if isinstance(expected, str) else [kind for kind in expected if kind != "null"]
    kind = kinds[0] if kinds else "null"
    if kind in _TYPE_ERRORS:
        return _TYPE_ERRORS[kind]
    if kind in ("number", "integer"):
        return "NUMBER_TYPE_COERCE", f'Value "{instance}" is not int.'
    if kind == "boolean":
        return "BOOLEAN_TYPE_CONVERT", f'Could not interpret "{instance}" as boolean.'
    return "STRING_TYPE_CONVERT", f'Could not interpret "{instance}" as string.'


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _order(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def _choices(values: Sequence[Any]) -> str:
    """Python's tuple spelling, as Discord writes choices: ``(1,)``, ``('a', 'b')``."""
    return repr(tuple(values))
