"""`docker build` of the images a formation says how to build, for platforms that do not build (Swarm, Nomad)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from procfleet.errors import PlatformError
from procfleet.model import Build, Formation

OUTPUT_LIMIT = 600  # the end of a failed build's output: where Docker says what went wrong


def builds(formation: Formation) -> dict[str, Build]:
    """Each image reference the formation builds, with how (types sharing an image and build build it once)."""
    wanted: dict[str, Build] = {}
    for process in formation.processes.values():
        built = formation.build_for(process)
        reference = formation.image_reference(process)
        if built is not None and reference is not None:
            wanted.setdefault(reference, built)
    return wanted


def build_command(formation: Formation, reference: str, built: Build, docker: Sequence[str] = ("docker",)) -> list[str]:
    """The `docker build` argv for one image: context relative to the formation's folder, tagged reference."""
    argv = [*docker, "build", "--tag", reference]
    if built.dockerfile is not None:
        argv += ["--file", str(formation.folder / built.context / built.dockerfile)]
    if built.target is not None:
        argv += ["--target", built.target]
    for key, value in built.args.items():
        argv += ["--build-arg", f"{key}={value}"]
    return [*argv, str(formation.folder / built.context)]


def build_images(formation: Formation, docker: Sequence[str] = ("docker",)) -> list[str]:
    """Build every image the formation builds, on this machine's engine; the references built."""
    built_here = []
    for reference, built in builds(formation).items():
        try:
            done = subprocess.run(build_command(formation, reference, built, docker), capture_output=True,
                                  text=True, check=False, timeout=3600)
        except FileNotFoundError:
            raise PlatformError("the docker command is not on PATH: it builds the formation's images") from None
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip()[-OUTPUT_LIMIT:]
            raise PlatformError(f"docker build of {reference} failed: {tail}")
        built_here.append(reference)
    return built_here


def unreachable_message(references: Sequence[str], nodes: Sequence[str], platform: str) -> str:
    """Why images built here cannot run on other nodes: there is no registry between them."""
    return (f"{', '.join(references)} {'is' if len(references) == 1 else 'are'} built on this machine only, and "
            f"{platform} would run tasks on {', '.join(nodes)}, which cannot get "
            f"{'it' if len(references) == 1 else 'them'} without a registry: push the image to a registry and set "
            "image to its name there")
