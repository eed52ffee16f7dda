"""Choosing a node for an allocation as Nomad's generic scheduler does, and the AllocMetric of a failure.

The order of checks follows scheduler/feasible/stack.go NewGenericStack: the ready nodes of the job's datacenters
and node pool (scheduler/util.go readyNodesInDCsAndPool), job constraints, task group drivers and constraints
(behind the computed-class cache of FeasibilityWrapper.Next), distinct_hosts, then resources (BinPackIterator
→ nomad/structs/funcs.go AllocsFit: cpu, then memory, then disk). Where Nomad shuffles the nodes and ranks the
feasible ones, the simulator takes the first feasible node in the order the nodes were added.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .nodes import Node
from .versions import version_matches

Json = dict[str, Any]

CLASS_INELIGIBLE = "computed class ineligible"  # FeasibilityWrapper.Next
MISSING_DRIVERS = "missing drivers"  # scheduler/feasible/feasible.go FilterConstraintDrivers
DISTINCT_HOSTS = "distinct_hosts"
# checkConstraint leaves these to their own iterators.
_ITERATOR_OPERANDS = frozenset({"distinct_hosts", "distinct_property"})


@dataclass(frozen=True)
class Ask:
    """What one allocation of a group needs: the tasks' CPU and memory, the group's ephemeral disk."""

    cpu: int = 0
    memory_mb: int = 0
    disk_mb: int = 0

    def plus(self, other: Ask) -> Ask:
        """The sum of two asks."""
        return Ask(self.cpu + other.cpu, self.memory_mb + other.memory_mb, self.disk_mb + other.disk_mb)


def group_ask(group: Json) -> Ask:
    """The resources one allocation of the group reserves on its node."""
    tasks = group.get("Tasks") or []
    cpu = sum(int((t.get("Resources") or {}).get("CPU") or 0) for t in tasks)
    memory = sum(int((t.get("Resources") or {}).get("MemoryMB") or 0) for t in tasks)
    return Ask(cpu, memory, int((group.get("EphemeralDisk") or {}).get("SizeMB") or 0))


@dataclass
class Metric:
    """nomad/structs/alloc.go AllocMetric, with FilterNode, ExhaustedNode and ExhaustResources."""

    node_pool: str = ""
    nodes_evaluated: int = 0
    nodes_filtered: int = 0
    nodes_in_pool: int = 0
    nodes_available: dict[str, int] = field(default_factory=dict)
    class_filtered: dict[str, int] = field(default_factory=dict)
    constraint_filtered: dict[str, int] = field(default_factory=dict)
    nodes_exhausted: int = 0
    class_exhausted: dict[str, int] = field(default_factory=dict)
    dimension_exhausted: dict[str, int] = field(default_factory=dict)
    resources_exhausted: dict[str, Json] = field(default_factory=dict)
    allocation_time: int = 0
    coalesced_failures: int = 0

    def filter_node(self, node: Node, constraint: str) -> None:
        """A node ruled out by a constraint (or a driver, class or distinct_hosts check)."""
        self.nodes_filtered += 1
        if node.node_class:
            self.class_filtered[node.node_class] = self.class_filtered.get(node.node_class, 0) + 1
        if constraint:
            self.constraint_filtered[constraint] = self.constraint_filtered.get(constraint, 0) + 1

    def exhausted_node(self, node: Node, dimension: str) -> None:
        """A feasible node without room left in one dimension."""
        self.nodes_exhausted += 1
        if node.node_class:
            self.class_exhausted[node.node_class] = self.class_exhausted.get(node.node_class, 0) + 1
        if dimension:
            self.dimension_exhausted[dimension] = self.dimension_exhausted.get(dimension, 0) + 1

    def exhaust_resources(self, group: Json) -> None:
        """Add one failed allocation's memory/CPU to ResourcesExhausted, per task, for the exhausted dimensions."""
        if not self.dimension_exhausted:
            return  # Nomad returns early while DimensionExhausted is nil
        for task in group.get("Tasks") or []:
            entry = self.resources_exhausted.setdefault(task["Name"], _zero_resources())
            asked = task.get("Resources") or {}
            if self.dimension_exhausted.get("memory", 0) > 0:
                entry["MemoryMB"] += int(asked.get("MemoryMB") or 0)
            if self.dimension_exhausted.get("cpu", 0) > 0:
                entry["CPU"] += int(asked.get("CPU") or 0)

    def to_json(self) -> Json:
        """The AllocMetric as Go marshals it: nil maps and slices are null."""
        return {
            "NodesEvaluated": self.nodes_evaluated,
            "NodesFiltered": self.nodes_filtered,
            "NodesInPool": self.nodes_in_pool,
            "NodePool": self.node_pool,
            "NodesAvailable": dict(self.nodes_available),
            "ClassFiltered": dict(self.class_filtered) or None,
            "ConstraintFiltered": dict(self.constraint_filtered) or None,
            "NodesExhausted": self.nodes_exhausted,
            "ClassExhausted": dict(self.class_exhausted) or None,
            "DimensionExhausted": dict(self.dimension_exhausted) or None,
            "QuotaExhausted": None,
            "ResourcesExhausted": {k: dict(v) for k, v in self.resources_exhausted.items()} or None,
            "Scores": None,
            "ScoreMetaData": None,
            "AllocationTime": self.allocation_time,
            "CoalescedFailures": self.coalesced_failures,
        }


def _zero_resources() -> Json:
    """nomad/structs Resources, zero-valued as Go marshals it."""
    return {"CPU": 0, "Cores": 0, "MemoryMB": 0, "MemoryMaxMB": 0, "DiskMB": 0, "IOPS": 0, "Networks": None,
            "Devices": None, "NUMA": None, "SecretsMB": 0}  # fmt: skip


# -- constraints ----------------------------------------------------------------------------------------


def constraint_string(constraint: Json) -> str:
    """structs.Constraint String(): `LTarget Operand RTarget`, the key of ConstraintFiltered."""
    return f"{constraint.get('LTarget', '')} {constraint.get('Operand', '')} {constraint.get('RTarget', '')}"


def resolve_target(target: str, node: Node) -> tuple[str, bool]:
    """scheduler/feasible/feasible.go resolveTarget: a literal, or a node field, attribute or meta value."""
    if not target.startswith("${"):
        return target, True
    fields = {
        "${node.unique.id}": node.id,
        "${node.datacenter}": node.datacenter,
        "${node.unique.name}": node.name,
        "${node.class}": node.node_class,
        "${node.pool}": node.node_pool,
    }
    if target in fields:
        return fields[target], True
    for prefix, values in (("${attr.", node.attributes), ("${meta.", node.meta)):
        if target.startswith(prefix):
            key = target.removeprefix(prefix).removesuffix("}")
            return values.get(key, ""), key in values
    return "", False


def _set_contains(left: str, right: str, *, every: bool) -> bool:
    """checkSetContainsAll / checkSetContainsAny over comma-separated lists, items trimmed."""
    have = {item.strip() for item in left.split(",")}
    wanted = [item.strip() for item in right.split(",")]
    return all(w in have for w in wanted) if every else any(w in have for w in wanted)


def _regexp(left: str, right: str) -> bool:
    """checkRegexpMatch: Go's MatchString finds the pattern anywhere; a bad pattern matches nothing."""
    try:
        return re.search(right, left) is not None
    except re.error:
        return False


def _order(operand: str, left: str, right: str) -> bool:
    """checkOrder: as integers if both parse, else as floats, else lexically."""
    for kind in (int, float):
        try:
            a, b = kind(left), kind(right)
        except ValueError:
            continue
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operand]
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operand]


def check_constraint(operand: str, left: tuple[str, bool], right: tuple[str, bool]) -> bool:
    """scheduler/feasible/feasible.go checkConstraint; an unknown operand is never met."""
    (lval, lfound), (rval, rfound) = left, right
    if operand in _ITERATOR_OPERANDS:
        return True
    if operand in ("!=", "not"):
        return lval != rval  # a missing attribute resolves to "", so it differs from any other value
    if operand == "is_set":
        return lfound
    if operand == "is_not_set":
        return not lfound
    return lfound and rfound and _binary(operand, lval, rval)


def _binary(operand: str, lval: str, rval: str) -> bool:
    """The operands that need both targets resolved."""
    if operand in ("=", "==", "is"):
        return lval == rval
    if operand in ("<", "<=", ">", ">="):
        return _order(operand, lval, rval)
    if operand in ("version", "semver"):
        return version_matches(lval, rval, semver=operand == "semver")
    if operand == "regexp":
        return _regexp(lval, rval)
    if operand in ("set_contains", "set_contains_all", "set_contains_any"):
        return _set_contains(lval, rval, every=operand != "set_contains_any")
    return False


def first_unmet(constraints: Iterable[Json], node: Node) -> str | None:
    """ConstraintChecker.Feasible: the String() of the first constraint the node does not meet, or None."""
    for constraint in constraints:
        left = resolve_target(constraint.get("LTarget", ""), node)
        right = resolve_target(constraint.get("RTarget", ""), node)
        if not check_constraint(constraint.get("Operand", ""), left, right):
            return constraint_string(constraint)
    return None


def group_constraints(group: Json) -> list[Json]:
    """TaskGroupConstraints: the group's constraints, then each task's."""
    found = list(group.get("Constraints") or [])
    for task in group.get("Tasks") or []:
        found += task.get("Constraints") or []
    return found


def has_drivers(group: Json, node: Node) -> bool:
    """DriverChecker.hasDrivers: every task's driver fingerprinted as enabled (`driver.<name>` parses as true)."""
    for driver in {task.get("Driver", "") for task in group.get("Tasks") or []}:
        value = node.attributes.get(f"driver.{driver}", "").lower()
        if value not in ("1", "t", "true"):
            return False
    return True


def _escapes(constraints: Iterable[Json]) -> bool:
    """structs.EscapedConstraints: a target under a unique namespace defeats the computed-class cache."""
    prefixes = ("${unique.", "${node.unique.", "${attr.unique.", "${meta.unique.")
    return any(str(c.get(side, "")).startswith(prefixes) for c in constraints for side in ("LTarget", "RTarget"))


def distinct_hosts(constraints: Iterable[Json]) -> bool:
    """DistinctHostsIterator.hasDistinctHostsConstraint: present and not a false boolean."""
    for constraint in constraints:
        if constraint.get("Operand") == DISTINCT_HOSTS:
            value = str(constraint.get("RTarget", "")).lower()
            return value not in ("0", "f", "false")
    return False


# -- the evaluation's placement context ------------------------------------------------------------------


class Eligibility:
    """scheduler/feasible/context.go EvalEligibility: feasibility remembered per computed node class."""

    def __init__(self, job: Json) -> None:
        self.job_escaped = _escapes(job.get("Constraints") or [])
        self.group_escaped = {g["Name"]: _escapes(group_constraints(g)) for g in job.get("TaskGroups") or []}
        self.job: dict[str, bool] = {}
        self.groups: dict[str, dict[str, bool]] = {}

    def has_escaped(self) -> bool:
        """HasEscaped: the job or any group has an escaping constraint."""
        return self.job_escaped or any(self.group_escaped.values())

    def classes(self) -> dict[str, bool]:
        """GetClasses: eligible if any group found it so, ineligible wherever the job's constraints failed."""
        found: dict[str, bool] = {}
        for classes in self.groups.values():
            for name, eligible in classes.items():
                if eligible:
                    found[name] = True  # one group that fits makes the class eligible
                else:
                    found.setdefault(name, False)
        for name, eligible in self.job.items():
            if eligible:
                found.setdefault(name, True)
            else:
                found[name] = False  # failing a job constraint rules the class out for every group
        return found


@dataclass
class Candidates:
    """The ready nodes in the job's datacenters and node pool, and how many each datacenter has."""

    nodes: list[Node]
    by_datacenter: dict[str, int]


def glob_match(pattern: str, text: str) -> bool:
    """ryanuber/go-glob Glob, which Node.IsInAnyDC uses: `*` is the only wildcard."""
    if pattern == "*":
        return True
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == text
    if not text.startswith(parts[0]) or not text.endswith(parts[-1]):
        return False
    position = len(parts[0])
    for part in parts[1:-1]:
        position = text.find(part, position)
        if position < 0:
            return False
        position += len(part)
    return position <= len(text) - len(parts[-1])


def candidates(nodes: Iterable[Node], job: Json) -> Candidates:
    """readyNodesInDCsAndPool: node pool "all" (or none) means every pool."""
    pool = job.get("NodePool") or "all"
    found: list[Node] = []
    by_dc: dict[str, int] = {}
    for node in nodes:
        if not node.ready or pool not in ("all", node.node_pool):
            continue
        if any(glob_match(dc, node.datacenter) for dc in job.get("Datacenters") or []):
            found.append(node)
            by_dc[node.datacenter] = by_dc.get(node.datacenter, 0) + 1
    return Candidates(found, by_dc)


@dataclass
class Usage:
    """What the allocations proposed on a node already reserve, and whether the job/group already has one there."""

    reserved: Ask
    job_there: bool
    group_there: bool


class Placer:
    """One evaluation's GenericStack over its candidate nodes; remembers the groups that failed to place."""

    def __init__(self, job: Json, nodes: Iterable[Node], usage: Callable[[Node, str], Usage]) -> None:
        self.job = job
        self.found = candidates(nodes, job)
        self.usage = usage
        self.eligibility = Eligibility(job)
        self.failed: dict[str, Metric] = {}

    def select(self, group: Json) -> Node | None:
        """A node for one more allocation of group, or None (the failure is recorded, or coalesced)."""
        name = group["Name"]
        if name in self.failed:
            # computePlacements: a group that failed once is not tried again in this evaluation.
            self.failed[name].coalesced_failures += 1
            self.failed[name].exhaust_resources(group)
            return None
        metric = Metric(node_pool=self.job.get("NodePool") or "", nodes_in_pool=len(self.found.nodes),
                        nodes_available=dict(self.found.by_datacenter))
        started = time.perf_counter_ns()
        chosen = next((node for node in self.found.nodes if self._fits(group, node, metric)), None)
        metric.allocation_time = time.perf_counter_ns() - started
        if chosen is None:
            metric.exhaust_resources(group)
            self.failed[name] = metric
        return chosen

    def _fits(self, group: Json, node: Node, metric: Metric) -> bool:
        """One node through the stack; a rejection is counted in metric."""
        metric.nodes_evaluated += 1
        if not self._feasible(group, node, metric):
            return False
        usage = self.usage(node, group["Name"])
        job_distinct = distinct_hosts(self.job.get("Constraints") or [])
        if (job_distinct and usage.job_there) or (distinct_hosts(group.get("Constraints") or []) and usage.group_there):
            metric.filter_node(node, DISTINCT_HOSTS)
            return False
        dimension = exhausted_dimension(node, usage.reserved.plus(group_ask(group)))
        if dimension:
            metric.exhausted_node(node, dimension)
            return False
        return True

    def _feasible(self, group: Json, node: Node, metric: Metric) -> bool:
        """FeasibilityWrapper.Next: the job's checks, then the group's, skipped for classes already decided."""
        cls, elig = node.computed_class, self.eligibility
        if not elig.job_escaped and elig.job.get(cls) is False:
            metric.filter_node(node, CLASS_INELIGIBLE)
            return False
        unmet = first_unmet(self.job.get("Constraints") or [], node)
        if unmet is not None:
            metric.filter_node(node, unmet)
            if not elig.job_escaped:
                elig.job[cls] = False
            return False
        if not elig.job_escaped:
            elig.job.setdefault(cls, True)
        escaped = elig.group_escaped.get(group["Name"], False)
        known = elig.groups.setdefault(group["Name"], {})
        if not escaped and cls in known:
            if not known[cls]:
                metric.filter_node(node, CLASS_INELIGIBLE)
            return known[cls]
        reason = MISSING_DRIVERS if not has_drivers(group, node) else first_unmet(group_constraints(group), node)
        if reason is not None:
            metric.filter_node(node, reason)
        if not escaped:
            known[cls] = reason is None
        return reason is None


def exhausted_dimension(node: Node, used: Ask) -> str:
    """ComparableResources.Superset's first short dimension ("cpu", "memory", "disk"), or "" when it fits."""
    if node.cpu < used.cpu:
        return "cpu"
    if node.memory_mb < used.memory_mb:
        return "memory"
    if node.disk_mb < used.disk_mb:
        return "disk"
    return ""
