"""Which format a source file is in: by its name first, then by what it holds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from procfleet.errors import FormationError
from procfleet.importers.yamlfile import ComposeLoader
from procfleet.procfile import LINE

FORMATS = ("procfile", "compose", "app.json", "nomad")
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
HCL = re.compile(r"^\s*job\s+\"", re.MULTILINE)


def detect_format(path: Path, text: str) -> str:
    """procfile, compose, app.json or nomad; an error (suggesting --format) when the file says nothing clear."""
    name = path.name.lower()
    if name == "procfile" or name.startswith("procfile."):
        return "procfile"
    if name == "app.json":
        return "app.json"
    data = _parsed(text)
    if isinstance(data, dict):
        job = data.get("Job", data)
        if isinstance(job, dict) and ("TaskGroups" in job or "Job" in data):
            return "nomad"
        if "formation" in data:
            return "app.json"
        if "services" in data or "include" in data:  # a file of only include: entries is a compose file too
            return "compose"
    if name in COMPOSE_NAMES:
        return "compose"
    if HCL.search(text):
        raise FormationError(path, "", "a Nomad job in HCL: import reads JSON; convert it with "
                             "`nomad job run -output JOB.nomad.hcl > job.json`")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if lines and all(LINE.match(line) for line in lines):
        return "procfile"
    raise FormationError(path, "", "cannot tell the format (a Procfile, compose.yaml, app.json or a Nomad job as "
                         "JSON): pass --format")


def _parsed(text: str) -> Any:
    """The text as JSON, else as YAML, else None."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        # Compose's loader: it knows the !reset and !override tags, which the safe loader refuses
        return yaml.load(text, Loader=ComposeLoader)  # a SafeLoader subclass
    except yaml.YAMLError:
        return None
