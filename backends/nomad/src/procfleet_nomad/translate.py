"""Formation → Nomad job, as the JSON the HTTP API takes (reference §1): pure data, no I/O.

Every key is the API's PascalCase name, durations are integer nanoseconds, driver config keys are the driver's own.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from procfleet.model import Formation, HealthCheck, ProcessType, fingerprint
from procfleet.plan import desired_count
from procfleet.shellcommand import exec_form, numbered_from_zero
from procfleet.validation import Where
from procfleet_nomad.options import Driver, NomadOptions, settings

Json = dict[str, Any]

SECOND = 1_000_000_000  # Nomad durations are integer nanoseconds
MINUTE = 60 * SECOND
MIB = 1024**2
MHZ_PER_CORE = 1000  # Nomad reserves CPU in MHz; one core counts as 1000 MHz, as Nomad's docs reckon it
PORT_LABEL = "port"  # the group port behind $PORT; its env var is NOMAD_PORT_port
CHECK_NAME = "health"
MIN_MEMORY_MB = 10  # Nomad's Resources validation minimum
MIN_CHECK_SECONDS = 1.0  # Nomad rejects check intervals and timeouts below 1s
MAX_SERVICE_NAME = 63  # RFC 1123 label length, enforced by Nomad for service names

META_APP = "procfleet.app"
META_PROCESS = "procfleet.process"
META_FINGERPRINT = "procfleet.fingerprint"  # procfleet.model.fingerprint: what `plan` compares
META_SPEC = "procfleet.spec"  # hash of the rendered group minus its count: catches Nomad-only changes (driver…)
# The formation's port. With exec and raw_exec the task listens on the dynamic port itself, so no `To` holds it and
# only this tells an import of the job (adopt) which port the type declared.
META_PORT = "procfleet.port"

# The formation's restart policies as Nomad RestartPolicy blocks (reference §1.4). Nomad restarts a service
# task whatever its exit status, so "always" never gives up (mode delay), "on-failure" is Nomad's own default
# (a few restarts, then the allocation fails and is rescheduled) and "never" makes no restart attempt at all.
RESTART_POLICIES: Mapping[str, Json] = {
    "always": {"Attempts": 3, "Interval": 5 * MINUTE, "Delay": 15 * SECOND, "Mode": "delay"},
    "on-failure": {"Attempts": 2, "Interval": 30 * MINUTE, "Delay": 15 * SECOND, "Mode": "fail"},
    "never": {"Attempts": 0, "Interval": 30 * MINUTE, "Delay": 15 * SECOND, "Mode": "fail"},
}
# A failed allocation would otherwise be replaced elsewhere, which is a restart by another name.
NO_RESCHEDULE: Json = {"Attempts": 0, "Unlimited": False}

# The signals a Nomad client can deliver: the table it fingerprints as ${attr.os.signals}
# (client/fingerprint/signal.go SignalFingerprint.Fingerprint, from consul-template's signals.SignalLookup on
# unix). The server adds a `set_contains` constraint on it for the task's KillSignal
# (nomad/job_endpoint_hooks.go jobImpliedConstraints), so any other signal leaves the job unplaceable.
CLIENT_SIGNALS = frozenset({
    "SIGABRT", "SIGALRM", "SIGBUS", "SIGCONT", "SIGFPE", "SIGHUP", "SIGILL", "SIGINT", "SIGIO", "SIGIOT",
    "SIGKILL", "SIGPIPE", "SIGPROF", "SIGQUIT", "SIGSEGV", "SIGSTOP", "SIGSYS", "SIGTERM", "SIGTRAP", "SIGTSTP",
    "SIGTTIN", "SIGTTOU", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGXCPU", "SIGXFSZ",
})  # fmt: skip


@dataclass(frozen=True)
class Translation:
    """The job, and the formation keys Nomad cannot honour (printed as warnings)."""

    job: Json
    warnings: tuple[str, ...] = ()


def nanoseconds(seconds: float) -> int:
    """A duration in seconds as Nomad's integer nanoseconds."""
    return round(seconds * SECOND)


def job_id(formation: Formation) -> str:
    """The job's ID and name: the app's name (a DNS label, so also safe in URLs and service names)."""
    return formation.app.name


def translate(formation: Formation, counts: Mapping[str, int] | None = None) -> Translation:
    """The whole job; counts default to the file's (1 for a type that leaves its count to the platform)."""
    options = settings(formation)
    warnings: list[str] = []
    app = formation.app.name
    job: Json = {"ID": app, "Name": app, "Type": "service"}
    if options.namespace:
        job["Namespace"] = options.namespace
    if options.region:
        job["Region"] = options.region
    job["Datacenters"] = list(options.datacenters)
    if options.node_pool:
        job["NodePool"] = options.node_pool
    job["Meta"] = {META_APP: app}
    groups = []
    for name, process in formation.processes.items():
        count = counts[name] if counts is not None and name in counts else desired_count(process.count, None, False)[0]
        groups.append(_group(formation, process, count, options, warnings))
    job["TaskGroups"] = groups
    return Translation(job=job, warnings=tuple(warnings))


def register_request(job: Json, *, job_modify_index: int, preserve_counts: bool) -> Json:
    """The JobRegisterRequest body: check-and-set against the JobModifyIndex that was read (reference §1.8)."""
    return {"Job": job, "EnforceIndex": True, "JobModifyIndex": job_modify_index, "PreserveCounts": preserve_counts}


def driver_for(formation: Formation, process: ProcessType, options: NomadOptions) -> Driver:
    """The option's driver, else docker for a type with an image and exec (isolated, on by default) otherwise."""
    if options.driver is not None:
        return options.driver
    return "docker" if formation.image_reference(process) else "exec"


def _where(formation: Formation, key: str) -> Where:
    return Where(formation.source, f"{formation.key_prefix}{key}")


def _group(formation: Formation, process: ProcessType, count: int, options: NomadOptions,
           warnings: list[str]) -> Json:
    """One task group holding the type's one task, with its network, service and policies."""
    driver = driver_for(formation, process, options)
    group: Json = {"Name": process.name, "Count": count}
    if process.port is not None:
        group["Networks"] = [_network(process.port, driver)]
        group["Services"] = [_service(formation, process, warnings)]
    elif process.health is not None and process.health.kind == "command":
        warnings.append(_command_check_warning(formation, process))
    group["RestartPolicy"] = dict(RESTART_POLICIES[process.restart])
    if process.restart == "never":
        group["ReschedulePolicy"] = dict(NO_RESCHEDULE)
    group["Tasks"] = [_task(formation, process, driver, warnings)]
    meta = {
        META_APP: formation.app.name,
        META_PROCESS: process.name,
        META_FINGERPRINT: fingerprint(formation, process),
        META_SPEC: spec_hash(options, group),
    }
    if process.port is not None:
        meta[META_PORT] = str(process.port)
    return {"Name": group.pop("Name"), "Count": group.pop("Count"), "Meta": meta, **group}


def spec_hash(options: NomadOptions, group: Json) -> str:
    """A stable hash of a rendered group without its count and meta, plus the job-level placement settings."""
    definition = {
        "group": {key: value for key, value in group.items() if key not in ("Count", "Meta")},
        "placement": [list(options.datacenters), options.namespace, options.region, options.node_pool],
    }
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]


def _network(port: int, driver: Driver) -> Json:
    """A dynamic host port; docker maps it To the formation's port, exec drivers listen on it directly."""
    dynamic: Json = {"Label": PORT_LABEL}
    if driver == "docker":
        # Only a container has a port of its own to map to; exec/raw_exec share the host's network, where
        # several instances cannot all listen on the formation's port, so $PORT is the dynamic port there.
        dynamic["To"] = port
    return {"Mode": "host", "DynamicPorts": [dynamic]}


def service_name(formation: Formation, process: ProcessType) -> str:
    """The Nomad service name: <app>-<type>, which is Nomad's own default for a group service."""
    return f"{formation.app.name}-{process.name}"


def _service(formation: Formation, process: ProcessType, warnings: list[str]) -> Json:
    """A Nomad-provider service on the group port, with the type's health check when Nomad can run it."""
    name = service_name(formation, process)
    if len(name) > MAX_SERVICE_NAME:
        raise _where(formation, f"processes.{process.name}").error(
            f'the Nomad service name "{name}" would be longer than {MAX_SERVICE_NAME} characters: '
            "shorten the app or process type name")
    service: Json = {"Name": name, "PortLabel": PORT_LABEL, "Provider": "nomad"}
    health = process.health
    if health is not None and health.kind == "command":
        warnings.append(_command_check_warning(formation, process))
    elif health is not None:
        service["Checks"] = [_check(formation, process.name, health)]
    return service


def _command_check_warning(formation: Formation, process: ProcessType) -> str:
    return (f"{formation.source}: {formation.key_prefix}processes.{process.name}.health.command: Nomad's service "
            "provider runs only http and tcp checks; this check is not rendered")


def _check(formation: Formation, name: str, health: HealthCheck) -> Json:
    """An http or tcp check; check_restart restarts the task after `retries` failures in a row."""
    for key, seconds in (("interval", health.interval), ("timeout", health.timeout)):
        if seconds < MIN_CHECK_SECONDS:
            raise _where(formation, f"processes.{name}.health.{key}").error(
                f"Nomad checks need an {key} of at least 1s, got {seconds:g}s")
    check: Json = {"Name": CHECK_NAME, "Type": health.kind}
    if health.kind == "http":
        check["Path"] = health.http_path
    check["Interval"] = nanoseconds(health.interval)
    check["Timeout"] = nanoseconds(health.timeout)
    check["CheckRestart"] = {"Limit": health.retries, "Grace": nanoseconds(health.start_period)}
    return check


def client_literal(value: Any) -> Any:
    """A driver Config value escaped so the Nomad client's HCL2 template pass hands it on unchanged.

    The client evaluates every string of a task's Config as an HCL2 template over the task's environment
    (client/allocrunner/taskrunner/task_runner.go runDriver → helper/pluginutils/hclutils ParseHclInterface):
    `${X:-y}` would be a parse error, `${HOME}` an unknown variable. `$${` and `%%{` are HCL2's literal forms.
    """
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [client_literal(item) for item in value]
    if isinstance(value, dict):
        return {key: client_literal(item) for key, item in value.items()}
    return value


def _task(formation: Formation, process: ProcessType, driver: Driver, warnings: list[str]) -> Json:
    """The one task: the command through /bin/sh -c, its env with PORT, its stop signal, timeout and resources."""
    if process.stop_signal not in CLIENT_SIGNALS:
        raise _where(formation, f"processes.{process.name}.stop_signal").error(
            f"Nomad clients cannot send {process.stop_signal}: it is not in the signal table they fingerprint "
            "(attr.os.signals); choose another stop signal")
    image = formation.image_reference(process)
    if driver == "docker":
        if not image:
            raise _where(formation, f"processes.{process.name}.image").error(
                "the docker driver needs an image: set app.image or this type's image "
                '(or choose [backends.nomad] driver = "exec" or "raw_exec")')
        config = {"image": image, **_docker_command(process), "init": True}
        if process.port is not None:
            config["ports"] = [PORT_LABEL]
    else:
        config = _exec_command(formation, process, driver)
        if process.image:
            warnings.append(f"{formation.source}: {formation.key_prefix}processes.{process.name}.image: the "
                            f"{driver} driver runs no image; ignored")
    task: Json = {"Name": process.name, "Driver": driver, "Config": client_literal(config),
                  "Env": _env(formation, process)}
    resources = _resources(formation, process)
    if resources:
        task["Resources"] = resources
    task["KillTimeout"] = nanoseconds(process.stop_timeout)
    task["KillSignal"] = process.stop_signal
    return task


def _docker_command(process: ProcessType) -> Json:
    """The docker driver's entrypoint and args (drivers/docker/driver.go createContainerConfig: args become the
    container's Cmd, entrypoint its Entrypoint). A shell line runs with the shell as the entrypoint, so an image's
    own ENTRYPOINT cannot swallow it; Docker's init as PID 1 passes the stop signal on."""
    if process.command is not None:
        script = numbered_from_zero(exec_form(process.command), process.name, "NOMAD_ALLOC_INDEX")
        return {"entrypoint": ["/bin/sh", "-c"], "args": [script]}
    config: Json = {}
    if process.entrypoint is not None:
        config["entrypoint"] = list(process.entrypoint)
    if process.args is not None:
        config["args"] = list(process.args)
    return config


def _exec_command(formation: Formation, process: ProcessType, driver: Driver) -> Json:
    """command and args for exec and raw_exec, which run no shell and no image (reference §1.5)."""
    if process.command is not None:
        script = numbered_from_zero(exec_form(process.command), process.name, "NOMAD_ALLOC_INDEX")
        return {"command": "/bin/sh", "args": ["-c", script]}
    argv = process.argv()
    if not argv:
        raise _where(formation, f"processes.{process.name}.command").error(
            f"missing: the {driver} driver runs no image, and this type runs its image's own command; give it a "
            'command (or choose [backends.nomad] driver = "docker")')
    return {"command": argv[0], "args": list(argv[1:])}


def _env(formation: Formation, process: ProcessType) -> dict[str, str]:
    """The type's env, then what procfleet sets: PORT from the group port, PROCFLEET_PROCESS like Heroku's DYNO."""
    env = formation.environment(process)
    if process.port is not None:
        # NOMAD_PORT_<label> holds the `To` port when one is mapped, else the dynamic host port (reference §1.4).
        env["PORT"] = "${NOMAD_PORT_" + PORT_LABEL + "}"
    # PROCFLEET_PROCESS is `web.1` for the allocation Nomad numbers web[0]: the task's shell line exports it, since
    # a task Env cannot add 1 to NOMAD_ALLOC_INDEX (client/taskenv ReplaceEnv only substitutes). A type with no
    # shell line has no such line: it gets the type's name, as on Compose.
    if process.command is None:
        env["PROCFLEET_PROCESS"] = process.name
    return env


def _resources(formation: Formation, process: ProcessType) -> Json:
    """CPU in MHz and memory in MiB, only where the formation sets them (Nomad's defaults otherwise)."""
    resources: Json = {}
    cpu, memory = process.resources.cpu, process.resources.memory
    if cpu is not None:
        resources["CPU"] = max(1, round(cpu * MHZ_PER_CORE))
    if memory is not None:
        megabytes = math.ceil(memory / MIB)
        if megabytes < MIN_MEMORY_MB:
            raise _where(formation, f"processes.{process.name}.resources.memory").error(
                f"Nomad needs at least {MIN_MEMORY_MB}M of memory per task")
        resources["MemoryMB"] = megabytes
    return resources
