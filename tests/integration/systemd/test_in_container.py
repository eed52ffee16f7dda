"""The systemd backend against a real systemd: inner/'s tests, run inside the container, one result per module.

The inner suite runs once per scope (the user's manager as the user pf, the system's as root); each module's
outer test fails with the inner failures' own report, so a failure reads as if pytest had run it here.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.integration.systemd.conftest import INSIDE, VENV, Container

pytestmark = pytest.mark.engine("docker")

INNER = Path(__file__).parent / "inner"
SYSTEM_MODULES = ("test_system_scope.py",)  # run as root against the system manager; the rest as pf
MODULES = sorted(path.name for path in INNER.glob("test_*.py"))
Results = dict[str, list[tuple[str, str]]]  # module → (test, failure text or "") for each test it ran


def _run(container: Container, user: str, scope: str, modules: list[str]) -> tuple[Results, str]:
    report = f"/tmp/inner-{scope}.xml"
    paths = [f"/src/tests/integration/systemd/inner/{name}" for name in modules]
    done = container.exec("env", f"{INSIDE}=1", f"PROCFLEET_SYSTEMD_SCOPE={scope}", "PYTHONDONTWRITEBYTECODE=1",
                          f"{VENV}/bin/pytest", "-p", "no:cacheprovider", "--rootdir=/src", "-q", "-rfE",
                          f"--junitxml={report}", "--basetemp", f"/tmp/pytest-{scope}", *paths, user=user, timeout=600)
    xml = container.exec("cat", report).stdout
    results: Results = {name: [] for name in modules}
    if xml:
        for case in ElementTree.fromstring(xml).iter("testcase"):
            module = (case.get("classname") or "").rsplit(".", 1)[-1] + ".py"
            problems = [element.text or element.get("message") or "" for element in case
                        if element.tag in ("failure", "error", "skipped")]
            results.setdefault(module, []).append((case.get("name", "?"), "\n".join(problems)))
    return results, done.stdout[-6000:] + done.stderr[-3000:]


@pytest.fixture(scope="session")
def inner_results(systemd_container: Container) -> tuple[Results, str]:
    """Both scopes' results, and pytest's own output from inside."""
    user, user_output = _run(systemd_container, "pf", "user", [m for m in MODULES if m not in SYSTEM_MODULES])
    system, system_output = _run(systemd_container, "root", "system", list(SYSTEM_MODULES))
    return {**user, **system}, user_output + "\n" + system_output


@pytest.mark.parametrize("module", MODULES)
def test_inner_module(module: str, inner_results: tuple[Results, str]) -> None:
    """Every test of the module ran inside the container and passed (none skipped: systemd is there)."""
    results, output = inner_results
    cases = results.get(module, [])
    assert cases, f"no test of {module} ran inside the container; its pytest said:\n{output}"
    failed = [f"{name}:\n{text}" for name, text in cases if text]
    assert not failed, f"{module} inside the container:\n\n" + "\n\n".join(failed)
