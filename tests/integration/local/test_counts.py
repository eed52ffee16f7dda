"""Issue 3.3: DESIGN §2's count rules on a running supervisor: count omitted or present, --keep-counts."""

from __future__ import annotations

import json

from tests.integration.local.harness import LocalApp

SLEEPER = """
    [processes.web]
    command = "exec sleep 60"
    {count}
    stop_timeout = "1s"
    [processes.worker]
    command = "exec sleep 60"
    count = 2
    stop_timeout = "1s"
"""


def _plan(app: LocalApp, *args: str) -> dict[str, tuple[str, int, str]]:
    plan = json.loads(app.cli("plan", "--json", *args).stdout)
    return {c["process"]: (c["action"], c["desired"], c["reason"]) for c in plan["changes"]}


def test_count_omitted_the_supervisor_owns_it(app: LocalApp) -> None:
    """No count in the file: deploy starts 1, and a later deploy keeps what scale set."""
    app.write(SLEEPER.format(count=""))
    app.deploy()
    app.wait_status(lambda s: s.types[0].running == 1, "web.1 to run")
    assert app.cli("scale", "web=3", "--wait").returncode == 0
    assert _plan(app)["web"] == ("unchanged", 3, "kept")
    assert app.cli("deploy").returncode == 0
    assert app.counts() == {"web": (3, 3), "worker": (2, 2)}


def test_count_in_the_file_wins_at_the_next_deploy_unless_keep_counts(app: LocalApp) -> None:
    """count = 2: scale is live-only; deploy returns to 2; deploy --keep-counts keeps the live count."""
    app.write(SLEEPER.format(count="count = 2"))
    app.deploy()
    app.wait_status(lambda s: s.types[0].running == 2, "web to run 2")
    scaled = app.cli("scale", "web=4", "--wait")
    assert scaled.returncode == 0 and "next deploy returns to it" in scaled.stderr
    survivors = app.pids("web")

    assert _plan(app, "--keep-counts")["web"] == ("unchanged", 4, "kept")
    assert app.cli("deploy", "--keep-counts").returncode == 0
    assert app.counts()["web"] == (4, 4)

    assert _plan(app)["web"] == ("scale", 2, "file")
    assert app.cli("deploy").returncode == 0
    assert app.counts()["web"] == (2, 2)
    assert app.pids("web") == {name: pid for name, pid in survivors.items() if name in ("web.1", "web.2")}
