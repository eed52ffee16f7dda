"""One platform per parameter: local, compose, swarm, Nomad (the simulator, its client running containers), and
systemd where a manager answers (tests/integration/systemd runs the suite on it in a container whose PID 1 is
systemd, selecting it alone with PROCFLEET_CONFORMANCE_BACKENDS=systemd)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.platforms import PROBE_IMAGE, Platform, systemd_scope
from tests.integration.conftest import PYTHON_IMAGE, docker_engine, engine_missing, swarm_engine
from tests.nomad_sim import NomadSimulator

__all__ = ["docker_engine", "swarm_engine"]  # the engine fixtures, shared with the integration tests

PROBE = Path(__file__).with_name("probe.py")
SELECTED = "PROCFLEET_CONFORMANCE_BACKENDS"  # a comma-separated choice of backends, all of them when unset
BACKENDS = tuple(os.environ[SELECTED].split(",")) if os.environ.get(SELECTED) else (
    "local", "compose", "swarm", "nomad", *(["systemd"] if systemd_scope() else []))
ON_THIS_MACHINE = ("local", "systemd")  # the probe runs beside the formation, not in the image


@pytest.fixture(scope="session")
def probe_image(docker_engine: None) -> str:
    """The test image with the probe in its working directory, built once per session from the python image."""
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(PROBE, context)
        Path(context, "Dockerfile").write_text(f"FROM {PYTHON_IMAGE}\nWORKDIR /app\nENV PYTHONUNBUFFERED=1\n"
                                               "COPY probe.py .\n"
                                               # its own command, for types that run the image's
                                               'ENTRYPOINT ["python3", "probe.py"]\nCMD ["image-cmd"]\n')
        done = subprocess.run(["docker", "build", "-q", "-t", PROBE_IMAGE, context], capture_output=True,
                              text=True, timeout=300, check=False)
        if done.returncode != 0:
            engine_missing(f"cannot build {PROBE_IMAGE}: {done.stderr.strip().splitlines()[-1:]}")
    return PROBE_IMAGE


@pytest.fixture(params=BACKENDS)
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    """The platform under test, with the probe beside the formation (local, systemd) or in the image (the others)."""
    backend: str = request.param
    if backend not in ON_THIS_MACHINE:
        request.getfixturevalue("probe_image")
    if backend == "systemd" and systemd_scope() is None:
        engine_missing("no systemd manager answers here (no user manager in $XDG_RUNTIME_DIR, not root on a machine "
                       "booted with systemd); tests/integration/systemd runs this suite in a container whose PID 1 "
                       "is systemd", ".ci/systemd-setup.sh")
    if backend == "swarm":
        request.getfixturevalue("swarm_engine")
    shutil.copy(PROBE, tmp_path)
    made = Platform(backend, tmp_path)
    if backend == "nomad" and os.environ.get("NOMAD_ADDR"):
        # a real agent: its client must be able to run the probe image (docker driver, the image on the node)
        made.environ.update({k: v for k, v in os.environ.items() if k.startswith("NOMAD_")})
    elif backend == "nomad":
        # MinHealthyTime at a tenth of its length (10 s becomes 1 s, the settle of the other backends): a task that
        # ends before it fails its deployment, as on a real agent
        made.sim = NomadSimulator(run_tasks=True, min_healthy_scale=0.1)
        made.environ["NOMAD_ADDR"] = made.sim.address
    try:
        yield made
    finally:
        made.close()
