"""Sessions: tests (pytest, real engines where installed), lint (ruff), types (mypy --strict)."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "types", "tests"]
nox.options.error_on_missing_interpreters = True

# The core and every built-in backend, installed the way a user installs them.
PACKAGES = ["-e", ".", "-e", "backends/local", "-e", "backends/compose", "-e", "backends/swarm", "-e", "backends/nomad",
            "-e", "backends/systemd"]
# pytest below 9.2: on 9.2 pytest-xdist's --dist loadgroup silently stops grouping (pytest-xdist#1386), and
# tests/conftest.py then refuses to run rather than run the serial groups side by side.
TEST_DEPS = ["pytest>=8,<9.2", "pytest-xdist>=3.5", "pytest-timeout>=2.3", "honcho>=2", "python-hcl2>=8",
             "jsonschema>=4", "hypothesis>=6"]
SOURCES = ["src", "backends", "tests", "examples", "bench", "noxfile.py"]


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole suite; in CI (PROCFLEET_CI=1) a test whose engine is missing fails instead of skipping."""
    session.install(*PACKAGES, *TEST_DEPS)
    # An exported NOMAD_ADDR must never point the default run at a real cluster: the simulator is the default.
    # Two workers: the tests mostly wait on engines. What must not run side by side stays on one worker
    # (tests/conftest.py, SERIAL_GROUPS).
    session.run("pytest", "--numprocesses", "2", "--dist", "loadgroup", *session.posargs, env={"NOMAD_ADDR": ""})


@nox.session(python="3.11")
def nomad_real(session: nox.Session) -> None:
    """The Nomad integration tests against the real agent at $NOMAD_ADDR (raw_exec enabled, e.g. `nomad agent -dev`)."""
    if not os.environ.get("NOMAD_ADDR"):
        session.error("set NOMAD_ADDR to a Nomad agent's HTTP address")
    session.install(*PACKAGES, *TEST_DEPS)
    session.run("pytest", "tests/integration/nomad", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff over everything."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", *SOURCES)


@nox.session(python="3.11")
def types(session: nox.Session) -> None:
    """mypy --strict over the packages and the tests."""
    session.install(*PACKAGES, "mypy>=1.10", "pytest>=8", "hypothesis>=6", "nox", "python-hcl2>=8", "types-requests",
                    "types-PyYAML")
    session.run("mypy", "--strict", "src", "backends/local/src", "backends/compose/src", "backends/swarm/src",
                "backends/nomad/src", "backends/systemd/src", "tests", "noxfile.py")
