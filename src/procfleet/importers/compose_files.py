"""Compose files read as Compose reads them: the project's variables, interpolation, then `extends` resolved."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from procfleet import validation as v
from procfleet.importers.interpolation import Unset, interpolate_tree
from procfleet.importers.yamlfile import Override, Reset, load_yaml
from procfleet.validation import Where, describe

Json = dict[str, Any]
REPLACED = ("command", "entrypoint", "test")  # shell commands replace what they extend instead of adding to it
DICT_LISTS = ("environment", "labels", "annotations")  # list_or_dict keys, merged as mappings


def project_variables(folder: Path, environ: Mapping[str, str], env_files: list[Path] | None = None) -> dict[str, str]:
    """What interpolation sees: the `.env` in the project folder (or the given env files, in order), overridden by
    the caller's environment."""
    from_files: dict[str, str] = {}
    for dotenv in [folder / ".env"] if env_files is None else env_files:
        if dotenv.is_file():
            from_files.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    return {**from_files, **environ}


def load_document(path: Path, variables: Mapping[str, str], unset: Unset, text: str | None = None) -> Json:
    """One compose file (or its text, named path), interpolated; it must be a mapping."""
    document = load_yaml(path, text)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise Where(path, "").error(f"expected a Compose file (a mapping with services:), got {describe(document)}")
    interpolated: Json = interpolate_tree(document, variables, Where(path, ""), unset)
    return interpolated


def included_services(document: Json, path: Path, environ: Mapping[str, str], unset: Unset,
                      seen: Callable[[str, Json], None], chain: tuple[Path, ...] = (),
                      prefix: str = "") -> dict[str, Json]:
    """The services of the files that `include:` names (and of what those include), each file read as Compose
    reads it: in its own project folder, with that folder's `.env` (or the entry's env_file) for its variables.

    `seen(key, document)` gets every included document, under the key of its entry (`include[0]`), so that its
    other top-level keys can be reported.
    """
    value = document.get("include")
    if value is None:
        return {}
    if not isinstance(value, list):
        raise Where(path, "include").error(f"expected a list of files, got {describe(value)}")
    found: dict[str, Json] = {}
    for index, item in enumerate(value):
        at = Where(path, f"include[{index}]")
        key = f"{prefix}include[{index}]"
        entry = {"path": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str | list):
            raise at.error("expected a path, or {path: …, project_directory: …, env_file: …}")
        files = [(path.parent / str(name)).resolve() for name in
                 (entry["path"] if isinstance(entry["path"], list) else [entry["path"]])]
        for file in files:
            if file in (*chain, path.resolve()):
                raise at.child("path").error(f"{file} includes itself, through include:")
            if not file.is_file():
                raise at.child("path").error(f"file not found: {file}")
        folder = (path.parent / str(entry["project_directory"])).resolve() if entry.get("project_directory") \
            else files[0].parent
        env_files = entry.get("env_file")
        variables = project_variables(folder, environ, None if env_files is None else [
            (path.parent / str(name)).resolve() for name in ([env_files] if isinstance(env_files, str) else env_files)])
        # Several files in one entry are a file and its overrides, merged as Compose merges them.
        merged = load_document(files[0], variables, unset)
        for file in files[1:]:
            merged = merge(merged, load_document(file, variables, unset))
        seen(key, merged)
        nested = included_services(merged, files[0], environ, unset, seen, (*chain, path.resolve()), f"{key}.")
        own = ServiceResolver(variables, unset).services(files[0], merged)
        for name, spec in [*nested.items(), *own.items()]:
            if name in found:
                raise at.error(f'the service "{name}" is defined by two included files; Compose refuses that too')
            found[name] = spec
    return found


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
            resolved: Json = plain(spec)
            return resolved
        if isinstance(extends, str):
            extends = {"service": extends}
        if not isinstance(extends, dict) or not isinstance(extends.get("service"), str):
            raise where.child("extends").error("expected a service name or {service: NAME, file: PATH}")
        base_path = path
        if "file" in extends:
            base_path = (path.parent / str(extends["file"])).resolve()
        base = self._resolve(base_path, extends["service"], where.child("extends"), (*seen, (path, name)))
        merged: Json = plain(merge(base, spec))
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
    value = spec.get("env_file")
    if value is None or isinstance(value, Reset):
        return spec
    tagged = isinstance(value, Override)
    entries = env_file_entries(value.value if tagged else value, where.child("env_file"))
    absolute = [{**entry, "path": str((folder / entry["path"]).resolve())} for entry in entries]
    return {**spec, "env_file": Override(absolute) if tagged else absolute}


def _as_mapping(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    pairs = (str(item).split("=", 1) for item in value)
    return {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge for extends: mappings merge, sequences append (unique), commands and scalars replace;
    `!override` replaces whatever the base has and `!reset` removes the key."""
    if isinstance(override, Override):
        return override.value
    if key in DICT_LISTS:
        base, override = _as_mapping(base), _as_mapping(override)
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            if isinstance(value, Reset):
                merged.pop(name, None)
            else:
                merged[name] = merge(merged[name], value, str(name)) if name in merged else value
        return merged
    if isinstance(base, list) and isinstance(override, list) and key not in REPLACED:
        return base + [item for item in override if item not in base]
    return override


def plain(node: Any) -> Any:
    """A tree without Compose's merge tags: `!reset` keys gone, `!override` values as they are."""
    if isinstance(node, Override):
        return plain(node.value)
    if isinstance(node, dict):
        return {key: plain(value) for key, value in node.items() if not isinstance(value, Reset)}
    if isinstance(node, list):
        return [plain(item) for item in node if not isinstance(item, Reset)]
    return node
