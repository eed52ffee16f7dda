"""NomadSimulator: a loopback HTTP server speaking Nomad's job API, plus controls for tests."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from .acl import POLICY_WRITE, Acl, AclToken
from .handlers import Api
from .model import DEPLOYMENT_FAILED_BY_USER, DEPLOYMENT_SUCCESSFUL, Allocation
from .nodes import Node, new_node
from .scheduler import advance, finish, mark_stable, refresh, rerun_blocked, set_health
from .server import RecordedRequest, SimulatorServer, serve_in_thread
from .state import Cluster, Options
from .taskrunner import ClientRunner

Json = dict[str, Any]


class NomadSimulator:
    """A simulated Nomad agent on 127.0.0.1 (a free port), started on construction; stop() or use `with`."""

    def __init__(
        self,
        *,
        region: str = "global",
        namespaces: Iterable[str] = ("default",),
        strict: bool = True,
        auto_run: bool = False,
        auto_healthy: bool = False,
        auto_delay: float = 0.0,
        logs_available: bool = True,
        job_max_count: int = 50000,
        run_tasks: bool = False,
        min_healthy_scale: float = 0.0,
    ) -> None:
        options = Options(
            job_max_count=job_max_count,
            auto_run=auto_run,
            auto_healthy=auto_healthy,
            auto_delay=auto_delay,
            logs_available=logs_available,
            strict=strict,
        )
        self.cluster = Cluster(region=region, namespaces=tuple(namespaces), options=options)
        self.acl = Acl()
        self._timers: list[threading.Timer] = []
        api = Api(self.cluster, self.acl, self._after_write)
        self._server = SimulatorServer(("127.0.0.1", 0), api)
        self._thread, self._shutdown = serve_in_thread(self._server)
        self._stopped = False
        # run_tasks: the client really runs raw_exec/exec tasks (taskrunner.py)
        self.client = ClientRunner(self.cluster, min_healthy_scale) if run_tasks else None
        api.client = self.client

    # -- lifecycle ----------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the simulator listens on."""
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """The base URL, for NOMAD_ADDR: http://127.0.0.1:PORT (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving, wake blocked queries and cancel pending auto-progress; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        with self.cluster.lock:
            self.cluster.closing = True
            self.cluster.changed.notify_all()
            for timer in self._timers:
                timer.cancel()
        if self.client is not None:
            self.client.stop()
        self._shutdown()

    def __enter__(self) -> NomadSimulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- requests received --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._server.log_lock:
            return list(self._server.log)

    def count_requests(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched the method and/or the (decoded) path."""
        return sum(
            1 for r in self.requests if (method is None or r.method == method) and (path is None or r.path == path)
        )

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        with self._server.log_lock:
            self._server.log.clear()

    @property
    def parked_queries(self) -> int:
        """How many blocking queries wait now for a newer index than the one they sent."""
        with self.cluster.lock:
            return self._server.parked

    # -- configuration ------------------------------------------------------------------------------

    def enable_acl(self, management_token: str = "management-secret") -> str:
        """Turn ACLs on; returns the secret of a management token that may do everything."""
        with self.cluster.lock:
            self.acl.enabled = True
            self.acl.add(AclToken(management_token, management=True))
        return management_token

    def disable_acl(self) -> None:
        """Turn ACLs off again (tokens are kept)."""
        with self.cluster.lock:
            self.acl.enabled = False

    def add_token(
        self,
        secret_id: str,
        *,
        namespaces: Iterable[str] = ("*",),
        capabilities: Iterable[str] = POLICY_WRITE,
    ) -> AclToken:
        """Add a client token limited to some namespaces and capabilities (see acl.POLICY_*)."""
        token = AclToken(secret_id, tuple(namespaces), frozenset(capabilities))
        with self.cluster.lock:
            self.acl.add(token)
        return token

    def add_namespace(self, name: str) -> None:
        """Create a namespace (only "default" and those given to the constructor exist at first)."""
        with self.cluster.lock:
            self.cluster.namespaces.add(name)

    def add_node_pool(self, name: str) -> None:
        """Create a node pool (only "all", "default" and the pools of nodes exist at first)."""
        with self.cluster.lock:
            self.cluster.node_pools.add(name)

    def set_auto_progress(
        self, *, run: bool | None = None, healthy: bool | None = None, delay: float | None = None
    ) -> None:
        """After each write: run=start allocations; healthy=also mark them healthy (deployments succeed)."""
        with self.cluster.lock:
            options = self.cluster.options
            options.auto_run = options.auto_run if run is None else run
            options.auto_healthy = options.auto_healthy if healthy is None else healthy
            options.auto_delay = options.auto_delay if delay is None else delay

    def set_logs_available(self, available: bool) -> None:
        """Offer or withhold the client fs/logs API (withheld: 500 No path to node)."""
        with self.cluster.lock:
            self.cluster.options.logs_available = available

    # -- nodes --------------------------------------------------------------------------------------

    def add_node(self, name: str, **settings: Any) -> str:
        """Add a client node (nodes.new_node's keywords: datacenter, node_pool, node_class, attributes, meta, cpu,
        memory_mb, disk_mb); returns its ID. Blocked evaluations are run again, as new capacity unblocks them."""
        node = new_node(name, **settings)
        with self.cluster.lock:
            self.cluster.nodes[node.id] = node
            self._capacity_changed()
        return node.id

    def set_node(self, node_id: str | None = None, **changes: Any) -> None:
        """Change fields of a node (the first node when node_id is None): cpu, memory_mb, disk_mb, datacenter,
        node_pool, node_class, attributes, meta, eligible. Blocked evaluations are run again."""
        with self.cluster.lock:
            node = self.cluster.nodes[node_id or next(iter(self.cluster.nodes))]
            for key, value in changes.items():
                if not hasattr(node, key) or key in ("id", "name"):
                    raise TypeError(f"set_node: a node has no settable field {key!r}")
                setattr(node, key, value)
            self._capacity_changed()

    def set_nodes(self, *nodes: Node) -> None:
        """Replace the cluster's nodes (build them with nodes.new_node); allocations keep their node IDs."""
        with self.cluster.lock:
            self.cluster.nodes = {node.id: node for node in nodes}
            self._capacity_changed()

    def nodes(self) -> list[Node]:
        """The cluster's nodes, in the order placement tries them (copies)."""
        with self.cluster.lock:
            return [copy.deepcopy(node) for node in self.cluster.nodes.values()]

    # -- inspecting state ---------------------------------------------------------------------------

    def job(self, job_id: str, namespace: str = "default") -> Json | None:
        """The stored job as GET /v1/job/:id returns it, or None."""
        with self.cluster.lock:
            record = self.cluster.record(namespace, job_id)
            return copy.deepcopy(record.job) if record is not None else None

    def allocations(self, job_id: str, namespace: str = "default", *, live_only: bool = False) -> list[Json]:
        """The job's allocation stubs (all, or only non-terminal ones), oldest first."""
        with self.cluster.lock:
            allocs = self._allocs(job_id, namespace)
            return [a.stub() for a in allocs if not (live_only and a.terminal)]

    def latest_deployment(self, job_id: str, namespace: str = "default") -> Json | None:
        """The job's latest deployment as GET /v1/job/:id/deployment returns it."""
        with self.cluster.lock:
            latest = self.cluster.latest_deployment(namespace, job_id)
            return latest.to_json(self.cluster.job_allocs(namespace, job_id)) if latest else None

    # -- driving the cluster ------------------------------------------------------------------------

    def advance(self, job_id: str | None = None, namespace: str = "default") -> None:
        """Let the client catch up: stopping allocs complete, pending ones run, deployments' allocs turn healthy."""
        self._progress(job_id, namespace, run=True, healthy=True)

    def start_allocations(self, job_id: str | None = None, namespace: str = "default") -> None:
        """Pending allocations start running (and stopping ones complete); health is left alone."""
        self._progress(job_id, namespace, run=True, healthy=False)

    def set_allocations_healthy(self, job_id: str | None = None, namespace: str = "default") -> None:
        """Running allocations of active deployments report healthy; a deployment whose allocs all are succeeds."""
        self._progress(job_id, namespace, run=False, healthy=True)

    def fail_allocation(self, alloc_id: str, message: str = "Exit Code: 1") -> None:
        """The allocation's tasks die; in an active deployment it is unhealthy, which fails the deployment."""
        with self.cluster.lock:
            alloc = self._alloc(alloc_id)
            index, now = self.cluster.next_index("allocs"), self.cluster.now()
            finish(alloc, "failed", "Terminated", message, index, now)
            deployment = self.cluster.deployments.get(alloc.deployment_id)
            if deployment is not None and deployment.active:
                set_health(alloc, False, index, now)
            self._refresh(alloc.namespace, alloc.job_id)

    def complete_allocation(self, alloc_id: str) -> None:
        """The allocation's tasks exit successfully (a batch job finishing)."""
        with self.cluster.lock:
            alloc = self._alloc(alloc_id)
            finish(
                alloc, "complete", "Terminated", "Exit Code: 0", self.cluster.next_index("allocs"), self.cluster.now()
            )
            self._refresh(alloc.namespace, alloc.job_id)

    def complete_deployment(self, job_id: str, namespace: str = "default") -> None:
        """Mark the job's active deployment successful (allocations are not touched)."""
        self._end_deployment(job_id, namespace, "successful", DEPLOYMENT_SUCCESSFUL)

    def fail_deployment(
        self, job_id: str, namespace: str = "default", description: str = DEPLOYMENT_FAILED_BY_USER
    ) -> None:
        """Mark the job's active deployment failed with the given StatusDescription."""
        self._end_deployment(job_id, namespace, "failed", description)

    def write_log(self, alloc_id: str, task: str, text: str, *, stream: str = "stdout") -> None:
        """Append text to a task's stdout or stderr, served by /v1/client/fs/logs."""
        with self.cluster.lock:
            alloc = self._alloc(alloc_id)
            alloc.logs[(task, stream)] = alloc.logs.get((task, stream), "") + text
            alloc.log_times[(task, stream)] = time.time_ns()

    # -- internals ----------------------------------------------------------------------------------

    def _alloc(self, alloc_id: str) -> Allocation:
        """An allocation by ID or unique prefix; KeyError if none."""
        alloc = self.cluster.find_alloc(alloc_id)
        if alloc is None:
            raise KeyError(f"no allocation {alloc_id!r}")
        return alloc

    def _allocs(self, job_id: str | None, namespace: str) -> list[Allocation]:
        """One job's allocations (all jobs' when job_id is None), oldest first."""
        allocs = [
            a for a in self.cluster.allocs.values() if job_id is None or (a.job_id, a.namespace) == (job_id, namespace)
        ]
        return sorted(allocs, key=lambda a: (a.create_index, a.group, a.index))

    def _refresh(self, namespace: str, job_id: str) -> None:
        """Settle deployments and status of one job, if it still exists."""
        record = self.cluster.record(namespace, job_id)
        if record is not None:
            refresh(self.cluster, record)

    def _progress(self, job_id: str | None, namespace: str, *, run: bool, healthy: bool) -> None:
        """Advance allocations, then settle every affected job."""
        with self.cluster.lock:
            allocs = self._allocs(job_id, namespace)
            advance(self.cluster, allocs, run=run, healthy=healthy)
            for key in sorted({(a.namespace, a.job_id) for a in allocs}):
                self._refresh(*key)

    def _end_deployment(self, job_id: str, namespace: str, status: str, description: str) -> None:
        """Set the latest active deployment's outcome; KeyError if there is none."""
        with self.cluster.lock:
            deployment = self.cluster.latest_deployment(namespace, job_id)
            if deployment is None or not deployment.active:
                raise KeyError(f"job {job_id!r} has no active deployment")
            deployment.status, deployment.description = status, description
            deployment.modify_index = self.cluster.next_index("deployment")
            record = self.cluster.record(namespace, job_id)
            if record is not None and status == "successful":
                mark_stable(self.cluster, record, deployment.job_version)
            self._refresh(namespace, job_id)

    def _capacity_changed(self) -> None:
        """A node write: re-run blocked evaluations, then settle the jobs that got allocations."""
        self.cluster.next_index("nodes")
        for record in rerun_blocked(self.cluster):
            refresh(self.cluster, record)
            self._after_write(*record.key)

    def _after_write(self, namespace: str, job_id: str) -> None:
        """Auto-progress a job after an HTTP write, now or after the configured delay."""
        options = self.cluster.options
        if not (options.auto_run or options.auto_healthy):
            return
        healthy = options.auto_healthy
        if options.auto_delay <= 0:
            self._progress(job_id, namespace, run=True, healthy=healthy)
            return
        timer = threading.Timer(
            options.auto_delay, self._progress, (job_id, namespace), {"run": True, "healthy": healthy}
        )
        timer.daemon = True
        self._timers.append(timer)
        timer.start()


def running_simulator(**options: Any) -> Iterator[NomadSimulator]:
    """A generator for pytest fixtures: `yield from running_simulator(auto_healthy=True)`."""
    with NomadSimulator(**options) as simulator:
        yield simulator
