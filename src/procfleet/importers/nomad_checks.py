"""A Nomad service check as the formation's health check: http, tcp, or a script check's command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from procfleet import validation as v
from procfleet.importers.commands import from_argv
from procfleet.importers.nomad_values import report_rest, seconds, tables
from procfleet.importers.result import Report
from procfleet.model import HealthCheck
from procfleet.validation import Where

Json = Mapping[str, Any]
SERVICE_KEYS = ("Name", "PortLabel", "Provider", "Checks", "CheckRestart")
CHECK_KEYS = ("Name", "Type", "Path", "Command", "Args", "Interval", "Timeout", "CheckRestart", "PortLabel")


def health_check(services: list[Json], own_name: str, label: str | None, port: int | None, where: Where,
                 report: Report) -> HealthCheck | None:
    """The first check of the service on the type's port; the other services and checks are reported."""
    if not services:
        return None
    chosen = next((s for s in services if s.get("PortLabel") == label), services[0])
    for index, service in enumerate(services):
        at = Where(where.file, f"{where.key}[{index}]")
        if service is not chosen:
            report.skipped(at.key, "procfleet registers one service per process type")
            continue
        report_rest(service, SERVICE_KEYS, at, report)
        if service.get("Name") not in (None, "", own_name):
            report.skipped(at.child("Name").key, f'procfleet names the service <app>-<type>, "{own_name}"')
        if service.get("Provider", "consul") != "nomad":
            report.skipped(at.child("Provider").key, "procfleet registers services with Nomad's own provider")
    base = Where(where.file, f"{where.key}[{services.index(chosen)}]").child("Checks")
    checks = tables(chosen.get("Checks"), base)
    for index in range(1, len(checks)):
        report.skipped(f"{base.key}[{index}]", "a process type has one health check")
    if not checks:
        return None
    service_restart = v.table(chosen.get("CheckRestart") or {}, base)
    return _check(checks[0], service_restart, port, Where(base.file, f"{base.key}[0]"), report)


def _check(check: Json, service_restart: Json, port: int | None, where: Where,
           report: Report) -> HealthCheck | None:
    kind = check.get("Type")
    report_rest(check, CHECK_KEYS, where, report)
    command = None
    if kind == "script":
        words = [str(check.get("Command") or ""), *[str(arg) for arg in check.get("Args") or []]]
        command = from_argv(words)
    elif kind not in ("http", "tcp"):
        report.skipped(where.key, f"a {kind} check: procfleet checks by http, tcp or a command")
        return None
    elif port is None:
        report.skipped(where.key, f"an {kind} check needs the type's port, which was not carried over")
        return None
    restart = v.table(check.get("CheckRestart") or service_restart, where.child("CheckRestart"))
    report_rest(restart, ("Limit", "Grace"), where.child("CheckRestart"), report)
    limit = restart.get("Limit") or 3
    return HealthCheck(
        kind="command" if command else ("http" if kind == "http" else "tcp"),
        http_path=str(check.get("Path") or "/") if kind == "http" else None,
        command=command,
        interval=seconds(check.get("Interval") or 10 * 10**9, where.child("Interval")),
        timeout=seconds(check.get("Timeout") or 2 * 10**9, where.child("Timeout")),
        retries=v.integer(limit, where.child("CheckRestart").child("Limit"), minimum=1, what="a positive integer"),
        start_period=seconds(restart.get("Grace") or 0, where.child("CheckRestart").child("Grace")),
    )
