"""The JSON Schemas shipped with mockbank: loading, one shared registry, cached validators.

Schemas live in the package ``mockbank.schema_files`` (the ``schemas/`` folder). Each file
``<name>.schema.json`` has the ``$id`` ``https://mockbank.local/schemas/<name>.schema.json`` and
refers to the others by relative ``$ref``; all of them sit in one ``referencing.Registry``.

Instances may hold ``decimal.Decimal`` numbers (the server parses JSON with
``parse_float=Decimal``): ``number`` accepts any finite number, ``integer`` also accepts an
integral ``Decimal``.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources import files
from numbers import Number

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

try:
    import jsonschema_rs
except ImportError:  # a platform without its wheel: jsonschema alone, slower
    jsonschema_rs = None

BASE_URI = "https://mockbank.local/schemas/"
_SUFFIX = ".schema.json"
_FILES = files("mockbank.schema_files")

SCHEMA_NAMES: tuple[str, ...] = tuple(
    sorted(
        entry.name[: -len(_SUFFIX)]
        for entry in _FILES.iterdir()
        if entry.name.endswith(_SUFFIX)
    )
)


@dataclass(frozen=True, order=True)
class Violation:
    """One schema violation: an RFC 6901 pointer into the instance and a short reason."""

    pointer: str
    reason: str


def _is_number(checker, instance) -> bool:
    if isinstance(instance, bool) or not isinstance(instance, Number):
        return False
    if isinstance(instance, Decimal):
        return instance.is_finite()
    if isinstance(instance, float):
        return math.isfinite(instance)
    return True


def _is_integer(checker, instance) -> bool:
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return _is_number(checker, instance) and Draft202012Validator.TYPE_CHECKER.is_type(
        instance, "integer"
    )


# Draft 2020-12 with Decimal-aware "number"/"integer" (extending is the supported way;
# subclassing validator classes is deprecated by jsonschema).
_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"number": _is_number, "integer": _is_integer}
    ),
)


def _check_name(name: str) -> None:
    if name not in SCHEMA_NAMES:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")


@functools.cache
def _raw(name: str) -> dict:
    _check_name(name)
    return json.loads(_FILES.joinpath(name + _SUFFIX).read_text(encoding="utf-8"))


@functools.cache
def _registry() -> Registry:
    return Registry().with_resources(
        (BASE_URI + name + _SUFFIX, Resource.from_contents(_raw(name)))
        for name in SCHEMA_NAMES
    )


def registry() -> Registry:
    """Return the ``referencing.Registry`` holding every schema, keyed by its ``$id``."""
    return _registry()


def load(name: str) -> dict:
    """Return a copy of the raw schema ``<name>.schema.json`` (e.g. ``load("auth")``).

    Raises ``KeyError`` for a name not in ``SCHEMA_NAMES``.
    """
    return copy.deepcopy(_raw(name))


@functools.cache
def validator(name: str):
    """Return the Draft 2020-12 validator for schema ``name``, built once and cached.

    It resolves ``$ref`` through the shared registry, asserts formats with
    ``Draft202012Validator.FORMAT_CHECKER`` and accepts ``Decimal`` numbers.
    """
    return _Validator(
        _raw(name), registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@functools.cache
def _fast_validator(name: str):
    """A compiled (jsonschema-rs) validator for the valid-instance fast path, or None without it.

    Formats are checked by jsonschema's own checker on this path too, so that both paths agree on what a valid
    ``date`` is: jsonschema-rs takes the year 0000, which Python's dates (and so the bank) cannot hold.
    """
    if jsonschema_rs is None:
        return None
    registry = jsonschema_rs.Registry([(BASE_URI + other + _SUFFIX, _raw(other)) for other in SCHEMA_NAMES])
    checker = Draft202012Validator.FORMAT_CHECKER
    formats = {format_name: functools.partial(checker.conforms, format=format_name) for format_name in checker.checkers}
    return jsonschema_rs.validator_for(_raw(name), registry=registry, validate_formats=True, formats=formats)


def violations(name: str, instance) -> list[Violation]:
    """Validate ``instance`` against schema ``name``; return its violations sorted by pointer.

    An empty list means the instance is valid. A missing required property is reported at the
    property's own pointer with reason ``is required``; an ``anyOf`` failure is reduced to the
    reason of its most plausible alternative.

    A valid instance is recognised by the compiled jsonschema-rs validator (about 50 times faster);
    only an instance it refuses goes through jsonschema, which is the reference and words the reasons.
    """
    fast = _fast_validator(name)
    if fast is not None and fast.is_valid(instance):
        return []
    found: set[Violation] = set()
    for error in validator(name).iter_errors(instance):
        found.update(_explain(error))
    return sorted(found)


def unknown_fields(name: str, instance) -> list[Violation]:
    """Keys of ``instance`` that schema ``name`` does not define, sorted by pointer.

    The schemas allow unknown keys (the real API's field lists are only partly known); this is what
    the emulator's strict mode (``--reject-unknown-fields``) refuses. Objects whose schema defines no
    properties at all (free-form ones) are not looked into.
    """
    found: list[Violation] = []
    _collect_unknown(_raw(name), name, instance, [], found)
    return sorted(found)


def _target(reference: str, name: str) -> tuple[dict, str]:
    """The schema a ``$ref`` points to (within a file or into another schema file), and its file's name."""
    target_file, _, pointer = reference.partition("#")
    if target_file:
        name = target_file.removesuffix(_SUFFIX)
    target = _raw(name)
    for part in filter(None, pointer.split("/")):
        target = target[part]
    return target, name


def _branches(schema: dict, name: str) -> list[tuple[dict, str]]:
    """A schema, what its ``$ref`` points to (sibling keywords add to it) and every allOf/anyOf/oneOf branch."""
    found = []
    if "$ref" in schema:
        found.extend(_branches(*_target(schema["$ref"], name)))
        schema = {key: value for key, value in schema.items() if key != "$ref"}
    found.append((schema, name))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, []):
            found.extend(_branches(branch, name))
    return found


def _collect_unknown(schema: dict, name: str, instance, path: list, found: list[Violation]) -> None:
    branches = _branches(schema, name)
    if isinstance(instance, dict):
        properties = {key: (sub, branch_name) for branch, branch_name in branches
                      for key, sub in branch.get("properties", {}).items()}
        if not properties:
            return
        for key, value in instance.items():
            if key in properties:
                _collect_unknown(*properties[key], value, [*path, key], found)
            else:
                found.append(Violation(pointer([*path, key]), "is not a known field" + _did_you_mean(key, properties)))
    elif isinstance(instance, list):
        items = [(branch["items"], branch_name) for branch, branch_name in branches
                 if isinstance(branch.get("items"), dict)]
        for index, value in enumerate(instance):
            for item_schema, item_name in items[:1]:
                _collect_unknown(item_schema, item_name, value, [*path, index], found)


def _did_you_mean(key: str, known) -> str:
    """`` (did you mean 'openingBalance'?)`` for a key close to a known one (any case), else ``""``."""
    by_lower = {name.lower(): name for name in known}
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.75)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


def openapi() -> dict:
    """Return the OpenAPI 3.1 document (``openapi.json``) describing the API and control plane."""
    return json.loads(_FILES.joinpath("openapi.json").read_text(encoding="utf-8"))


def pointer(path) -> str:
    """The RFC 6901 JSON pointer of a path of keys and indexes ("~" and "/" escaped)."""
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1") for part in path
    )


def _types(value) -> str:
    return ", ".join(repr(t) for t in dict.fromkeys(_as_list(value)))


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _explain(error: ValidationError) -> list[Violation]:
    """Turn one jsonschema error into violations with pointer and short reason."""
    where = pointer(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [
            Violation(pointer([*error.absolute_path, prop]), "is required")
            for prop in error.validator_value
            if prop not in present
        ]
    if error.validator in ("anyOf", "oneOf") and error.context:
        alternatives = error.context
        if all(e.validator == "type" and not e.relative_path for e in alternatives):
            kinds = [t for e in alternatives for t in _as_list(e.validator_value)]
            return [Violation(where, "is not of type " + _types(kinds))]
        best = best_match([error])
        if best is not error:
            return _explain(best)
        return [Violation(where, "matches none of the allowed shapes: " + _summary(error))]
    return [Violation(where, _reason(error))]


def _summary(error: ValidationError) -> str:
    """One short reason per alternative of a failed anyOf/oneOf, relative to its location."""
    where = pointer(error.absolute_path)
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    parts = []
    for index in sorted(branches):
        first = min(_explain(best_match(branches[index])))
        inner = first.pointer[len(where) :]
        parts.append(f"{inner} {first.reason}" if inner else first.reason)
    return "; ".join(parts)


def _reason(error: ValidationError) -> str:
    keyword, value = error.validator, error.validator_value
    reasons = {
        "type": lambda: "is not of type " + _types(value),
        "pattern": lambda: f"does not match '{value}'",
        "format": lambda: f"is not a valid {value!r}",
        "enum": lambda: "is not one of " + ", ".join(json.dumps(v, default=str) for v in value),
        "const": lambda: "must be " + json.dumps(value, default=str),
        "minLength": lambda: "is empty" if value == 1 else f"is shorter than {value} characters",
        "maxLength": lambda: f"is longer than {value} characters",
        "minItems": lambda: "is empty" if value == 1 else f"has fewer than {value} items",
        "maxItems": lambda: f"has more than {value} items",
        "maxProperties": lambda: "must be empty" if value == 0 else f"has more than {value} fields",
        "additionalProperties": lambda: "has fields its schema does not define: " + ", ".join(
            repr(name) for name in sorted(set(error.instance) - set(error.schema.get("properties", {})))[:5]),
        "minimum": lambda: f"is less than the minimum of {value}",
        "maximum": lambda: f"is greater than the maximum of {value}",
        "exclusiveMinimum": lambda: f"is not greater than {value}",
        "exclusiveMaximum": lambda: f"is not less than {value}",
        "anyOf": lambda: "is not valid under any of the allowed shapes",
        "oneOf": lambda: "is not valid under exactly one of the allowed shapes",
        "not": lambda: "has a combination of fields that is not allowed" + (
            ": " + " with ".join(map(repr, value["required"])) if isinstance(value, dict) and value.get("required")
            else ""),
    }
    explain = reasons.get(keyword)
    return explain() if explain else _clip(error.message)


def _clip(message: str, limit: int = 200) -> str:
    """jsonschema's own message, which quotes the whole instance, cut to a readable length."""
    return message if len(message) <= limit else message[: limit - 1] + "…"
