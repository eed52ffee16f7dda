"""local → compose: a running supervisor's live counts, not the file's, land on Compose; then local is drained."""

from __future__ import annotations

import pytest

from tests.integration.conftest import PYTHON_IMAGE
from tests.integration.engine_app import TICK
from tests.integration.migrate.conftest import Move

pytestmark = pytest.mark.engine("docker")

# python3 runs the web type on this machine and in the python image alike; the health check is the same http GET.
FORMATION = f"""
[app]
name = "{{app}}"
image = "{PYTHON_IMAGE}"

[processes.web]
command = "exec python3 -m http.server $PORT"
count = 1
port = 8000
health = {{ http = "/", interval = "1s" }}
stop_timeout = "2s"

[processes.worker]
command = "{TICK}"
stop_timeout = "1s"

[backends.local]
base_port = {{base_port}}
"""


def test_local_to_compose_carries_the_live_counts_then_drains_local(move: Move) -> None:
    """Scaled live to web=2 worker=3 (the file says web=1): compose runs 2 healthy web and 3 workers, the JSON
    lists read, deploy and drain, and the supervisor is left running nothing."""
    move.write(FORMATION)
    supervisor = move.local.deploy()
    move.local.wait_status(lambda s: all(t.running == 1 for t in s.types), "web.1 and worker.1 to run")
    move.ok("scale", "web=2", "worker=3", "--wait", "--timeout", "20")

    result, report = move.migrate("local", "compose", "--drain", "--timeout", "60", "--set-default")
    assert result.code == 0, result.err
    # the formation now says where the app runs, so commands without -b follow it there
    assert 'backend = "compose"' in (move.folder / "formation.toml").read_text()
    assert "commands without -b" not in result.err  # --json: the document only, as every command's --json
    assert (report["from"], report["to"], report["drain"], report["ok"]) == ("local", "compose", True, True)
    assert (report["failed"], report["error"]) == (None, None)
    read, deploy, drain = report["steps"]
    assert read == {"step": "read", "backend": "local", "counts": {"web": 2, "worker": 3}}
    assert (deploy["step"], deploy["backend"], deploy["error"]) == ("deploy", "compose", None)
    assert [(c["process"], c["action"], c["desired"], c["reason"]) for c in deploy["plan"]["changes"]] == [
        ("web", "add", 2, "migrated"), ("worker", "add", 3, "migrated")]
    deployed = deploy["status"]["types"]
    assert (deployed["web"]["running"], deployed["web"]["healthy"], deployed["worker"]["running"]) == (2, 2, 3)
    assert (drain["step"], drain["backend"], drain["skipped"], drain["error"]) == ("drain", "local", False, None)
    assert {name: (t["desired"], t["running"]) for name, t in drain["status"]["types"].items()} == {
        "web": (0, 0), "worker": (0, 0)}
    assert drain["status"]["instances"] == []

    on_compose = move.types("compose")
    assert (on_compose["web"]["running"], on_compose["web"]["healthy"]) == (2, 2)
    assert on_compose["worker"]["running"] == 3
    assert len(move.containers()) == 5
    assert move.local.counts() == {"web": (0, 0), "worker": (0, 0)}
    assert supervisor.process.poll() is None  # drained, not stopped: `procfleet down` stops it
