"""compose.yaml → formation: each service becomes a process type, running what Compose runs (docs/importing.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from procfleet.importers.compose_files import ServiceResolver, included_services, load_document, project_variables
from procfleet.importers.compose_service import ImportedService, read_service
from procfleet.importers.names import app_name, source_app_name, type_name
from procfleet.importers.result import ENV_ONLY, NO_KEY, NO_VOLUMES, ImportResult, Report, hoisted
from procfleet.model import Readiness
from procfleet.validation import Where

FORMAT = "compose"
TOP_REASONS = {
    "version": "obsolete: Compose ignores it too",
    "volumes": NO_VOLUMES,
    "networks": "procfleet puts every type on the app's own network",
    "secrets": ENV_ONLY,
    "configs": ENV_ONLY,
}
OWN_NETWORK_LABEL = "procfleet.app"  # procfleet's ownership label, on its services and on its network
PROJECT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # what `docker compose -p` accepts


def read_compose(path: Path, environ: Mapping[str, str], text: str | None = None) -> ImportResult:
    """The formation a Compose file (or text, named path) describes, resolved as `docker compose config` would."""
    report = Report(path)

    def unset(name: str, where: Where) -> None:
        report.note(where.key, f"the variable {name} is not set: a blank string was used, as Compose does")

    variables = project_variables(path.parent, environ)
    document = load_document(path, variables, unset, text)
    if not document.get("services") and not document.get("include"):
        raise Where(path, "services").error("no services: a Compose file lists its services under services:")
    _report_top_level(document, report)
    services = ServiceResolver(variables, unset).services(path, document)

    def report_included(key: str, included: dict[str, Any]) -> None:
        """What an included file holds besides services, reported under its entry: include[0].volumes."""
        _report_top_level(included, report, f"{key}.")

    for name, spec in included_services(document, path, environ, unset, report_included).items():
        if name in services:
            raise Where(path, f"services.{name}").error(f'the service "{name}" is also defined by a file in '
                                                         "include:; Compose refuses that too")
        services[name] = spec
    active = {p.strip() for p in variables.get("COMPOSE_PROFILES", "").split(",") if p.strip()}
    imported: dict[str, ImportedService] = {}
    taken: dict[str, str] = {}
    for original, spec in services.items():
        where = Where(path, f"services.{original}")
        service = read_service(original, spec, where, report, active, variables)
        name = type_name(original, where, taken, report)
        imported[name] = replace(service, process=replace(service.process, name=name))
    named = str(variables.get("COMPOSE_PROJECT_NAME") or document.get("name") or "")
    app = _own_app(services) or (source_app_name(named, Where(path, "name"), report) if named else None)
    # without a name, Compose names the project after the file's folder: kept, so that adopt and migrate find
    # the containers that `docker compose up` started there
    # (a file read from disk: an exported stack's text has no folder of its own)
    project = named or (compose_project_name(path.resolve().parent.name) if text is None else "")
    same_as_app = app or app_name(path.resolve().parent.name)
    _order(imported, taken, path, report)
    shared = _shared_env_files(imported)
    processes = {name: replace(s.process, env_files=s.env_files[len(shared):]) for name, s in imported.items()}
    result = ImportResult(
        format=FORMAT, source=path, processes=processes, app_name=app, env_files=shared, backend="compose",
        backends=_options(imported, taken, project if project != same_as_app else "", report),
    )
    return replace(hoisted(result), warnings=tuple(report.lines))


READY_BY_CONDITION: dict[str, Readiness] = {
    "service_started": "started", "service_healthy": "healthy", "service_completed_successfully": "done"}


def _order(imported: dict[str, ImportedService], taken: dict[str, str], path: Path, report: Report) -> None:
    """depends_on becomes `after`, by the types' names, each with its condition (Compose's default: started)."""
    type_of = {original: name for name, original in taken.items()}
    for name, service in list(imported.items()):
        after: dict[str, Readiness] = {}
        for original, condition in service.depends_on.items():
            at = f"services.{taken[name]}.depends_on.{original}"
            other = type_of.get(original)
            wanted = READY_BY_CONDITION.get(condition or "service_started")
            if other is None or wanted is None:
                report.skipped(at, "no such service in the file: not waited for" if other is None else
                               f"the condition {condition} is not one of Compose's three")
                continue
            after[other] = wanted
        imported[name] = replace(service, process=replace(service.process, after=after))


def compose_project_name(folder: str) -> str:
    """The project name Compose gives a folder's file (compose-go NormalizeProjectName): lowercase, only
    a-z, 0-9, `_` and `-` kept, no leading `_` or `-`."""
    return re.sub(r"[^-_a-z0-9]", "", folder.lower()).lstrip("_-")


def _own_app(services: dict[str, Any]) -> str | None:
    """The app named by procfleet's own labels, when every service carries the same one (a file it rendered)."""
    names = {str(((spec or {}).get("labels") or {}).get(OWN_NETWORK_LABEL)) for spec in services.values()
             if isinstance((spec or {}).get("labels"), dict)}
    name = names.pop() if len(names) == 1 else None
    return name if name is not None and app_name(name) == name else None


def _report_top_level(document: dict[str, Any], report: Report, prefix: str = "") -> None:
    for key, value in document.items():
        if key in ("name", "services", "include") or value in (None, {}, []):
            continue
        if key == "networks" and list(value) == ["default"] and list(value["default"] or {}) == ["labels"] \
                and list(value["default"]["labels"] or {}) == [OWN_NETWORK_LABEL]:
            continue  # the network procfleet's compose backend renders for every app
        reason = TOP_REASONS.get(key, "an extension field: what services took from it came with them"
                                 if key.startswith("x-") else NO_KEY)
        report.skipped(f"{prefix}{key}", reason)


def _shared_env_files(imported: dict[str, ImportedService]) -> tuple[Path, ...]:
    """The env files every type reads first, in order, become the app's; each type keeps the rest as its own."""
    lists = [s.env_files for s in imported.values()]
    shared: list[Path] = []
    for files in zip(*lists, strict=False):
        if len(set(files)) != 1 or len(files) != len(lists):
            break
        shared.append(files[0])
    return tuple(shared)


def _options(imported: dict[str, ImportedService], taken: dict[str, str], project: str,
             report: Report) -> dict[str, dict[str, Any]]:
    """[backends.compose]: the Compose project when it is not the app's name, the host address, fixed host ports."""
    options: dict[str, Any] = {}
    if PROJECT_PATTERN.match(project):
        options["project"] = project
    published = {name: s.port for name, s in imported.items() if s.port is not None}
    addresses = {port.host_ip for port in published.values()}
    if len(addresses) == 1 and None not in addresses:
        options["host_ip"] = addresses.pop()
    else:
        for name, port in published.items():
            if port.host_ip is not None:
                report.skipped(f"services.{taken[name]}.ports", f"the host address {port.host_ip}: procfleet "
                               "publishes every type on one address, [backends.compose] host_ip")
    fixed: dict[str, int] = {}
    for name, port in published.items():
        count = imported[name].process.count
        if port.published is None:
            continue
        if not port.published.isdigit():
            report.skipped(f"services.{taken[name]}.ports", f"the host port range {port.published}: procfleet "
                           "publishes on an ephemeral port, or on one fixed port")
        elif count is not None and count > 1:
            report.skipped(f"services.{taken[name]}.ports", f"the fixed host port {port.published}: it allows one "
                           f"instance and the service runs {count}")
        else:
            fixed[name] = int(port.published)
    if fixed:
        options["ports"] = fixed
    return {"compose": options} if options else {}
