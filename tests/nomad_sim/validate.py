"""Semantic validation of a canonical job (reference §2, §1.4-1.5), returning Nomad-formatted error items.

Messages quoted in the reference are reproduced verbatim; the others follow Nomad's wording as closely as
known and are marked in README.md. Nested failures are nested multierror texts, as Nomad's are.
"""

from __future__ import annotations

import re
from typing import Any

from . import drivers
from .errors import multierror
from .gotypes import SECOND, format_duration
from .gourl import UrlError, parse_scheme

Json = dict[str, Any]

JOB_TYPES = ("service", "batch", "system", "sysbatch")
MIN_RESTART_INTERVAL = 5 * SECOND
MIN_CHECK_INTERVAL = SECOND
MAX_PORT = 65535
SERVICE_NAME = re.compile(r"^(?i:[a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])$")
NETWORK_MODE = re.compile(r"^(host|bridge|none|cni/.+)$")
CHECK_TYPES = ("http", "tcp", "grpc", "script")
NOMAD_PROVIDER_CHECKS = ("http", "tcp")
TEMPLATE_CHANGE_MODES = ("restart", "noop", "signal", "script")
DELAY_FUNCTIONS = ("constant", "exponential", "fibonacci")


def validate_job(job: Json, *, job_max_count: int) -> list[str]:
    """All validation errors of a canonical job, as top-level multierror items (empty when valid)."""
    errors: list[str] = []
    if not job["ID"]:
        errors.append("Missing job ID")
    elif " " in job["ID"]:
        errors.append("Job ID contains a space")
    elif "\x00" in job["ID"]:
        errors.append("Job ID contains a null character")
    if not job["Name"]:
        errors.append("Missing job name")
    elif "\x00" in job["Name"]:
        errors.append("Job Name contains a null character")
    if job["Type"] not in JOB_TYPES:
        errors.append(f"Invalid job type: {_quote(job['Type'])}")
    if not 1 <= job["Priority"] <= 100:
        errors.append("Job priority must be between [1, 100]")
    if any(not dc for dc in job["Datacenters"]):
        errors.append("Job datacenter must be non-empty string")
    groups = job["TaskGroups"]
    if not groups:
        errors.append("Missing job task groups")
    seen: dict[str, int] = {}
    for index, group in enumerate(groups, start=1):
        name = group["Name"]
        if not name:
            errors.append(f"Job task group {index} missing name")
        elif name in seen:
            errors.append(f"Job task group {index} redefines '{name}' from group {seen[name]}")
        else:
            seen[name] = index
        if job["Type"] == "system" and group["Count"] > 1:
            errors.append(
                f"Job task group {name} has count {group['Count']}. "
                "Only count of 0 or 1 supported with system scheduler"
            )
    total = sum(max(group["Count"], 0) for group in groups)
    if total > job_max_count:
        errors.append(f"total count was greater than configured job_max_count: {total} > {job_max_count}")
    for group in groups:
        group_errors = _group_errors(group, job)
        if group_errors:
            errors.append(f"Task group {group['Name']} validation failed: {multierror(group_errors)}")
    return errors


def _group_errors(group: Json, job: Json) -> list[str]:
    """TaskGroup.Validate: count, tasks, policies, scaling, networks, services, then each task."""
    errors: list[str] = []
    if not group["Name"]:
        errors.append("Missing task group name")
    elif "\x00" in group["Name"]:
        errors.append("Task group name contains null character")
    if group["Count"] < 0:
        errors.append("Task group count can't be negative")
    if not group["Tasks"]:
        errors.append("Missing tasks for task group")
    if group["Update"] is not None and job["Type"] not in ("service", "system"):
        errors.append(f"Job type {_quote(job['Type'])} does not allow update block")
    restart = _restart_errors(group["RestartPolicy"])
    if restart:
        errors.append(multierror(restart))
    reschedule = group["ReschedulePolicy"]
    if reschedule is not None:
        if job["Type"] in ("system", "sysbatch"):
            errors.append("System jobs should not have a reschedule policy")
        elif reschedule["DelayFunction"] not in DELAY_FUNCTIONS:
            errors.append(
                f"Invalid delay function {_quote(reschedule['DelayFunction'])}, "
                f"must be one of [{' '.join(DELAY_FUNCTIONS)}]"
            )
    if group["EphemeralDisk"]["SizeMB"] < 10:
        errors.append(f"minimum SizeMB value is 10; got {group['EphemeralDisk']['SizeMB']}")
    errors.extend(_scaling_errors(group))
    labels, network_errors = _network_errors(group)
    if network_errors:
        errors.append(f"Task group network validation failed: {multierror(network_errors)}")
    service_errors = _services_errors(group["Services"] or [], labels)
    if service_errors:
        errors.append(f"Task group service validation failed: {multierror(service_errors)}")
    seen: dict[str, int] = {}
    for index, task in enumerate(group["Tasks"], start=1):
        name = task["Name"]
        if name in seen:
            errors.append(f"Task {index} redefines '{name}' from task {seen[name]}")
        else:
            seen[name] = index
        task_errors = _task_errors(task, group, job, labels)
        if task_errors:
            errors.append(f"Task {name} validation failed: {multierror(task_errors)}")
    return errors


def _restart_errors(policy: Json) -> list[str]:
    """RestartPolicy.Validate: mode, ambiguous zero attempts, minimum interval, attempts x delay."""
    errors: list[str] = []
    mode, attempts = policy["Mode"], policy["Attempts"]
    if mode not in ("fail", "delay"):
        errors.append(f"Unsupported restart mode: {_quote(mode)}")
    if attempts == 0 and mode != "fail":
        errors.append(f"Restart policy {_quote(mode)} with {attempts} attempts is ambiguous")
    if policy["Interval"] < MIN_RESTART_INTERVAL:
        errors.append(
            f"Interval can not be less than {format_duration(MIN_RESTART_INTERVAL)} "
            f"(got {format_duration(policy['Interval'])})"
        )
    if attempts * policy["Delay"] > policy["Interval"]:
        errors.append(
            f"Nomad can't restart the TaskGroup {attempts} times in an interval of "
            f"{format_duration(policy['Interval'])} with a delay of {format_duration(policy['Delay'])}"
        )
    return errors


def _scaling_errors(group: Json) -> list[str]:
    """validateScalingPolicy: Min/Max present and ordered, and Min <= Count <= Max."""
    scaling = group["Scaling"]
    if scaling is None:
        return []
    prefix = "Scaling policy invalid: "
    errors: list[str] = []
    low, high, count = scaling["Min"], scaling["Max"], group["Count"]
    if high < 0:
        errors.append(prefix + "maximum count must be specified and non-negative")
    elif high < low:
        errors.append(prefix + "maximum count must not be less than minimum count")
    if low < 0:
        errors.append(prefix + "minimum count must be specified and non-negative")
    if high >= 0 and count > high:
        errors.append(prefix + "task group count must not be greater than maximum count in scaling policy")
    if count < low:
        errors.append(prefix + "task group count must not be less than minimum count in scaling policy")
    return errors


def _network_errors(group: Json) -> tuple[set[str], list[str]]:
    """validateNetworks: unique labels, unique static ports, port ranges; returns the labels too."""
    errors: list[str] = []
    labels: dict[str, str] = {}
    static: dict[int, str] = {}
    networks = [("taskgroup network", net) for net in group["Networks"] or []]
    for task in group["Tasks"]:
        networks += [(f"task {task['Name']} network", net) for net in task["Resources"]["Networks"] or []]
    for owner, net in networks:
        if not NETWORK_MODE.match(net["Mode"]):
            errors.append(
                f"Network mode {_quote(net['Mode'])} is not host, bridge, none or cni/<name> (strict simulator)"
            )
        for port in (net["ReservedPorts"] or []) + (net["DynamicPorts"] or []):
            label, value, to = port["Label"], port["Value"], port["To"]
            if label in labels:
                errors.append(f"Port label {label} already in use by {labels[label]}")
            else:
                labels[label] = owner
            if value:
                if value in static:
                    errors.append(f"Static port {value} already reserved by {static[value]}")
                elif value > MAX_PORT:
                    errors.append(f"Port {label} ({value}) cannot be greater than {MAX_PORT}")
                else:
                    static[value] = f"{owner}:{label}"
            if to < -1:
                errors.append(f"Port {_quote(label)} cannot be mapped to negative value {to}")
            elif to > MAX_PORT:
                errors.append(f"Port {_quote(label)} cannot be mapped to a port ({to}) greater than {MAX_PORT}")
    return set(labels), errors


def _services_errors(services: list[Json], labels: set[str]) -> list[str]:
    """Service blocks: names, one provider, checks, and port labels that exist."""
    errors: list[str] = []
    providers = {svc["Provider"] for svc in services}
    if len(providers) > 1:
        errors.append("Multiple service providers used: task group services must use the same provider")
    for index, svc in enumerate(services):
        own = _service_errors(svc, labels)
        if own:
            errors.append(f"Service[{index}] {svc['Name']} validation failed: {multierror(own)}")
    return errors


def _service_errors(svc: Json, labels: set[str]) -> list[str]:
    """Service.Validate and its checks."""
    errors: list[str] = []
    name = svc["Name"]
    if not SERVICE_NAME.match(name):
        errors.append(
            "Service name must be valid per RFC 1123 and can contain only alphanumeric characters or "
            f"dashes and must be no longer than 63 characters: {_quote(name)}"
        )
    if svc["Provider"] not in ("consul", "nomad"):
        errors.append(f'Service provider must be "consul" or "nomad", got {_quote(svc["Provider"])}')
    port = svc["PortLabel"]
    if port and not port.isdigit() and port not in labels:
        errors.append(f"Port label {port} referenced by services {name} does not exist")
    for check in svc["Checks"] or []:
        problem = _check_error(check, svc["Provider"])
        if problem and svc["Provider"] == "nomad":
            errors.append(problem)  # Service.validateNomadService appends the check's error as it is
        elif problem:
            errors.append(f"Check {check['Name']} invalid: {problem}")
    return errors


def _check_error(check: Json, provider: str) -> str:
    """ServiceCheck.validateCommon (nomad/structs/services.go): the first problem of one check, or ""."""
    kind = check["Type"]
    if kind not in CHECK_TYPES:
        return f'invalid type ({_quote(kind)}), must be one of "http", "tcp", "grpc", or "script" type'
    if provider == "nomad" and kind not in NOMAD_PROVIDER_CHECKS:
        return f"check type {_quote(kind)} is not supported by the nomad service provider"
    if kind == "http":
        if not check["Path"]:
            return "http type must have http path"
        try:
            scheme = parse_scheme(check["Path"])
        except UrlError:
            return "http type must have valid http path"
        if scheme:
            return "http type must have relative http path"
    minimum = format_duration(MIN_CHECK_INTERVAL)
    if check["Interval"] == 0:
        return f"missing required value interval. Interval cannot be less than {minimum}"
    if check["Interval"] < MIN_CHECK_INTERVAL:
        return f"interval ({format_duration(check['Interval'])}) cannot be lower than {minimum}"
    if check["Timeout"] == 0:
        return f"missing required value timeout. Timeout cannot be less than {minimum}"
    if check["Timeout"] < MIN_CHECK_INTERVAL:
        return f"timeout ({format_duration(check['Timeout'])}) is lower than required minimum timeout {minimum}"
    return ""


def _task_errors(task: Json, group: Json, job: Json, labels: set[str]) -> list[str]:
    """Task.Validate: name, driver, resources, kill timeout, logs, templates, services, driver config."""
    errors: list[str] = []
    name = task["Name"]
    if not name:
        errors.append("Missing task name")
    if "/" in name or "\\" in name:
        errors.append("Task name cannot include slashes")
    if "\x00" in name:
        errors.append("Task name cannot include null characters")
    if name == "alloc":
        errors.append('Task name cannot be "alloc"')
    if not task["Driver"]:
        errors.append("Missing task driver")
    resources = _resource_errors(task["Resources"])
    if resources:
        errors.append(multierror(resources))
    if task["KillTimeout"] < 0:
        errors.append("KillTimeout must be a positive value")
    update = group["Update"]
    if job["Type"] == "service" and update and 0 < update["ProgressDeadline"] < task["KillTimeout"]:
        errors.append(
            f"Task {name} has a kill timeout ({format_duration(task['KillTimeout'])}) longer than the "
            f"group's progress deadline ({format_duration(update['ProgressDeadline'])})"
        )
    if task["ShutdownDelay"] < 0:
        errors.append("ShutdownDelay must be a positive value")
    log = task["LogConfig"]
    disk = group["EphemeralDisk"]["SizeMB"]
    if log["MaxFiles"] * log["MaxFileSizeMB"] >= disk:
        errors.append(
            f"log storage ({log['MaxFiles'] * log['MaxFileSizeMB']} MB) must be less than requested disk "
            f"capacity ({disk} MB)"
        )
    for index, tmpl in enumerate(task["Templates"] or [], start=1):
        problems = _template_errors(tmpl)
        if problems:
            errors.append(f"Template {index} validation failed: {multierror(problems)}")
    errors.extend(_services_errors(task["Services"] or [], labels))
    errors.extend(drivers.check_config(task["Driver"], task["Config"], labels))
    return errors


def _resource_errors(resources: Json) -> list[str]:
    """Resources.Validate at task level."""
    errors: list[str] = []
    if resources["Cores"] and resources["CPU"]:
        errors.append("Task can only ask for 'cpu' or 'cores' resource, not both.")
    if not resources["Cores"] and resources["CPU"] < 1:
        errors.append(f"minimum CPU value is 1; got {resources['CPU']}")
    if resources["MemoryMB"] < 10:
        errors.append(f"minimum MemoryMB value is 10; got {resources['MemoryMB']}")
    if resources["MemoryMaxMB"] and resources["MemoryMaxMB"] < resources["MemoryMB"]:
        errors.append(
            f"MemoryMaxMB value ({resources['MemoryMaxMB']}) should be larger than MemoryMB value "
            f"({resources['MemoryMB']})"
        )
    if resources["DiskMB"]:
        errors.append("Task can't ask for disk resources, they have to be specified at the task group level.")
    return errors


def _template_errors(tmpl: Json) -> list[str]:
    """Template.Validate: a source, a destination and a known change mode."""
    errors: list[str] = []
    if not tmpl["SourcePath"] and not tmpl["EmbeddedTmpl"]:
        errors.append("Must specify a source path or have an embedded template")
    if not tmpl["DestPath"]:
        errors.append("Must specify a destination for the template")
    mode = tmpl["ChangeMode"]
    if mode not in TEMPLATE_CHANGE_MODES:
        errors.append(f"Invalid change mode ({mode})")
    if mode == "signal" and not tmpl["ChangeSignal"]:
        errors.append("Must specify signal value when change mode is signal")
    return errors


def _quote(text: str) -> str:
    """Go's %q for plain strings."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\x00")
    return f'"{escaped}"'
