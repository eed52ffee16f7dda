"""The API job (translate.py's output) written as an HCL2 job file for `nomad job run`.

One table per API struct names each field's HCL spelling and shape, so the HCL says exactly what the JSON says.
Every string is escaped for HCL2 templates: `${` becomes `$${` and `%{` becomes `%%{`, so HCL evaluates nothing and
Nomad receives the same text as the JSON body carries (its own runtime interpolation such as ${NOMAD_PORT_port}
still happens later, on the client).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from procfleet.units import format_duration
from procfleet_nomad.translate import SECOND

INDENT = "  "


@dataclass(frozen=True)
class Field:
    """How one API field is written: its HCL name and shape, and the table of a nested struct."""

    name: str
    shape: str  # attr | duration | map | config | block | blocks | labeled | label | skip
    table: Mapping[str, Field] | None = None
    label: str = ""  # for labeled blocks: the API field that becomes the block label


def _attr(name: str) -> Field:
    return Field(name, "attr")


def _duration(name: str) -> Field:
    return Field(name, "duration")


PORT = {"Label": Field("", "label"), "Value": _attr("static"), "To": _attr("to")}
NETWORK = {
    "Mode": _attr("mode"),
    "DynamicPorts": Field("port", "labeled", PORT, label="Label"),
    "ReservedPorts": Field("port", "labeled", PORT, label="Label"),
}
CHECK_RESTART = {"Limit": _attr("limit"), "Grace": _duration("grace")}
CHECK = {
    "Name": _attr("name"), "Type": _attr("type"), "Path": _attr("path"), "PortLabel": _attr("port"),
    "Interval": _duration("interval"), "Timeout": _duration("timeout"),
    "CheckRestart": Field("check_restart", "block", CHECK_RESTART),
}
SERVICE = {
    "Name": _attr("name"), "PortLabel": _attr("port"), "Provider": _attr("provider"), "Tags": _attr("tags"),
    "Checks": Field("check", "blocks", CHECK),
}
RESTART = {"Attempts": _attr("attempts"), "Interval": _duration("interval"), "Delay": _duration("delay"),
           "Mode": _attr("mode")}
RESCHEDULE = {"Attempts": _attr("attempts"), "Interval": _duration("interval"), "Delay": _duration("delay"),
              "DelayFunction": _attr("delay_function"), "MaxDelay": _duration("max_delay"),
              "Unlimited": _attr("unlimited")}
RESOURCES = {"CPU": _attr("cpu"), "MemoryMB": _attr("memory")}
TASK = {
    "Name": Field("", "label"), "Driver": _attr("driver"), "Config": Field("config", "config"),
    "Env": Field("env", "map"), "Resources": Field("resources", "block", RESOURCES),
    "KillTimeout": _duration("kill_timeout"), "KillSignal": _attr("kill_signal"), "Meta": Field("meta", "map"),
}
GROUP = {
    "Name": Field("", "label"), "Count": _attr("count"), "Meta": Field("meta", "map"),
    "Networks": Field("network", "blocks", NETWORK), "Services": Field("service", "blocks", SERVICE),
    "RestartPolicy": Field("restart", "block", RESTART), "ReschedulePolicy": Field("reschedule", "block", RESCHEDULE),
    "Tasks": Field("task", "labeled", TASK, label="Name"),
}
JOB = {
    "ID": Field("", "label"), "Name": Field("", "skip"),  # the label is the ID, and the name defaults to it
    "Type": _attr("type"), "Namespace": _attr("namespace"), "Region": _attr("region"),
    "Datacenters": _attr("datacenters"), "NodePool": _attr("node_pool"), "Meta": Field("meta", "map"),
    "TaskGroups": Field("group", "labeled", GROUP, label="Name"),
}


def write_job(job: Mapping[str, Any]) -> str:
    """The job as an HCL2 file."""
    if job.get("Name", job["ID"]) != job["ID"]:
        raise ValueError("a job whose Name differs from its ID has no HCL form here")
    lines = [f"job {quote(job['ID'])} {{"]
    lines += _body(job, JOB, 1)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _body(struct: Mapping[str, Any], table: Mapping[str, Field], depth: int) -> list[str]:
    """The attributes and blocks of one struct, in the table's order; an unknown field is a bug, not skipped."""
    unknown = set(struct) - set(table)
    if unknown:
        raise ValueError(f"no HCL spelling for {sorted(unknown)}")
    pad = INDENT * depth
    lines: list[str] = []
    for key, spec in table.items():
        if key not in struct or spec.shape in ("label", "skip"):
            continue
        value = struct[key]
        if spec.shape == "attr":
            lines.append(f"{pad}{spec.name} = {literal(value)}")
        elif spec.shape == "duration":
            lines.append(f"{pad}{spec.name} = {quote(duration(value))}")
        elif spec.shape == "map":
            lines += _map(spec.name, value, depth)
        elif spec.shape == "config":
            # Driver config keys are the driver's own identifiers (image, command, args, ports).
            lines.append(f"{pad}{spec.name} {{")
            lines += [f"{pad}{INDENT}{name} = {literal(item)}" for name, item in value.items()]
            lines.append(f"{pad}}}")
        else:
            assert spec.table is not None
            items = value if spec.shape in ("blocks", "labeled") else [value]
            for item in items:
                label = f" {quote(item[spec.label])}" if spec.shape == "labeled" else ""
                inner = _body(item, spec.table, depth + 1)
                lines.append(f"{pad}{spec.name}{label} {{" + ("" if inner else "}"))
                if inner:
                    lines += [*inner, f"{pad}}}"]
    return lines


def _map(name: str, value: Mapping[str, str], depth: int) -> list[str]:
    """A map attribute with quoted keys: the only HCL2 form for keys such as procfleet.app (Nomad's docs)."""
    pad = INDENT * depth
    if not value:
        return [f"{pad}{name} = {{}}"]
    return [f"{pad}{name} = {{", *(f"{pad}{INDENT}{quote(k)} = {literal(v)}" for k, v in value.items()), f"{pad}}}"]


def duration(nanoseconds: int) -> str:
    """Integer nanoseconds as a Go duration string ("10s", "5m", "500ms")."""
    return format_duration(nanoseconds / SECOND)


def literal(value: Any) -> str:
    """An HCL literal for a string, number, bool or list of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    raise ValueError(f"no HCL literal for {value!r}")


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text: str) -> str:
    """A quoted HCL2 string whose value is exactly text: escapes, and no template sequence left live."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    escaped = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{escaped}"'
