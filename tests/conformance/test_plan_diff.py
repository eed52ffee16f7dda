"""`plan` says what changes in a running type, field by field, as `terraform plan` and `nomad job plan` do, from
what the platform runs, on every backend; secrets stay masked."""

from __future__ import annotations

import json

from tests.conformance.platforms import Platform

BEFORE = """
env = { GREETING = "a", API_TOKEN = "old-secret" }

[processes.web]
command = "python3 probe.py first"
stop_timeout = "1s"
"""


def test_plan_shows_each_changed_field_of_a_running_type(platform: Platform) -> None:
    platform.write(BEFORE)
    platform.deploy()
    platform.write(BEFORE.replace('"a"', '"b"').replace("old-secret", "new-secret").replace("first", "second")
                   + 'env = { ADDED = "yes" }\n')
    shown = platform.cli("plan")
    assert shown.code == 0, shown.err
    screen = shown.out + shown.err
    assert 'web: env.GREETING "a" → "b"' in screen, screen
    assert 'web: command "python3 probe.py first" → "python3 probe.py second"' in screen, screen
    assert 'web: env.ADDED (none) → "yes"' in screen, screen
    assert 'web: env.API_TOKEN "******" → "******"' in screen and "secret" not in screen, screen
    data = json.loads(platform.cli("plan", "--json").out)
    (web,) = [change for change in data["changes"] if change["process"] == "web"]
    assert {"key": "env.GREETING", "before": "a", "after": "b"} in web["fields"], web
    platform.down()
