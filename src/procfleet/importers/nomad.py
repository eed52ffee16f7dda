"""A Nomad job as JSON (the bare job or a `{"Job": …}` register body) → formation: one type per task group."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from procfleet import validation as v
from procfleet.errors import FormationError
from procfleet.importers.names import source_app_name, type_name
from procfleet.importers.nomad_group import META_PREFIX, ImportedGroup, read_group
from procfleet.importers.nomad_values import report_rest, tables
from procfleet.importers.result import ImportResult, Report, hoisted
from procfleet.validation import Where

FORMAT = "nomad"
JOB_KEYS = ("ID", "Name", "Type", "Datacenters", "Namespace", "Region", "NodePool", "Meta", "TaskGroups")
DRIVERS = ("docker", "exec", "raw_exec")  # what [backends.nomad] driver accepts
NOMAD_DEFAULTS = {"namespace": "default", "region": "global", "node_pool": "default"}
READ_BACK = ("Version", "JobModifyIndex", "SubmitTime")  # set by the server: a job Nomad returned, defaults filled in


def read_json(path: Path, text: str | None = None) -> Any:
    """A JSON file (or text, named path); bad JSON is an error naming the file and the line."""
    try:
        return json.loads(path.read_text(encoding="utf-8") if text is None else text)
    except FileNotFoundError:
        raise FormationError(path, "", "file not found") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise FormationError(path, "", "not a readable text file") from None
    except json.JSONDecodeError as exc:
        raise FormationError(path, f"line {exc.lineno}", f"invalid JSON: {exc.msg}") from None


def read_nomad(path: Path, environ: Mapping[str, str], text: str | None = None) -> ImportResult:
    """The formation a Nomad job (in path, or text named path) describes: groups, counts, commands, env, checks."""
    report = Report(path)
    data = v.table(read_json(path, text), Where(path, ""))
    root = Where(path, "")
    if isinstance(data.get("Job"), dict):
        report_rest(data, ("Job",), root, report)  # the register body's flags (PreserveCounts…) are the caller's
        data, root = data["Job"], Where(path, "Job")
    if not isinstance(data.get("ID"), str) or not data["ID"]:
        raise root.child("ID").error("missing: a Nomad job needs an ID")
    job_id = data["ID"]
    app = source_app_name(job_id, root.child("ID"), report)
    if data.get("Name") not in (None, job_id):
        report.skipped(root.child("Name").key, "procfleet names the job after its ID, the app's name")
    if data.get("Type", "service") != "service":
        report.skipped(root.child("Type").key, "procfleet runs a service job")
    _report_meta(data.get("Meta") or {}, root.child("Meta"), report)
    report_rest(data, JOB_KEYS, root, report)
    read_back = any(key in data for key in READ_BACK)
    groups = _groups(data, app or job_id, root.child("TaskGroups"), report, read_back)
    result = ImportResult(
        format=FORMAT, source=path, processes={name: g.process for name, g in groups.items()},
        app_name=app, backend="nomad",
        backends=_options(data, groups, root, report),
    )
    return replace(hoisted(result), warnings=tuple(report.lines))


def _groups(job: Mapping[str, Any], app: str, where: Where, report: Report,
            read_back: bool) -> dict[str, ImportedGroup]:
    groups: dict[str, ImportedGroup] = {}
    taken: dict[str, str] = {}
    for index, data in enumerate(tables(job.get("TaskGroups"), where)):
        original = v.string(data.get("Name"), Where(where.file, f"{where.key}[{index}].Name"))
        at = where.child(original)
        imported = read_group(original, data, app, at, report, read_back, str(job.get("Namespace") or "default"))
        if imported is None:
            continue
        name = type_name(original, at, taken, report)
        groups[name] = replace(imported, process=replace(imported.process, name=name))
    if not groups:
        raise where.error("no task group runs a command, so there is no process type to import")
    return groups


def _options(job: Mapping[str, Any], groups: dict[str, ImportedGroup], where: Where,
             report: Report) -> dict[str, dict[str, Any]]:
    """[backends.nomad]: placement as the job had it, and the driver when it is not the one procfleet would pick."""
    options: dict[str, Any] = {}
    datacenters = v.string_list(job.get("Datacenters") or [], where.child("Datacenters"))
    if datacenters and datacenters != ["*"]:
        options["datacenters"] = datacenters
    for option, key in (("namespace", "Namespace"), ("region", "Region"), ("node_pool", "NodePool")):
        if job.get(key) and job[key] != NOMAD_DEFAULTS[option]:
            options[option] = v.string(job[key], where.child(key))
    drivers = {g.driver for g in groups.values()}
    implied = {name: "docker" if g.process.image else "exec" for name, g in groups.items()}
    if len(drivers) == 1 and (driver := drivers.pop()) in DRIVERS:
        if any(implied[name] != driver for name in groups):
            options["driver"] = driver
    else:
        for name, group in groups.items():
            if group.driver != implied[name]:
                report.skipped(where.child("TaskGroups").child(name).child("Tasks").child("Driver").key,
                               f"the {group.driver} driver: procfleet runs every group with one driver (docker, exec "
                               "or raw_exec)")
    return {"nomad": options} if options else {}


def _report_meta(meta: Any, where: Where, report: Report) -> None:
    for key in v.table(meta, where):
        if not str(key).startswith(META_PREFIX):
            report.skipped(where.child(str(key)).key, "procfleet sets only its own meta")
