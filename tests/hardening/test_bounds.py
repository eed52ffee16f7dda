"""Bounds: a count no backend could run is refused before anything is touched, with each backend's ceiling."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet.cli import main
from procfleet.errors import UsageError
from procfleet_local import runtime
from procfleet_local.client import Client
from tests.integration.local.harness import LocalApp


@pytest.mark.parametrize(("backend", "ceiling"), [("local", 1000), ("compose", 1000), ("swarm", 10000),
                                                   ("nomad", 50000)])
def test_a_count_past_the_backends_ceiling_is_a_formation_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                backend: str, ceiling: int) -> None:
    """count = 10**9 would have the local supervisor allocate a billion slots; every backend names its ceiling."""
    path = tmp_path / "formation.toml"
    path.write_text(f'[app]\nname = "a"\nimage = "i:1"\n[processes.web]\ncommand = "x"\ncount = {10**9}\n')
    assert main(["-f", str(path), "check", "-b", backend]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "processes.web.count" in errors[0] and f"({ceiling})" in errors[0], err


def test_scale_past_the_ceiling_never_reaches_the_running_supervisor(tmp_path: Path) -> None:
    """`scale web=100000000` is refused by the CLI (exit 2); the supervisor refuses it too if asked directly, and
    keeps running what it ran."""
    app = LocalApp(tmp_path)
    app.write('[processes.web]\ncommand = "sleep 60"\ncount = 1\nstop_timeout = "1s"\n')
    try:
        app.deploy()
        app.wait_status(lambda s: s.types[0].running == 1, "web.1 running")
        refused = app.cli_process("scale", "web=100000000")
        assert refused.returncode == 2 and "at most 1000 instances" in refused.stderr, refused.stderr
        assert app.counts() == {"web": (1, 1)}
        client = Client.connect(runtime.address(app.formation(), app.folder, app.env))
        assert client is not None
        with client, pytest.raises(UsageError, match="at most 1000 instances"):
            client.request("scale", targets={"web": 10**8})
        assert app.counts() == {"web": (1, 1)}
    finally:
        app.cleanup()


def test_ports_past_65535_are_refused_at_deploy_and_at_scale(tmp_path: Path) -> None:
    """Foreman's scheme (base_port + 100 × position + n − 1) must not hand out a port that does not exist."""
    high = tmp_path / "high"
    high.mkdir()
    (high / "formation.toml").write_text('[app]\nname = "hi"\n[processes.web]\ncommand = "sleep 60"\ncount = 2\n'
                                         "[backends.local]\nbase_port = 65535\n")
    app = LocalApp(high)
    done = app.cli_process("deploy", "--no-wait")
    assert done.returncode == 2 and "web.2 would get port 65536, past 65535" in done.stderr, done.stderr

    app = LocalApp(tmp_path)
    app.write('[processes.web]\ncommand = "sleep 60"\ncount = 1\nstop_timeout = "1s"\n',
              local="")
    text = app.path.read_text().replace(f"base_port = {app.base_port}", "base_port = 65500")
    app.path.write_text(text)
    try:
        app.deploy()
        app.wait_status(lambda s: s.types[0].running == 1, "web.1 running")
        refused = app.cli_process("scale", "web=40")
        assert refused.returncode == 2 and "web.40 would get port 65539" in refused.stderr, refused.stderr
        assert app.counts() == {"web": (1, 1)}
    finally:
        app.cleanup()


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
@pytest.mark.parametrize("command", [["deploy"], ["scale", "web=2", "--wait"],
                                     ["migrate", "--from", "local", "--to", "compose"]], ids=" ".join)
def test_a_timeout_that_is_not_a_number_of_seconds_is_refused_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], value: str) -> None:
    """`--timeout inf` would make a wait that never gives up: refused as a usage error, nothing started."""
    path = tmp_path / "formation.toml"
    path.write_text('[app]\nname = "a"\n[processes.web]\ncommand = "sleep 60"\n')
    assert main(["-f", str(path), *command, "--timeout", value]) == 2
    assert "is not a number of seconds" in capsys.readouterr().err
