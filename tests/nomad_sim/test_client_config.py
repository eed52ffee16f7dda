"""The simulated client evaluates each task's driver Config as Nomad's runDriver does before starting it."""

from __future__ import annotations

from typing import Any

import pytest

from .client_config import EXTRA_CHARACTERS, evaluate, failure_message, nested_variables
from .simulator import NomadSimulator
from .taskenv import replace_env
from .test_simulator import register

Json = dict[str, Any]


def one_task_job(args: list[str], env: dict[str, str] | None = None) -> Json:
    """A raw_exec job of one group with a port, whose task runs /bin/sh -c with the given args."""
    return {
        "ID": "clock", "Name": "clock", "Type": "service", "Datacenters": ["dc1"],
        "TaskGroups": [{
            "Name": "clock", "Count": 1,
            "Networks": [{"Mode": "host", "DynamicPorts": [{"Label": "port"}]}],
            "Tasks": [{"Name": "clock", "Driver": "raw_exec", "Env": env or {},
                       "Config": {"command": "/bin/sh", "args": ["-c", *args]}}],
        }],
    }  # fmt: skip


def started(sim: NomadSimulator, job: Json) -> Json:
    """Register the job, let the client start it, and return its one allocation."""
    assert register(sim, job).status == 200
    sim.start_allocations("clock")
    (alloc,) = sim.allocations("clock")
    return alloc


def events(alloc: Json) -> list[tuple[str, str]]:
    """The task's events as (type, message)."""
    return [(e["Type"], e["Message"]) for e in alloc["TaskStates"]["clock"]["Events"]]


@pytest.mark.parametrize(("args", "error"), [
    (["sleep ${TICK:-30}"], EXTRA_CHARACTERS),
    (["echo ${HOME}"], 'Unknown variable: There is no variable named "HOME".'),
    (["echo ${attr.kernel.nope}"], 'Unsupported attribute: This object does not have an attribute named "nope".'),
], ids=["shell-default", "unknown-variable", "unknown-attribute"])
def test_a_config_the_client_cannot_evaluate_fails_the_task(sim: NomadSimulator, args: list[str], error: str) -> None:
    """task_runner.go runDriver: a "Failed Validation" event with the multierror text, then "Not Restarting"."""
    alloc = started(sim, one_task_job(args))
    assert alloc["ClientStatus"] == "failed"
    assert alloc["TaskStates"]["clock"]["State"] == "dead" and alloc["TaskStates"]["clock"]["Failed"] is True
    message = failure_message([error])
    assert message.startswith("2 errors occurred:\n\t* failed to parse config: \n\t* ")
    assert events(alloc)[-2:] == [("Failed Validation", message), ("Not Restarting", "Error was unrecoverable")]


def test_escapes_and_known_variables_evaluate(sim: NomadSimulator) -> None:
    """`$${` and `%%{` are literal; NOMAD_*, the task's Env, ports and node attributes are variables."""
    alloc = started(sim, one_task_job(
        ["echo $${TICK:-30} %%{x} ${NOMAD_ALLOC_INDEX} ${NOMAD_PORT_port} ${GREETING} ${attr.kernel.name} $$"],
        env={"GREETING": "hi"}))
    assert alloc["ClientStatus"] == "running", events(alloc)


def test_an_in_deployment_failure_fails_the_deployment(sim: NomadSimulator) -> None:
    """The allocation is unhealthy, so the deployment fails as with any task that dies."""
    job = one_task_job(["sleep ${TICK:-30}"])
    job["Update"] = {"MaxParallel": 1}
    started(sim, job)
    deployment = sim.latest_deployment("clock")
    assert deployment is not None and deployment["Status"] == "failed"


def test_whitespace_in_a_traversal_and_an_unclosed_sequence() -> None:
    """`${ name }` is the same traversal; `${` without its brace is HCL's unclosed-sequence error."""
    assert evaluate(["${ attr.kernel.name }"], nested_variables({"attr.kernel.name": "linux"})) == (["linux"], [])
    _, errors = evaluate("${A", {"A": "1"})
    assert errors and errors[0].startswith("Unclosed template interpolation sequence")


def test_env_values_replace_only_known_names() -> None:
    """helper/args/args.go ReplaceEnv: an unknown ${name} in Env is left as written."""
    assert replace_env("${NOMAD_ALLOC_INDEX}-${NOPE}", {"NOMAD_ALLOC_INDEX": "2"}) == "2-${NOPE}"


def test_a_version_tag_is_a_spec_change(sim: NomadSimulator) -> None:
    """Job.SpecChanged copies only status, stability, version, indices and SubmitTime from the old job, so a new
    VersionTag makes a new version (nomad/structs/structs.go)."""
    job = one_task_job(["sleep 5"])
    assert register(sim, job).status == 200
    assert register(sim, job).status == 200
    assert (sim.job("clock") or {})["Version"] == 0
    assert register(sim, {**job, "VersionTag": {"Name": "v1", "Description": ""}}).status == 200
    assert (sim.job("clock") or {})["Version"] == 1
