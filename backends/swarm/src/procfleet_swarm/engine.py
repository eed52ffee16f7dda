"""The edge: the docker CLI's swarm commands through python-on-whales, every failure made a PlatformError.

python_on_whales is imported here only, when a method first talks to Docker: rendering never loads it. The
stack's objects are read as JSON (`docker … inspect`) in a few calls per look, never one call per task.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from procfleet import dockerapi, dockerjson
from procfleet.errors import PlatformError
from procfleet.loglines import LogWriter, docker_since
from procfleet.lognames import into, stamped, swarm_line
from procfleet_swarm import failures
from procfleet_swarm.status import NAMESPACE_LABEL, Service, Snapshot, Task, parse_service, parse_task

if TYPE_CHECKING:
    from python_on_whales import DockerException

DOCKER_RUN_FAILED = 125  # docker run's status when Docker, not the command, failed
# How often a wait asks a swarm of several nodes for their states again: managers call a node down after three
# missed heartbeats (15 s by default), so asking on every look (0.5 s) would only cost calls.
NODES_REFRESH = 2.0


class Engine:
    """One stack on the swarm the docker CLI points at (DOCKER_HOST, `docker context`)."""

    def __init__(self, stack: str) -> None:
        self.stack = stack
        self._docker: list[str] | None = None
        self._nodes: dict[str, str] = {}
        self._down: set[str] = set()
        self._drained: set[str] = set()
        self._nodes_asked = 0.0

    @property
    def docker(self) -> list[str]:
        """The docker command python-on-whales would run (its binary, and any --config/--context)."""
        if self._docker is None:
            from python_on_whales import DockerClient
            from python_on_whales.client_config import ClientNotFoundError

            try:
                self._docker = [str(part) for part in DockerClient().client_config.docker_cmd]
            except ClientNotFoundError as exc:
                raise PlatformError(failures.docker_missing()) from exc
        return self._docker

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
            raise PlatformError(f"{action}: {failures.explain(_output(exc))}") from exc
        except FileNotFoundError as exc:  # the binary went away since python-on-whales found it
            raise PlatformError(failures.docker_missing()) from exc
        except ValueError as exc:  # python-on-whales could not parse what `docker` printed
            raise dockerjson.not_docker(action, exc) from exc

    def _run(self, *args: str, stdin: bytes | None = None) -> str:
        from python_on_whales.utils import run

        return run([*self.docker, *args], input=stdin or b"", return_stderr=False)

    def _both(self, *args: str, stdin: bytes | None = None) -> tuple[str, str]:
        from python_on_whales.utils import run

        out, err = run([*self.docker, *args], input=stdin or b"", return_stderr=True)
        return out, err

    def _inspect(self, ids: Sequence[str], *kind: str) -> list[dict[str, Any]]:
        """`docker inspect` of many objects in one call; objects gone since they were listed are left out."""
        if not ids:
            return []
        from python_on_whales import DockerException

        try:
            output = self._run("inspect", *kind, *ids)
        except DockerException as exc:
            stderr = (exc.stderr or "").lower()
            if "no such" not in stderr and "not found" not in stderr:
                raise
            output = exc.stdout or "[]"
        return dockerjson.objects(output, f"cannot inspect the stack's {kind[-1] if kind else 'object'}s")

    # -- looking -------------------------------------------------------------------------------------------

    def services(self) -> list[Service]:
        """Every service in the stack's namespace, procfleet's or not: two CLI calls."""
        return [parse_service(item, self.stack) for item in self.inspect_services()]

    @cached_property
    def api(self) -> dockerapi.EngineSocket | None:
        """The engine's API socket for reads, when the docker CLI would reach the engine through it."""
        return dockerapi.socket_for()

    def _read(self, path: str, action: str, query: Mapping[str, str] | None = None, missing_ok: bool = False) -> Any:
        """One GET on the engine's socket; the engine's refusals explained as the CLI's are."""
        api = self.api
        assert api is not None
        try:
            return api.get(path, action, query, missing_ok=missing_ok)
        except dockerapi.EngineError as exc:  # in the docker CLI's words, which the explanations know
            raise PlatformError(f"{action}: {failures.explain(f'Error response from daemon: {exc.message}')}") \
                from exc

    def _listed(self, path: str, action: str, query: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """A GET that answers a JSON array of objects, as `docker inspect` prints them."""
        found = self._read(path, action, query)
        if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
            assert self.api is not None
            raise dockerapi.not_the_engine(action, self.api.path, found)
        return found

    def inspect_services(self) -> list[dict[str, Any]]:
        """`docker service inspect` of every service in the stack's namespace, as printed: one GET /services on the
        engine's socket, else two CLI calls."""
        if self.api is not None:
            with self.api:
                return self._listed("/services", "cannot list the stack's services",
                                    {"filters": dockerapi.filters(label=[f"{NAMESPACE_LABEL}={self.stack}"])})
        with self.translated("cannot list the stack's services"):
            ids = self._run("service", "ls", "-q", "--filter", f"label={NAMESPACE_LABEL}={self.stack}").split()
            return self._inspect(ids, "--type", "service")

    def tasks(self, services: Sequence[Service]) -> list[Task]:
        """Every task of these services, history included (Swarm keeps a few per slot): one GET /tasks on the
        engine's socket (a service removed since it was listed has no task to show), else two CLI calls."""
        if not services:
            return []
        if self.api is not None:
            with self.api:
                return [parse_task(item) for item in self._listed(
                    "/tasks", "cannot list the stack's tasks",
                    {"filters": dockerapi.filters(service=[s.id for s in services])})]
        from python_on_whales import DockerException

        with self.translated("cannot list the stack's tasks"):
            try:
                ids = self._run("service", "ps", "-q", "--no-trunc", *(s.id for s in services)).split()
            except DockerException as exc:
                # A service removed between the two looks (deploy --prune, down): look again without it.
                if "no such service" not in (exc.stderr or "").lower():
                    raise
                alive = {s.id for s in self.services()}
                return self.tasks([s for s in services if s.id in alive])
            return [parse_task(item) for item in self._inspect(ids, "--type", "task")]

    def nodes(self, wanted: Sequence[str] = ()) -> dict[str, str]:
        """Node hostnames by ID, asked again when a task names a node not seen yet, and, on a swarm of several
        nodes, whose nodes may go down (`down_nodes`), when NODES_REFRESH has passed since the last time."""
        stale = len(self._nodes) > 1 and time.monotonic() - self._nodes_asked >= NODES_REFRESH
        if not self._nodes or stale or any(node and node not in self._nodes for node in wanted):
            self._nodes_asked = time.monotonic()
            self._down, self._drained = set(), set()
            for node_id, state, availability, hostname in self._node_list():
                self._nodes[node_id] = hostname
                if state.lower() != "ready":
                    self._down.add(node_id)
                if availability.lower() != "active":
                    self._drained.add(node_id)
        return dict(self._nodes)

    def _node_list(self) -> list[tuple[str, str, str, str]]:
        """(ID, status, availability, hostname) of every node: GET /nodes on the engine's socket, else
        `docker node ls`."""
        if self.api is not None:
            with self.api:
                return [(str(node.get("ID", "")), str((node.get("Status") or {}).get("State", "")),
                         str((node.get("Spec") or {}).get("Availability", "")),
                         str((node.get("Description") or {}).get("Hostname", "")))
                        for node in self._listed("/nodes", "cannot list the swarm's nodes")]
        with self.translated("cannot list the swarm's nodes"):
            listed = self._run("node", "ls", "--format",
                               "{{.ID}} {{.Status}} {{.Availability}} {{.Hostname}}").splitlines()
        rows = [[*line.split(" ", 3), "", "", ""][:4] for line in listed]
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def _own_node(self) -> str:
        """This engine's node ID."""
        if self.api is not None:
            with self.api:
                info = self._read("/info", "cannot read the engine's swarm state")
            return str(((info or {}).get("Swarm") or {}).get("NodeID", "")) if isinstance(info, dict) else ""
        with self.translated("cannot list the swarm's nodes"):
            return self._run("info", "--format", "{{.Swarm.NodeID}}").strip()

    def down_nodes(self) -> frozenset[str]:
        """The IDs of the nodes that were not Ready (down, disconnected, unknown) when `nodes` last asked."""
        return frozenset(self._down)

    def drained_nodes(self) -> frozenset[str]:
        """The IDs of the nodes that were drained or paused (Swarm places no new task there) when `nodes` asked."""
        return frozenset(self._drained)

    def other_nodes(self) -> list[str]:
        """The hostnames of the swarm's nodes besides this engine's own that may be given tasks: a drained or
        paused node gets none (if it is made active again, the tasks it gets are refused, and procfleet says why)."""
        own = self._own_node()
        nodes = self.nodes([own])
        return sorted(name for node_id, name in nodes.items() if node_id != own and node_id not in self._drained)

    def snapshot(self) -> Snapshot:
        """The stack's services, their tasks and the nodes' names, in one look."""
        services = self.services()
        tasks = self.tasks(services)
        return Snapshot(services=tuple(services), tasks=tuple(tasks),
                        nodes=self.nodes([t.node_id for t in tasks]) if tasks else {},
                        down=self.down_nodes() if tasks else frozenset(),
                        drained=self.drained_nodes() if tasks else frozenset())

    def networks(self) -> dict[str, str | None]:
        """The stack's networks, each with its procfleet.app label (None: not procfleet's)."""
        if self.api is not None:
            with self.api:
                found = self._listed("/networks", "cannot list the stack's networks",
                                     {"filters": dockerapi.filters(label=[f"{NAMESPACE_LABEL}={self.stack}"])})
            return {str(item.get("Name")): (item.get("Labels") or {}).get("procfleet.app") for item in found}
        with self.translated("cannot list the stack's networks"):
            ids = self._run("network", "ls", "-q", "--filter", f"label={NAMESPACE_LABEL}={self.stack}").split()
            return {str(item.get("Name")): (item.get("Labels") or {}).get("procfleet.app")
                    for item in self._inspect(ids, "--type", "network")}

    def image_digests(self, images: Sequence[str]) -> dict[str, list[str] | None]:
        """Each image's registry digests on this engine's node; None when the image is not there."""
        found: dict[str, list[str] | None] = dict.fromkeys(images)
        if self.api is not None:
            with self.api:
                for image in images:
                    item = self._read(f"/images/{image}/json", "cannot inspect the images", missing_ok=True)
                    if isinstance(item, dict):
                        found[image] = list(item.get("RepoDigests") or [])
            return found
        with self.translated("cannot inspect the images"):
            for image in images:
                items = self._inspect([image], "--type", "image")
                if items:
                    found[image] = list(items[0].get("RepoDigests") or [])
        return found

    def task_output(self, task_id: str, lines: int) -> str:
        """The last lines a task printed (for failure reports); empty when they cannot be read."""
        from python_on_whales import DockerException

        try:
            out, err = self._both("service", "logs", "--raw", "--tail", str(lines), task_id)
        except DockerException:
            return ""
        return "\n".join(part for part in (out.rstrip(), err.rstrip()) if part)

    # -- acting --------------------------------------------------------------------------------------------

    def deploy(self, stack_file: str, resolve_image: str) -> list[str]:
        """`docker stack deploy --prune` with the file on stdin (no copy of its env values on disk)."""
        with self.translated("docker stack deploy failed"):
            out, err = self._both("stack", "deploy", "--prune", "--resolve-image", resolve_image,
                                  "--compose-file", "-", self.stack, stdin=stack_file.encode())
        return failures.output_lines([*out.splitlines(), *err.splitlines()])

    def restart(self, services: Sequence[str], detach: bool) -> None:
        """`docker service update --force S`: Swarm replaces each task per the service's update_config; without
        --detach the CLI waits for the update to converge, as `docker service update` does by default (and for
        ever when a one-shot task exits and the update is rolled back: procfleet's restart waits itself)."""
        with self.translated("docker service update failed"):
            for name in services:
                self._run("service", "update", "--force", *(["--detach"] if detach else ["--quiet"]), name)

    def scale(self, replicas: Mapping[str, int]) -> list[str]:
        """`docker service scale -d S=N …`: every service in one call."""
        with self.translated("docker service scale failed"):
            out, err = self._both("service", "scale", "--detach",
                                  *(f"{name}={count}" for name, count in replicas.items()))
        return failures.output_lines([*out.splitlines(), *err.splitlines()])

    def remove(self) -> list[str]:
        """`docker stack rm`: its services, then its networks (which go once their last task has)."""
        with self.translated("docker stack rm failed"):
            out, err = self._both("stack", "rm", self.stack)
        return failures.output_lines([*out.splitlines(), *err.splitlines()])

    def logs(self, services: Sequence[str], follow: bool, tail: int | None, since: float | None,
             writer: LogWriter) -> None:
        """`docker service logs --timestamps` per service, one after another, or all at once when following; each
        line under the instance's name (web.1, not Swarm's `<stack>_web.1.<task>@<node>`) and the time the engine
        received it."""
        options = ["--timestamps", *(["--follow"] if follow else []),
                   *(["--tail", str(tail)] if tail is not None else []),
                   *(["--since", docker_since(since)] if since is not None else [])]
        commands = [[*self.docker, "service", "logs", *options, name] for name in services]
        parse = swarm_line(self.stack)
        out, err = into(writer, parse, False), into(writer, parse, True)
        try:
            for batch in ([commands] if follow else [[command] for command in commands]):
                codes, problems = _copy_output(batch, cast(TextIO, out), cast(TextIO, err))
                if any(codes):
                    raise PlatformError(f"docker service logs failed: {failures.explain(problems)}")
        finally:
            out.close()
            err.close()

    def recent_logs(self, services: Sequence[Service], tail: int | None, since: float | None,
                    writer: LogWriter) -> bool:
        """What `docker service logs --timestamps` shows without following, read on the engine's socket: one GET
        per service and one of their tasks, the lines of all of them merged in the order they were written. False,
        with nothing written, when the engine is not reached through its socket (the caller then runs the CLI).

        A line names its task by ID; the tasks are listed again if one is not known yet (started meanwhile). The
        lines of a task Swarm no longer lists (scaled away and removed) are left out, as Compose's of a container
        scale removed are gone: the docker CLI fails the whole command on them ("task … not found")."""
        if self.api is None:
            return False
        slots = {task.id: task.slot for task in self.tasks(services)}
        query = dockerapi.log_query(tail, since, details="1")  # details: the task ID on each line
        found: list[tuple[Service, bool, str, str]] = []  # the service, stderr, the task ID and the line
        with self.api:
            for service in services:
                for stderr, line in self.api.log(f"/services/{service.id}/logs", "docker service logs failed", query):
                    moment, _, rest = line.partition(" ")
                    attributes, _, text = rest.partition(" ")
                    found.append((service, stderr, _task_of(attributes), f"{moment} {text}"))
        if any(task not in slots for _, _, task, _ in found):
            slots = {task.id: task.slot for task in self.tasks(services)}
        lines = []
        for service, stderr, task, line in found:
            if task not in slots:
                continue
            parsed = stamped(f"{service.process}.{slots[task]}", service.process, line, stderr)
            if parsed is None:  # a line in another shape, as it came, as compose's logs do
                writer.passthrough(line, stderr)
            else:
                lines.append(parsed)
        for parsed in sorted(lines, key=lambda line: line.at):  # stable: each task's own order is kept
            writer.write(parsed)
        return True

    def run(self, command: Sequence[str], env: Mapping[str, str], tty: bool, out: TextIO, err: TextIO) -> int:
        """`docker run …` of a one-off container: its exit status, or a PlatformError when Docker itself failed.

        The env reaches it through an owner-only env file, removed afterwards, never the docker command line (which
        `ps` shows); only values Docker's env files cannot hold (several lines) are passed as `-e NAME=VALUE`.
        """
        if not command or command[0] != "run":
            raise ValueError("expected a `run …` command")
        with tempfile.TemporaryDirectory(prefix="procfleet-run-") as folder:
            env_file = Path(folder) / "env"
            simple = {name: value for name, value in env.items() if not set(value) & {"\n", "\r", "\0"}}
            env_file.write_text("".join(f"{name}={value}\n" for name, value in simple.items()), encoding="utf-8")
            others = [part for name, value in env.items() if name not in simple for part in ("-e", f"{name}={value}")]
            full = [*self.docker, "run", "--env-file", str(env_file), *others, *command[1:]]
            if tty:
                try:
                    return subprocess.run(full, check=False).returncode
                except FileNotFoundError as exc:
                    raise PlatformError(failures.docker_missing()) from exc
            codes, problems = _copy_output([full], out, err)
        if codes[0] == DOCKER_RUN_FAILED:
            raise PlatformError(f"docker run failed: {failures.explain(problems)}")
        return codes[0]


def _output(exc: DockerException) -> str:
    return f"{exc.stderr or ''}\n{exc.stdout or ''}"


def _copy_output(commands: Sequence[Sequence[str]], out: TextIO, err: TextIO) -> tuple[list[int], str]:
    """Run the commands at once and copy their lines as they come: their exit statuses, and the error output of
    those that failed."""
    try:
        processes = [subprocess.Popen(list(c), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for c in commands]
    except FileNotFoundError as exc:
        raise PlatformError(failures.docker_missing()) from exc
    selector = selectors.DefaultSelector()
    partial: dict[int, bytes] = {}
    errors: dict[int, list[bytes]] = {}
    for index, process in enumerate(processes):
        for pipe, target in ((process.stdout, out), (process.stderr, err)):
            if pipe is not None:
                selector.register(pipe, selectors.EVENT_READ, (index, target))
    try:
        while selector.get_map():
            for key, _ in selector.select():
                index, target = key.data
                stream: IO[bytes] = key.fileobj  # type: ignore[assignment]
                chunk = os.read(stream.fileno(), 65536)
                slot = id(stream)
                if not chunk:
                    selector.unregister(stream)
                    rest = partial.pop(slot, b"")
                    if rest:
                        _write(target, rest, errors.setdefault(index, []) if target is err else None)
                    continue
                data = partial.pop(slot, b"") + chunk
                complete, _, rest = data.rpartition(b"\n")
                if rest:
                    partial[slot] = rest
                if complete:
                    _write(target, complete + b"\n", errors.setdefault(index, []) if target is err else None)
        codes = [process.wait() for process in processes]
        problems = [b"".join(errors.get(index, [])).decode(errors="replace")
                    for index, code in enumerate(codes) if code]
        return codes, "\n".join(problems)
    finally:
        selector.close()
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait()
            for pipe in (process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()


def _write(target: TextIO, data: bytes, keep: list[bytes] | None) -> None:
    if keep is not None:
        keep.append(data)
    target.write(data.decode(errors="replace"))
    target.flush()


def _task_of(attributes: str) -> str:
    """The task ID among a service log line's details (`com.docker.swarm.node.id=…,com.docker.swarm.task.id=…`,
    the engine's own context it adds to each line); empty when there is none."""
    for attribute in attributes.split(","):
        key, _, value = attribute.partition("=")
        if key == "com.docker.swarm.task.id":
            return value
    return ""
