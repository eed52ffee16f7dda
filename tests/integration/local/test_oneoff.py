"""Issue 3.6: `run -- CMD…` runs a one-off command with the app's env and passes its exit status on."""

from __future__ import annotations

import pytest

from tests.integration.local.harness import LocalApp

FORMATION = """
    [processes.web]
    command = "exec sleep 60"
    count = 2
    env = { ROLE = "web" }
    stop_timeout = "1s"
"""
SHOW = 'echo "greeting=$GREETING role=${ROLE:-none} port=${PORT:-none} me=$PROCFLEET_PROCESS from=$FROM"; exit 7'


def test_run_passes_the_app_env_and_the_exit_status(app: LocalApp) -> None:
    """The caller's env under the formation's; the type's env and a free PORT with --type; status 7 comes back."""
    app.write(FORMATION, app='env = { GREETING = "hello" }\n')
    app.env["FROM"] = "caller"
    done = app.cli_process("run", "--", "sh", "-c", SHOW)
    assert done.returncode == 7, done.stderr
    assert done.stdout == "greeting=hello role=none port=none me=run.1 from=caller\n"

    typed = app.cli_process("run", "--type", "web", "--", "sh", "-c", SHOW)
    assert typed.returncode == 7, typed.stderr
    # web.1 and web.2 use base and base + 1: the one-off gets the next port of web's block.
    assert typed.stdout == f"greeting=hello role=web port={app.base_port + 2} me=run.1 from=caller\n"


@pytest.mark.parametrize(("argv", "status"), [
    (["sh", "-c", "kill -TERM $$"], 143),  # killed by a signal: 128 + N, as a shell reports it
    (["no-such-command-here"], 127),
    (["true"], 0),
])
def test_run_exit_statuses(app: LocalApp, argv: list[str], status: int) -> None:
    """Signals and a missing command map to the shell's statuses, through the Python API."""
    app.write(FORMATION)
    backend = app.backend()
    assert backend.run(app.formation(), argv, None) == status
