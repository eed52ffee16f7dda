"""Decode a request body as Go's encoding/json would into an api struct, plus the simulator's strict checks."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .schema import FieldType, ListOf, MapOf, Opaque, Scalar, Struct, zero_value

STRICT_UNKNOWN = "strict simulator: Nomad silently ignores unknown fields"
STRICT_CASE = "strict simulator: Nomad matches keys case-insensitively"


@dataclass
class Decoded:
    """A decoded body: the value with nulls dropped, and the strict-mode complaints about its keys."""

    value: dict[str, Any]
    strict_errors: list[str] = field(default_factory=list)


class _TypeMismatch(Exception):
    """Go's UnmarshalTypeError; the first one aborts the decode, as in Go."""


def parse_json(raw: bytes) -> Any:
    """Parse a body; empty and malformed bodies are 400s with Go-like messages."""
    if not raw.strip():
        raise ApiError(400, "Request body is empty")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()):
            raise ApiError(400, "unexpected EOF") from exc
        char = exc.doc[exc.pos]
        raise ApiError(400, f"invalid character {char!r} looking for beginning of value") from exc


def decode(raw: bytes, root: Struct, *, strict: bool) -> Decoded:
    """Decode raw JSON into the shape of `root`; type errors raise a 400 like Go's decoder."""
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise ApiError(400, f"json: cannot unmarshal {_json_kind(data)} into Go value of type {root.go}")
    return decode_value(data, root, strict=strict)


def decode_value(data: dict[str, Any], root: Struct, *, strict: bool) -> Decoded:
    """Decode an already-parsed JSON object (used when a body embeds a job, e.g. a read-back job)."""
    walker = _Walker(strict)
    try:
        value = walker.struct(data, root, [], "")
    except _TypeMismatch as exc:
        raise ApiError(400, str(exc)) from exc
    return Decoded(value, walker.errors)


def _suggest(key: str, names: list[str]) -> str:
    """The field a misspelt key most likely meant: a close match, else a field the key starts with."""
    close = difflib.get_close_matches(key, names, n=1)
    if close:
        return close[0]
    prefixed = [name for name in names if key.lower().startswith(name.lower())]
    return max(prefixed, key=len) if prefixed else ""


def _json_kind(value: Any) -> str:
    """How Go's decoder names a JSON value in UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _Walker:
    """Walks a JSON value against a schema, collecting strict errors and normalising keys."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.errors: list[str] = []

    def mismatch(self, value: Any, kind: str, owner: str, go_path: list[str], go_type: str) -> _TypeMismatch:
        """Build Go's message: json: cannot unmarshal number into Go struct field Task.Job...Env of type string."""
        what = kind or _json_kind(value)
        dotted = ".".join(go_path)
        return _TypeMismatch(f"json: cannot unmarshal {what} into Go struct field {owner}.{dotted} of type {go_type}")

    def struct(self, data: dict[str, Any], schema: Struct, go_path: list[str], shown: str) -> dict[str, Any]:
        """Check an object's keys against a struct and decode each field."""
        out: dict[str, Any] = {}
        lowered = {name.lower(): name for name in schema.fields}
        for key, value in data.items():
            name = key if key in schema.fields else lowered.get(key.lower())
            where = shown or "body"
            if name is None:
                if self.strict:
                    hint = _suggest(key, list(schema.fields))
                    suggestion = f'; did you mean "{hint}"?' if hint else ""
                    self.errors.append(f'{where}: unknown field "{key}"{suggestion} ({STRICT_UNKNOWN})')
                continue
            if name != key and self.strict:
                self.errors.append(f'{where}: field "{key}" must be spelled "{name}" ({STRICT_CASE})')
            if value is None:
                # Go leaves a field untouched for JSON null; treat it as absent.
                continue
            child_shown = f"{shown}.{name}" if shown else name
            out[name] = self.value(value, schema.fields[name], schema.name, [*go_path, name], child_shown)
        return out

    def value(self, value: Any, kind: FieldType, owner: str, go_path: list[str], shown: str) -> Any:
        """Decode one value of a field whose declaring struct is `owner`."""
        if isinstance(kind, Scalar):
            return self.scalar(value, kind, owner, go_path)
        if isinstance(kind, Struct):
            if not isinstance(value, dict):
                raise self.mismatch(value, "", owner, go_path, kind.go)
            return self.struct(value, kind, go_path, shown)
        if isinstance(kind, ListOf):
            if not isinstance(value, list):
                raise self.mismatch(value, "", owner, go_path, kind.go)
            return [
                None if item is None else self.value(item, kind.item, owner, go_path, f"{shown}[{i}]")
                for i, item in enumerate(value)
            ]
        if isinstance(kind, MapOf):
            if not isinstance(value, dict):
                raise self.mismatch(value, "", owner, go_path, kind.go)
            # A null map value is stored as the zero value, as Go does.
            return {
                key: zero_value(kind.value)
                if item is None
                else self.value(item, kind.value, owner, go_path, f"{shown}[{key}]")
                for key, item in value.items()
            }
        return self.opaque(value, kind, shown)

    def scalar(self, value: Any, kind: Scalar, owner: str, go_path: list[str]) -> Any:
        """Check a scalar's JSON type the way Go's decoder does (no float-to-int, no negative uint)."""
        if kind.kind == "string":
            ok = isinstance(value, str)
        elif kind.kind == "bool":
            ok = isinstance(value, bool)
        elif kind.kind == "float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, int) and not isinstance(value, bool)
            if isinstance(value, float):
                raise self.mismatch(value, f"number {json.dumps(value)}", owner, go_path, kind.go)
            if ok and kind.kind == "uint" and value < 0:
                raise self.mismatch(value, f"number {value}", owner, go_path, kind.go)
        if not ok:
            raise self.mismatch(value, "", owner, go_path, kind.go)
        return value

    def opaque(self, value: Any, kind: Opaque, shown: str) -> Any:
        """Pass an unmodelled struct through, checking only that its own keys are PascalCase."""
        if self.strict and kind.pascal and isinstance(value, dict):
            for key in value:
                if not key[:1].isupper():
                    self.errors.append(f'{shown}: field "{key}" is not PascalCase ({STRICT_CASE})')
        return value
