"""What changes in a type's definition, field by field, as `terraform plan` and `nomad job plan` show it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from procfleet.model import MASK, Formation, ProcessType, is_secret
from procfleet.units import format_duration, format_memory


@dataclass(frozen=True)
class FieldChange:
    """One field of a type: what runs now and what the formation says."""

    key: str
    before: Any
    after: Any


class Definitions(Protocol):
    """A backend that can say how it runs each type now (optional): plan then shows what changes in it."""

    def definitions(self, formation: Formation) -> Mapping[str, ProcessType] | None:
        """The types as the platform runs them, read back; None when it cannot say."""


def exported_definitions(backend: Any, name: str, environ: Mapping[str, str]) -> dict[str, ProcessType] | None:
    """The types of what a backend exports as `name` (its Compose project, stack or job), read by the importer
    that adopts it, by their portable names."""
    from procfleet.importers import read_exported  # the importers load only when a plan has changed types
    from procfleet.importers.names import portable

    exported = backend.export(name)
    if exported is None:
        return None
    result = read_exported(exported.format, exported.source, exported.text, {**environ, **exported.variables})
    return {portable(type_name) or type_name: with_app_settings(process, result.env, result.image)
            for type_name, process in result.processes.items()}


def with_app_settings(process: ProcessType, app_env: Mapping[str, str], app_image: str | None) -> ProcessType:
    """The type with what the importer hoisted to the app (env every type shares, their common image) put back."""
    from dataclasses import replace

    return replace(process, env={**app_env, **process.env}, image=process.image or app_image)


def _fields(process: ProcessType, env: Mapping[str, str], image: str | None) -> dict[str, Any]:
    """The fields a person changes, flattened (env one field per variable)."""
    fields: dict[str, Any] = {
        "command": process.command,
        "entrypoint": None if process.entrypoint is None else list(process.entrypoint),
        "args": None if process.args is None else list(process.args),
        "image": image,
        "port": process.port,
        "health": _health(process),
        "restart": process.restart,
        "stop_signal": process.stop_signal,
        "stop_timeout": format_duration(process.stop_timeout),
        "resources.cpu": process.resources.cpu,
        "resources.memory": None if process.resources.memory is None else format_memory(process.resources.memory),
    }
    for key, value in env.items():
        fields[f"env.{key}"] = value
    return fields


def _health(process: ProcessType) -> Any:
    from procfleet.jsonshape import health_json

    return health_json(process.health)


def changes(live: ProcessType, formation: Formation, process: ProcessType) -> list[FieldChange]:
    """Each field that differs between the type as it runs and as the formation says it; the values of
    secret-looking env names are masked (a change to one still shows, as ****** → ******)."""
    before = _fields(live, live.env, live.image)
    after = _fields(process, {**formation.app.env, **process.env}, formation.image_for(process))
    found = []
    for key in [*after, *(key for key in before if key not in after)]:
        old, new = before.get(key), after.get(key)
        if old != new:
            if key.startswith("env.") and is_secret(key[4:]):
                old, new = (None if old is None else MASK), (None if new is None else MASK)
            found.append(FieldChange(key, old, new))
    return found


def shown(value: Any) -> str:
    """A value as the plan prints it: strings quoted, none as `(none)`."""
    if value is None:
        return "(none)"
    return f'"{value}"' if isinstance(value, str) else str(value)
