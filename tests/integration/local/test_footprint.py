"""The foreground supervisor holds only what supervising needs: the CLI's libraries do not stay for the app's life."""

from __future__ import annotations

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
