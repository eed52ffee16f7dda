"""import: writes a formation file from what a team already has (Procfile, compose.yaml, app.json, Nomad job)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from procfleet import registry
from procfleet.backend import Exporter, Session
from procfleet.errors import FormationError, NotRunning, UsageError
from procfleet.files import write_new
from procfleet.importers import FORMATS, ImportResult, read_exported, read_source
from procfleet.importers.names import portable
from procfleet.model import DEFAULT_BACKEND, Formation
from procfleet.schema import build_formation
from procfleet.validation import NAME_PATTERN, did_you_mean
from procfleet.writer import formation_toml


@dataclass(frozen=True)
class Imported:
    """The file written, what it was read from, the types it holds, and every line of the import's report."""

    path: Path
    source: Path
    format: str
    app: str
    types: list[str]
    warnings: list[str]
    backend: str | None = None  # adopted from this backend (import --from-backend), else None
    counts: dict[str, int] = field(default_factory=dict)  # the live counts an adoption wrote


def app_name_for(folder: Path) -> str:
    """A valid app name from a folder name ("My_Shop" → "my-shop")."""
    name = re.sub(r"[^a-z0-9-]+", "-", folder.resolve().name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:63].rstrip("-")
    return name if NAME_PATTERN.match(name) else "app"


def import_file(source: Path, target: Path, *, fmt: str | None = None, app: str | None = None,
                force: bool = False, environ: Mapping[str, str] | None = None,
                installed: Iterable[str] | None = None) -> Imported:
    """Read source (its format detected unless given), write the formation to target, and report what was left.

    installed names the backends there are (default: those discovered); the source's own becomes the default.
    """
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f'unknown format "{fmt}"{did_you_mean(fmt, FORMATS)}; formats: {", ".join(FORMATS)}')
    if target.exists() and not force:
        raise UsageError(f"{target} already exists: pass --force to overwrite it")
    result = read_source(source, fmt, environ or {})
    formation = imported_formation(result, target, app, registry.discover() if installed is None else installed)
    text = formation_toml(formation, _comments(result))
    _validate(text, target)
    write_new(target, text, force)
    return Imported(path=target, source=source, format=result.format, app=formation.app.name,
                    types=list(formation.processes), warnings=list(result.warnings))


def adopt(backend_name: str, app: str, target: Path, session: Session, *, force: bool = False,
          installed: Iterable[str] | None = None) -> Imported:
    """Write the formation of what a backend runs as app, with its live counts; nothing on the platform changes.

    The backend exports its own definition of the app (a Compose file, a Nomad job), which the matching importer
    reads; every type's count is then set to how many instances exist now, so a plan right after changes nothing.
    """
    if target.exists() and not force:
        raise UsageError(f"{target} already exists: pass --force to overwrite it")
    backend = registry.load(backend_name)(session)
    if not isinstance(backend, Exporter):
        raise UsageError(f"the {backend_name} backend cannot export what it runs, so there is nothing to adopt from "
                         "it: import the file it runs from instead (`procfleet import Procfile`)")
    exported = backend.export(app)
    if exported is None:
        raise NotRunning(f'nothing called "{app}" runs on {backend_name}: check the name (--app is the Compose '
                         "project, the Swarm stack or the Nomad job ID) and where the backend points")
    result = read_exported(exported.format, exported.source, exported.text,
                           {**session.environ, **exported.variables})
    counts = {portable(name) or name: count for name, count in exported.counts.items()}
    processes = {name: replace(p, count=counts.get(name, 0)) for name, p in result.processes.items()}
    # What runs there is the app's default platform from now on.
    result = replace(result, processes=processes, backend=backend_name,
                     backends={**result.backends, **exported.options})
    formation = imported_formation(result, target, result.app_name or app,
                                   registry.discover() if installed is None else installed)
    warnings = [*exported.notes, *result.warnings]
    header = [f"Adopted from {exported.described}",
              f"by `procfleet import --from-backend {backend_name} --app {app}`, with the counts that ran then; see "
              "docs/importing.md."]
    text = formation_toml(formation, _comments(replace(result, warnings=tuple(warnings)), header))
    _validate(text, target)
    write_new(target, text, force)
    return Imported(path=target, source=exported.source, format=result.format, app=formation.app.name,
                    types=list(formation.processes), warnings=warnings, backend=backend_name,
                    counts={name: p.count or 0 for name, p in formation.processes.items()})


def imported_formation(result: ImportResult, target: Path, app: str | None,
                       installed: Iterable[str] = ()) -> Formation:
    """The formation an import writes: named by --app, else by the source, else after the target's folder."""
    name = app or result.app_name or app_name_for(target.parent)
    if not NAME_PATTERN.match(name) or name.endswith("-"):
        raise UsageError(f'invalid app name "{name}": use lowercase letters, digits and "-", starting with a letter')
    # The source's own platform becomes the default backend, when that backend is installed here.
    backend = result.backend if result.backend in set(installed) else DEFAULT_BACKEND
    return result.formation(name, target, backend)


def _comments(result: ImportResult, header: list[str] | None = None) -> list[str]:
    lines = header or [f"Imported from {result.source.name} ({result.format}) by `procfleet import`; see "
                       "docs/importing.md."]
    if result.warnings:
        lines.append("Not carried over, or changed on the way:")
        lines += [f"  {warning}" for warning in result.warnings]
    return lines


def _validate(text: str, target: Path) -> None:
    """The written formation must load: an importer that builds something the loader refuses is caught here."""
    try:
        build_formation(tomllib.loads(text), target)
    except FormationError as exc:
        raise FormationError(target, exc.key, f"the imported formation is not valid: {exc.message}") from None
