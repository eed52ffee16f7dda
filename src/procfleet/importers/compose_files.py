"""Compose files read as Compose reads them: the project's variables, interpolation, then `extends` resolved."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from procfleet import validation as v
from procfleet.importers.interpolation import Unset, interpolate_tree
from procfleet.importers.yamlfile import load_yaml
from procfleet.validation import Where, describe

Json = dict[str, Any]
REPLACED = ("command", "entrypoint", "test")  # shell commands replace what they extend instead of adding to it
DICT_LISTS = ("environment", "labels", "annotations")  # list_or_dict keys, merged as mappings


def project_variables(folder: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """What interpolation sees: the `.env` in the project folder, overridden by the caller's environment."""
    dotenv = folder / ".env"
    from_file = {k: v for k, v in dotenv_values(dotenv).items() if v is not None} if dotenv.is_file() else {}
    return {**from_file, **environ}


def load_document(path: Path, variables: Mapping[str, str], unset: Unset, text: str | None = None) -> Json:
    """One compose file (or its text, named path), interpolated; it must be a mapping."""
    document = load_yaml(path, text)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise Where(path, "").error(f"expected a Compose file (a mapping with services:), got {describe(document)}")
    interpolated: Json = interpolate_tree(document, variables, Where(path, ""), unset)
    return interpolated


class ServiceResolver:
    """Resolves `extends` (in the same file or another one), with every env_file made an absolute path."""

    def __init__(self, variables: Mapping[str, str], unset: Unset) -> None:
        self.variables = variables
        self.unset = unset
        self.documents: dict[Path, Json] = {}

    def services(self, path: Path, document: Json) -> dict[str, Json]:
        """Every service of the main file, with what it extends merged in."""
        self.documents[path.resolve()] = document
        raw = _services(document, path)
        return {name: self._resolve(path.resolve(), name, Where(path, f"services.{name}"), ()) for name in raw}

    def _document(self, path: Path, where: Where) -> Json:
        key = path.resolve()
        if key not in self.documents:
            if not path.is_file():
                raise where.error(f"file not found: {path}")
            self.documents[key] = load_document(path, self.variables, self.unset)
        return self.documents[key]

    def _resolve(self, path: Path, name: str, where: Where, seen: tuple[tuple[Path, str], ...]) -> Json:
        if (path, name) in seen:
            raise where.error(f'extends goes round in a circle back to "{name}"')
        services = _services(self._document(path, where), path)
        if name not in services:
            raise where.error(f'no service "{name}" in {path}')
        spec = dict(v.table(services[name] or {}, where))
        spec = _absolute_env_files(spec, path.parent, where)
        extends = spec.pop("extends", None)
        if extends is None:
            return spec
        if isinstance(extends, str):
            extends = {"service": extends}
        if not isinstance(extends, dict) or not isinstance(extends.get("service"), str):
            raise where.child("extends").error("expected a service name or {service: NAME, file: PATH}")
        base_path = path
        if "file" in extends:
            base_path = (path.parent / str(extends["file"])).resolve()
        base = self._resolve(base_path, extends["service"], where.child("extends"), (*seen, (path, name)))
        merged: Json = merge(base, spec)
        return merged


def _services(document: Json, path: Path) -> dict[str, Any]:
    services = document.get("services") or {}
    if not isinstance(services, dict):
        raise Where(path, "services").error(f"expected a mapping of services, got {describe(services)}")
    return services


def env_file_entries(value: Any, where: Where) -> list[Json]:
    """env_file as a list of {path, required} entries: a string, a list of strings, or the long form."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise where.error(f"expected a path or a list of paths, got {describe(value)}")
    entries = []
    for index, item in enumerate(items):
        entry = {"path": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise Where(where.file, f"{where.key}[{index}]").error("expected a path or {path: ..., required: ...}")
        entries.append({"required": True, **entry})
    return entries


def _absolute_env_files(spec: Json, folder: Path, where: Where) -> Json:
    if "env_file" not in spec:
        return spec
    entries = env_file_entries(spec["env_file"], where.child("env_file"))
    return {**spec, "env_file": [{**entry, "path": str((folder / entry["path"]).resolve())} for entry in entries]}


def _as_mapping(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    pairs = (str(item).split("=", 1) for item in value)
    return {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge for extends: mappings merge, sequences append (unique), commands and scalars replace."""
    if key in DICT_LISTS:
        base, override = _as_mapping(base), _as_mapping(override)
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            merged[name] = merge(merged[name], value, str(name)) if name in merged else value
        return merged
    if isinstance(base, list) and isinstance(override, list) and key not in REPLACED:
        return base + [item for item in override if item not in base]
    return override
