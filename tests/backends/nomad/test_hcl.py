"""The HCL2 job file says exactly what the JSON says: parsed back with python-hcl2 and compared field by field.

The reverse mapping below is written independently of procfleet_nomad.hcl's tables, from Nomad's job
specification docs, so a wrong HCL name or shape in the writer fails here.
"""

from __future__ import annotations

import re
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions

from procfleet.units import parse_duration
from procfleet_nomad.hcl import duration, quote, write_job
from procfleet_nomad.translate import SECOND, translate
from tests.backends.nomad.formations import NASTY, NOMAD_EXAMPLES, SHOP, example, formation

Json = dict[str, Any]
PARSE = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=True)
LIVE_TEMPLATE = re.compile(r"(?<!\$)\$\{|(?<!%)%\{")


def ns(text: str) -> int:
    return round(parse_duration(text) * SECOND)


def cooked(value: Any) -> Any:
    """An HCL string's value: python-hcl2 resolves backslash escapes but leaves $${ and %%{ as written."""
    if isinstance(value, str):
        assert not LIVE_TEMPLATE.search(value.replace("$${", "").replace("%%{", "")), f"live template in {value!r}"
        return re.sub(r"\$\$\{", "${", re.sub(r"%%\{", "%{", value))
    if isinstance(value, list):
        return [cooked(item) for item in value]
    return value


def block(items: list[Json]) -> Json:
    """The one unlabeled block python-hcl2 gives as a list of one dict."""
    assert len(items) == 1
    return {k: v for k, v in items[0].items() if k != "__is_block__"}


def labeled(items: list[Json]) -> list[tuple[str, Json]]:
    """Labeled blocks (group "web" {...}) as (label, body) pairs, in file order."""
    pairs = []
    for item in items:
        ((label, body),) = item.items()
        pairs.append((label, {k: v for k, v in body.items() if k != "__is_block__"}))
    return pairs


def fields(body: Json, mapping: dict[str, tuple[str, Any]]) -> Json:
    """Map HCL attributes to API fields; an attribute the mapping does not know fails the test."""
    unknown = set(body) - set(mapping)
    assert not unknown, f"unexpected HCL attributes {unknown}"
    return {mapping[k][0]: mapping[k][1](v) for k, v in body.items()}


def same(value: Any) -> Any:
    return cooked(value)


def a_map(value: Json) -> Json:
    assert "__is_block__" not in value, "meta and env are map attributes (quoted keys allowed), not blocks"
    return {cooked(k): cooked(v) for k, v in value.items()}


def check(body: Json) -> Json:
    return fields(body, {"name": ("Name", same), "type": ("Type", same), "path": ("Path", same),
                         "interval": ("Interval", ns), "timeout": ("Timeout", ns),
                         "check_restart": ("CheckRestart", lambda v: fields(block(v), {
                             "limit": ("Limit", same), "grace": ("Grace", ns)}))})


def service(body: Json) -> Json:
    return fields(body, {"name": ("Name", same), "port": ("PortLabel", same), "provider": ("Provider", same),
                         "check": ("Checks", lambda v: [check(block([c])) for c in v])})


def network(body: Json) -> Json:
    ports = [dict(fields(p, {"to": ("To", same)}), Label=label) for label, p in labeled(body.pop("port", []))]
    result = fields(body, {"mode": ("Mode", same)})
    if ports:
        result["DynamicPorts"] = [{"Label": p["Label"], **{k: v for k, v in p.items() if k != "Label"}}
                                  for p in ports]
    return result


def task(label: str, body: Json) -> Json:
    return {"Name": label, **fields(body, {
        "driver": ("Driver", same), "config": ("Config", lambda v: {k: cooked(x) for k, x in block(v).items()}),
        "env": ("Env", a_map), "kill_timeout": ("KillTimeout", ns), "kill_signal": ("KillSignal", same),
        "resources": ("Resources", lambda v: fields(block(v), {"cpu": ("CPU", same), "memory": ("MemoryMB", same)})),
    })}


def group(label: str, body: Json) -> Json:
    return {"Name": label, **fields(body, {
        "count": ("Count", same), "meta": ("Meta", a_map),
        "network": ("Networks", lambda v: [network(block([n])) for n in v]),
        "service": ("Services", lambda v: [service(block([s])) for s in v]),
        "restart": ("RestartPolicy", lambda v: fields(block(v), {
            "attempts": ("Attempts", same), "interval": ("Interval", ns), "delay": ("Delay", ns),
            "mode": ("Mode", same)})),
        "reschedule": ("ReschedulePolicy", lambda v: fields(block(v), {
            "attempts": ("Attempts", same), "unlimited": ("Unlimited", same)})),
        "task": ("Tasks", lambda v: [task(lbl, b) for lbl, b in labeled(v)]),
    })}


def job_from_hcl(text: str) -> Json:
    """The API job an HCL file describes (for the blocks and attributes procfleet writes)."""
    parsed = hcl2.loads(text, serialization_options=PARSE)
    ((label, body),) = labeled(parsed["job"])
    return {"ID": label, "Name": label, **fields(body, {
        "type": ("Type", same), "namespace": ("Namespace", same), "region": ("Region", same),
        "datacenters": ("Datacenters", same), "node_pool": ("NodePool", same), "meta": ("Meta", a_map),
        "group": ("TaskGroups", lambda v: [group(lbl, b) for lbl, b in labeled(v)]),
    })}


def normalised(job: Json) -> Json:
    """The JSON job with key order dropped, so the comparison is about content."""
    if isinstance(job, dict):
        return {k: normalised(v) for k, v in sorted(job.items())}
    if isinstance(job, list):
        return [normalised(v) for v in job]
    return job


@pytest.mark.parametrize("name", NOMAD_EXAMPLES)
def test_examples_parse_back_to_the_json_job(name: str) -> None:
    """Every example's HCL parses (python-hcl2) into exactly the JSON job."""
    job = translate(example(name)).job
    assert normalised(job_from_hcl(write_job(job))) == normalised(job)


@pytest.mark.parametrize("options", [None, {"driver": "raw_exec", "namespace": "apps", "region": "eu",
                                             "node_pool": "batch", "datacenters": ["dc1", "dc2"]}],
                         ids=["defaults", "options"])
@pytest.mark.parametrize("text", [SHOP, NASTY], ids=["shop", "nasty"])
def test_quotes_backslashes_newlines_and_templates_survive(text: str, options: dict[str, Any] | None) -> None:
    """${…}, %{…}, $${…}, quotes, backslashes, tabs, newlines and non-ASCII come back unchanged, never evaluated."""
    job = translate(formation(text, options)).job
    assert normalised(job_from_hcl(write_job(job))) == normalised(job)


@pytest.mark.parametrize(("text", "written"), [
    ("plain", '"plain"'),
    ('say "hi"', r'"say \"hi\""'),
    ("C:\\path", r'"C:\\path"'),
    ("a\nb\tc", r'"a\nb\tc"'),
    ("bell\x07", r'"bell\u0007"'),
    ("${NOMAD_PORT_port}", '"$${NOMAD_PORT_port}"'),
    ("%{ if x }", '"%%{ if x }"'),
    ("$${kept}", '"$$${kept}"'),
    ("$HOME and 100%", '"$HOME and 100%"'),
])
def test_quote(text: str, written: str) -> None:
    """HCL2 string escapes, and template sequences doubled so HCL evaluates nothing."""
    assert quote(text) == written


def test_durations_are_go_duration_strings() -> None:
    assert [duration(n) for n in (0, SECOND // 2, 10 * SECOND, 300 * SECOND, 5400 * SECOND)] == [
        "0s", "500ms", "10s", "5m", "1h30m"]


def test_meta_keys_with_dots_use_the_map_form() -> None:
    """procfleet.app is not an HCL identifier: meta = { "procfleet.app" = … } (Nomad's documented form)."""
    text = write_job(translate(formation(SHOP)).job)
    assert 'meta = {\n    "procfleet.app" = "shop"\n  }' in text
    assert "meta {" not in text


def test_unknown_fields_are_refused_not_dropped() -> None:
    """A field the writer cannot spell is an error, so the HCL can never silently say less than the JSON."""
    job = translate(formation(SHOP)).job
    job["TaskGroups"][0]["Spreads"] = []
    with pytest.raises(ValueError, match="Spreads"):
        write_job(job)
