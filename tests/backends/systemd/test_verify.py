"""Every unit render prints passes `systemd-analyze verify`, with no warning either."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from procfleet.backend import Session
from procfleet_systemd.backend import SystemdBackend
from tests.backends.systemd.test_translate import FORMATION, formation
from tests.integration.conftest import engine_missing

SCOPES = ('scope = "user"\n', 'scope = "system"\n')


def test_every_rendered_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """Both scopes' units, written as render -o writes them, verified as systemd itself would load them."""
    if shutil.which("systemd-analyze") is None:
        engine_missing("systemd-analyze is not installed (Debian's systemd package)", ".ci/systemd-setup.sh")
    for index, scope in enumerate(SCOPES):
        folder = tmp_path / str(index)
        folder.mkdir()
        backend = SystemdBackend(Session(environ={"HOME": "/home/dev"}, cwd=folder))
        files = backend.render(formation(folder, FORMATION + scope), "units")
        units = []
        for item in files:
            (folder / item.name).write_text(item.content)
            if not item.name.endswith(".env"):
                units.append(str(folder / item.name))
        assert len(units) == 4
        # the system manager's view: verify cannot start a user manager without a session, and the unit syntax
        # is the same for both
        done = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True,
                              timeout=60, check=False)
        assert (done.returncode, done.stdout + done.stderr) == (0, ""), f"{scope}: {done.stderr}"
