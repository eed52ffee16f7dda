"""scope = "system": the units go to /etc/systemd/system and the system manager runs them (as root here)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.integration.systemd.inner.conftest import SCOPE, SystemdApp

FORMATION = """
[app]
name = "{app}"

[processes.worker]
command = "while true; do echo tick $PROCFLEET_PROCESS; sleep 1; done"
count = 2
stop_timeout = "2s"
"""


def test_the_system_manager_runs_the_app_and_down_removes_it(app: SystemdApp) -> None:
    """Deploy, ps, logs, scale and down through `systemctl` and `journalctl` without --user."""
    assert SCOPE == "system"
    app.write(FORMATION)
    app.ok("deploy", "-q")
    unit_file = Path("/etc/systemd/system") / f"{app.name}-worker@.service"
    assert unit_file.exists()
    assert (Path("/etc/procfleet/systemd") / f"{app.name}-worker.env").stat().st_mode & 0o777 == 0o600
    assert [app.active("worker", n) for n in (1, 2)] == ["active", "active"]
    assert app.systemctl("is-enabled", f"{app.name}.target") == "enabled"
    assert f"{app.name}.target" in app.systemctl("list-dependencies", "--plain", "multi-user.target")
    time.sleep(1.5)
    out = app.ok("logs", "--tail", "1").out
    assert re.search(r"^\d\d:\d\d:\d\d worker\.2 \| tick worker\.2$", out, re.M), out
    app.ok("scale", "worker=1", "-q")
    assert app.active("worker", 2) == "inactive"
    app.ok("down", "-q")
    assert not unit_file.exists() and app.active("worker", 1) == "inactive"
