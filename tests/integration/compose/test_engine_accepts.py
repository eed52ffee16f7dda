"""What procfleet renders, the real Compose accepts; the health probes work in the images users run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from procfleet_compose.probes import http_probe, tcp_probe
from tests.backends.compose.helpers import rendered
from tests.backends.compose.test_golden import CASES
from tests.integration.conftest import BUSYBOX_IMAGE

pytestmark = pytest.mark.engine("docker")


@pytest.mark.parametrize("name", list(CASES))
def test_docker_compose_config_accepts_the_rendered_files(docker_engine: None, name: str, tmp_path: Path) -> None:
    """`docker compose config` reads every golden case as rendered (env files beside it, as in the formation)."""
    source = CASES[name]
    for env_file in source.parent.glob("*.env"):
        shutil.copy(env_file, tmp_path)
    (tmp_path / "compose.yaml").write_text(rendered(source))
    done = subprocess.run(["docker", "compose", "-f", "compose.yaml", "config", "--format", "json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert '"PROCFLEET_PROCESS": "web"' in done.stdout


def _probe(image: str, server: str, probes: list[str]) -> list[int]:
    """Start a server in one throwaway container, then run each probe in it; their exit statuses."""
    checks = "; ".join(f"( {probe} ) >/dev/null 2>&1; echo $?" for probe in probes)
    done = subprocess.run(["docker", "run", "--rm", image, "sh", "-c", f"{server} & sleep 1; {checks}"],
                          capture_output=True, text=True, timeout=60, check=False)
    return [int(line) for line in done.stdout.split()]


def test_http_probe_with_busybox_wget(docker_engine: None) -> None:
    """busybox's wget: 200 passes, 404 and a closed port fail."""
    server = "mkdir -p /www && echo ok >/www/index.html && httpd -f -p 8080 -h /www"
    statuses = _probe(BUSYBOX_IMAGE, server, [http_probe(8080, "/"), http_probe(8080, "/missing"),
                                              http_probe(8081, "/")])
    assert statuses[0] == 0 and statuses[1] != 0 and statuses[2] != 0


def test_tcp_probe_with_busybox_nc(docker_engine: None) -> None:
    """busybox's small nc has no -z: the probe connects with plain nc (the Python branch: tests/backends)."""
    server = "mkdir -p /www && httpd -f -p 8080 -h /www"
    statuses = _probe(BUSYBOX_IMAGE, server, ["! nc -z 127.0.0.1 8080", tcp_probe(8080), tcp_probe(8081)])
    assert statuses[:2] == [0, 0] and statuses[2] != 0
