"""Formations for the Nomad translation tests, built from TOML text exactly as the loader builds them."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path
from typing import Any

from procfleet.model import Formation
from procfleet.schema import build_formation

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
NOMAD_EXAMPLES = ("01-hello", "03-nomad")

SHOP = """
[app]
name = "shop"
image = "ghcr.io/acme/shop:1.4"
env = { LOG_LEVEL = "info" }

[processes.web]
command = "gunicorn shop.wsgi -b 0.0.0.0:$PORT"
count = 2
port = 8000
health = { http = "/healthz", interval = "10s", timeout = "2s", retries = 4, start_period = "5s" }
env = { WEB_CONCURRENCY = "4" }
stop_signal = "SIGQUIT"
stop_timeout = "20s"
resources = { cpu = 0.5, memory = "256M" }

[processes.worker]
command = "celery -A shop worker"
stop_signal = "SIGINT"
restart = "on-failure"
"""

# Every string a shell line or env value can hold that HCL or JSON must carry through unchanged.
NASTY = r'''
[app]
name = "nasty"
image = "example/nasty:1"

[app.env]
QUOTE = "say \"hi\""
BACKSLASH = 'C:\path\to'
TEMPLATE = "${NOT_HCL} %{ if x }y%{ endif }"
ESCAPED = "$${already}"
TAB = "a\tb"
UNICODE = "naïve ☃"

[processes.web]
command = "echo \"$GREETING\" && printf '%s\\n' ${HOME} %{x} $${y} && exec serve --port $PORT"
port = 8080
health = { tcp = true, interval = "3s", timeout = "1s" }

[processes.cron-job]
command = """sh -c 'while true; do date; sleep 60; done'
echo multi-line"""
restart = "never"
health = { command = "pgrep cron" }
'''


def formation(text: str, options: dict[str, Any] | None = None, folder: Path | None = None) -> Formation:
    """A validated formation from TOML text, with an optional [backends.nomad] table merged in."""
    document = tomllib.loads(textwrap.dedent(text))
    if options is not None:
        document.setdefault("backends", {})["nomad"] = options
    return build_formation(document, (folder or Path("/nowhere")) / "formation.toml")


def example(name: str) -> Formation:
    """One of the repository's examples, loaded as the CLI loads it."""
    from procfleet import loader

    folder = EXAMPLES / name
    return loader.load(folder / "formation.toml", folder, {})
