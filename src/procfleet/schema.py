"""Turns a parsed formation document into the validated model, naming the key path of every error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar, cast

from procfleet import validation as v
from procfleet.envfiles import EnvFileSyntaxError, read_env_file
from procfleet.model import (
    DEFAULT_BACKEND,
    READINESS,
    RESTART_POLICIES,
    App,
    Build,
    Formation,
    HealthCheck,
    ProcessType,
    Readiness,
    Resources,
    RestartPolicy,
    default_readiness,
)
from procfleet.validation import Where

T = TypeVar("T")

TOP_KEYS = ("app", "processes", "backends")
APP_KEYS = ("name", "image", "env_file", "env", "backend", "build")
PROCESS_KEYS = ("command", "entrypoint", "args", "count", "port", "health", "env", "env_file", "restart",
                "stop_signal", "stop_timeout", "resources", "image", "build", "after")
BUILD_KEYS = ("context", "dockerfile", "target", "args")
HEALTH_KINDS = ("http", "tcp", "command")
HEALTH_KEYS = (*HEALTH_KINDS, "interval", "timeout", "retries", "start_period")
RESOURCE_KEYS = ("cpu", "memory")


def build_formation(document: Mapping[str, Any], source: Path, key_prefix: str = "") -> Formation:
    """Validate a whole document (the TOML root, or pyproject's [tool.procfleet]) into a Formation."""
    root = Where(source, key_prefix.rstrip("."))
    v.reject_unknown(document, TOP_KEYS, root)
    if "app" not in document:
        raise root.child("app").error("missing table [app] (it needs at least name = \"...\")")
    app = _app(document["app"], root.child("app"), source.parent)
    if "processes" not in document:
        raise root.child("processes").error("missing table [processes]: define at least one process type")
    processes = _processes(document["processes"], root.child("processes"), source.parent)
    _check_order(processes, root.child("processes"))
    backends_where = root.child("backends")
    backends = {
        name: dict(v.table(options, backends_where.child(name)))
        for name, options in v.table(document.get("backends", {}), backends_where).items()
    }
    return Formation(app=app, processes=processes, backends=backends, source=source, key_prefix=key_prefix)


def _app(value: Any, where: Where, folder: Path) -> App:
    data = v.table(value, where)
    v.reject_unknown(data, APP_KEYS, where)
    if "name" not in data:
        raise where.child("name").error('missing: every app needs a name, e.g. name = "shop"')
    name = v.name(data["name"], where.child("name"), "app name")
    image = v.string(data["image"], where.child("image")) if "image" in data else None
    env_files = tuple(folder / p for p in v.string_list(data.get("env_file", []), where.child("env_file")))
    file_env = _read_env_files(env_files, where.child("env_file"))
    env = _own_env(data.get("env", {}), where.child("env"))
    backend = v.name(data.get("backend", DEFAULT_BACKEND), where.child("backend"), "backend name")
    build = _build(data["build"], where.child("build")) if "build" in data else None
    return App(name=name, image=image, env_files=env_files, env=env, backend=backend, file_env=file_env,
               build=build)


MAX_ENV_FILE_BYTES = 2**20  # an env file past 1 MiB is not one (and /dev/zero must not be read forever)


def _read_env_files(paths: tuple[Path, ...], where: Where) -> dict[str, str]:
    merged: dict[str, str] = {}
    for index, path in enumerate(paths):
        if not path.is_file():
            raise Where(where.file, f"{where.key}[{index}]").error(f"env file not found: {path}")
        # Later files win, as with Compose's env_file lists; a bare `KEY` line carries no value.
        at = Where(where.file, f"{where.key}[{index}]")
        if path.stat().st_size > MAX_ENV_FILE_BYTES:
            raise at.error(f"env file {path} is larger than {MAX_ENV_FILE_BYTES // 2**20} MiB")
        try:
            merged.update(read_env_file(path))
        except EnvFileSyntaxError as exc:
            raise at.error(f"{path}:{exc.line}: {exc.message}") from None
        except UnicodeDecodeError:
            raise at.error(f"env file {path} is not UTF-8 text") from None
        except OSError as exc:
            raise at.error(f"cannot read env file {path}: {exc.strerror or exc}") from None
    return merged


def _processes(value: Any, where: Where, folder: Path) -> dict[str, ProcessType]:
    data = v.table(value, where)
    if not data:
        raise where.error("no process types: add at least one, e.g. [processes.web] command = \"...\"")
    return {name: _process(name, spec, where.child(name), folder) for name, spec in data.items()}


def _process(name: str, value: Any, where: Where, folder: Path) -> ProcessType:
    v.name(name, where, "process type name")
    data = v.table(value, where)
    v.reject_unknown(data, PROCESS_KEYS, where)
    if "command" in data and ("entrypoint" in data or "args" in data):
        key = "entrypoint" if "entrypoint" in data else "args"
        raise where.child(key).error("a type runs either command (a shell line) or entrypoint/args (an argv "
                                     "without a shell), not both")
    port = _optional(data, "port", where, lambda x, w: v.integer(x, w, minimum=1, maximum=65535,
                                                                   what="a port between 1 and 65535"))
    health = _optional(data, "health", where, lambda x, w: _health(x, w, port))
    return ProcessType(
        name=name,
        command=_optional(data, "command", where, v.string),
        entrypoint=_optional(data, "entrypoint", where, _argv),
        args=_optional(data, "args", where, _argv),
        build=_optional(data, "build", where, _build),
        after=_after(data.get("after", []), where.child("after")),
        count=_optional(data, "count", where, v.integer),
        port=port,
        health=health,
        env=_own_env(data.get("env", {}), where.child("env")),
        env_files=(env_files := tuple(folder / p for p in v.string_list(data.get("env_file", []),
                                                                        where.child("env_file")))),
        file_env=_read_env_files(env_files, where.child("env_file")),
        restart=cast(RestartPolicy, v.choice(data.get("restart", "always"), where.child("restart"),
                                             RESTART_POLICIES)),
        stop_signal=v.signal_name(data.get("stop_signal", "SIGTERM"), where.child("stop_signal")),
        stop_timeout=v.duration(data.get("stop_timeout", "10s"), where.child("stop_timeout")),
        resources=_resources(data.get("resources", {}), where.child("resources")),
        image=_optional(data, "image", where, v.string),
    )


PENDING = cast(Readiness, "")  # a list entry's readiness, settled by _check_order once every type is known


def _after(value: Any, where: Where) -> Mapping[str, Readiness]:
    """after = ["db"] (each ready as default_readiness says), or after = { migrate = "done", db = "healthy" }."""
    if isinstance(value, Mapping):
        return {str(name): cast(Readiness, v.choice(item, where.child(str(name)), READINESS))
                for name, item in value.items()}
    return dict.fromkeys(v.string_list(value, where), PENDING)


def _check_order(processes: dict[str, ProcessType], where: Where) -> None:
    """`after` names other types of the formation, asks "healthy" only of a type with a check, and never goes
    round in a circle; a list entry gets its default readiness here."""
    for name, process in list(processes.items()):
        settled: dict[str, Readiness] = {}
        for index, (other, wanted) in enumerate(process.after.items()):
            at = Where(where.file, f"{where.key}.{name}.after" + (f".{other}" if wanted else f"[{index}]"))
            if other == name:
                raise at.error(f"{name} cannot wait for itself")
            if other not in processes:
                raise at.error(f'no process type "{other}" in the formation; it has: {", ".join(processes)}')
            if wanted == "healthy" and processes[other].health is None:
                raise at.error(f"{other} has no health check to be healthy by: give it one, or wait for started")
            settled[other] = wanted or default_readiness(processes[other])
        processes[name] = replace(process, after=settled)
    for name, process in processes.items():  # a depth-first walk from each type finds any cycle
        path = [name]
        stack = [iter(process.after)]  # the path's types, each with the names it waits for still to visit
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                path.pop()
                continue
            if nxt == name:
                cycle = " → ".join([*path, name])
                raise Where(where.file, f"{where.key}.{name}.after").error(f"the types wait for each other in a "
                                                                          f"circle: {cycle}")
            if nxt not in path:
                path.append(nxt)
                stack.append(iter(processes[nxt].after))


RESERVED_ENV = {
    "PORT": "procfleet sets PORT for every instance (from port, or Foreman's scheme locally): set port, or "
            "[backends.local] base_port",
    "PROCFLEET_PROCESS": "procfleet sets PROCFLEET_PROCESS to the instance's name (web.1)",
}


def _own_env(value: Any, where: Where) -> dict[str, str]:
    """An env table without the names procfleet owns: silently overridden, they would mislead."""
    env = v.env_table(value, where)
    for name, reason in RESERVED_ENV.items():
        if name in env:
            raise where.child(name).error(reason)
    return env


def _argv(value: Any, where: Where) -> tuple[str, ...]:
    """An argv: an array of strings, each passed to the program as it is (no shell, no splitting)."""
    if not isinstance(value, list):
        raise where.error(f"expected an array of strings (one per argument), got {v.describe(value)}")
    return tuple(v.string(item, Where(where.file, f"{where.key}[{index}]"), allow_empty=True)
                 for index, item in enumerate(value))


def _build(value: Any, where: Where) -> Build:
    """build = "./folder", or a table with context, dockerfile, target and args, as Compose's build: says."""
    if isinstance(value, str):
        return Build(context=v.string(value, where))
    data = v.table(value, where)
    v.reject_unknown(data, BUILD_KEYS, where)
    args = v.table(data.get("args", {}), where.child("args"))
    return Build(
        context=v.string(data.get("context", "."), where.child("context")),
        dockerfile=_optional(data, "dockerfile", where, v.string),
        target=_optional(data, "target", where, v.string),
        args={str(key): v.string(item, where.child("args").child(str(key)), allow_empty=True)
              for key, item in args.items()},
    )


def _optional(data: Mapping[str, Any], key: str, where: Where, parse: Callable[[Any, Where], T]) -> T | None:
    return parse(data[key], where.child(key)) if key in data else None


def _health(value: Any, where: Where, port: int | None) -> HealthCheck:
    data = v.table(value, where)
    v.reject_unknown(data, HEALTH_KEYS, where)
    kinds = [kind for kind in HEALTH_KINDS if kind in data]
    if len(kinds) != 1:
        raise where.error('expected exactly one of http = "/path", tcp = true or command = "..."')
    kind = kinds[0]
    at = where.child(kind)
    http_path = command = None
    if kind == "http":
        http_path = v.string(data["http"], at)
        if not http_path.startswith("/"):
            raise at.error(f'expected a path starting with "/", got {v.describe(http_path)}')
    elif kind == "tcp":
        if not v.boolean(data["tcp"], at):
            raise at.error("tcp = false checks nothing: remove the health table instead")
    else:
        command = v.string(data["command"], at)
    if kind in ("http", "tcp") and port is None:
        raise at.error(f"a {kind} health check needs the process type's port")
    return HealthCheck(
        kind=kind,  # type: ignore[arg-type]  # narrowed by HEALTH_KINDS above
        http_path=http_path,
        command=command,
        interval=_positive_duration(data.get("interval", "10s"), where.child("interval")),
        timeout=_positive_duration(data.get("timeout", "2s"), where.child("timeout")),
        retries=v.integer(data.get("retries", 3), where.child("retries"), minimum=1,
                          what="a positive integer"),
        start_period=v.duration(data.get("start_period", "0s"), where.child("start_period")),
    )


def _positive_duration(value: Any, where: Where) -> float:
    seconds = v.duration(value, where)
    if seconds <= 0:
        raise where.error(f"expected a duration above zero, got {v.describe(value)}")
    return seconds


def _resources(value: Any, where: Where) -> Resources:
    data = v.table(value, where)
    v.reject_unknown(data, RESOURCE_KEYS, where)
    cpu = v.number(data["cpu"], where.child("cpu"), what="a positive number of cores") if "cpu" in data else None
    memory = v.memory(data["memory"], where.child("memory")) if "memory" in data else None
    return Resources(cpu=cpu, memory=memory)
