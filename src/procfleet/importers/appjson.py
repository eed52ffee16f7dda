"""Heroku's app.json → formation: formation quantities and env, with the commands of the Procfile beside it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from procfleet import validation as v
from procfleet.importers.names import source_app_name
from procfleet.importers.nomad import read_json
from procfleet.importers.procfile import RELEASE, dotenv_beside, read_text, release_warning
from procfleet.importers.result import NO_KEY, ImportResult, Report
from procfleet.model import ProcessType, Resources
from procfleet.procfile import ProcfileEntry, parse_procfile
from procfleet.validation import Where

FORMAT = "app.json"
REASONS = {
    "scripts": "procfleet has no postdeploy or review-app scripts",
    "addons": "add-ons are backing services; factor IV: provision them and set their URLs in env",
    "buildpacks": "procfleet runs images or commands: build with the buildpacks first",
    "stack": "procfleet runs images or commands: build on the stack first",
    "image": "the image Heroku CI builds on: set app.image to the image the app runs in",
    "environments": "per-environment overrides for test and review apps: the base app is imported",
    "cron": "procfleet has no scheduled jobs: run a clock process type",
}
DESCRIPTIVE = ("description", "keywords", "logo", "repository", "website", "success_url")
# A dyno size's memory limit, as Heroku states it: /sys/fs/cgroup/memory/memory.limit_in_bytes inside the dyno
# (help.heroku.com/Q386NUGG). Compute shares have no formation key; sizes not listed here are reported.
DYNO_MEMORY = {
    "free": "512M", "eco": "512M", "hobby": "512M", "basic": "512M", "standard-1x": "512M", "1x": "512M",
    "standard-2x": "1G", "2x": "1G", "performance-m": "2560M", "performance-l": "14G",
}
# What Heroku starts a new app's types at. Heroku: "By default, only web processes are scaled to 1; other process
# types are scaled to 0", unless `formation` sets their quantity; an entry there without one gets 1.
UNLISTED_QUANTITY = {"web": 1}
LISTED_QUANTITY = 1


def read_app_json(path: Path, environ: Mapping[str, str]) -> ImportResult:
    """Each Procfile type with its quantity from `formation`; `env` values become the app's env."""
    report = Report(path)
    data = v.table(read_json(path), Where(path, ""))
    root = Where(path, "")
    name = data.get("name")
    app_name = source_app_name(name, root.child("name"), report) if isinstance(name, str) and name else None
    for key, value in data.items():
        if key in ("name", "formation", "env") or value in (None, "", [], {}):
            continue
        reason = "descriptive: nothing to run" if key in DESCRIPTIVE else REASONS.get(key, NO_KEY)
        report.skipped(key, reason)
    processes = _processes(path, v.table(data.get("formation") or {}, root.child("formation")), report)
    return ImportResult(
        format=FORMAT, source=path, processes=processes,
        app_name=app_name,
        env=_env(v.table(data.get("env") or {}, root.child("env")), root.child("env"), report),
        env_files=dotenv_beside(path), warnings=tuple(report.lines),
    )


def _processes(path: Path, formation: Mapping[str, Any], report: Report) -> dict[str, ProcessType]:
    """The Procfile's types (Heroku's commands live there), each with the count Heroku would start it at."""
    procfile = path.parent / "Procfile"
    entries, renames = parse_procfile(read_text(procfile), procfile) if procfile.is_file() else ([], [])
    report.lines.extend(renames)  # one line per renamed type, naming its Procfile line
    commands = {entry.original: entry for entry in entries}
    processes: dict[str, ProcessType] = {}
    where = Where(path, "formation")
    for original, spec in formation.items():
        at = where.child(original)
        settings = v.table(spec or {}, at)
        if original not in commands:
            report.skipped(at.key, f"no command: the Procfile beside {path.name} has no {original}: line")
            continue
        processes[commands[original].name] = _listed(commands[original], settings, at, report)
    for entry in entries:
        if entry.original in formation:
            continue
        if entry.original == RELEASE:
            report.lines.append(release_warning(procfile, entry))
            continue
        processes[entry.name] = _unlisted(entry, where.child(entry.original), report)
    if not processes:
        raise where.error(f"no process type with a command: put a Procfile beside {path.name}")
    return processes


def _listed(entry: ProcfileEntry, settings: Mapping[str, Any], at: Where, report: Report) -> ProcessType:
    """A type `formation` lists, with its quantity and dyno size; its other keys are reported."""
    for key in settings:
        if key not in ("quantity", "size"):
            report.skipped(at.child(key).key, NO_KEY)
    return ProcessType(name=entry.name, command=entry.command, count=_quantity(settings, at, report),
                       resources=_dyno_resources(settings.get("size"), at.child("size"), report))


def _quantity(settings: Mapping[str, Any], at: Where, report: Report) -> int:
    """`quantity` as the count; without one, Heroku's default for a listed type, noted."""
    quantity = settings.get("quantity")
    if quantity is not None:
        return v.integer(quantity, at.child("quantity"))
    report.note(at.key, f"no quantity: Heroku starts it at {_dynos(LISTED_QUANTITY)}, "
                f"imported with count = {LISTED_QUANTITY}")
    return LISTED_QUANTITY


def _unlisted(entry: ProcfileEntry, at: Where, report: Report) -> ProcessType:
    """A Procfile type `formation` does not list, at the count Heroku starts it at (web 1, others 0), noted."""
    count = UNLISTED_QUANTITY.get(entry.original, 0)
    report.note(at.key, f"not listed in formation: Heroku starts it at {_dynos(count)}, imported with count = {count}")
    return ProcessType(name=entry.name, command=entry.command, count=count)


def _dynos(count: int) -> str:
    return f"{count} dyno" if count == 1 else f"{count} dynos"


def _dyno_resources(size: Any, where: Where, report: Report) -> Resources:
    """A dyno size as its memory limit (compute shares are left to the platform); an unknown size is reported."""
    if size in (None, ""):
        return Resources()
    memory = DYNO_MEMORY.get(str(size).lower())
    if memory is None:
        report.skipped(where.key, f"the dyno size {size}: procfleet knows the memory of {', '.join(DYNO_MEMORY)}; "
                       "set resources.memory")
        return Resources()
    report.note(where.key, f'the dyno size {size} carried over as its memory limit, resources.memory = "{memory}" '
                "(its share of CPU is not)")
    return Resources(memory=v.memory(memory, where))


def _env(env: Mapping[str, Any], where: Where, report: Report) -> dict[str, str]:
    """Values given in app.json; a generated, required or optional variable without a value is reported."""
    values: dict[str, Any] = {}
    for name, spec in env.items():
        at = where.child(name)
        if not isinstance(spec, dict):
            values[name] = spec
            continue
        if "value" in spec:
            values[name] = spec["value"]
        elif spec.get("generator"):
            report.skipped(at.key, f"Heroku generates it with its {spec['generator']} generator: generate "
                           "one and set it in an env file")
        else:
            need = "required" if spec.get("required", True) else "optional"
            report.skipped(at.key, f"{need} and without a value: set it in an env file")
    return v.env_table(values, where)
