"""Strict checks of Task.Config for the drivers procfleet emits (docker, exec, raw_exec).

Nomad's server does not look inside Config; the client rejects a bad one only when the task starts
(reference §1.5). The simulator checks at registration, so a generator bug shows up at once.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

STRICT = "strict simulator: Nomad's client would fail the task at start"

_LISTS = frozenset({"args", "entrypoint", "ports", "cap_add", "cap_drop", "volumes", "denied_envvars"})
_BOOLS = frozenset({"force_pull", "auth_soft_fail", "tty", "interactive", "privileged", "readonly_rootfs"})

DOCKER_KEYS = frozenset(
    {
        "image", "command", "args", "entrypoint", "ports", "port_map", "network_mode", "network_aliases",
        "force_pull", "auth", "auth_soft_fail", "work_dir", "labels", "volumes", "volume_driver", "mount",
        "mounts", "tty", "interactive", "image_pull_timeout", "privileged", "cap_add", "cap_drop",
        "devices", "dns_servers", "dns_search_domains", "dns_options", "extra_hosts", "hostname",
        "init", "ipc_mode", "pid_mode", "uts_mode", "userns_mode", "logging", "readonly_rootfs",
        "security_opt", "shm_size", "storage_opt", "sysctl", "ulimit", "runtime", "load",
        "ipv4_address", "ipv6_address", "mac_address", "memory_hard_limit", "cpu_hard_limit",
        "cpu_cfs_period", "cpuset_cpus", "oom_score_adj", "pids_limit", "group_add", "healthchecks",
        "isolation", "cgroupns", "container_exists_attempts", "advertise_ipv6_address",
    }
)  # fmt: skip
EXEC_KEYS = frozenset({"command", "args", "pid_mode", "ipc_mode", "cap_add", "cap_drop", "work_dir"})
RAW_EXEC_KEYS = frozenset(
    {"command", "args", "work_dir", "oom_score_adj", "cgroup_v1_override", "cgroup_v2_override", "denied_envvars"}
)

# driver -> (allowed keys, required key)
DRIVERS: dict[str, tuple[frozenset[str], str]] = {
    "docker": (DOCKER_KEYS, "image"),
    "exec": (EXEC_KEYS, "command"),
    "raw_exec": (RAW_EXEC_KEYS, "command"),
}


def check_config(driver: str, config: dict[str, Any] | None, port_labels: Collection[str]) -> list[str]:
    """Problems with one task's driver config; an unknown driver's config is not checked."""
    if driver not in DRIVERS:
        return []
    allowed, required = DRIVERS[driver]
    config = config or {}
    errors: list[str] = []
    for key in sorted(config):
        if key not in allowed:
            errors.append(f'{driver} config: unknown key "{key}" ({STRICT})')
    value = config.get(required)
    if not isinstance(value, str) or not value:
        errors.append(f'{driver} config: "{required}" is required and must be a non-empty string ({STRICT})')
    for key in sorted(_LISTS & config.keys()):
        items = config[key]
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            errors.append(f'{driver} config: "{key}" must be a list of strings ({STRICT})')
    for key in sorted(_BOOLS & config.keys()):
        if not isinstance(config[key], bool):
            errors.append(f'{driver} config: "{key}" must be a boolean ({STRICT})')
    if driver == "docker" and isinstance(config.get("ports"), list):
        for label in config["ports"]:
            if isinstance(label, str) and label not in port_labels:
                errors.append(f'docker config: port "{label}" is not a group network port label ({STRICT})')
    return errors
