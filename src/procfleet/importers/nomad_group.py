"""One Nomad task group as one process type: its main task's command, env, resources, stop and restart."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from procfleet import validation as v
from procfleet.importers.commands import from_argv
from procfleet.importers.names import portable
from procfleet.importers.nomad_checks import health_check
from procfleet.importers.nomad_server import group_view, service_view, task_view
from procfleet.importers.nomad_values import MINUTE, SECOND, report_rest, seconds, tables, unset, without_unset
from procfleet.importers.result import Report
from procfleet.model import ProcessType, Resources, RestartPolicy
from procfleet.validation import Where, describe

Json = Mapping[str, Any]
MHZ_PER_CORE = 1000  # the inverse of the Nomad backend's mapping, so round trips hold
MIB = 1024**2
# What Nomad gives a task that asks for no resources: in a job read back from Nomad, read as "not set".
DEFAULT_CPU_MHZ = 100
DEFAULT_MEMORY_MB = 300
OURS = ("PROCFLEET_PROCESS",)
META_PREFIX = "procfleet."
META_PORT = META_PREFIX + "port"  # the formation's port, which procfleet's Nomad backend keeps in the group's meta
# The RestartPolicy blocks procfleet's Nomad backend renders; any other policy is mapped by its mode.
RESTART_BLOCKS: dict[RestartPolicy, Json] = {
    "always": {"Attempts": 3, "Interval": 5 * MINUTE, "Delay": 15 * SECOND, "Mode": "delay"},
    "on-failure": {"Attempts": 2, "Interval": 30 * MINUTE, "Delay": 15 * SECOND, "Mode": "fail"},
    "never": {"Attempts": 0, "Interval": 30 * MINUTE, "Delay": 15 * SECOND, "Mode": "fail"},
}
DEFAULT_RESCHEDULE: Json = {"Delay": 30 * SECOND, "DelayFunction": "exponential", "MaxDelay": 60 * MINUTE,
                            "Unlimited": True}
CONFIG_KEYS = ("image", "command", "args", "entrypoint", "ports", "init")
# HCL2's literal forms of `${` and `%{`, which the Nomad client turns back into the text (client_text).
CLIENT_ESCAPES = re.compile(r"\$\$\{|%%\{")
LIVE_TEMPLATE = re.compile(r"(?<!\$)\$\{")  # `${…}` the client fills in, not HCL2's `$${` escape


@dataclass(frozen=True)
class ImportedGroup:
    """A group made a process type, and the task driver it ran with."""

    process: ProcessType
    driver: str


def read_group(name: str, group: Json, app: str, where: Where, report: Report,
               read_back: bool = False, namespace: str = "default") -> ImportedGroup | None:
    """The group's main task as a process type, or None (reported) when it runs no command procfleet can take.

    app is the app's name, which procfleet's service names start with (<app>-<type>); read_back says the job is
    one Nomad returned (GET /v1/job/:id), with its defaults filled in; namespace is the job's.
    What the server adds to every job it stores (nomad_server.py) is never reported.
    """
    task, task_where = _main_task(group, where, report)
    if task is None:
        report.skipped(where.key, "no task to run")
        return None
    driver = str(task.get("Driver") or "")
    docker = driver in ("docker", "podman")
    config = v.table(task.get("Config") or {}, task_where.child("Config"))
    run = _command(config, task_where.child("Config"), report, docker)
    if run.command is None and run.args is None and run.entrypoint is None and not docker:
        report.skipped(where.key, f"no command: the {driver} driver runs no image, so the task runs nothing")
        return None
    declared = str((group.get("Meta") or {}).get(META_PORT) or "")
    label, port = _port(group, task, config, where, report, int(declared) if declared.isdigit() else None)
    if label is not None and port is not None and run.command is not None:
        run = replace(run, command=port_variable(run.command, label))
    env = _env(task.get("Env") or {}, label, port, task_where.child("Env"), report)
    if port is None and env.get("PORT", "").isdigit():
        port = int(env.pop("PORT"))
    services_where = where.child("Services") if group.get("Services") else task_where.child("Services")
    services: list[Json] = [service_view(s, namespace) for s in tables(group.get("Services") or task.get("Services"),
                                                           services_where)]
    health = health_check(services, f"{app}-{portable(name) or name}", label, port, services_where, report)
    restart = _restart(group, where, report)
    report_rest(group_view(group), ("Name", "Count", "Tasks", "Networks", "Services", "RestartPolicy",
                                    "ReschedulePolicy", "Meta"), where, report)
    _report_meta(group.get("Meta") or {}, where.child("Meta"), report)
    # Nomad copies the group's RestartPolicy into each task of a job it returns; only a task's own one says more.
    inherited = ("RestartPolicy",) if without_unset(task.get("RestartPolicy") or {}) in (
        {}, without_unset(group.get("RestartPolicy") or {})) else ()
    report_rest(task_view(task), ("Name", "Driver", "Config", "Env", "Resources", "KillTimeout", "KillSignal",
                                  "Services", "Meta", "Lifecycle", *inherited), task_where, report)
    _report_meta(task.get("Meta") or {}, task_where.child("Meta"), report)
    count = group.get("Count")
    process = ProcessType(
        name=name,
        command=run.command,
        entrypoint=run.entrypoint,
        args=run.args,
        count=None if count is None else v.integer(count, where.child("Count")),
        port=port,
        health=health,
        env=env,
        restart=restart,
        # Nomad's defaults: SIGINT (docker stop sends SIGTERM) after which it waits 5s.
        stop_signal=v.signal_name(task.get("KillSignal") or ("SIGTERM" if docker else "SIGINT"),
                                  task_where.child("KillSignal")),
        stop_timeout=seconds(task.get("KillTimeout", 5 * SECOND), task_where.child("KillTimeout")),
        resources=_resources(task.get("Resources") or {}, task_where.child("Resources"), report, read_back),
        image=str(config["image"]) if docker and config.get("image") else None,
    )
    return ImportedGroup(process=process, driver=driver)


def _main_task(group: Json, where: Where, report: Report) -> tuple[Json | None, Where]:
    """The one task without a lifecycle hook (the others, sidecars and hooks, are reported)."""
    tasks = tables(group.get("Tasks"), where.child("Tasks"))
    main = [task for task in tasks if unset(task.get("Lifecycle"))] or tasks[:1]
    chosen = main[0] if main else None
    for task in tasks:
        if task is not chosen:
            report.skipped(where.child("Tasks").child(str(task.get("Name"))).key,
                           "procfleet runs one task per process type")
    name = str(chosen.get("Name")) if chosen else ""
    return chosen, where.child("Tasks").child(name)


@dataclass(frozen=True)
class TaskCommand:
    """What the task runs: a shell line, or entrypoint/args as the container (or process) gets them, or neither."""

    command: str | None = None
    entrypoint: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None


def _command(config: Json, where: Where, report: Report, docker: bool) -> TaskCommand:
    """The task's command as its driver runs it (drivers/docker/driver.go createContainerConfig: `command` and
    `args` make the container's Cmd, `entrypoint` its Entrypoint; exec and raw_exec run `command` with `args`).
    `/bin/sh -c SCRIPT`, as procfleet renders a shell line, is that shell line; an argv holding a `${…}` the
    client would fill in becomes a shell line too, whose shell expands the same variable."""
    for key in config:
        if key not in CONFIG_KEYS and not unset(config[key]):
            report.skipped(where.child(key).key, "no formation key for this driver setting")
    args = config.get("args") or []
    if not isinstance(args, list):
        raise where.child("args").error(f"expected a list of strings, got {describe(args)}")
    raw = [str(word) for word in [*(config.get("entrypoint") or []), *([config["command"]] if config.get(
        "command") else []), *args]]
    entrypoint = [client_text(str(word)) for word in config.get("entrypoint") or []]
    cmd = ([client_text(str(config["command"]))] if config.get("command") else []) + [
        client_text(str(arg)) for arg in args]
    argv = entrypoint + cmd
    shell_line = argv[:2] in (["/bin/sh", "-c"], ["sh", "-c"]) and len(argv) == 3
    if shell_line or any(LIVE_TEMPLATE.search(word) for word in raw):
        return TaskCommand(command=from_argv(argv))
    if not docker:
        return TaskCommand(args=tuple(argv)) if argv else TaskCommand()
    return TaskCommand(entrypoint=tuple(entrypoint) if config.get("entrypoint") is not None else None,
                       args=tuple(cmd) if cmd else None)


def client_text(text: str) -> str:
    """A driver Config string as the program receives it once the Nomad client has evaluated it as HCL2.

    `$${` and `%%{` are HCL2's escapes (the Nomad backend writes them); a live `${NAME}` is left as it is, since the
    shell then expands the same environment variable the client would have pasted in.
    """
    return CLIENT_ESCAPES.sub(lambda found: found.group(0)[1:], text)


def port_variable(command: str, label: str) -> str:
    """`${NOMAD_PORT_<label>}` and `$NOMAD_PORT_<label>` of the group port written as procfleet's `$PORT`."""
    name = re.escape(f"NOMAD_PORT_{label}")
    return re.sub(r"\$\{" + name + r"\}|\$" + name + r"(?![A-Za-z0-9_])", "${PORT}", command)


def _port(group: Json, task: Json, config: Json, where: Where, report: Report,
          declared: int | None) -> tuple[str | None, int | None]:
    """The port label the service (or the task) uses, and the port inside the allocation: To, a static Value, or
    the port procfleet declared in the group's meta (exec drivers listen on the dynamic port, with no To)."""
    ports: list[tuple[str, Json, Where]] = []
    for index, network in enumerate(tables(group.get("Networks"), where.child("Networks"))):
        at = Where(where.file, f"{where.key}.Networks[{index}]")
        report_rest(network, ("DynamicPorts", "ReservedPorts"), at, report)
        for kind in ("DynamicPorts", "ReservedPorts"):
            for entry in tables(network.get(kind), at.child(kind)):
                ports.append((str(entry.get("Label")), entry, at.child(kind).child(str(entry.get("Label")))))
    services = tables(group.get("Services") or task.get("Services"), where.child("Services")) or [{}]
    wanted = services[0].get("PortLabel") or (config.get("ports") or [None])[0]
    chosen = next((p for p in ports if p[0] == wanted), ports[0] if ports else None)
    port = None
    for label, entry, at in ports:
        if chosen is None or label != chosen[0]:
            report.skipped(at.key, "a process type has one port")
            continue
        to, value = entry.get("To") or 0, entry.get("Value") or 0
        port = to if to > 0 else (value or declared)
        if value:
            report.skipped(at.child("Value").key, f"the static host port {value}: procfleet maps a dynamic one "
                           "to the port with the docker driver, and makes $PORT the dynamic one with the others")
        if port is None:
            report.skipped(at.key, "a dynamic port with no To has no fixed port inside the allocation: set "
                           "the type's port in the formation")
    extra = [p for p in config.get("ports") or [] if chosen is None or p != chosen[0]]
    if extra:
        report.skipped(where.child("Tasks").child(str(task.get("Name"))).child("Config").child("ports").key,
                       f"the ports {', '.join(map(str, extra))}: a process type has one port")
    return (chosen[0] if chosen else None), port


def _env(env: Any, label: str | None, port: int | None, where: Where, report: Report) -> dict[str, str]:
    """The task's env without what procfleet sets: PROCFLEET_PROCESS, and PORT when it is the group port."""
    result = {}
    for key, value in v.table(env, where).items():
        text = str(value)
        if key in OURS or (key == "PORT" and label is not None and text == "${NOMAD_PORT_" + label + "}"):
            continue
        if key == "PORT" and port is not None:
            report.skipped(where.child(key).key, f"procfleet sets PORT itself, to {port} inside the allocation")
            continue
        result[str(key)] = text
    return v.env_table(result, where)


def _restart(group: Json, where: Where, report: Report) -> RestartPolicy:
    """procfleet's own blocks map back exactly; Nomad's default is on-failure; others are mapped by mode."""
    policy = without_unset(group.get("RestartPolicy") or {})
    restart: RestartPolicy = "on-failure"  # Nomad's default for service jobs: 2 attempts in 30m, then fail
    exact = [name for name, block in RESTART_BLOCKS.items() if without_unset(block) == policy]
    if exact:
        restart = exact[0]
    elif policy:
        mode, attempts = group["RestartPolicy"].get("Mode", "fail"), group["RestartPolicy"].get("Attempts", 2)
        restart = "always" if mode == "delay" else ("never" if attempts == 0 else "on-failure")
        report.note(where.child("RestartPolicy").key, f'carried over as restart = "{restart}" (procfleet\'s '
                    "policies have their own attempts and delays)")
    reschedule = group.get("ReschedulePolicy")
    if reschedule is not None and not _expected_reschedule(reschedule, restart):
        report.skipped(where.child("ReschedulePolicy").key, "procfleet reschedules as Nomad does by default "
                       '(and never with restart = "never")')
    return restart


def _expected_reschedule(policy: Json, restart: RestartPolicy) -> bool:
    """Nomad's default policy, or (with restart = "never") the no-reschedule one the backend renders."""
    if restart == "never" and policy.get("Unlimited") is False and not without_unset(policy):
        return True
    return bool(without_unset(policy) == DEFAULT_RESCHEDULE)


def _resources(resources: Any, where: Where, report: Report, read_back: bool) -> Resources:
    """CPU in MHz (1000 MHz a core) or Cores, and MemoryMB; the other resources are reported.

    In a job read back from Nomad, its defaults (100 MHz, 300 MB) are read as not set: Nomad writes them into every
    task that asked for nothing, and a task that asked for exactly them runs the same way there.
    """
    data = v.table(resources, where)
    report_rest(data, ("CPU", "Cores", "MemoryMB"), where, report)
    mhz, memory = data.get("CPU"), data.get("MemoryMB")
    if read_back:
        mhz = None if mhz == DEFAULT_CPU_MHZ else mhz
        memory = None if memory == DEFAULT_MEMORY_MB else memory
    cpu = data.get("Cores") or (mhz / MHZ_PER_CORE if mhz else None)
    return Resources(cpu=None if cpu is None else v.number(cpu, where.child("CPU")),
                     memory=None if memory is None else v.integer(memory, where.child("MemoryMB"), minimum=1) * MIB)


def _report_meta(meta: Any, where: Where, report: Report) -> None:
    for key in v.table(meta, where):
        if not str(key).startswith(META_PREFIX):
            report.skipped(where.child(str(key)).key, "procfleet sets only its own meta")
