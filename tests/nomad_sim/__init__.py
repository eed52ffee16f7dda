"""An in-process simulator of Nomad's HTTP job API, stricter than Nomad, for procfleet's tests."""

from __future__ import annotations

from .acl import POLICY_READ, POLICY_SCALE, POLICY_WRITE, AclToken
from .server import RecordedRequest
from .simulator import NomadSimulator, running_simulator

__all__ = [
    "POLICY_READ",
    "POLICY_SCALE",
    "POLICY_WRITE",
    "AclToken",
    "NomadSimulator",
    "RecordedRequest",
    "running_simulator",
]
