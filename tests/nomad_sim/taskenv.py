"""The variables a Nomad client gives a task: its NOMAD_* environment, its Env, and the node's attributes."""

from __future__ import annotations

import re
from typing import Any

from .model import SIM_NODE_ID, SIM_NODE_NAME, Allocation

Json = dict[str, Any]

# What client/fingerprint/signal.go reports as attr.os.signals on Linux (consul-template's signal table).
CLIENT_SIGNALS = (
    "SIGABRT,SIGALRM,SIGBUS,SIGCONT,SIGFPE,SIGHUP,SIGILL,SIGINT,SIGIO,SIGIOT,SIGKILL,SIGNULL,SIGPIPE,SIGPROF,SIGQUIT,"
    "SIGSEGV,SIGSTOP,SIGSYS,SIGTERM,SIGTRAP,SIGTSTP,SIGTTIN,SIGTTOU,SIGUSR1,SIGUSR2,SIGWINCH,SIGXCPU,SIGXFSZ"
)
NODE_ATTRIBUTES = {
    "attr.kernel.name": "linux",
    "attr.os.name": "debian",
    "attr.os.signals": CLIENT_SIGNALS,
    "attr.cpu.arch": "amd64",
    "attr.nomad.version": "1.10.0",
    "attr.nomad.service_discovery": "true",
    "attr.driver.raw_exec": "1",
    "attr.driver.exec": "1",
    "attr.driver.docker": "1",
    "attr.unique.hostname": SIM_NODE_NAME,
    "node.unique.id": SIM_NODE_ID,
    "node.unique.name": SIM_NODE_NAME,
    "node.datacenter": "dc1",
    "node.region": "global",
    "node.class": "",
    "node.pool": "default",
}
DYNAMIC_PORT_BASE = 20000  # Nomad's default dynamic port range starts at 20000 (client min_dynamic_port)


def group_ports(group: Json) -> list[Json]:
    """Every port of the group's networks, dynamic and reserved."""
    return [port for network in group.get("Networks") or []
            for port in (network.get("DynamicPorts") or []) + (network.get("ReservedPorts") or [])]


def task_env(alloc: Allocation, job: Json, group: Json, task: Json, dirs: tuple[str, str],
             ports: dict[str, int]) -> dict[str, str]:
    """The task's environment: client/taskenv/env.go Builder, then the task Env through ReplaceEnv."""
    resources = task.get("Resources") or {}
    env = {
        "NOMAD_ALLOC_INDEX": str(alloc.index), "NOMAD_ALLOC_ID": alloc.id, "NOMAD_ALLOC_NAME": alloc.name,
        "NOMAD_SHORT_ALLOC_ID": alloc.id[:8], "NOMAD_JOB_NAME": job["Name"], "NOMAD_JOB_ID": job["ID"],
        "NOMAD_GROUP_NAME": group["Name"], "NOMAD_TASK_NAME": task["Name"], "NOMAD_NAMESPACE": alloc.namespace,
        "NOMAD_REGION": job.get("Region") or "global", "NOMAD_DC": "dc1", "NOMAD_ALLOC_DIR": dirs[0],
        "NOMAD_TASK_DIR": dirs[1], "NOMAD_CPU_LIMIT": str(resources.get("CPU") or 100),
        "NOMAD_MEMORY_LIMIT": str(resources.get("MemoryMB") or 300),
    }  # fmt: skip
    for port in group_ports(group):
        label, host = port["Label"], ports[port["Label"]]
        to = port.get("To") or 0
        # buildNetworkEnv: NOMAD_PORT_ is the port inside the allocation, the mapped To when there is one.
        env[f"NOMAD_HOST_PORT_{label}"] = str(host)
        env[f"NOMAD_PORT_{label}"] = str(to if to > 0 else host)
        env[f"NOMAD_IP_{label}"] = "127.0.0.1"
        env[f"NOMAD_ADDR_{label}"] = f"127.0.0.1:{host}"
    for key, value in (task.get("Env") or {}).items():
        env[key] = replace_env(str(value), {**NODE_ATTRIBUTES, **env})
    return env


def replace_env(text: str, lookup: dict[str, str]) -> str:
    """helper/args/args.go ReplaceEnv: a known ${name} is replaced, anything else is left as written."""
    return re.sub(r"\$\{([a-zA-Z0-9_.-]+)\}", lambda m: lookup.get(m.group(1), m.group(0)), text)


def config_variables(job: Json, group: Json, task: Json, alloc: Allocation) -> dict[str, str]:
    """What runDriver evaluates Config with (stubbed client: nominal ports and directories)."""
    ports = {port["Label"]: DYNAMIC_PORT_BASE + 100 * alloc.index + offset
             for offset, port in enumerate(group_ports(group))}
    return {**NODE_ATTRIBUTES, **task_env(alloc, job, group, task, ("/alloc", "/local"), ports)}
