"""The in-memory cluster: one raft-like index, the tables, and lookups over them."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from .model import Allocation, Deployment, Evaluation, JobRecord
from .nodes import Node, default_node

TABLES = ("jobs", "job_version", "job_summary", "allocs", "deployment", "evals", "scaling_event", "nodes")


@dataclass
class Options:
    """Behaviour switches the test controls change."""

    job_max_count: int = 50000
    auto_run: bool = False
    auto_healthy: bool = False
    auto_delay: float = 0.0
    logs_available: bool = True
    strict: bool = True


class Cluster:
    """Every object of the simulated cluster, guarded by one lock; `changed` wakes blocking queries."""

    def __init__(self, *, region: str, namespaces: tuple[str, ...], options: Options) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.region = region
        self.options = options
        self.namespaces: set[str] = set(namespaces)
        self.node_pools: set[str] = {"all", "default"}  # built in, plus NomadSimulator.add_node_pool's
        self.index = 0
        self.tables: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.jobs: dict[tuple[str, str], JobRecord] = {}
        self.allocs: dict[str, Allocation] = {}
        self.deployments: dict[str, Deployment] = {}
        self.evals: dict[str, Evaluation] = {}
        default = default_node()
        self.nodes: dict[str, Node] = {default.id: default}  # in the order placement tries them
        self.untracked: set[str] = set()  # blocked evaluations a later successful one made moot (Untrack)
        self.closing = False

    def next_index(self, *tables: str) -> int:
        """Take the next index and mark the tables written at it; wakes blocked readers."""
        self.index += 1
        for table in tables:
            self.tables[table] = self.index
        self.changed.notify_all()
        return self.index

    @staticmethod
    def now() -> int:
        """Wall-clock time in Unix nanoseconds, as Nomad stamps objects."""
        return time.time_ns()

    @staticmethod
    def new_id() -> str:
        """A random UUID, as Nomad uses for every object ID."""
        return str(uuid.uuid4())

    def record(self, namespace: str, job_id: str) -> JobRecord | None:
        """The job record, if the job is registered."""
        return self.jobs.get((namespace, job_id))

    def job_allocs(self, namespace: str, job_id: str, *, any_create_index: bool = True) -> list[Allocation]:
        """Allocations of a job ID; by default also those of purged earlier jobs with the same ID."""
        record = self.record(namespace, job_id)
        allocs = [a for a in self.allocs.values() if a.namespace == namespace and a.job_id == job_id]
        if record is not None and not any_create_index:
            allocs = [a for a in allocs if a.job_create_index == record.job["CreateIndex"]]
        return allocs

    def live_allocs(self, namespace: str, job_id: str, group: str) -> list[Allocation]:
        """Non-terminal allocations of one group, lowest name index first."""
        allocs = [a for a in self.job_allocs(namespace, job_id) if a.group == group and not a.terminal]
        return sorted(allocs, key=lambda a: a.index)

    def job_deployments(self, namespace: str, job_id: str) -> list[Deployment]:
        """A job's deployments, newest first."""
        found = [d for d in self.deployments.values() if d.namespace == namespace and d.job_id == job_id]
        return sorted(found, key=lambda d: d.create_index, reverse=True)

    def latest_deployment(self, namespace: str, job_id: str) -> Deployment | None:
        """The newest deployment of the current incarnation of the job."""
        record = self.record(namespace, job_id)
        for deployment in self.job_deployments(namespace, job_id):
            if record is None or deployment.job_create_index == record.job["CreateIndex"]:
                return deployment
        return None

    def job_evals(self, namespace: str, job_id: str) -> list[Evaluation]:
        """A job's evaluations, newest first."""
        found = [e for e in self.evals.values() if e.namespace == namespace and e.job_id == job_id]
        return sorted(found, key=lambda e: e.create_index, reverse=True)

    def find_alloc(self, alloc_id: str) -> Allocation | None:
        """An allocation by full ID, or by a unique prefix as Nomad's CLI allows."""
        if alloc_id in self.allocs:
            return self.allocs[alloc_id]
        matches = [a for key, a in self.allocs.items() if key.startswith(alloc_id)]
        return matches[0] if len(matches) == 1 and alloc_id else None
