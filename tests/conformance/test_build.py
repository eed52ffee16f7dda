"""A type built from a Dockerfile runs that image on every backend that runs images: Compose builds it itself
(`build:`), Swarm and Nomad through a `docker build` before the deploy. A backend without images says it does not
honour `build`."""

from __future__ import annotations

import subprocess

from procfleet import registry
from tests.conformance.conftest import PROBE
from tests.conformance.platforms import Platform
from tests.integration.conftest import PYTHON_IMAGE

DOCKERFILE = f"""FROM {PYTHON_IMAGE}
ARG GREETING=unset
ENV BUILT_WITH=$GREETING PYTHONUNBUFFERED=1
WORKDIR /app
COPY probe.py .
ENTRYPOINT ["python3", "probe.py"]
CMD ["built"]
"""


def test_a_type_built_from_its_dockerfile_runs_the_built_image(platform: Platform) -> None:
    image = f"procfleet-test/built-{platform.app}:latest"
    context = platform.folder / "image"
    context.mkdir()
    (context / "Dockerfile").write_text(DOCKERFILE)
    (context / "probe.py").write_bytes(PROBE.read_bytes())
    table = f"""
[processes.built]
image = "{image}"
build = {{ context = "image", args = {{ GREETING = "a build arg" }} }}
stop_timeout = "1s"
"""
    if "build" not in registry.load(platform.backend).features:  # nothing is built: no image to remove after
        platform.write(table + 'command = "python3 probe.py built"\n')  # it needs a command of its own too
        done = platform.cli("check", "-b", platform.backend)
        assert f"processes.built.build: the {platform.backend} backend does not honour this key" in done.err, done.err
        return
    try:
        platform.write(table)
        platform.deploy()
        report = platform.reports(1, "built")
        (only,) = report.values()
        assert only["argv"] == ["built"] and only["env"]["BUILT_WITH"] == "a build arg", only
        platform.down()
    finally:
        subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True, check=False, timeout=60)
