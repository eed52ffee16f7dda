"""The HTTP-layer of each endpoint: request parsing, HTTP-level checks, ACLs, and answers (reference §1-§4)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import acl as caps
from .acl import Acl
from .canonical import canonical_job
from .client_fs import client_logs, client_ls
from .decode import STRICT_UNKNOWN, decode
from .errors import ApiError, job_not_found, multierror

if TYPE_CHECKING:
    from .taskrunner import ClientRunner
from .model import Evaluation, JobRecord
from .operations import RegisterArgs, ScaleArgs, admission_errors, check_job, deregister, register, scale
from .plan import plan
from .schema import (
    PARSE_REQUEST,
    PLAN_REQUEST,
    REGISTER_REQUEST,
    SCALING_REQUEST,
    SCALING_TARGET_KEYS,
    VALIDATE_REQUEST,
)
from .state import Cluster
from .validate import validate_job
from .views import job_stub, scale_status, summary, summary_index, versions
from .wire import Request, Response, ok

Json = dict[str, Any]


Handler = Callable[[Request, str], Response]

# Suffixes Nomad's JobSpecificRequest checks, in its order (reference §1.1); those without a route are 501s.
JOB_SUFFIXES = (
    "/evaluate",
    "/allocations",
    "/evaluations",
    "/periodic/force",
    "/plan",
    "/summary",
    "/dispatch",
    "/dispatch/payload",
    "/versions",
    "/revert",
    "/deployments",
    "/deployment",
    "/stable",
    "/scale",
    "/services",
    "/submission",
    "/actions",
    "/action",
    "/tag",
)


class Api:
    """Routes requests to endpoint methods; `after_write` lets the simulator auto-progress a job."""

    def __init__(self, cluster: Cluster, acl: Acl, after_write: Callable[[str, str], None]) -> None:
        self.cluster = cluster
        self.acl = acl
        self.after_write = after_write
        self.client: ClientRunner | None = None  # the client that runs tasks, when the simulator has one
        read: dict[str, Handler] = {"GET": self.job_read}
        write: dict[str, Handler] = {"PUT": self.job_register, "POST": self.job_register}
        self.job_routes: dict[str, dict[str, Handler]] = {
            "": {**read, **write, "DELETE": self.job_delete},
            "/allocations": {"GET": self.job_allocations},
            "/evaluations": {"GET": self.job_evaluations},
            "/plan": {"PUT": self.job_plan, "POST": self.job_plan},
            "/summary": {"GET": self.job_summary},
            "/versions": {"GET": self.job_versions},
            "/deployments": {"GET": self.job_deployments},
            "/deployment": {"GET": self.job_deployment},
            "/scale": {"GET": self.job_scale_status, "PUT": self.job_scale, "POST": self.job_scale},
        }

    def route(self, request: Request) -> tuple[Handler, str]:
        """The handler and its path argument (a job or allocation ID); 404, 405 or 501 if none."""
        path = request.path
        if path == "/v1/jobs":
            return self._pick(
                {"GET": self.jobs_list, "PUT": self.jobs_register, "POST": self.jobs_register}, request
            ), ""
        if path == "/v1/jobs/parse":
            return self._pick({"PUT": self.jobs_parse, "POST": self.jobs_parse}, request), ""
        if path == "/v1/nodes":
            return self._pick({"GET": self.nodes_list}, request), ""
        if path == "/v1/validate/job":
            return self._pick({"PUT": self.validate, "POST": self.validate}, request), ""
        if path.startswith("/v1/evaluation/"):
            rest = path.removeprefix("/v1/evaluation/")
            if rest.endswith("/allocations"):
                return self._pick({"GET": self.eval_allocations}, request), rest.removesuffix("/allocations")
            return self._pick({"GET": self.eval_read}, request), rest
        if path.startswith("/v1/client/allocation/") and path.endswith("/restart"):
            alloc_id = path.removeprefix("/v1/client/allocation/").removesuffix("/restart")
            return self._pick({"PUT": self.alloc_restart, "POST": self.alloc_restart}, request), alloc_id
        if path.startswith("/v1/client/fs/logs/"):
            return self._pick({"GET": self.client_logs}, request), path.removeprefix("/v1/client/fs/logs/")
        if path.startswith("/v1/client/fs/ls/"):
            return self._pick({"GET": self.client_ls}, request), path.removeprefix("/v1/client/fs/ls/")
        if path.startswith("/v1/job/"):
            rest = path.removeprefix("/v1/job/")
            for suffix in JOB_SUFFIXES:
                if rest.endswith(suffix):
                    routes = self.job_routes.get(suffix)
                    if routes is None:
                        raise ApiError(501, f"the Nomad simulator does not implement /v1/job/:job_id{suffix}")
                    return self._pick(routes, request), rest.removesuffix(suffix)
            return self._pick(self.job_routes[""], request), rest
        # command/agent/http.go handleRootFallthrough: a path no handler owns is a 404 with an empty body
        # (and "/" a 307 to /ui/, which procfleet never asks for)
        raise ApiError(404, "")

    @staticmethod
    def _pick(routes: dict[str, Handler], request: Request) -> Handler:
        """The handler for the request's method, or Nomad's 405."""
        if request.method not in routes:
            raise ApiError(405, "Invalid method")
        return routes[request.method]

    def check_region(self, *candidates: str) -> str:
        """The first region given wins; "global" or empty means this agent's; any other is unreachable."""
        region = next((c for c in candidates if c), "")
        if region in ("", "global", self.cluster.region):
            return self.cluster.region
        raise ApiError(500, "No path to region")

    def placement(self, request: Request, body: Json, job: Json) -> tuple[str, str]:
        """A job write's namespace and region: the query wins, then the body, then the job (reference §1.1)."""
        namespace = request.arg("namespace") or body.get("Namespace") or job.get("Namespace") or "default"
        region = self.check_region(request.arg("region"), body.get("Region", ""), job.get("Region", ""))
        return namespace, region

    # -- jobs ---------------------------------------------------------------------------------------

    def jobs_list(self, request: Request, _: str) -> Response:
        """GET /v1/jobs: stubs, filtered by ?prefix=, in one namespace or all (*)."""
        if "filter" in request.query:
            raise ApiError(501, "the Nomad simulator does not implement filter expressions")
        namespace = request.namespace
        namespaces = sorted({ns for ns, _ in self.cluster.jobs})
        if namespace == "*":
            shown = set(self.acl.visible(request.token, namespaces, caps.LIST_JOBS))
        else:
            self.acl.check(request.token, namespace, caps.LIST_JOBS)
            shown = {namespace}
        prefix, meta = request.arg("prefix"), request.flag("meta")
        stubs = [
            job_stub(self.cluster, record, meta=meta)
            for (ns, job_id), record in sorted(self.cluster.jobs.items())
            if ns in shown and job_id.startswith(prefix)
        ]
        return ok(stubs, self.cluster.tables["jobs"])

    def jobs_register(self, request: Request, _: str) -> Response:
        """PUT/POST /v1/jobs."""
        return self._register(request, None)

    def job_register(self, request: Request, job_id: str) -> Response:
        """PUT/POST /v1/job/:job_id: the body's Job.ID must match."""
        return self._register(request, job_id)

    def _register(self, request: Request, url_id: str | None) -> Response:
        """jobUpdate's HTTP checks, then the RPC's ACL check, validation and registration."""
        decoded = decode(request.body, REGISTER_REQUEST, strict=self.cluster.options.strict)
        body = decoded.value
        given = body.get("Job")
        if given is None:
            raise ApiError(400, "Job must be specified")
        if not given.get("ID"):
            raise ApiError(400, "Job ID hasn't been provided")
        if url_id is not None and given["ID"] != url_id:
            raise ApiError(400, "Job ID does not match name")
        if given.get("Type") == "system" and any(g and g.get("Scaling") for g in given.get("TaskGroups") or []):
            raise ApiError(400, "Task groups with job type system do not support scaling blocks")
        namespace, region = self.placement(request, body, given)
        self.acl.check(request.token, namespace, caps.SUBMIT_JOB)
        job = canonical_job(given, namespace=namespace, region=region)
        check_job(self.cluster, job, decoded.strict_errors)
        job["NomadTokenID"] = self.acl.accessor(request.token)  # only register records it, not plan
        args = RegisterArgs(
            enforce_index=body.get("EnforceIndex", False),
            job_modify_index=body.get("JobModifyIndex", 0),
            preserve_counts=body.get("PreserveCounts", False),
            preserve_resources=body.get("PreserveResources", False),
            eval_priority=body.get("EvalPriority", 0),
        )
        reply = register(self.cluster, job, args)
        self.after_write(namespace, job["ID"])
        return Response(200, reply, index=reply["Index"])

    def jobs_parse(self, request: Request, _: str) -> Response:
        """POST /v1/jobs/parse: HCL is out of scope; an empty spec still gets Nomad's 400."""
        decoded = decode(request.body, PARSE_REQUEST, strict=self.cluster.options.strict)
        if not decoded.value.get("JobHCL"):
            raise ApiError(400, "Job spec is empty")
        self.acl.check(request.token, request.namespace, caps.PARSE_JOB, caps.SUBMIT_JOB)
        raise ApiError(501, "the Nomad simulator does not parse HCL; submit JSON jobs")

    def validate(self, request: Request, _: str) -> Response:
        """POST /v1/validate/job: 200 with the validation errors listed, never a 500."""
        decoded = decode(request.body, VALIDATE_REQUEST, strict=self.cluster.options.strict)
        given = decoded.value.get("Job")
        if given is None:
            raise ApiError(400, "Job must be specified")
        namespace, region = self.placement(request, decoded.value, given)
        self.acl.check(request.token, namespace, caps.READ_JOB, caps.SUBMIT_JOB)
        job = canonical_job(given, namespace=namespace, region=region)
        errors = [*decoded.strict_errors, *admission_errors(self.cluster, job)]
        errors += validate_job(job, job_max_count=self.cluster.options.job_max_count)
        body = {
            "DriverConfigValidated": True,
            "ValidationErrors": errors or None,
            "Error": multierror(errors) if errors else "",
            "Warnings": "",
        }
        return Response(200, body)

    # -- one job --------------------------------------------------------------------------------------

    def _record_or_404(self, request: Request, job_id: str, *capabilities: str) -> JobRecord:
        """ACL-check a read and return the job record, or raise 404 job not found."""
        self.acl.check(request.token, request.namespace, *capabilities)
        record = self.cluster.record(request.namespace, job_id)
        if record is None:
            raise job_not_found()
        return record

    def job_read(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id: the full canonical job."""
        record = self._record_or_404(request, job_id, caps.READ_JOB)
        return ok(copy.deepcopy(record.job), record.job["ModifyIndex"])

    def job_versions(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id/versions: newest first; Diffs is not computed."""
        self.acl.check(request.token, request.namespace, caps.READ_JOB)
        record = self.cluster.record(request.namespace, job_id)
        if record is None:
            raise ApiError(404, "job versions not found")
        index = max(self.cluster.tables["job_version"], 1)
        body = {
            "Versions": versions(record),
            "Diffs": None,
            "Index": index,
            "LastContact": 0,
            "KnownLeader": True,
            "NextToken": "",
        }
        return ok(body, index)

    def job_summary(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id/summary."""
        record = self._record_or_404(request, job_id, caps.READ_JOB)
        return ok(summary(self.cluster, record), summary_index(self.cluster, record))

    def job_allocations(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id/allocations[?all=true]: [] for an unknown job."""
        self.acl.check(request.token, request.namespace, caps.READ_JOB)
        allocs = self.cluster.job_allocs(request.namespace, job_id, any_create_index=request.flag("all"))
        stubs = [a.stub() for a in sorted(allocs, key=lambda a: (a.create_index, a.group, a.index))]
        return ok(stubs, self.cluster.tables["allocs"])

    def job_evaluations(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id/evaluations, newest first."""
        self.acl.check(request.token, request.namespace, caps.READ_JOB)
        evals = [e.to_json() for e in self.cluster.job_evals(request.namespace, job_id)]
        return ok(evals, self.cluster.tables["evals"])

    def _eval_or_404(self, request: Request, eval_id: str) -> Evaluation:
        """The evaluation, ACL-checked in its own namespace (nomad/eval_endpoint.go GetEval), or 404."""
        evaluation = self.cluster.evals.get(eval_id)
        if evaluation is None:
            # command/agent/eval_endpoint.go evalQuery
            self.acl.check(request.token, request.namespace, caps.READ_JOB)
            raise ApiError(404, "eval not found")
        self.acl.check(request.token, evaluation.namespace, caps.READ_JOB)
        return evaluation

    def nodes_list(self, request: Request, _: str) -> Response:
        """GET /v1/nodes: a NodeListStub per client node (nomad/structs/structs.go Node.Stub), node:read needed."""
        self.acl.check_node_read(request.token)
        stubs = [{"ID": node.id, "Name": node.name, "Datacenter": node.datacenter, "NodePool": node.node_pool,
                  "NodeClass": node.node_class, "Status": node.status,
                  "SchedulingEligibility": "eligible" if node.eligible else "ineligible", "Drain": False}
                 for node in self.cluster.nodes.values()]
        return ok(stubs, self.cluster.tables["nodes"])

    def eval_read(self, request: Request, eval_id: str) -> Response:
        """GET /v1/evaluation/:eval_id: one evaluation, FailedTGAllocs and BlockedEval included."""
        evaluation = self._eval_or_404(request, eval_id)
        return ok(evaluation.to_json(), self.cluster.tables["evals"])

    def eval_allocations(self, request: Request, eval_id: str) -> Response:
        """GET /v1/evaluation/:eval_id/allocations: the allocation stubs the evaluation placed."""
        self.acl.check(request.token, request.namespace, caps.READ_JOB)
        allocs = sorted((a for a in self.cluster.allocs.values() if a.eval_id == eval_id),
                        key=lambda a: (a.create_index, a.group, a.index))
        return ok([a.stub() for a in allocs], self.cluster.tables["allocs"])

    def job_deployments(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id/deployments[?all=true], newest first."""
        self.acl.check(request.token, request.namespace, caps.READ_JOB)
        record = self.cluster.record(request.namespace, job_id)
        found = self.cluster.job_deployments(request.namespace, job_id)
        if record is not None and not request.flag("all"):
            found = [d for d in found if d.job_create_index == record.job["CreateIndex"]]
        allocs = self.cluster.job_allocs(request.namespace, job_id)
        return ok([d.to_json(allocs) for d in found], self.cluster.tables["deployment"])

    def job_deployment(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id/deployment: the latest deployment, or null."""
        self.acl.check(request.token, request.namespace, caps.READ_JOB)
        latest = self.cluster.latest_deployment(request.namespace, job_id)
        allocs = self.cluster.job_allocs(request.namespace, job_id)
        return ok(latest.to_json(allocs) if latest else None, self.cluster.tables["deployment"])

    def job_scale_status(self, request: Request, job_id: str) -> Response:
        """GET /v1/job/:job_id/scale."""
        record = self._record_or_404(request, job_id, caps.READ_JOB_SCALING, caps.READ_JOB)
        tables = self.cluster.tables
        index = max(tables["jobs"], tables["allocs"], tables["scaling_event"], tables["deployment"])
        return ok(scale_status(self.cluster, record), index)

    def job_scale(self, request: Request, job_id: str) -> Response:
        """PUT/POST /v1/job/:job_id/scale: the checks of reference §3.2 in Nomad's order."""
        decoded = decode(request.body, SCALING_REQUEST, strict=self.cluster.options.strict)
        body = decoded.value
        target: dict[str, str] = body.get("Target") or {}
        if self.cluster.options.strict:
            decoded.strict_errors += [
                f'Target: unknown key "{key}", Nomad reads only {", ".join(SCALING_TARGET_KEYS)} ({STRICT_UNKNOWN})'
                for key in target
                if key not in SCALING_TARGET_KEYS
            ]
        if target.get("Job") and target["Job"] != job_id:
            raise ApiError(400, "job ID in payload did not match URL")
        namespace = request.namespace
        self.acl.check(request.token, namespace, caps.SCALE_JOB, caps.SUBMIT_JOB)
        if target.get("Namespace") and target["Namespace"] != namespace:
            raise ApiError(400, "namespace in payload did not match header")
        if decoded.strict_errors:
            raise ApiError(400, multierror(decoded.strict_errors))
        if not target.get("Group"):
            raise ApiError(400, "missing task group name for scaling action")
        count = body.get("Count")
        if count is not None and count < 0:
            raise ApiError(400, "scaling action count can't be negative")
        if count is not None and body.get("Error"):
            raise ApiError(400, "scaling action should not contain count if error is true")
        args = ScaleArgs(
            group=target["Group"],
            count=count,
            message=body.get("Message", ""),
            error=body.get("Error", False),
            meta=body.get("Meta"),
            job_modify_index=body.get("JobModifyIndex", 0),
        )
        reply = scale(self.cluster, namespace, job_id, args)
        self.after_write(namespace, job_id)
        return Response(200, reply, index=reply["Index"])

    def job_plan(self, request: Request, job_id: str) -> Response:
        """PUT/POST /v1/job/:job_id/plan: validation as register (500), then the plan; no state change."""
        decoded = decode(request.body, PLAN_REQUEST, strict=self.cluster.options.strict)
        body = decoded.value
        given = body.get("Job")
        if given is None:
            raise ApiError(400, "Job must be specified")
        if not given.get("ID"):
            raise ApiError(400, "Job must have a valid ID")
        if given["ID"] != job_id:
            raise ApiError(400, "Job ID does not match")
        namespace, region = self.placement(request, body, given)
        self.acl.check(request.token, namespace, caps.SUBMIT_JOB)
        job = canonical_job(given, namespace=namespace, region=region)
        check_job(self.cluster, job, decoded.strict_errors)
        reply = plan(self.cluster, job, diff=body.get("Diff", False))
        return Response(200, reply, index=reply["Index"])

    def job_delete(self, request: Request, job_id: str) -> Response:
        """DELETE /v1/job/:job_id[?purge=true]: 200 even for an unknown job."""
        purge = request.flag("purge")
        priority = request.arg("eval_priority")
        if priority and not priority.isdigit():
            raise ApiError(400, f'Failed to parse value of "eval_priority" ({priority}) as an integer')
        self.acl.check(request.token, request.namespace, caps.SUBMIT_JOB)
        reply = deregister(self.cluster, request.namespace, job_id, purge=purge, eval_priority=int(priority or 0))
        self.after_write(request.namespace, job_id)
        return Response(200, reply, index=reply["Index"] or None)

    def alloc_restart(self, request: Request, alloc_id: str) -> Response:
        """PUT /v1/client/allocation/:alloc_id/restart (command/agent/alloc_endpoint.go allocRestart), ACL
        alloc-lifecycle in the allocation's namespace; a task that does not run is "Task not running"."""
        alloc = self.cluster.find_alloc(alloc_id)
        if alloc is None:
            raise ApiError(404, f'Unknown allocation "{alloc_id}"')
        self.acl.check(request.token, alloc.namespace, caps.ALLOC_LIFECYCLE)
        client = self.client
        if client is not None and not client.restart(alloc.id):
            raise ApiError(500, "Task not running")
        return Response(200, {"Index": self.cluster.tables["allocs"]})

    def client_logs(self, request: Request, alloc_id: str) -> Response:
        """GET /v1/client/fs/logs/:alloc_id."""
        return client_logs(self.cluster, self.acl, request, alloc_id)

    def client_ls(self, request: Request, alloc_id: str) -> Response:
        """GET /v1/client/fs/ls/:alloc_id."""
        return client_ls(self.cluster, self.acl, request, alloc_id)
