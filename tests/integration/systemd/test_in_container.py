"""The systemd backend against a real systemd: inner/'s tests and the conformance suite, run inside the container,
one result per module.

The inner suite runs once per scope (the user's manager as the user pf, the system's as root); the conformance suite
(tests/conformance, every backend's one suite) runs as pf on the systemd backend alone, beside them in the same
container. Each module's outer test fails with the inner failures' own report, so a failure reads as if pytest had
run it here.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.integration.systemd.conftest import INSIDE, ROOT, VENV, Container

pytestmark = pytest.mark.engine("docker")

INNER = Path(__file__).parent / "inner"
SYSTEM_MODULES = ("test_system_scope.py",)  # run as root against the system manager; the rest as pf
MODULES = sorted(path.name for path in INNER.glob("test_*.py"))
CONFORMANCE = ROOT / "tests" / "conformance"
CONFORMANCE_MODULES = sorted(path.name for path in CONFORMANCE.glob("test_*.py"))
# The conformance tests mostly wait (for systemd, the probes, the journal): two pytest runs share them, so that the
# suite takes about as long as the inner tests beside it.
SHARDS = 2
Results = dict[str, list[tuple[str, str]]]  # module → (test, failure text or "") for each test it ran


def _run(container: Container, user: str, label: str, paths: list[str], *env: str) -> tuple[Results, str]:
    """pytest over the paths inside the container as the user; each test's failure, error or skip by module."""
    report = f"/tmp/{label}.xml"
    done = container.exec("env", *env, "PYTHONDONTWRITEBYTECODE=1", f"{VENV}/bin/pytest", "-p", "no:cacheprovider",
                          "--rootdir=/src", "-q", "-rfE", f"--junitxml={report}", "--basetemp", f"/tmp/pytest-{label}",
                          *paths, user=user, timeout=600)
    xml = container.exec("cat", report).stdout
    results: Results = {Path(path).name: [] for path in paths}
    if xml:
        for case in ElementTree.fromstring(xml).iter("testcase"):
            module = (case.get("classname") or "").rsplit(".", 1)[-1] + ".py"
            problems = [element.text or element.get("message") or "" for element in case
                        if element.tag in ("failure", "error", "skipped")]
            results.setdefault(module, []).append((case.get("name", "?"), "\n".join(problems)))
    return results, f"{label}:\n{done.stdout[-6000:]}{done.stderr[-3000:]}"


def _inner(container: Container, scope: str, modules: list[str]) -> tuple[Results, str]:
    paths = [f"/src/tests/integration/systemd/inner/{name}" for name in modules]
    return _run(container, "pf" if scope == "user" else "root", f"inner-{scope}", paths, f"{INSIDE}=1",
                f"PROCFLEET_SYSTEMD_SCOPE={scope}")


def shards() -> list[list[str]]:
    """The conformance modules in SHARDS runs of about as many tests each, the modules of most tests dealt first."""
    tests = {name: (CONFORMANCE / name).read_text().count("\ndef test_") for name in CONFORMANCE_MODULES}
    dealt: list[list[str]] = [[] for _ in range(SHARDS)]
    for name in sorted(CONFORMANCE_MODULES, key=lambda module: -tests[module]):
        min(dealt, key=lambda shard: sum(tests[module] for module in shard)).append(name)
    return dealt


def _conformance(container: Container, shard: int, modules: list[str]) -> tuple[Results, str]:
    paths = [f"/src/tests/conformance/{name}" for name in modules]
    return _run(container, "pf", f"conformance-{shard}", paths, "PROCFLEET_CONFORMANCE_BACKENDS=systemd")


@pytest.fixture(scope="session")
def container_results(systemd_container: Container) -> tuple[Results, Results, str]:
    """Both scopes' inner results, the conformance suite's, and pytest's own output from inside. The conformance
    runs go at once beside the inner ones (other apps, so they do not meet): the container's time is the longest
    of them, not their sum."""
    with ThreadPoolExecutor(SHARDS) as pool:
        runs = [pool.submit(_conformance, systemd_container, n, modules) for n, modules in enumerate(shards())]
        user = _inner(systemd_container, "user", [m for m in MODULES if m not in SYSTEM_MODULES])
        system = _inner(systemd_container, "system", list(SYSTEM_MODULES))
        suite = [run.result() for run in runs]
    conformance = {module: cases for results, _ in suite for module, cases in results.items()}
    return {**user[0], **system[0]}, conformance, "\n".join((user[1], system[1], *(output for _, output in suite)))


def _assert_ran_and_passed(module: str, where: str, results: Results, output: str) -> None:
    """Every test of the module ran inside the container and passed (none skipped: systemd is there)."""
    cases = results.get(module, [])
    assert cases, f"no test of {module} ran inside the container; its pytest said:\n{output}"
    failed = [f"{name}:\n{text}" for name, text in cases if text]
    assert not failed, f"{where}{module} inside the container:\n\n" + "\n\n".join(failed)


@pytest.mark.parametrize("module", MODULES)
def test_inner_module(module: str, container_results: tuple[Results, Results, str]) -> None:
    inner, _, output = container_results
    _assert_ran_and_passed(module, "tests/integration/systemd/inner/", inner, output)


@pytest.mark.parametrize("module", CONFORMANCE_MODULES)
def test_conformance_module_on_systemd(module: str, container_results: tuple[Results, Results, str]) -> None:
    """The conformance suite's module on the systemd backend: each test passes there, or asserts what the backend
    declares (its `differences`, the keys it does not honour)."""
    _, conformance, output = container_results
    _assert_ran_and_passed(module, "tests/conformance/", conformance, output)
