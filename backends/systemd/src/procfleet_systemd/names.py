"""What procfleet's units are called: `<app>-<type>@.service`, instance N `<app>-<type>@N.service`, `<app>.target`."""

from __future__ import annotations

import re

# X- keys systemd ignores; procfleet reads them to know a unit is its own, whose, and which definition it runs
APP_KEY = "X-Procfleet-App"
PROCESS_KEY = "X-Procfleet-Process"
FINGERPRINT_KEY = "X-Procfleet-Fingerprint"
PORT_KEY = "X-Procfleet-Port"
BASE_PORT_KEY = "X-Procfleet-Base-Port"
ENTRYPOINT_KEY = "X-Procfleet-Entrypoint"  # how many ExecStart words after `sh` were the entrypoint (argv types)
HEADER = "# Written by procfleet"  # the first line of every file procfleet writes; it touches no file without it

_INSTANCE = re.compile(r"^(?P<template>[a-z][a-z0-9-]*)@(?P<number>[1-9][0-9]*)\.service\Z")


def template(app: str, process: str) -> str:
    """The type's template unit: `shop-web@.service`."""
    return f"{app}-{process}@.service"


def instance(app: str, process: str, number: int) -> str:
    """Instance `number` of the type: `shop-web@2.service`."""
    return f"{app}-{process}@{number}.service"


def target(app: str) -> str:
    """The unit that groups the app's instances: `shop.target`."""
    return f"{app}.target"


def env_file(app: str, process: str | None) -> str:
    """The environment file of a type (`shop-web.env`), or of the app's one-off commands (`shop.env`)."""
    return f"{app}-{process}.env" if process else f"{app}.env"


def parse_instance(unit: str) -> tuple[str, int] | None:
    """`shop-web@2.service` → (`shop-web@.service`, 2); None for anything else."""
    found = _INSTANCE.match(unit)
    if found is None:
        return None
    return f"{found.group('template')}@.service", int(found.group("number"))
