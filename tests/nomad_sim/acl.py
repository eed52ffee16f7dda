"""ACL tokens: namespace capabilities checked per request (reference §2 status mapping, §3.2, §5.1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import ApiError, permission_denied

LIST_JOBS = "list-jobs"
READ_JOB = "read-job"
SUBMIT_JOB = "submit-job"
SCALE_JOB = "scale-job"
READ_JOB_SCALING = "read-job-scaling"
READ_LOGS = "read-logs"
READ_FS = "read-fs"  # list and read an allocation's files (fs/ls, fs/cat…)
ALLOC_LIFECYCLE = "alloc-lifecycle"  # restart and signal allocations (acl/policy.go; in the write policy)
NODE_READ = "node:read"  # the node policy's read, which no namespace policy grants (acl/policy.go NodePolicy)
PARSE_JOB = "parse-job"

# Nomad's shorthand namespace policies "read", "scale" and "write", limited to the capabilities modelled here.
POLICY_READ = frozenset({LIST_JOBS, READ_JOB, READ_JOB_SCALING, PARSE_JOB})
POLICY_SCALE = frozenset({READ_JOB_SCALING, SCALE_JOB})
POLICY_WRITE = POLICY_READ | frozenset({SUBMIT_JOB, SCALE_JOB, READ_LOGS, READ_FS, ALLOC_LIFECYCLE})


@dataclass(frozen=True)
class AclToken:
    """A token: its secret, the namespaces it covers ("*" is every one), its capabilities there, its accessor ID."""

    secret_id: str
    namespaces: tuple[str, ...] = ("*",)
    capabilities: frozenset[str] = POLICY_WRITE
    management: bool = False
    accessor_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def allows(self, namespace: str, capability: str) -> bool:
        """Whether the token grants the capability in the namespace."""
        if self.management:
            return True
        covered = "*" in self.namespaces or namespace in self.namespaces
        return covered and capability in self.capabilities


def token_from_headers(headers: Mapping[str, str]) -> str:
    """The secret a request carries: X-Nomad-Token, else an Authorization bearer token."""
    token = headers.get("X-Nomad-Token", "")
    if token:
        return token
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return ""


class Acl:
    """The ACL system: off by default; when on, every request needs a token with the right capability."""

    def __init__(self) -> None:
        self.enabled = False
        self.tokens: dict[str, AclToken] = {}

    def add(self, token: AclToken) -> None:
        """Register a token."""
        self.tokens[token.secret_id] = token

    def resolve(self, secret: str) -> AclToken | None:
        """The token for a secret (None is the anonymous token); an unknown secret is a 403."""
        if not self.enabled or not secret:
            return None
        token = self.tokens.get(secret)
        if token is None:
            raise ApiError(403, "ACL token not found")
        return token

    def accessor(self, secret: str) -> str:
        """The NomadTokenID a registration records: the token's accessor ID, "" with ACLs off.

        nomad/job_endpoint.go doRegister sets it from the request's ACL token unless ACLs are disabled (whose
        token is "acls-disabled"); the HTTP layer never copies a submitted NomadTokenID.
        """
        token = self.resolve(secret)
        return token.accessor_id if token is not None else ""

    def check(self, secret: str, namespace: str, *capabilities: str) -> None:
        """Raise 403 unless the token grants any one of the capabilities in the namespace."""
        if not self.enabled:
            return
        token = self.resolve(secret)
        if token is None or not any(token.allows(namespace, cap) for cap in capabilities):
            raise permission_denied()

    def check_node_read(self, secret: str) -> None:
        """Raise 403 unless the token may read nodes (nomad/node_endpoint.go List: aclObj.AllowNodeRead)."""
        if not self.enabled:
            return
        token = self.resolve(secret)
        if token is None or not (token.management or NODE_READ in token.capabilities):
            raise permission_denied()

    def visible(self, secret: str, namespaces: Iterable[str], capability: str) -> list[str]:
        """The namespaces a wildcard list may show to this token."""
        if not self.enabled:
            return list(namespaces)
        token = self.resolve(secret)
        if token is None:
            return []
        return [ns for ns in namespaces if token.allows(ns, capability)]
