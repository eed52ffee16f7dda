"""The hardening tests reach Nomad through the integration tests' agent and project fixtures."""

from __future__ import annotations

from tests.integration.nomad.conftest import agent, project

__all__ = ["agent", "project"]
