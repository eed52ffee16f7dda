"""The hardening tests reach Nomad and Docker through the integration tests' fixtures."""

from __future__ import annotations

from tests.integration.conftest import docker_engine
from tests.integration.nomad.conftest import agent, project

__all__ = ["agent", "docker_engine", "project"]
