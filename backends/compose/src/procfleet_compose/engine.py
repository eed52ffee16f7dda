"""The edge: Docker Compose v2 and the Docker CLI through python-on-whales, every failure made a PlatformError.

python_on_whales is imported here only, when a method first talks to Docker: rendering never loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from procfleet import dockerapi, dockerjson
from procfleet.errors import PlatformError
from procfleet.loglines import LogLine, LogWriter, docker_since
from procfleet.lognames import compose_line, into, stamped
from procfleet.model import Formation
from procfleet_compose import failures
from procfleet_compose.status import PROJECT_LABEL, Container, parse

if TYPE_CHECKING:
    from python_on_whales import DockerClient, DockerException

Echo = Callable[[str], None]


class Engine:
    """One Compose project on the engine the docker CLI points at."""

    def __init__(self, formation: Formation, project: str, compose_file: Path | None = None) -> None:
        self.formation = formation
        self.project = project
        self.compose_file = compose_file
        self._client: DockerClient | None = None

    @cached_property
    def api(self) -> dockerapi.EngineSocket | None:
        """The engine's API socket for reads, when the docker CLI would reach the engine through it."""
        return dockerapi.socket_for()

    @property
    def client(self) -> DockerClient:
        """The python-on-whales client, created (and the library imported) on first use."""
        if self._client is None:
            from python_on_whales import DockerClient

            files: list[str | Path] = [self.compose_file] if self.compose_file is not None else []
            self._client = DockerClient(compose_files=files, compose_project_name=self.project)
        return self._client

    @contextmanager
    def translated(self, action: str) -> Iterator[None]:
        """Turn python-on-whales' errors into one actionable line, chained to the original."""
        from python_on_whales import DockerException
        from python_on_whales.client_config import ClientNotFoundError

        try:
            yield
        except ClientNotFoundError as exc:
            raise PlatformError(failures.docker_missing()) from exc
        except DockerException as exc:
            raise PlatformError(f"{action}: {self.explain(exc)}") from exc
        except ValueError as exc:  # python-on-whales could not parse what `docker` printed
            raise dockerjson.not_docker(action, exc) from exc

    def explain(self, exc: DockerException) -> str:
        """What went wrong, checking the engine for the cases its output leaves open."""
        stderr = f"{exc.stderr or ''}\n{exc.stdout or ''}"
        kind = failures.classify(stderr)
        if kind == "compose-missing" or (kind == "other" and "unknown flag" in stderr):
            return failures.compose_missing() if not self.compose_installed() else failures.key_line(stderr)
        if kind == "pull-failed":
            missing = self.missing_images()
            if missing:
                return failures.images_missing(missing, failures.key_line(stderr))
        return failures.explain(stderr, self.formation)

    def compose_installed(self) -> bool:
        """Whether `docker compose version` answers."""
        from python_on_whales import DockerException

        try:
            self.client.compose.version()
        except DockerException:
            return False
        return True

    def missing_images(self) -> list[str]:
        """The formation's images that are not on this machine."""
        images = dict.fromkeys(i for p in self.formation.processes.values() if (i := self.formation.image_for(p)))
        return [image for image in images if not self.client.image.exists(image)]

    def containers(self) -> list[Container]:
        """Every container of the project, procfleet's or not, one-offs included: on the engine's socket a list
        and an inspect of each, on one connection (procfleet.dockerapi); elsewhere two CLI calls."""
        api = self.api
        if api is not None:
            action = "cannot list the project's containers"
            with api:  # one connection for the look, closed after it
                listed = api.get("/containers/json", action, {
                    "all": "1", "filters": dockerapi.filters(label=[f"{PROJECT_LABEL}={self.project}"])})
                if not isinstance(listed, list):
                    raise dockerapi.not_the_engine(action, api.path, listed)
                inspected = [api.get(f"/containers/{item.get('Id')}/json", action, missing_ok=True)
                             for item in listed if isinstance(item, dict)]  # None: gone since it was listed
            return [parse(item) for item in inspected if isinstance(item, dict)]
        from python_on_whales import DockerException
        from python_on_whales.utils import run

        with self.translated("cannot list the project's containers"):
            ids = [str(c) for c in self.client.container.list(all=True,
                                                                filters=[("label", f"{PROJECT_LABEL}={self.project}")])]
            if not ids:
                return []
            try:
                output = run([*self.client.client_config.docker_cmd, "container", "inspect", *ids],
                             return_stderr=False)
            except DockerException as exc:  # a container went away between the two calls: keep the others
                if "no such" not in (exc.stderr or "").lower():
                    raise
                output = exc.stdout or "[]"
        return [parse(item) for item in dockerjson.objects(output, "cannot list the project's containers")]

    def up(self, *, services: Sequence[str] | None = None, scales: Mapping[str, int] | None = None,
           recreate: bool = True, dependencies: bool = True, remove_orphans: bool = False, start: bool = True,
           echo: Echo | None = None) -> None:
        """`docker compose up -d …` (`--no-start` when not start), its progress lines passed to echo."""
        with self.translated("docker compose up failed"):
            lines = self.client.compose.up(services=list(services) if services is not None else None,
                                           detach=start, scales=dict(scales or {}), recreate=recreate,
                                           dependencies=dependencies, remove_orphans=remove_orphans, start=start,
                                           stream_logs=True)
            for _source, line in lines or ():
                if echo is not None:
                    echo(line.decode(errors="replace").rstrip())

    def build(self, services: Sequence[str]) -> None:
        """`docker compose build SERVICE…`: images from the formation's build, Docker's cache making repeats cheap."""
        with self.translated("docker compose build failed"):
            self.client.compose.build(services=list(services), quiet=True)

    def restart(self, services: Sequence[str]) -> None:
        """`docker compose restart SERVICE…`."""
        with self.translated("docker compose restart failed"):
            self.client.compose.restart(services=list(services))

    def down(self) -> None:
        """`docker compose down --remove-orphans`: the project's containers, one-offs and network."""
        with self.translated("docker compose down failed"):
            self.client.compose.down(remove_orphans=True, quiet=True)

    def logs(self, services: Sequence[str], follow: bool, tail: int | None, since: float | None,
             writer: LogWriter) -> None:
        """`docker compose logs --timestamps`, each line under the instance's name (web.1, not Compose's `web-1`)
        and the time the engine received it."""
        feeds = {"stdout": into(writer, compose_line, False), "stderr": into(writer, compose_line, True)}
        with self.translated("docker compose logs failed"):
            try:
                for source, line in self.client.compose.logs(
                        list(services), tail=None if tail is None else str(tail), follow=follow, timestamps=True,
                        since=None if since is None else docker_since(since), stream=True):
                    feeds["stderr" if source == "stderr" else "stdout"].write(line.decode(errors="replace"))
            finally:
                for stream in feeds.values():
                    stream.close()

    def recent_logs(self, containers: Sequence[Container], tail: int | None, since: float | None,
                    writer: LogWriter) -> bool:
        """What `docker compose logs --timestamps` shows without following, read on the engine's socket: one GET
        per container, the lines of all of them merged in the order they were written. False, with nothing
        written, when the engine is not reached through its socket (the caller then runs the CLI)."""
        api = self.api
        if api is None:
            return False
        query = dockerapi.log_query(tail, since)
        lines: list[LogLine] = []
        with api:
            for container in containers:
                name = f"{container.process}.{container.number}"
                for stderr, line in api.log(f"/containers/{container.id}/logs", "docker compose logs failed", query):
                    parsed = stamped(name, container.process, line, stderr)
                    if parsed is None:
                        writer.passthrough(line, stderr)
                    else:
                        lines.append(parsed)
        for parsed in sorted(lines, key=lambda found: found.at):  # stable: each container's own order is kept
            writer.write(parsed)
        return True

    def run(self, service: str, command: str, tty: bool, out: TextIO, err: TextIO) -> int:
        """`docker compose run --rm --no-deps SERVICE COMMAND` (the service's entrypoint is `/bin/sh -c`)."""
        from python_on_whales import DockerException

        with self.translated("docker compose run failed"):
            try:
                if tty:
                    self.client.compose.run(service, [command], remove=True, dependencies=False, tty=True)
                    return 0
                lines = self.client.compose.run(service, [command], remove=True, dependencies=False, tty=False,
                                                stream=True)
                for source, line in cast(Iterable[tuple[str, bytes]], lines):
                    stream = err if source == "stderr" else out
                    stream.write(line.decode(errors="replace"))
                    stream.flush()
            except DockerException as exc:
                kind = failures.classify(exc.stderr or "")
                if kind in ("engine-down", "no-access", "compose-missing") or (
                        kind == "pull-failed" and self.missing_images()):
                    raise  # the engine or Compose failed, not the command
                return exc.return_code
        return 0

    def tail(self, container: Container, lines: int) -> str:
        """The last lines a container printed (for crash reports); empty when they cannot be read."""
        from python_on_whales import DockerException

        try:
            return str(self.client.container.logs(container.id, tail=lines)).rstrip()
        except DockerException:
            return ""
