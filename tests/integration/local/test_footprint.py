"""The foreground supervisor holds only what supervising needs: the CLI's libraries do not stay for the app's life."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.local.harness import LocalApp

FORMATION = """
    [processes.web]
    command = "echo ready; exec sleep 60"
    count = 3
    stop_timeout = "1s"
"""


def test_deploy_becomes_a_lean_supervisor_in_the_same_process(app: LocalApp) -> None:
    """Same PID as the `procfleet deploy` the user started (signals and the terminal still reach it), a new
    interpreter (its command line says so; the CLI's pure-Python libraries went with the old one) without OpenSSL
    mapped, and every command still reaches it."""
    app.write(FORMATION)
    supervised = app.deploy()
    pid = supervised.process.pid
    app.wait_status(lambda s: s.types[0].running == 3, "3 instances")
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"procfleet_local.lean" in cmdline
    mapped = Path(f"/proc/{pid}/maps").read_text()
    for library in ("libssl", "libcrypto", "_yaml", "_ssl", "_hashlib"):
        assert library not in mapped, f"{library} is mapped into the supervisor"
    assert app.cli("scale", "web=4").returncode == 0
    app.wait_status(lambda s: s.types[0].running == 4, "4 instances")
    assert app.cli("down").returncode == 0
    assert supervised.exit_code() == 0
    assert "every process has stopped" in supervised.output()


def test_deploy_json_stays_in_place_to_print_its_document_at_the_end(app: LocalApp) -> None:
    """`deploy --json` promises one JSON document once the supervisor ends (docs/json.md): that supervisor is the
    CLI process itself, not a lean one that would not know to print it."""
    app.write(FORMATION)
    supervised = app.deploy("--json")
    app.wait_status(lambda s: s.types[0].running == 3, "3 instances")
    assert b"procfleet_local.lean" not in Path(f"/proc/{supervised.process.pid}/cmdline").read_bytes()
    assert app.cli("down").returncode == 0
    assert supervised.exit_code() == 0
    start = max(index for index, line in enumerate(supervised.raw) if line == "{")  # after the instances' lines
    document = json.loads("\n".join(supervised.raw[start:]))
    assert [change["process"] for change in document["plan"]["changes"]] == ["web"]
