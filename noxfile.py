"""Sessions: tests (pytest, real engines where installed), lint (ruff), types (mypy --strict)."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "types", "tests"]
nox.options.error_on_missing_interpreters = True

# The core and every built-in backend, installed the way a user installs them.
PACKAGES = ["-e", ".", "-e", "backends/local"]
TEST_DEPS = ["pytest>=8", "pytest-timeout>=2.3", "honcho>=2"]
SOURCES = ["src", "backends", "tests", "examples", "bench", "noxfile.py"]


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole suite; in CI (PROCFLEET_CI=1) a test whose engine is missing fails instead of skipping."""
    session.install(*PACKAGES, *TEST_DEPS)
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff over everything."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", *SOURCES)


@nox.session(python="3.11")
def types(session: nox.Session) -> None:
    """mypy --strict over the packages and the tests."""
    session.install(*PACKAGES, "mypy>=1.10", "pytest>=8", "nox")
    session.run("mypy", "--strict", "src", "backends/local/src", "tests", "noxfile.py")
