"""The foreground supervisor holds only what supervising needs: the CLI's libraries do not stay for the app's life."""

from __future__ import annotations

import json
import subprocess
import sys
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


# `procfleet deploy` in a fresh interpreter whose exec only reports what it would exec and what had been imported.
EXEC_PROBE = """
import json, os, sys
from procfleet.cli import main
def execv(path, argv):
    print("\\n" + json.dumps({"argv": argv, "asyncio": "asyncio" in sys.modules}), flush=True)
    os._exit(0)
os.execv = execv
main(["deploy"])
"""


def test_deploy_execs_the_lean_supervisor_before_importing_the_supervisors_machinery(app: LocalApp) -> None:
    """The CLI process execs the lean interpreter without having imported asyncio, which only the interpreter that
    supervises needs (and imports again)."""
    app.write(FORMATION)
    done = subprocess.run([sys.executable, "-c", EXEC_PROBE], cwd=app.folder, env=app.env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["argv"][1:3] == ["-m", "procfleet_local.lean"]
    assert report["asyncio"] is False


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
