"""The simulated cluster's client nodes: identity, attributes, datacenter, node pool and resource capacity."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from .model import SIM_NODE_ID, SIM_NODE_NAME
from .taskenv import NODE_ATTRIBUTES

# The default node's capacity: generous, so that only a test that asks for it runs out.
DEFAULT_CPU_MHZ = 16000
DEFAULT_MEMORY_MB = 32768
DEFAULT_DISK_MB = 102400


def default_attributes(name: str) -> dict[str, str]:
    """Node.Attributes (keys without "attr.") as the default node fingerprints them, for a node called name."""
    attributes = {key.removeprefix("attr."): value for key, value in NODE_ATTRIBUTES.items() if key.startswith("attr.")}
    attributes["unique.hostname"] = name
    return attributes


@dataclass
class Node:
    """A client node as the scheduler sees it (nomad/structs/structs.go Node), reduced to what placement reads."""

    id: str
    name: str
    datacenter: str = "dc1"
    node_pool: str = "default"
    node_class: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    cpu: int = DEFAULT_CPU_MHZ
    memory_mb: int = DEFAULT_MEMORY_MB
    disk_mb: int = DEFAULT_DISK_MB
    status: str = "ready"
    eligible: bool = True

    @property
    def ready(self) -> bool:
        """Node.Ready: status ready and eligible for scheduling (draining is not modelled)."""
        return self.status == "ready" and self.eligible

    @property
    def computed_class(self) -> str:
        """Node.ComputeClass (nomad/structs/node_class.go): a hash of what is not unique to the node."""
        shared = {
            "Datacenter": self.datacenter,
            "NodePool": self.node_pool,
            "NodeClass": self.node_class,
            # HashIncludeMap: keys under "unique." stay out, so otherwise identical nodes share a class.
            "Attributes": {k: v for k, v in self.attributes.items() if not k.startswith("unique.")},
            "Meta": {k: v for k, v in self.meta.items() if not k.startswith("unique.")},
        }
        digest = hashlib.sha256(json.dumps(shared, sort_keys=True).encode()).digest()
        return f"v1:{int.from_bytes(digest[:8], 'big')}"


def default_node() -> Node:
    """The one node a simulator starts with: the client whose attributes the task environment shows."""
    return Node(id=SIM_NODE_ID, name=SIM_NODE_NAME, attributes=default_attributes(SIM_NODE_NAME))


def new_node(
    name: str,
    *,
    datacenter: str = "dc1",
    node_pool: str = "default",
    node_class: str = "",
    attributes: dict[str, str | None] | None = None,
    meta: dict[str, str] | None = None,
    cpu: int = DEFAULT_CPU_MHZ,
    memory_mb: int = DEFAULT_MEMORY_MB,
    disk_mb: int = DEFAULT_DISK_MB,
) -> Node:
    """A node with the default node's attributes, overridden by attributes (a value of None removes one)."""
    merged: dict[str, str | None] = {**default_attributes(name), **(attributes or {})}
    return Node(
        id=str(uuid.uuid4()),
        name=name,
        datacenter=datacenter,
        node_pool=node_pool,
        node_class=node_class,
        attributes={key: value for key, value in merged.items() if value is not None},
        meta=dict(meta or {}),
        cpu=cpu,
        memory_mb=memory_mb,
        disk_mb=disk_mb,
    )
