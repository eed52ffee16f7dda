"""Tests of the Nomad API simulator against the contract in shared/reference/nomad-http-api.md."""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

from .acl import POLICY_READ, POLICY_SCALE
from .errors import multierror
from .gotypes import format_duration, parse_duration
from .simulator import NomadSimulator

Json = dict[str, Any]
SECOND = 1_000_000_000


@dataclass
class Reply:
    """An HTTP answer."""

    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text)


def call(
    sim: NomadSimulator, method: str, path: str, body: Any = None, *, raw: bytes | None = None, token: str = ""
) -> Reply:
    """One request to the simulator with urllib; HTTP errors are answers too."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(sim.address + path, data=data, method=method)
    if token:
        request.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(request) as response:
            return Reply(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, dict(error.headers), error.read().decode())


def web_job(job_id: str = "shop", **overrides: Any) -> Json:
    """The reference's §1.6 two-group job (web with a port and a check, worker on raw_exec)."""
    job: Json = {
        "ID": job_id,
        "Name": job_id,
        "Type": "service",
        "Datacenters": ["*"],
        "TaskGroups": [
            {
                "Name": "web",
                "Count": 2,
                "Networks": [{"Mode": "host", "DynamicPorts": [{"Label": "http", "To": 8080}]}],
                "Services": [
                    {
                        "Name": f"{job_id}-web",
                        "PortLabel": "http",
                        "Provider": "nomad",
                        "Checks": [
                            {
                                "Name": "alive",
                                "Type": "http",
                                "Path": "/healthz",
                                "Interval": 10 * SECOND,
                                "Timeout": 2 * SECOND,
                            }
                        ],
                    }
                ],
                "Tasks": [
                    {
                        "Name": "web",
                        "Driver": "docker",
                        "Config": {
                            "image": "registry.example/shop:v1",
                            "command": "/bin/sh",
                            "args": ["-c", "exec gunicorn app:app"],
                            "ports": ["http"],
                        },
                        "Env": {"PORT": "${NOMAD_PORT_http}"},
                        "Resources": {"CPU": 500, "MemoryMB": 256},
                        "KillTimeout": 10 * SECOND,
                        "KillSignal": "SIGTERM",
                    }
                ],
            },
            {
                "Name": "worker",
                "Count": 1,
                "Tasks": [
                    {
                        "Name": "worker",
                        "Driver": "raw_exec",
                        "Config": {"command": "/bin/sh", "args": ["-c", "exec python -m shop.worker"]},
                    }
                ],
            },
        ],
    }
    job.update(overrides)
    return job


def batch_job(job_id: str = "report") -> Json:
    """A one-group batch job."""
    task = {"Name": "run", "Driver": "exec", "Config": {"command": "/bin/true"}}
    return {"ID": job_id, "Type": "batch", "TaskGroups": [{"Name": "run", "Count": 1, "Tasks": [task]}]}


def group(job: Json, name: str) -> Json:
    """A task group of a job dict by name."""
    return next(g for g in job["TaskGroups"] if g["Name"] == name)


def register(sim: NomadSimulator, job: Json, **extra: Any) -> Reply:
    """POST /v1/jobs with the job wrapped as a JobRegisterRequest."""
    return call(sim, "POST", "/v1/jobs", {"Job": job, **extra})


def scale(sim: NomadSimulator, job_id: str, group_name: str, count: int | None, **extra: Any) -> Reply:
    """POST /v1/job/:id/scale as the Go client sends it."""
    body: Json = {"Target": {"Job": job_id, "Group": group_name}, "Message": "test", **extra}
    if count is not None:
        body["Count"] = count
    return call(sim, "POST", f"/v1/job/{job_id}/scale", body)


def deployed(sim: NomadSimulator, job: Json) -> Json:
    """Register a job and let its deployment finish; returns the register reply."""
    reply = register(sim, job)
    assert reply.status == 200, reply.text
    sim.advance(job["ID"])
    return dict(reply.json)


# -- routing and error format (checklist 1, 2) ---------------------------------------------------------


def test_routes_answer_and_unknown_paths_are_404(sim: NomadSimulator) -> None:
    assert call(sim, "GET", "/v1/jobs").json == []
    assert register(sim, web_job()).status == 200
    assert call(sim, "PUT", "/v1/jobs", {"Job": web_job()}).status == 200
    assert call(sim, "PUT", "/v1/job/shop", {"Job": web_job()}).status == 200
    for suffix in (
        "",
        "/allocations",
        "/summary",
        "/versions",
        "/deployment",
        "/deployments",
        "/evaluations",
        "/scale",
    ):
        assert call(sim, "GET", f"/v1/job/shop{suffix}").status == 200, suffix
    missing = call(sim, "GET", "/v1/nothing")
    assert (missing.status, missing.text) == (404, "")  # handleRootFallthrough writes no body


def test_other_verbs_are_405_and_unmodelled_routes_are_501(sim: NomadSimulator) -> None:
    for method, path in (
        ("PATCH", "/v1/jobs"),
        ("DELETE", "/v1/jobs"),
        ("GET", "/v1/job/x/plan"),
        ("POST", "/v1/job/x/summary"),
        ("PATCH", "/v1/job/x"),
        ("GET", "/v1/validate/job"),
    ):
        reply = call(sim, method, path, raw=b"{}" if method != "GET" else None)
        assert (reply.status, reply.text) == (405, "Invalid method"), (method, path)
    assert call(sim, "POST", "/v1/job/x/revert", {}).status == 501


def test_errors_are_text_plain(sim: NomadSimulator) -> None:
    reply = call(sim, "GET", "/v1/job/nope")
    assert (reply.status, reply.text) == (404, "job not found")
    assert reply.headers["Content-Type"].startswith("text/plain")


def test_empty_and_malformed_bodies_are_400(sim: NomadSimulator) -> None:
    assert (call(sim, "POST", "/v1/jobs", raw=b"").text, call(sim, "POST", "/v1/jobs", raw=b"").status) == (
        "Request body is empty",
        400,
    )
    bad = call(sim, "POST", "/v1/jobs", raw=b"{nope")
    assert bad.status == 400 and bad.text.startswith("invalid character")
    array = call(sim, "POST", "/v1/jobs", raw=b"[]")
    assert array.text == "json: cannot unmarshal array into Go value of type api.JobRegisterRequest"


def test_http_layer_checks_on_register(sim: NomadSimulator) -> None:
    assert call(sim, "POST", "/v1/jobs", {"PreserveCounts": True}).text == "Job must be specified"
    assert register(sim, {"Name": "x"}).text == "Job ID hasn't been provided"
    mismatch = call(sim, "POST", "/v1/job/other", {"Job": web_job()})
    assert (mismatch.status, mismatch.text) == (400, "Job ID does not match name")
    system = batch_job("sys")
    system["Type"] = "system"
    system["TaskGroups"][0]["Scaling"] = {"Min": 0, "Max": 1}
    reply = register(sim, system)
    assert (reply.status, reply.text) == (400, "Task groups with job type system do not support scaling blocks")


# -- validation and canonicalisation (checklist 3, 10) -------------------------------------------------


def test_validation_errors_are_a_500_multierror(sim: NomadSimulator) -> None:
    job = web_job()
    group(job, "worker")["Tasks"] = []
    job["ID"] = "has space"
    job["Name"] = "has space"
    reply = register(sim, job)
    assert reply.status == 500
    assert reply.text == (
        "2 errors occurred:\n\t* Job ID contains a space\n"
        "\t* Task group worker validation failed: 1 error occurred:\n\t* Missing tasks for task group\n\n\n\n"
    )


def test_multierror_format() -> None:
    assert multierror(["a"]) == "1 error occurred:\n\t* a\n\n"
    assert multierror(["a", "b"]) == "2 errors occurred:\n\t* a\n\t* b\n\n"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda j: group(j, "web").update(Count=-1), "Task group count can't be negative"),
        (
            lambda j: j["TaskGroups"].append(copy.deepcopy(group(j, "web"))),
            "Job task group 3 redefines 'web' from group 1",
        ),
        (lambda j: j.update(TaskGroups=[]), "Missing job task groups"),
        (lambda j: group(j, "worker")["Tasks"][0].update(Driver=""), "Missing task driver"),
        (lambda j: group(j, "worker")["Tasks"][0].update(Name="a/b"), "Task name cannot include slashes"),
        (
            lambda j: group(j, "web")["Services"][0].update(Name="shop_web"),
            "Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes and must "
            'be no longer than 63 characters: "shop_web"',
        ),
        (
            lambda j: group(j, "web")["Networks"][0]["DynamicPorts"].append({"Label": "http"}),
            "Port label http already in use by taskgroup network",
        ),
        (
            lambda j: group(j, "web")["Networks"][0].update(ReservedPorts=[{"Label": "a", "Value": 70000}]),
            "Port a (70000) cannot be greater than 65535",
        ),
        (
            lambda j: group(j, "web")["Networks"][0]["DynamicPorts"][0].update(To=-2),
            'Port "http" cannot be mapped to negative value -2',
        ),
        (
            lambda j: group(j, "web").update(Scaling={"Min": 3, "Max": 5}),
            "Scaling policy invalid: task group count must not be less than minimum count in scaling policy",
        ),
        (
            lambda j: group(j, "web").update(Scaling={"Min": 0, "Max": 1}),
            "Scaling policy invalid: task group count must not be greater than maximum count in scaling policy",
        ),
        (lambda j: j.update(Priority=0), "Job priority must be between [1, 100]"),
    ],
)
def test_validation_rules(sim: NomadSimulator, mutate: Any, message: str) -> None:
    job = web_job()
    mutate(job)
    reply = register(sim, job)
    assert reply.status == 500
    assert message in reply.text


def test_total_count_limit(sim: NomadSimulator) -> None:
    with NomadSimulator(job_max_count=2) as small:
        reply = register(small, web_job())
        assert reply.status == 500
        assert "total count was greater than configured job_max_count: 3 > 2" in reply.text


def test_server_defaults_are_filled(sim: NomadSimulator) -> None:
    task = {"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/true"}}
    assert register(sim, {"ID": "min", "TaskGroups": [{"Name": "g", "Tasks": [task]}]}).status == 200
    job = call(sim, "GET", "/v1/job/min").json
    assert (job["Name"], job["Type"], job["Priority"], job["Namespace"], job["Datacenters"]) == (
        "min",
        "service",
        50,
        "default",
        ["*"],
    )
    g = job["TaskGroups"][0]
    assert g["Count"] == 1
    assert g["Update"]["MaxParallel"] == 1 and g["Update"]["MinHealthyTime"] == 10 * SECOND
    assert g["Update"]["HealthyDeadline"] == 300 * SECOND and g["Update"]["ProgressDeadline"] == 600 * SECOND
    assert g["RestartPolicy"] == {
        "Interval": 1800 * SECOND,
        "Attempts": 2,
        "Delay": 15 * SECOND,
        "Mode": "fail",
        "RenderTemplates": False,
    }
    assert g["ReschedulePolicy"]["DelayFunction"] == "exponential" and g["ReschedulePolicy"]["Unlimited"] is True
    assert g["EphemeralDisk"]["SizeMB"] == 300
    t = g["Tasks"][0]
    assert (t["Resources"]["CPU"], t["Resources"]["MemoryMB"], t["KillTimeout"]) == (100, 300, 5 * SECOND)
    assert t["LogConfig"] == {"MaxFiles": 10, "MaxFileSizeMB": 10, "Disabled": False}
    # Every struct field is present, zero-valued when unset, as Go marshals it.
    assert t["User"] == "" and t["Templates"] is None and job["Periodic"] is None


def test_scaling_min_is_the_default_count(sim: NomadSimulator) -> None:
    job = web_job()
    del group(job, "web")["Count"]
    group(job, "web")["Scaling"] = {"Min": 3, "Max": 10}
    assert register(sim, job).status == 200
    stored = group(call(sim, "GET", "/v1/job/shop").json, "web")
    assert stored["Count"] == 3
    assert stored["Scaling"]["Target"] == {"Namespace": "default", "Job": "shop", "Group": "web"}
    assert stored["Scaling"]["ID"] and stored["Scaling"]["Type"] == "horizontal"


def test_strict_mode_rejects_unknown_and_miscased_keys(sim: NomadSimulator) -> None:
    job = web_job()
    group(job, "web")["count"] = 3
    group(job, "web")["Tasks"][0]["Enviroment"] = {"A": "b"}
    reply = register(sim, job, preserveCounts=True)
    assert reply.status == 500
    assert reply.text.startswith("3 errors occurred:\n\t* ")
    assert 'body: field "preserveCounts" must be spelled "PreserveCounts"' in reply.text
    assert 'Job.TaskGroups[0]: field "count" must be spelled "Count"' in reply.text
    assert 'Job.TaskGroups[0].Tasks[0]: unknown field "Enviroment"; did you mean "Env"?' in reply.text


def test_strict_mode_checks_driver_config(sim: NomadSimulator) -> None:
    job = web_job()
    config = group(job, "web")["Tasks"][0]["Config"]
    config["Image"] = config.pop("image")
    config["ports"] = ["https"]
    reply = register(sim, job)
    assert reply.status == 500
    assert 'docker config: unknown key "Image"' in reply.text
    assert 'docker config: "image" is required' in reply.text
    assert 'docker config: port "https" is not a group network port label' in reply.text


def test_lenient_mode_behaves_like_nomad(sim: NomadSimulator) -> None:
    with NomadSimulator(strict=False) as lenient:
        job = web_job()
        group(job, "web")["count"] = 3
        group(job, "web")["Tasks"][0]["Enviroment"] = {"A": "b"}
        assert register(lenient, job, preserveCounts=True).status == 200
        assert group(call(lenient, "GET", "/v1/job/shop").json, "web")["Count"] == 3


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("Env",),
            {"PORT": 8080},
            "json: cannot unmarshal number into Go struct field Task.Job.TaskGroups.Tasks.Env of type string",
        ),
        (
            ("KillTimeout",),
            "5s",
            "json: cannot unmarshal string into Go struct field Task.Job.TaskGroups.Tasks."
            "KillTimeout of type time.Duration",
        ),
        (
            ("Resources", "CPU"),
            1.5,
            "json: cannot unmarshal number 1.5 into Go struct field Resources.Job.TaskGroups."
            "Tasks.Resources.CPU of type int",
        ),
    ],
)
def test_wrong_types_are_go_decode_errors(sim: NomadSimulator, path: tuple[str, ...], value: Any, message: str) -> None:
    job = web_job()
    target = group(job, "web")["Tasks"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    reply = register(sim, job)
    assert (reply.status, reply.text) == (400, message)


def test_validate_endpoint_lists_errors_with_200(sim: NomadSimulator) -> None:
    good = call(sim, "POST", "/v1/validate/job", {"Job": web_job()}).json
    assert good == {"DriverConfigValidated": True, "ValidationErrors": None, "Error": "", "Warnings": ""}
    job = web_job()
    group(job, "web")["Tasks"] = []
    bad = call(sim, "POST", "/v1/validate/job", {"Job": job})
    assert bad.status == 200
    assert bad.json["ValidationErrors"] == [
        "Task group web validation failed: " + multierror(["Missing tasks for task group"])
    ]
    assert bad.json["Error"].startswith("1 error occurred:")


def test_parse_is_refused(sim: NomadSimulator) -> None:
    assert call(sim, "POST", "/v1/jobs/parse", {"JobHCL": ""}).text == "Job spec is empty"
    assert call(sim, "POST", "/v1/jobs/parse", {"JobHCL": 'job "x" {}'}).status == 501


# -- indices and versions (checklist 4, 5) -------------------------------------------------------------


def test_register_reply_and_indices(sim: NomadSimulator) -> None:
    reply = register(sim, web_job())
    body = reply.json
    assert set(body) == {
        "EvalID",
        "EvalCreateIndex",
        "JobModifyIndex",
        "Warnings",
        "Index",
        "LastContact",
        "KnownLeader",
        "NextToken",
    }
    assert body["EvalID"] and body["EvalCreateIndex"] > body["JobModifyIndex"] > 0
    assert reply.headers["X-Nomad-Index"] == str(body["Index"])
    read = call(sim, "GET", "/v1/job/shop")
    job = read.json
    assert (job["Version"], job["Status"], job["Stop"]) == (0, "running", False)
    assert job["CreateIndex"] == job["JobModifyIndex"] == body["JobModifyIndex"]
    assert job["ModifyIndex"] >= job["JobModifyIndex"]
    assert read.headers["X-Nomad-Index"] == str(job["ModifyIndex"])
    assert read.headers["X-Nomad-KnownLeader"] == "true" and read.headers["X-Nomad-LastContact"] == "0"


def test_unchanged_register_keeps_the_version(sim: NomadSimulator) -> None:
    first = register(sim, web_job()).json
    before = call(sim, "GET", "/v1/job/shop").json
    again = register(sim, web_job()).json
    after = call(sim, "GET", "/v1/job/shop").json
    assert after["Version"] == 0 and after["JobModifyIndex"] == before["JobModifyIndex"]
    assert again["EvalID"] and again["EvalID"] != first["EvalID"]
    assert again["JobModifyIndex"] == before["ModifyIndex"]


def test_a_read_back_job_resubmitted_is_unchanged(sim: NomadSimulator) -> None:
    register(sim, web_job())
    stored = call(sim, "GET", "/v1/job/shop").json
    assert register(sim, stored).status == 200
    assert call(sim, "GET", "/v1/job/shop").json["Version"] == 0


@pytest.mark.parametrize("job_type", ["service", "batch", "system", "sysbatch"])
def test_read_back_round_trip_for_every_job_type(sim: NomadSimulator, job_type: str) -> None:
    job = batch_job("rt")
    job["Type"] = job_type
    assert register(sim, job).status == 200
    stored = call(sim, "GET", "/v1/job/rt").json
    assert register(sim, stored).status == 200
    assert call(sim, "GET", "/v1/job/rt").json["Version"] == 0


def test_changes_make_versions_and_six_are_kept(sim: NomadSimulator) -> None:
    indices = []
    for n in range(8):
        job = web_job(Meta={"rev": str(n)})
        reply = register(sim, job).json
        indices.append(reply["JobModifyIndex"])
    assert indices == sorted(indices) and len(set(indices)) == 8
    versions = call(sim, "GET", "/v1/job/shop/versions").json
    assert [v["Version"] for v in versions["Versions"]] == [7, 6, 5, 4, 3, 2]
    assert versions["Diffs"] is None and "Index" in versions
    assert call(sim, "GET", "/v1/job/nope/versions").text == "job versions not found"


# -- EnforceIndex (reference §1.8) ---------------------------------------------------------------------


def test_enforce_index(sim: NomadSimulator) -> None:
    created = register(sim, web_job(), EnforceIndex=True, JobModifyIndex=0)
    assert created.status == 200
    exists = register(sim, web_job(), EnforceIndex=True, JobModifyIndex=0)
    assert (exists.status, exists.text) == (500, "Enforcing job modify index 0: job already exists")
    current = created.json["JobModifyIndex"]
    stale = register(sim, web_job(Meta={"a": "b"}), EnforceIndex=True, JobModifyIndex=current + 100)
    assert stale.status == 500
    assert stale.text == (
        f"Enforcing job modify index {current + 100}: job exists with conflicting job modify index: {current}"
    )
    assert register(sim, web_job(Meta={"a": "b"}), EnforceIndex=True, JobModifyIndex=current).status == 200
    missing = register(sim, web_job("other"), EnforceIndex=True, JobModifyIndex=5)
    assert missing.text == "Enforcing job modify index 5: job does not exist"


def test_status_changes_do_not_move_job_modify_index(sim: NomadSimulator) -> None:
    reply = register(sim, web_job()).json
    sim.advance("shop")
    job = call(sim, "GET", "/v1/job/shop").json
    assert job["JobModifyIndex"] == reply["JobModifyIndex"] < job["ModifyIndex"]
    assert (
        register(sim, web_job(Meta={"x": "y"}), EnforceIndex=True, JobModifyIndex=job["JobModifyIndex"]).status == 200
    )


# -- PreserveCounts (checklist 6) ---------------------------------------------------------------------


def test_preserve_counts(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    assert scale(sim, "shop", "worker", 5).status == 200
    sim.advance("shop")
    job = web_job()
    job["TaskGroups"].append(
        {
            "Name": "clock",
            "Count": 2,
            "Tasks": [{"Name": "clock", "Driver": "raw_exec", "Config": {"command": "/bin/true"}}],
        }
    )
    assert register(sim, job, PreserveCounts=True).status == 200
    stored = call(sim, "GET", "/v1/job/shop").json
    assert {g["Name"]: g["Count"] for g in stored["TaskGroups"]} == {"web": 2, "worker": 5, "clock": 2}


def test_preserve_counts_after_the_changed_decision(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    scale(sim, "shop", "worker", 4)
    sim.advance("shop")
    version = call(sim, "GET", "/v1/job/shop").json["Version"]
    # Submitted counts differ from the live ones: a new version, counts unchanged.
    assert register(sim, web_job(), PreserveCounts=True).status == 200
    stored = call(sim, "GET", "/v1/job/shop").json
    assert stored["Version"] == version + 1 and group(stored, "worker")["Count"] == 4
    sim.advance("shop")
    # Submitted counts equal the live ones: no new version.
    same = web_job()
    group(same, "worker")["Count"] = 4
    register(sim, same, PreserveCounts=True)
    assert call(sim, "GET", "/v1/job/shop").json["Version"] == version + 1


def test_preserve_counts_is_ignored_for_new_jobs(sim: NomadSimulator) -> None:
    register(sim, web_job(), PreserveCounts=True)
    assert group(call(sim, "GET", "/v1/job/shop").json, "web")["Count"] == 2


# -- scaling (checklist 7) ----------------------------------------------------------------------------


def test_scale_creates_a_version_an_eval_and_a_deployment(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    before = call(sim, "GET", "/v1/job/shop").json
    reply = scale(sim, "shop", "worker", 3)
    assert reply.status == 200
    body = reply.json
    assert body["EvalID"] and body["JobModifyIndex"] > before["JobModifyIndex"]
    assert reply.headers["X-Nomad-Index"] == str(body["Index"])
    after = call(sim, "GET", "/v1/job/shop").json
    assert after["Version"] == before["Version"] + 1 and group(after, "worker")["Count"] == 3
    evals = call(sim, "GET", "/v1/job/shop/evaluations").json
    assert evals[0]["ID"] == body["EvalID"] and evals[0]["TriggeredBy"] == "job-scaling"
    deployment = call(sim, "GET", "/v1/job/shop/deployment").json
    assert deployment["Status"] == "running" and deployment["JobVersion"] == after["Version"]
    assert deployment["TaskGroups"]["worker"]["DesiredTotal"] == 3


def test_scaling_to_the_same_count_still_makes_a_version(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    scale(sim, "shop", "worker", 1)
    assert call(sim, "GET", "/v1/job/shop").json["Version"] == 1


def test_scale_is_blocked_by_an_active_deployment(sim: NomadSimulator) -> None:
    register(sim, web_job())
    blocked = scale(sim, "shop", "worker", 3)
    assert (blocked.status, blocked.text) == (400, "job scaling blocked due to active deployment")
    sim.advance("shop")
    assert call(sim, "GET", "/v1/job/shop/deployment").json["Status"] == "successful"
    assert scale(sim, "shop", "worker", 3).status == 200


def test_scaling_everything_to_zero_makes_no_deployment(sim: NomadSimulator) -> None:
    job = batch_job()
    job["Type"] = "service"
    deployed(sim, job)
    before = call(sim, "GET", "/v1/job/report/deployments").json
    assert scale(sim, "report", "run", 0).status == 200
    assert call(sim, "GET", "/v1/job/report/deployments").json == before


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"Count": 1, "Target": {"Group": "web", "Job": "other"}}, 400, "job ID in payload did not match URL"),
        ({"Count": 1, "Target": {"Group": "web", "Namespace": "x"}}, 400, "namespace in payload did not match header"),
        ({"Count": 1, "Target": {}}, 400, "missing task group name for scaling action"),
        ({"Count": -1, "Target": {"Group": "web"}}, 400, "scaling action count can't be negative"),
        (
            {"Count": 1, "Error": True, "Target": {"Group": "web"}},
            400,
            "scaling action should not contain count if error is true",
        ),
        ({"Count": 1, "Target": {"Group": "db"}}, 400, 'task group "db" specified for scaling does not exist in job'),
        (
            {"Count": 1, "Target": {"Group": "web"}, "JobModifyIndex": 9999},
            500,
            "Enforcing job modify index 9999: job exists with conflicting job modify index: ",
        ),
    ],
)
def test_scale_errors(sim: NomadSimulator, body: Json, status: int, message: str) -> None:
    deployed(sim, web_job())
    reply = call(sim, "POST", "/v1/job/shop/scale", body)
    assert reply.status == status
    assert reply.text.startswith(message)


def test_scale_unknown_job_and_empty_body(sim: NomadSimulator) -> None:
    reply = scale(sim, "ghost", "web", 1)
    assert (reply.status, reply.text) == (404, 'job "ghost" not found')
    empty = call(sim, "POST", "/v1/job/ghost/scale", raw=b"")
    assert (empty.status, empty.text) == (400, "Request body is empty")


def test_scale_policy_bounds_and_system_jobs(sim: NomadSimulator) -> None:
    job = web_job()
    group(job, "web")["Scaling"] = {"Min": 1, "Max": 4}
    deployed(sim, job)
    assert scale(sim, "shop", "web", 5).text == "group count was greater than scaling policy maximum: 5 > 4"
    assert scale(sim, "shop", "web", 0).text == "group count was less than scaling policy minimum: 0 < 1"
    system = batch_job("node-agent")
    system["Type"] = "system"
    deployed(sim, system)
    assert scale(sim, "node-agent", "run", 2).text == 'jobs of type "system" can only be scaled between 0 and 1'


def test_scale_total_count_limit() -> None:
    with NomadSimulator(job_max_count=5) as small:
        deployed(small, web_job())
        reply = scale(small, "shop", "web", 5)
        assert (reply.status, reply.text) == (500, "total count was greater than configured job_max_count: 6 > 5")


def test_scale_strict_target_keys(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    reply = call(sim, "POST", "/v1/job/shop/scale", {"Count": 1, "Target": {"group": "web"}})
    assert reply.status == 400 and 'Target: unknown key "group"' in reply.text


def test_scale_without_count_records_an_event_only(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    job = call(sim, "GET", "/v1/job/shop").json
    reply = scale(sim, "shop", "web", None, Message="autoscaler says hi").json
    assert reply["EvalID"] == "" and reply["EvalCreateIndex"] == 0 and reply["JobModifyIndex"] == job["ModifyIndex"]
    assert call(sim, "GET", "/v1/job/shop").json["Version"] == job["Version"]
    event = call(sim, "GET", "/v1/job/shop/scale").json["TaskGroups"]["web"]["Events"][0]
    assert event["Count"] is None and event["Message"] == "autoscaler says hi" and event["EvalID"] is None


def test_scale_status(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    for count in range(2, 25):
        assert scale(sim, "shop", "worker", count).status == 200
        sim.advance("shop")
    status = call(sim, "GET", "/v1/job/shop/scale").json
    job = call(sim, "GET", "/v1/job/shop").json
    assert set(status) == {"JobID", "Namespace", "JobCreateIndex", "JobModifyIndex", "JobStopped", "TaskGroups"}
    assert status["JobModifyIndex"] == job["ModifyIndex"]  # the reference's quirk: ModifyIndex, not JobModifyIndex
    worker = status["TaskGroups"]["worker"]
    assert (worker["Desired"], worker["Placed"], worker["Running"], worker["Healthy"]) == (24, 24, 24, 24)
    events = worker["Events"]
    assert len(events) == 20 and [e["Count"] for e in events[:2]] == [24, 23]
    assert set(events[0]) == {"Time", "Count", "PreviousCount", "Message", "Error", "Meta", "EvalID", "CreateIndex"}
    assert status["TaskGroups"]["web"]["Events"] is None
    assert call(sim, "GET", "/v1/job/ghost/scale").text == "job not found"


def test_scale_keeps_existing_allocations(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    before = {a["ID"] for a in sim.allocations("shop", live_only=True)}
    scale(sim, "shop", "web", 4)
    after = sim.allocations("shop", live_only=True)
    assert before <= {a["ID"] for a in after}
    assert sorted(a["Name"] for a in after if a["TaskGroup"] == "web") == [f"shop.web[{i}]" for i in range(4)]


# -- allocations, deployments, status (checklist 8) ---------------------------------------------------


def test_allocation_stubs(sim: NomadSimulator) -> None:
    register(sim, web_job())
    allocs = call(sim, "GET", "/v1/job/shop/allocations").json
    assert sorted(a["Name"] for a in allocs) == ["shop.web[0]", "shop.web[1]", "shop.worker[0]"]
    stub = allocs[0]
    for key in (
        "ID",
        "EvalID",
        "Name",
        "Namespace",
        "NodeID",
        "NodeName",
        "JobID",
        "JobType",
        "JobVersion",
        "TaskGroup",
        "DesiredStatus",
        "DesiredDescription",
        "ClientStatus",
        "ClientDescription",
        "DesiredTransition",
        "TaskStates",
        "DeploymentStatus",
        "FollowupEvalID",
        "NextAllocation",
        "RescheduleTracker",
        "PreemptedAllocations",
        "CreateIndex",
        "ModifyIndex",
        "CreateTime",
        "ModifyTime",
    ):
        assert key in stub, key
    assert (stub["DesiredStatus"], stub["ClientStatus"], stub["DeploymentStatus"]) == ("run", "pending", None)
    assert call(sim, "GET", "/v1/job/ghost/allocations").json == []


def test_advance_runs_allocations_and_finishes_the_deployment(sim: NomadSimulator) -> None:
    register(sim, web_job())
    sim.start_allocations("shop")
    allocs = call(sim, "GET", "/v1/job/shop/allocations").json
    assert {a["ClientStatus"] for a in allocs} == {"running"}
    assert all(state["State"] == "running" for a in allocs for state in a["TaskStates"].values())
    assert call(sim, "GET", "/v1/job/shop/deployment").json["Status"] == "running"
    sim.set_allocations_healthy("shop")
    deployment = call(sim, "GET", "/v1/job/shop/deployment").json
    assert deployment["Status"] == "successful"
    assert deployment["StatusDescription"] == "Deployment completed successfully"
    assert deployment["TaskGroups"]["web"]["HealthyAllocs"] == 2
    job = call(sim, "GET", "/v1/job/shop").json
    assert job["Stable"] is True and job["Status"] == "running"
    summary = call(sim, "GET", "/v1/job/shop/summary").json
    assert summary["Summary"]["web"]["Running"] == 2 and summary["JobID"] == "shop"


def test_a_failed_allocation_fails_the_deployment(sim: NomadSimulator) -> None:
    register(sim, web_job())
    sim.start_allocations("shop")
    victim = sim.allocations("shop")[0]["ID"]
    sim.fail_allocation(victim, "Exit Code: 137")
    deployment = call(sim, "GET", "/v1/job/shop/deployment").json
    assert (deployment["Status"], deployment["StatusDescription"]) == ("failed", "Failed due to unhealthy allocations")
    alloc = next(a for a in call(sim, "GET", "/v1/job/shop/allocations").json if a["ID"] == victim)
    assert alloc["ClientStatus"] == "failed" and alloc["DeploymentStatus"]["Healthy"] is False
    task_state = next(iter(alloc["TaskStates"].values()))
    assert task_state["Failed"] is True and task_state["Events"][-1]["DisplayMessage"] == "Exit Code: 137"
    assert scale(sim, "shop", "worker", 2).status == 200  # a failed deployment no longer blocks scaling


@pytest.mark.parametrize(("policy", "replaced"), [
    ({"Attempts": 0, "Unlimited": False}, False),  # no reschedule: the failed allocation counts and stays
    (None, True),  # the service default (unlimited): rescheduled (here at the next evaluation)
])
def test_a_failed_allocation_without_a_reschedule_is_not_replaced(sim: NomadSimulator, policy: Json | None,
                                                                    replaced: bool) -> None:
    job = web_job()
    if policy is not None:
        group(job, "worker")["ReschedulePolicy"] = policy
    deployed(sim, job)
    victim = next(a["ID"] for a in sim.allocations("shop") if a["TaskGroup"] == "worker")
    sim.fail_allocation(victim, "Exit Code: 3")
    assert scale(sim, "shop", "web", 3).status == 200  # an evaluation of the whole job
    workers = [a for a in sim.allocations("shop") if a["TaskGroup"] == "worker"]
    assert any(a["ClientStatus"] == "pending" for a in workers) is replaced, workers
    if not replaced:
        assert [(a["ID"], a["ClientStatus"]) for a in workers] == [(victim, "failed")]
        changed = copy.deepcopy(job)
        group(changed, "worker")["Tasks"][0]["Env"] = {"NEW": "1"}
        register(sim, changed)  # a destructive update replaces it
        live = [a for a in sim.allocations("shop", live_only=True) if a["TaskGroup"] == "worker"]
        assert [a["Name"] for a in live] == ["shop.worker[0]"] and live[0]["ID"] != victim


def test_deployment_controls(sim: NomadSimulator) -> None:
    register(sim, web_job())
    sim.complete_deployment("shop")
    assert call(sim, "GET", "/v1/job/shop/deployment").json["Status"] == "successful"
    register(sim, web_job(Meta={"v": "2"}))
    sim.fail_deployment("shop", description="Failed due to progress deadline")
    deployments = call(sim, "GET", "/v1/job/shop/deployments").json
    assert [(d["Status"], d["JobVersion"]) for d in deployments] == [("failed", 1), ("successful", 0)]
    assert deployments[0]["StatusDescription"] == "Failed due to progress deadline"
    with pytest.raises(KeyError):
        sim.complete_deployment("shop")


def test_a_new_version_cancels_the_running_deployment(sim: NomadSimulator) -> None:
    register(sim, web_job())
    register(sim, web_job(Meta={"v": "2"}))
    old = call(sim, "GET", "/v1/job/shop/deployments").json[1]
    assert (old["Status"], old["StatusDescription"]) == ("cancelled", "Cancelled due to newer version of job")


def test_destructive_change_replaces_allocations(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    before = {a["Name"]: a["ID"] for a in sim.allocations("shop", live_only=True)}
    job = web_job()
    group(job, "worker")["Tasks"][0]["Env"] = {"NEW": "1"}
    register(sim, job)
    after = {a["Name"]: a["ID"] for a in sim.allocations("shop", live_only=True)}
    assert before["shop.web[0]"] == after["shop.web[0]"]  # in-place
    assert before["shop.worker[0]"] != after["shop.worker[0]"]  # replaced, same name


def test_job_status_is_derived(sim: NomadSimulator) -> None:
    register(sim, batch_job())
    assert call(sim, "GET", "/v1/job/report").json["Status"] == "running"
    alloc = sim.allocations("report")[0]["ID"]
    sim.start_allocations("report")
    sim.complete_allocation(alloc)
    assert call(sim, "GET", "/v1/job/report").json["Status"] == "dead"
    assert call(sim, "GET", "/v1/job/report/summary").json["Summary"]["run"]["Complete"] == 1


def test_summary_keeps_removed_groups(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    job = web_job()
    job["TaskGroups"] = [group(job, "web")]
    register(sim, job)
    assert set(call(sim, "GET", "/v1/job/shop/summary").json["Summary"]) == {"web", "worker"}
    assert call(sim, "GET", "/v1/job/ghost/summary").status == 404


def test_auto_progress() -> None:
    with NomadSimulator(auto_healthy=True) as auto:
        register(auto, web_job())
        assert call(auto, "GET", "/v1/job/shop/deployment").json["Status"] == "successful"
        assert scale(auto, "shop", "worker", 3).status == 200
        assert {a["ClientStatus"] for a in auto.allocations("shop", live_only=True)} == {"running"}
    with NomadSimulator(auto_run=True) as run_only:
        register(run_only, web_job())
        assert {a["ClientStatus"] for a in run_only.allocations("shop")} == {"running"}
        assert call(run_only, "GET", "/v1/job/shop/deployment").json["Status"] == "running"


def test_delayed_auto_progress() -> None:
    with NomadSimulator(auto_healthy=True, auto_delay=0.2) as auto:
        register(auto, web_job())
        assert call(auto, "GET", "/v1/job/shop/deployment").json["Status"] == "running"
        deadline = time.monotonic() + 5
        while call(auto, "GET", "/v1/job/shop/deployment").json["Status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)


# -- deregister (checklist 9) -------------------------------------------------------------------------


def test_deregister_unknown_job_is_200(sim: NomadSimulator) -> None:
    reply = call(sim, "DELETE", "/v1/job/ghost")
    assert reply.status == 200
    assert reply.json == {
        "EvalID": "",
        "EvalCreateIndex": 0,
        "JobModifyIndex": 0,
        "VolumeEvalID": "",
        "VolumeEvalIndex": 0,
        "Index": 0,
        "LastContact": 0,
        "KnownLeader": False,
        "NextToken": "",
    }


def test_deregister_stops_the_job(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    reply = call(sim, "DELETE", "/v1/job/shop").json
    assert reply["EvalID"] and reply["JobModifyIndex"] > 0
    job = call(sim, "GET", "/v1/job/shop").json
    assert job["Stop"] is True and job["Status"] == "dead"
    allocs = sim.allocations("shop")
    assert {(a["DesiredStatus"], a["ClientStatus"]) for a in allocs} == {("stop", "running")}
    sim.advance("shop")
    assert {a["ClientStatus"] for a in sim.allocations("shop")} == {"complete"}
    assert call(sim, "GET", "/v1/job/shop/evaluations").json[0]["TriggeredBy"] == "job-deregister"
    assert call(sim, "GET", "/v1/jobs").json[0]["Stop"] is True


def test_deregister_with_purge(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    assert call(sim, "DELETE", "/v1/job/shop?purge=True").status == 200
    assert call(sim, "GET", "/v1/job/shop").status == 404
    assert call(sim, "GET", "/v1/jobs").json == []
    assert {a["DesiredStatus"] for a in call(sim, "GET", "/v1/job/shop/allocations").json} == {"stop"}
    bad = call(sim, "DELETE", "/v1/job/shop?purge=yes")
    assert bad.status == 500 and bad.text.startswith('Failed to parse value of "purge"')


def test_register_after_stop_makes_a_new_version(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    call(sim, "DELETE", "/v1/job/shop")
    register(sim, web_job())
    job = call(sim, "GET", "/v1/job/shop").json
    assert job["Stop"] is False and job["Version"] == 2


# -- plan ---------------------------------------------------------------------------------------------


def test_plan_does_not_change_state(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    index = call(sim, "GET", "/v1/job/shop").json["JobModifyIndex"]
    job = web_job()
    group(job, "web")["Count"] = 5
    reply = call(sim, "POST", "/v1/job/shop/plan", {"Job": job, "Diff": True})
    assert reply.status == 200
    body = reply.json
    assert body["JobModifyIndex"] == index
    web = body["Annotations"]["DesiredTGUpdates"]["web"]
    assert (web["Place"], web["InPlaceUpdate"]) == (3, 2)
    diff = body["Diff"]
    assert diff["Type"] == "Edited"
    web_diff = next(g for g in diff["TaskGroups"] if g["Name"] == "web")
    count = next(f for f in web_diff["Fields"] if f["Name"] == "Count")
    assert count == {"Type": "Edited", "Name": "Count", "Old": "2", "New": "5", "Annotations": ["forces create"]}
    assert web_diff["Updates"] == {"create": 3, "in-place update": 2}
    assert call(sim, "GET", "/v1/job/shop").json["JobModifyIndex"] == index
    assert body["NextPeriodicLaunch"] == "0001-01-01T00:00:00Z"


def test_plan_of_unchanged_and_new_jobs(sim: NomadSimulator) -> None:
    fresh = call(sim, "POST", "/v1/job/shop/plan", {"Job": web_job(), "Diff": True}).json
    assert fresh["JobModifyIndex"] == 0 and fresh["Diff"]["Type"] == "Added"
    deployed(sim, web_job())
    same = call(sim, "POST", "/v1/job/shop/plan", {"Job": web_job(), "Diff": True}).json
    assert same["Diff"]["Type"] == "None"
    assert same["Annotations"]["DesiredTGUpdates"]["web"]["Ignore"] == 2
    plain = call(sim, "POST", "/v1/job/shop/plan", {"Job": web_job()}).json
    assert plain["Diff"] is None


def test_plan_diff_of_task_changes(sim: NomadSimulator) -> None:
    deployed(sim, web_job())
    job = web_job()
    task = group(job, "web")["Tasks"][0]
    task["Config"]["image"] = "registry.example/shop:v2"
    task["Env"]["NEW"] = "1"
    diff = call(sim, "POST", "/v1/job/shop/plan", {"Job": job, "Diff": True}).json["Diff"]
    web = next(g for g in diff["TaskGroups"] if g["Name"] == "web")
    task_diff = web["Tasks"][0]
    assert task_diff["Annotations"] == ["forces create/destroy update"]
    assert {"Type": "Added", "Name": "Env[NEW]", "Old": "", "New": "1", "Annotations": None} in task_diff["Fields"]
    config = next(o for o in task_diff["Objects"] if o["Name"] == "Config")
    assert config["Fields"] == [
        {
            "Type": "Edited",
            "Name": "image",
            "Old": "registry.example/shop:v1",
            "New": "registry.example/shop:v2",
            "Annotations": None,
        }
    ]
    assert web["Updates"] == {"create/destroy update": 2}


def test_plan_errors(sim: NomadSimulator) -> None:
    assert call(sim, "POST", "/v1/job/shop/plan", {"Diff": True}).text == "Job must be specified"
    assert call(sim, "POST", "/v1/job/shop/plan", {"Job": {"Name": "x"}}).text == "Job must have a valid ID"
    assert call(sim, "POST", "/v1/job/other/plan", {"Job": web_job()}).text == "Job ID does not match"
    job = web_job()
    group(job, "web")["Tasks"] = []
    invalid = call(sim, "POST", "/v1/job/shop/plan", {"Job": job})
    assert invalid.status == 500 and invalid.text.startswith("1 error occurred:")


# -- namespaces, regions, listing ---------------------------------------------------------------------


def test_namespace_precedence_and_existence(sim: NomadSimulator) -> None:
    missing = register(sim, web_job(Namespace="apps"))
    assert missing.status == 500 and 'job "shop" is in nonexistent namespace "apps"' in missing.text
    sim.add_namespace("apps")
    sim.add_namespace("other")
    assert register(sim, web_job(Namespace="apps")).status == 200
    assert call(sim, "GET", "/v1/job/shop").status == 404
    assert call(sim, "GET", "/v1/job/shop?namespace=apps").json["Namespace"] == "apps"
    # The query beats the body, which beats Job.Namespace.
    assert call(sim, "POST", "/v1/jobs?namespace=other", {"Job": web_job("q"), "Namespace": "apps"}).status == 200
    assert call(sim, "GET", "/v1/job/q?namespace=other").status == 200
    assert call(sim, "POST", "/v1/jobs", {"Job": web_job("b", Namespace="default"), "Namespace": "apps"}).status == 200
    assert call(sim, "GET", "/v1/job/b?namespace=apps").status == 200
    listing = call(sim, "GET", "/v1/jobs?namespace=*").json
    assert [(j["Namespace"], j["ID"]) for j in listing] == [("apps", "b"), ("apps", "shop"), ("other", "q")]
    assert call(sim, "GET", "/v1/jobs").json == []


def test_job_list_stubs(sim: NomadSimulator) -> None:
    register(sim, web_job("alpha", Meta={"owner": "me"}))
    register(sim, web_job("beta"))
    stubs = call(sim, "GET", "/v1/jobs?prefix=al&meta=true").json
    assert [s["ID"] for s in stubs] == ["alpha"]
    stub = stubs[0]
    assert stub["Meta"] == {"owner": "me"} and stub["JobSummary"]["JobID"] == "alpha"
    for key in (
        "ParentID",
        "Name",
        "Namespace",
        "Datacenters",
        "Type",
        "Priority",
        "Periodic",
        "ParameterizedJob",
        "Stop",
        "Status",
        "StatusDescription",
        "CreateIndex",
        "ModifyIndex",
        "JobModifyIndex",
        "SubmitTime",
    ):
        assert key in stub, key
    assert "Meta" not in call(sim, "GET", "/v1/jobs").json[0]


def test_regions(sim: NomadSimulator) -> None:
    assert call(sim, "GET", "/v1/jobs?region=global").status == 200
    far = call(sim, "GET", "/v1/jobs?region=mars")
    assert (far.status, far.text) == (500, "No path to region")
    assert register(sim, web_job(Region="mars")).text == "No path to region"
    with NomadSimulator(region="eu") as eu:
        assert register(eu, web_job()).status == 200
        assert call(eu, "GET", "/v1/job/shop?region=eu").json["Region"] == "eu"


# -- ACLs ---------------------------------------------------------------------------------------------


def test_acl_tokens(sim: NomadSimulator) -> None:
    root = sim.enable_acl()
    sim.add_namespace("apps")
    sim.add_token("reader", capabilities=POLICY_READ)
    sim.add_token("apps-writer", namespaces=["apps"])
    sim.add_token("scaler", capabilities=POLICY_SCALE)
    assert call(sim, "GET", "/v1/jobs").text == "Permission denied"
    assert call(sim, "GET", "/v1/jobs", token="bogus").text == "ACL token not found"
    assert call(sim, "GET", "/v1/jobs", token="bogus").status == 403
    assert call(sim, "POST", "/v1/jobs", {"Job": web_job()}, token=root).status == 200
    assert call(sim, "GET", "/v1/job/shop", token="reader").status == 200
    denied = call(sim, "POST", "/v1/jobs", {"Job": web_job(Meta={"a": "b"})}, token="reader")
    assert (denied.status, denied.text) == (403, "Permission denied")
    assert call(sim, "POST", "/v1/jobs", {"Job": web_job()}, token="apps-writer").status == 403
    assert call(sim, "POST", "/v1/jobs?namespace=apps", {"Job": web_job()}, token="apps-writer").status == 200
    sim.advance("shop")
    scaled = call(sim, "POST", "/v1/job/shop/scale", {"Count": 2, "Target": {"Group": "worker"}}, token="scaler")
    assert scaled.status == 200
    assert call(sim, "GET", "/v1/job/shop/scale", token="scaler").status == 200
    assert call(sim, "GET", "/v1/job/shop", token="scaler").status == 403
    listing = call(sim, "GET", "/v1/jobs?namespace=*", token="apps-writer").json
    assert [j["Namespace"] for j in listing] == ["apps"]


def test_acl_bearer_token(sim: NomadSimulator) -> None:
    sim.enable_acl("root")
    request = urllib.request.Request(sim.address + "/v1/jobs", headers={"Authorization": "Bearer root"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


# -- blocking queries, request log, escaping, misc ----------------------------------------------------


def test_blocking_query_waits_for_a_newer_index(sim: NomadSimulator) -> None:
    """The query parks until the index moves past the one it sent, and that change, not its wait, answers it."""
    register(sim, web_job())
    index = int(call(sim, "GET", "/v1/job/shop/allocations").headers["X-Nomad-Index"])
    replies: list[Reply] = []
    query = threading.Thread(target=lambda: replies.append(
        call(sim, "GET", f"/v1/job/shop/allocations?index={index}&wait=5m")), daemon=True)
    query.start()
    deadline = time.monotonic() + 5
    while sim.parked_queries != 1:
        assert time.monotonic() < deadline, "timed out waiting for the query to block"
        time.sleep(0.01)
    assert replies == []
    sim.start_allocations("shop")
    query.join(5)
    assert not query.is_alive(), "the change did not answer the query (only its 5m wait would have)"
    assert sim.parked_queries == 0
    (reply,) = replies
    assert int(reply.headers["X-Nomad-Index"]) > index
    assert {a["ClientStatus"] for a in reply.json} == {"running"}


def test_blocking_query_times_out_with_the_same_index(sim: NomadSimulator) -> None:
    register(sim, web_job())
    index = call(sim, "GET", "/v1/job/shop").headers["X-Nomad-Index"]
    reply = call(sim, "GET", f"/v1/job/shop?index={index}&wait=100ms")
    assert reply.status == 200 and reply.headers["X-Nomad-Index"] == index
    assert call(sim, "GET", "/v1/job/shop?index=1&wait=soon").text == "Invalid wait time"


def test_requests_are_recorded(sim: NomadSimulator) -> None:
    register(sim, web_job())
    call(sim, "GET", "/v1/job/shop?namespace=default")
    call(sim, "GET", "/v1/job/shop")
    assert sim.count_requests("GET", "/v1/job/shop") == 2
    assert sim.count_requests("POST") == 1
    first = sim.requests[0]
    assert (first.method, first.path, first.body["Job"]["ID"]) == ("POST", "/v1/jobs", "shop")
    assert sim.requests[1].query == {"namespace": ["default"]}
    sim.clear_requests()
    assert sim.requests == []


def test_url_escaped_job_ids(sim: NomadSimulator) -> None:
    assert register(sim, batch_job("a@b")).status == 200
    assert call(sim, "GET", "/v1/job/a%40b").json["ID"] == "a@b"
    assert sim.requests[-1].raw_path == "/v1/job/a%40b" and sim.requests[-1].path == "/v1/job/a@b"
    # The strict checks still apply: "a@b-web" is not a valid default service name.
    assert "RFC 1123" in register(sim, web_job("a@b")).text
    spaced = call(sim, "POST", "/v1/job/my%20job", {"Job": web_job("my job")})
    assert spaced.status == 500 and "Job ID contains a space" in spaced.text
    # python-nomad does not escape: the '?' of an ID starts the query string.
    assert call(sim, "GET", "/v1/job/odd?x").text == "job not found"
    assert sim.requests[-1].path == "/v1/job/odd"


def test_unclean_paths_redirect_and_pretty_prints(sim: NomadSimulator) -> None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        """Surface redirects as HTTPError instead of following them."""

        def redirect_request(self, *args: Any) -> None:
            """Follow nothing."""
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(sim.address + "//v1/jobs")
    with caught.value as error:
        assert error.code == 301 and error.headers["Location"] == "/v1/jobs"
        assert error.read().decode() == '<a href="/v1/jobs">Moved Permanently</a>.\n\n'
    register(sim, web_job())
    assert call(sim, "GET", "/v1/job/shop?pretty").text.startswith('{\n    "Region"')


def test_evaluations_and_deployments_lists(sim: NomadSimulator) -> None:
    register(sim, web_job())
    evals = call(sim, "GET", "/v1/job/shop/evaluations").json
    assert evals[0]["TriggeredBy"] == "job-register" and evals[0]["Status"] == "complete"
    assert evals[0]["DeploymentID"] == call(sim, "GET", "/v1/job/shop/deployment").json["ID"]
    assert call(sim, "GET", "/v1/job/ghost/deployment").json is None
    assert call(sim, "GET", "/v1/job/ghost/deployments").json == []
    assert call(sim, "GET", "/v1/job/ghost/evaluations").json == []


# -- client logs --------------------------------------------------------------------------------------


def test_client_logs(sim: NomadSimulator) -> None:
    register(sim, web_job())
    alloc = sim.allocations("shop")[0]
    base = f"/v1/client/fs/logs/{alloc['ID']}?task=web&type=stdout"
    pending = call(sim, "GET", base + "&plain=true")  # client/fs_endpoint.go: no StartedAt, no log files yet
    assert (pending.status, pending.text) == (404, 'task "web" not started yet. No logs available')
    unknown = call(sim, "GET", "/v1/client/fs/logs/0000?task=web&type=stdout")
    assert (unknown.status, unknown.text) == (404, 'Unknown allocation "0000"')
    sim.start_allocations("shop")
    sim.write_log(alloc["ID"], "web", "line one\nline two\n")
    base = f"/v1/client/fs/logs/{alloc['ID']}?task=web&type=stdout"
    assert call(sim, "GET", base + "&plain=true").text == "line one\nline two\n"
    assert call(sim, "GET", base + "&plain=true&origin=end&offset=9").text == "line two\n"
    frame = call(sim, "GET", base).json
    assert base64.b64decode(frame["Data"]).decode() == "line one\nline two\n"
    assert frame["File"] == "alloc/logs/web.stdout.0"
    assert call(sim, "GET", base.replace("stdout", "stderr") + "&plain=true").text == ""
    assert call(sim, "GET", f"/v1/client/fs/logs/{alloc['ID']}?type=stdout").text == "must provide task name"
    assert call(sim, "GET", "/v1/client/fs/logs/nope?task=web&type=stdout").status == 404
    sim.set_logs_available(False)
    off = call(sim, "GET", base + "&plain=true")
    assert (off.status, off.text) == (500, "No path to node")


def test_client_ls_lists_the_log_files_with_their_last_write(sim: NomadSimulator) -> None:
    """fs/ls of alloc/logs: what --since reads its times from (Size, ModTime per file, as AllocFileInfo)."""
    register(sim, web_job())
    alloc = sim.allocations("shop")[0]
    path = f"/v1/client/fs/ls/{alloc['ID']}?path=alloc/logs"
    assert call(sim, "GET", path).json == []  # no task started: logmon has made no file yet
    sim.start_allocations("shop")
    before = time.time()
    sim.write_log(alloc["ID"], "web", "line one\n")
    files = {item["Name"]: item for item in call(sim, "GET", path).json}
    assert sorted(files) == ["web.stderr.0", "web.stdout.0"]
    assert (files["web.stdout.0"]["Size"], files["web.stdout.0"]["IsDir"]) == (9, False)
    written = files["web.stdout.0"]["ModTime"]
    assert written.endswith("Z") and written[:19] >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(before))
    assert files["web.stderr.0"]["Size"] == 0
    assert call(sim, "GET", f"/v1/client/fs/ls/{alloc['ID']}?path=/").status == 501  # only alloc/logs is simulated
    assert call(sim, "GET", "/v1/client/fs/ls/0000?path=alloc/logs").text == 'Unknown allocation "0000"'
    sim.enable_acl()
    sim.add_token("logs-only", capabilities=frozenset({"read-job", "read-logs"}))
    assert call(sim, "GET", path, token="logs-only").status == 403  # FileSystem.List wants read-fs


# -- Go helpers ---------------------------------------------------------------------------------------


def test_go_durations() -> None:
    assert [format_duration(n) for n in (0, 5 * SECOND, 1800 * SECOND, 86400 * SECOND, 1_500_000_000, 100_000_000)] == [
        "0s",
        "5s",
        "30m0s",
        "24h0m0s",
        "1.5s",
        "100ms",
    ]
    assert parse_duration("5m") == 300 * SECOND and parse_duration("1m30s") == 90 * SECOND
    with pytest.raises(ValueError):
        parse_duration("soon")


# -- what the server adds: admission mutators and canonicalisation (nomad/job_endpoint_hooks.go) -------------

SIGNALS_TERM = {"LTarget": "${attr.os.signals}", "RTarget": "SIGTERM", "Operand": "set_contains"}
NATIVE_DISCOVERY = {"LTarget": "${attr.nomad.service_discovery}", "RTarget": "true", "Operand": "="}
NATIVE_CHECKS = {"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.4.0", "Operand": "semver"}
CONSUL_VERSION = {"LTarget": "${attr.consul.version}", "RTarget": ">= 1.8.0", "Operand": "semver"}
DEFAULT_IDENTITY = {
    "Name": "default",
    "Audience": ["nomadproject.io"],
    "ChangeMode": "",
    "ChangeSignal": "",
    "Env": False,
    "File": False,
    "Filepath": "",
    "ServiceName": "",
    "TTL": 0,
    "ExtraClaims": None,
}


def test_the_server_adds_the_constraints_a_job_implies(sim: NomadSimulator) -> None:
    """A KillSignal, a Nomad-provider service and its check each imply a group constraint (jobImpliedConstraints)."""
    assert register(sim, web_job()).status == 200
    stored = call(sim, "GET", "/v1/job/shop").json
    assert group(stored, "web")["Constraints"] == [SIGNALS_TERM, NATIVE_DISCOVERY, NATIVE_CHECKS]
    assert group(stored, "web")["Tasks"][0]["Constraints"] is None
    assert group(stored, "worker")["Constraints"] is None  # no signal, no service: nothing implied
    assert stored["Constraints"] is None


def test_implied_signals_are_one_sorted_constraint_per_group(sim: NomadSimulator) -> None:
    """Every task's KillSignal and signal-mode template of a group, unique and sorted, in one set_contains."""
    job = web_job()
    web = group(job, "web")
    other = copy.deepcopy(web["Tasks"][0]) | {"Name": "side", "KillSignal": "SIGINT"}
    other["Templates"] = [
        {"EmbeddedTmpl": "x", "DestPath": "local/x", "ChangeMode": "signal", "ChangeSignal": "sighup"}
    ]
    web["Tasks"].append(other)
    assert register(sim, job).status == 200, register(sim, job).text
    stored = group(call(sim, "GET", "/v1/job/shop").json, "web")
    signals = [c for c in stored["Constraints"] if c["LTarget"] == "${attr.os.signals}"]
    assert signals == [{"LTarget": "${attr.os.signals}", "RTarget": "SIGHUP,SIGINT,SIGTERM", "Operand": "set_contains"}]
    assert stored["Tasks"][1]["Templates"][0]["ChangeSignal"] == "SIGHUP"  # Template.Canonicalize


def test_an_implied_constraint_already_present_is_not_added_again(sim: NomadSimulator) -> None:
    """An equal constraint stops the signals one; any constraint on the same attribute stops the Consul one."""
    job = web_job()
    web = group(job, "web")
    web["Constraints"] = [
        dict(SIGNALS_TERM),
        {"LTarget": "${attr.os.signals}", "RTarget": "SIGHUP", "Operand": "set_contains"},
    ]
    web["Services"][0]["Provider"] = "consul"
    web["Services"][0]["Checks"] = None
    consul_pin = {"LTarget": "${attr.consul.version}", "RTarget": ">= 1.20.0", "Operand": "semver"}
    web["Constraints"].append(consul_pin)
    assert register(sim, job).status == 200
    stored = group(call(sim, "GET", "/v1/job/shop").json, "web")
    assert stored["Constraints"] == web["Constraints"]


def test_consul_services_imply_a_consul_version_where_they_are_declared(sim: NomadSimulator) -> None:
    """A group service constrains the group, a task service the task (jobImpliedConstraints' Consul branch)."""
    job = web_job()
    web = group(job, "web")
    service = web.pop("Services")[0]
    service.update(Provider="consul", Checks=None)
    web["Tasks"][0]["Services"] = [service]
    worker = group(job, "worker")
    worker["Services"] = [{"Name": "shop-worker", "Cluster": "east"}]
    assert register(sim, job).status == 200
    stored = call(sim, "GET", "/v1/job/shop").json
    assert group(stored, "web")["Constraints"] == [SIGNALS_TERM]
    assert group(stored, "web")["Tasks"][0]["Constraints"] == [CONSUL_VERSION]
    assert group(stored, "worker")["Constraints"] == [
        {"LTarget": "${attr.consul.east.version}", "RTarget": ">= 1.8.0", "Operand": "semver"}
    ]


def test_bridge_networking_implies_the_cni_plugins(sim: NomadSimulator) -> None:
    job = web_job()
    group(job, "web")["Networks"][0]["Mode"] = "bridge"
    assert register(sim, job).status == 200
    stored = group(call(sim, "GET", "/v1/job/shop").json, "web")
    plugins = [c["LTarget"] for c in stored["Constraints"] if c["LTarget"].startswith("${attr.plugins.cni")]
    assert plugins == [
        f"${{attr.plugins.cni.version.{name}}}" for name in ("bridge", "firewall", "host-local", "loopback", "portmap")
    ]
    assert {c["RTarget"] for c in stored["Constraints"] if c["LTarget"] in plugins} == {">= 0.4.0"}


def test_every_task_gets_the_default_workload_identity(sim: NomadSimulator) -> None:
    """Task.Canonicalize: Identity is DefaultWorkloadIdentity; a "default" in Identities moves there."""
    job = web_job()
    group(job, "worker")["Tasks"][0]["Identities"] = [{"Name": "default", "Env": True, "Audience": ["other"]}]
    assert register(sim, job).status == 200
    stored = call(sim, "GET", "/v1/job/shop").json
    web_task, worker_task = group(stored, "web")["Tasks"][0], group(stored, "worker")["Tasks"][0]
    assert web_task["Identity"] == DEFAULT_IDENTITY and web_task["Identities"] is None
    assert worker_task["Identity"] == DEFAULT_IDENTITY | {"Env": True}  # the default's audience is always Nomad's
    assert worker_task["Identities"] == []
    assert group(stored, "worker")["Constraints"] is None


def test_extra_identities_need_a_nomad_17_client(sim: NomadSimulator) -> None:
    """jobImplicitIdentitiesHook: a group with more identities gets the client version constraint, appended."""
    job = web_job()
    group(job, "worker")["Tasks"][0]["Identities"] = [{"Name": "api", "Audience": ["api"], "TTL": 3600 * SECOND}]
    assert register(sim, job).status == 200
    stored = group(call(sim, "GET", "/v1/job/shop").json, "worker")
    assert stored["Constraints"] == [{"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.7.0-a", "Operand": "semver"}]
    assert stored["Tasks"][0]["Identities"][0] == DEFAULT_IDENTITY | {
        "Name": "api",
        "Audience": ["api"],
        "TTL": 3600 * SECOND,
    }


def test_services_get_their_cluster_and_namespace(sim: NomadSimulator) -> None:
    """Cluster "default" for every provider; Namespace is the job's for Nomad's provider, "default" for Consul's."""
    sim.add_namespace("apps")
    job = web_job()
    group(job, "worker")["Services"] = [{"Name": "shop-worker", "Provider": "consul"}]
    assert call(sim, "POST", "/v1/jobs?namespace=apps", {"Job": job}).status == 200
    stored = call(sim, "GET", "/v1/job/shop?namespace=apps").json
    web, worker = group(stored, "web")["Services"][0], group(stored, "worker")["Services"][0]
    assert (web["Cluster"], web["Namespace"]) == ("default", "apps")
    assert (worker["Cluster"], worker["Namespace"]) == ("default", "default")


def test_a_read_back_job_with_server_additions_resubmitted_is_unchanged(sim: NomadSimulator) -> None:
    """The implied constraints, identity, cluster and namespace come back and match what the server adds again."""
    sim.add_namespace("apps")
    assert call(sim, "POST", "/v1/jobs?namespace=apps", {"Job": web_job()}).status == 200
    stored = call(sim, "GET", "/v1/job/shop?namespace=apps").json
    assert call(sim, "POST", "/v1/jobs?namespace=apps", {"Job": stored}).status == 200
    again = call(sim, "GET", "/v1/job/shop?namespace=apps").json
    assert again["Version"] == 0 and group(again, "web")["Constraints"] == group(stored, "web")["Constraints"]


@pytest.mark.parametrize("path", ["/health%zz", "/ok%4", "1a:b/c", ":8080/health", "//host:port/x", "/a\x7fb"])
def test_a_check_path_that_is_not_a_url_is_refused(sim: NomadSimulator, path: str) -> None:
    """ServiceCheck.validateCommon: url.Parse fails; the Nomad provider adds the error without a check prefix."""
    job = web_job()
    group(job, "web")["Services"][0]["Checks"][0]["Path"] = path
    reply = register(sim, job)
    assert reply.status == 500
    service = multierror(["http type must have valid http path"])
    assert reply.text == multierror(
        [
            "Task group web validation failed: "
            + multierror(
                [
                    "Task group service validation failed: "
                    + multierror([f"Service[0] shop-web validation failed: {service}"])
                ]
            )
        ]
    )
    assert call(sim, "GET", "/v1/job/shop").status == 404


@pytest.mark.parametrize("path", ["/healthz?full=1", "/a b", "/%41", "health", "//host:8080/x", "/x#top"])
def test_a_relative_check_path_that_parses_is_accepted(sim: NomadSimulator, path: str) -> None:
    job = web_job()
    group(job, "web")["Services"][0]["Checks"][0]["Path"] = path
    assert register(sim, job).status == 200


@pytest.mark.parametrize("path", ["http://example.com/health", "mailto:ops", "HTTP:/x"])
def test_an_absolute_check_path_is_refused(sim: NomadSimulator, path: str) -> None:
    job = web_job()
    group(job, "web")["Services"][0]["Checks"][0]["Path"] = path
    reply = register(sim, job)
    assert reply.status == 500 and "* http type must have relative http path\n" in reply.text
    assert "Check alive invalid" not in reply.text


def test_the_registering_tokens_accessor_is_recorded_and_counts_as_a_change(sim: NomadSimulator) -> None:
    """doRegister stores the token's AccessorID as NomadTokenID, which Job.SpecChanged compares: another token
    makes a new version of an unchanged job, the same token does not; with ACLs off it is "" again."""
    root = sim.enable_acl()
    deployer = sim.add_token("deployer")
    assert call(sim, "POST", "/v1/jobs", {"Job": web_job()}, token="deployer").status == 200
    stored = call(sim, "GET", "/v1/job/shop", token=root).json
    assert (stored["NomadTokenID"], stored["Version"]) == (deployer.accessor_id, 0)
    assert deployer.accessor_id and deployer.accessor_id != deployer.secret_id
    assert call(sim, "POST", "/v1/jobs", {"Job": stored}, token="deployer").status == 200
    assert call(sim, "GET", "/v1/job/shop", token=root).json["Version"] == 0
    assert call(sim, "POST", "/v1/jobs", {"Job": web_job()}, token=root).status == 200
    by_root = call(sim, "GET", "/v1/job/shop", token=root).json
    assert by_root["Version"] == 1 and by_root["NomadTokenID"] not in ("", deployer.accessor_id)
    sim.disable_acl()
    assert register(sim, web_job()).status == 200
    stored_again = sim.job("shop")
    assert stored_again is not None
    assert (call(sim, "GET", "/v1/job/shop").json["NomadTokenID"], stored_again["Version"]) == ("", 2)


def test_a_submitted_nomad_token_id_is_not_kept(sim: NomadSimulator) -> None:
    """ApiJobToStructJob does not copy NomadTokenID, so a job cannot claim a token."""
    assert register(sim, web_job(NomadTokenID="someone-else")).status == 200
    assert call(sim, "GET", "/v1/job/shop").json["NomadTokenID"] == ""


def test_a_job_in_a_node_pool_that_does_not_exist_is_refused(sim: NomadSimulator) -> None:
    """jobNodePoolValidatingHook: 500 with Nomad's text; "all" and "default" exist, and so do created pools and
    the pools of nodes."""
    reply = register(sim, web_job(NodePool="gpu"))
    assert (reply.status, reply.text) == (500, multierror(['job "shop" is in nonexistent node pool "gpu"']))
    assert call(sim, "GET", "/v1/job/shop").status == 404
    planned = call(sim, "POST", "/v1/job/shop/plan", {"Job": web_job(NodePool="gpu")})
    assert planned.status == 500 and 'nonexistent node pool "gpu"' in planned.text
    validated = call(sim, "POST", "/v1/validate/job", {"Job": web_job(NodePool="gpu")}).json
    assert validated["ValidationErrors"] == ['job "shop" is in nonexistent node pool "gpu"']
    sim.add_node_pool("gpu")
    assert register(sim, web_job(NodePool="gpu")).status == 200
    assert call(sim, "GET", "/v1/job/shop").json["NodePool"] == "gpu"
    assert register(sim, web_job("everywhere", NodePool="all")).status == 200
    sim.add_node("edge-1", node_pool="edge")
    assert register(sim, web_job("edge", NodePool="edge")).status == 200


def test_the_namespace_error_comes_before_the_node_pool_error(sim: NomadSimulator) -> None:
    reply = call(sim, "POST", "/v1/jobs?namespace=nope", {"Job": web_job(NodePool="gpu")})
    assert reply.status == 500
    assert reply.text == multierror(
        ['job "shop" is in nonexistent namespace "nope"', 'job "shop" is in nonexistent node pool "gpu"']
    )


def test_alloc_restart_needs_alloc_lifecycle_and_a_known_allocation(sim: NomadSimulator) -> None:
    """command/agent/alloc_endpoint.go allocRestart: an unknown allocation is a 404; ACLs ask alloc-lifecycle in
    the allocation's namespace, which the read policy does not grant."""
    assert register(sim, web_job()).status == 200
    alloc = sim.allocations("shop")[0]["ID"]
    assert call(sim, "PUT", "/v1/client/allocation/nope/restart", {}).status == 404
    root = sim.enable_acl()
    sim.add_token("reader", capabilities=POLICY_READ)
    assert call(sim, "PUT", f"/v1/client/allocation/{alloc}/restart", {}, token="reader").status == 403
    assert call(sim, "PUT", f"/v1/client/allocation/{alloc}/restart", {}, token=root).status == 200
