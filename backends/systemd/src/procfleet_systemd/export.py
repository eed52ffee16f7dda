"""What procfleet runs under systemd, for `import --from-backend systemd`: its units read back as a Compose document
(one of the formats procfleet's importers read), with the options Compose cannot say. Reads only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from procfleet.backend import ExportedApp
from procfleet.errors import PlatformError
from procfleet.shellcommand import exec_form
from procfleet.units import format_memory, parse_duration
from procfleet_systemd import names, readback
from procfleet_systemd.options import DEFAULT_BASE_PORT
from procfleet_systemd.translate import PORT_STEP
from procfleet_systemd.unitfiles import Installed, InstalledType

RESTARTS = {"always": "always", "on-failure": "on-failure", "no": "no"}


def _dollars(text: str) -> str:
    """Compose interpolates `$`: the document writes it `$$`."""
    return text.replace("$", "$$")


def _service(kind: InstalledType, env: dict[str, str]) -> dict[str, Any]:
    """One template unit as a Compose service, as the compose backend would render the same type."""
    exec_start = kind.value("Service", "ExecStart") or ""
    found = readback.command(exec_start)
    if found is None:
        raise PlatformError(f"{kind.path}: ExecStart= is not the shape procfleet writes: was the unit edited?")
    spec: dict[str, Any] = {}
    if found.command is not None:
        spec["entrypoint"] = ["/bin/sh", "-c"]
        spec["command"] = [_dollars(exec_form(found.command))]
    else:
        argv = list(found.argv or ())
        split = int(kind.value("Unit", names.ENTRYPOINT_KEY) or 0)
        if split:
            spec["entrypoint"] = [_dollars(word) for word in argv[:split]]
        spec["command"] = [_dollars(word) for word in argv[split:]]
    spec["environment"] = {name: _dollars(value) for name, value in env.items()}
    port = kind.value("Unit", names.PORT_KEY)
    if port is not None:
        spec["ports"] = [{"target": int(port), "protocol": "tcp"}]
    spec["restart"] = RESTARTS.get(kind.value("Service", "Restart") or "no", "no")
    spec["stop_signal"] = kind.value("Service", "KillSignal") or "SIGTERM"
    spec["stop_grace_period"] = kind.value("Service", "TimeoutStopSec") or "10s"
    limits: dict[str, Any] = {}
    quota = kind.value("Service", "CPUQuota")
    if quota:
        limits["cpus"] = round(float(quota.rstrip("%")) / 100, 4)
    memory = kind.value("Service", "MemoryMax")
    if memory and memory.isdigit():
        limits["memory"] = format_memory(int(memory))
    spec["deploy"] = {"replicas": len(kind.enabled), **({"resources": {"limits": limits}} if limits else {})}
    return spec


def _options(installed: Installed, first: InstalledType) -> dict[str, Any]:
    """The `[backends.systemd]` table that gives the same units again: scope, ports, restarts, folder."""
    options: dict[str, Any] = {}
    if installed.layout.scope != "user":
        options["scope"] = installed.layout.scope
    base = int(first.value("Unit", names.BASE_PORT_KEY) or DEFAULT_BASE_PORT)
    if base != DEFAULT_BASE_PORT:
        options["base_port"] = base
    folder = first.value("Service", "WorkingDirectory")
    if folder:
        options["working_directory"] = folder.replace("%%", "%")
    backoff = first.value("Service", "RestartSec")
    if backoff and parse_duration(backoff) != 0.5:
        options["backoff"] = backoff
    limit, window = first.value("Unit", "StartLimitBurst"), first.value("Unit", "StartLimitIntervalSec")
    if limit and limit != "5":
        options["crash_limit"] = int(limit)
    if window and parse_duration(window) != 60.0:
        options["crash_window"] = window
    return options


def exported(installed: Installed, env_files: dict[str, str]) -> ExportedApp | None:
    """The app's units as a Compose document, its enabled instances as the counts; None when nothing is installed.

    env_files holds each type's environment file as text (by type).
    """
    import yaml  # only adopting pays for it

    if not installed.types:
        return None
    kinds = sorted(installed.types.values(), key=_position)
    services = {kind.process: _service(kind, readback.env_file(env_files.get(kind.process, ""))) for kind in kinds}
    document = {"name": installed.app, "services": services}
    source = Path(f"systemd:{installed.layout.scope}/{names.target(installed.app)}")
    return ExportedApp(
        format="compose",
        source=source,
        described=f"the systemd units of {installed.app} ({installed.layout.scope} manager, "
                  f"{installed.layout.unit_dir})",
        counts={kind.process: len(kind.enabled) for kind in kinds},
        text=yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
        options={"systemd": _options(installed, kinds[0])},
    )


def _position(kind: InstalledType) -> int:
    """The type's position in the formation it came from, read from its block of ports (Foreman's scheme)."""
    found = readback.command(kind.value("Service", "ExecStart") or "")
    base = int(kind.value("Unit", names.BASE_PORT_KEY) or DEFAULT_BASE_PORT)
    return (found.first_port - base) // PORT_STEP if found else 0
