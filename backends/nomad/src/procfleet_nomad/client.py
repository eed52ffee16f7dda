"""The edge where procfleet talks to Nomad: python-nomad's requesters, with IDs escaped and errors translated.

Every call goes through python-nomad's `Requester.request` (the helper behind all its methods: base URL, namespace
and region query parameters, token header, TLS settings, exception classes) rather than its per-endpoint methods,
because those (reference §5.2) do not escape job IDs, lack the scale endpoint and blocking queries, and return
`.json()` of 3xx answers, which python-nomad counts as success. Only this module imports python-nomad.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from nomad.api import Evaluation, Job, Jobs, Nodes
from nomad.api.client import allocation as client_allocation
from nomad.api.client import ls, stream_logs
from nomad.api.exceptions import (
    BaseNomadException,
    TimeoutNomadException,
    URLNotAuthorizedNomadException,
    URLNotFoundNomadException,
)
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning

from procfleet import __version__
from procfleet.errors import PlatformError
from procfleet_nomad.connection import Connection

Json = dict[str, Any]

REQUEST_TIMEOUT = 15  # seconds for an ordinary request; blocking queries get their wait on top
SCALING_BLOCKED = "job scaling blocked due to active deployment"  # reference §3.2
INDEX_CONFLICT = "Enforcing job modify index"  # the prefix the Nomad CLI matches too (reference §1.8)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
_SSL_REASON = re.compile(r"\[SSL: [A-Z0-9_]+\] ([^'\"]+?)(?: \(_ssl\.c:\d+\))?['\"]")
_NAME_MISMATCH = re.compile(r"CertificateError\(\"(hostname [^\"]+)\"\)")  # urllib3's own check, for a server name
_DISCONNECTED = re.compile(r"RemoteDisconnected\('([^']+)'")
_OS_REASON = re.compile(r"Error\(\d+, '([^'(]+?)(?: \(_ssl\.c:\d+\))?'\)")  # e.g. ConnectionResetError(104, '…')


class NotFound(PlatformError):
    """Nomad answered 404."""


class ScalingBlocked(PlatformError):
    """Nomad refuses to scale while the job's latest deployment is active (reference §3.2)."""


class IndexConflict(PlatformError):
    """The job changed since procfleet read it: an EnforceIndex or scale check-and-set failed."""


@dataclass(frozen=True)
class Answer:
    """A JSON answer and its X-Nomad-Index, which blocking queries wait beyond."""

    body: Any
    index: int


class ServerNameAdapter(HTTPAdapter):
    """HTTPS that names the agent as NOMAD_TLS_SERVER_NAME does: in the TLS handshake (SNI) and in the check of
    its certificate, whatever host the address has (Nomad's certificates name `server.<region>.nomad`)."""

    def __init__(self, server_name: str) -> None:
        self.server_name = server_name  # before the base class builds its pool manager with it
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Every connection pool asks for, and checks, the server name."""
        kwargs.update(server_hostname=self.server_name, assert_hostname=self.server_name)
        super().init_poolmanager(*args, **kwargs)


class NoRedirects(requests.Session):
    """A session that never follows a redirect: Nomad's API does not redirect, and following one would carry
    X-Nomad-Token to wherever the Location points (requests drops only Authorization across hosts)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Any request, with redirects off whatever the caller asked (python-nomad leaves them on for PUT and
        DELETE); _send turns the 3xx answer into an error."""
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


class NomadClient:
    """The Nomad HTTP API calls procfleet makes, for one app's job, with errors as PlatformError."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        session = NoRedirects()
        # Set on the session: python-nomad's own user_agent argument breaks requests that carry no token.
        session.headers["User-Agent"] = f"procfleet/{__version__}"
        if connection.http_auth is not None:
            session.auth = connection.http_auth
        if connection.tls_server_name is not None:
            session.mount("https://", ServerNameAdapter(connection.tls_server_name))
        settings: dict[str, Any] = {
            "address": connection.address,
            "namespace": connection.namespace,
            "region": connection.region,
            "token": connection.token,
            "timeout": REQUEST_TIMEOUT,
            "verify": connection.verify,
            "cert": connection.client_cert or (),
            "session": session,
        }
        # The endpoint classes directly, not nomad.Nomad(): that one reads NOMAD_* from os.environ, while
        # procfleet reads the environment it was handed (connection.py) and passes every value explicitly.
        self._job = Job(**settings)
        self._jobs = Jobs(**settings)
        self._evaluation = Evaluation(**settings)
        self._nodes_api = Nodes(**settings)
        self._client_alloc = client_allocation(**settings)
        self._logs = stream_logs(**settings)
        self._ls = ls(**settings)

    # -- jobs ---------------------------------------------------------------------------------------

    def read_job(self, job_id: str) -> Json | None:
        """GET /v1/job/:id, or None when there is no such job."""
        try:
            body: Json = self._json(self._job, _id(job_id), method="get", what=f"reading job {job_id}").body
        except NotFound:
            return None
        return body

    def register(self, request: Json) -> Json:
        """POST /v1/jobs with a JobRegisterRequest body."""
        job_id = request["Job"]["ID"]
        body: Json = self._json(self._jobs, method="post", body=request, what=f"registering job {job_id}").body
        return body

    def deregister(self, job_id: str, purge: bool) -> Json:
        """DELETE /v1/job/:id, purging it at once when asked."""
        params = {"purge": "true"} if purge else None
        body: Json = self._json(self._job, _id(job_id), method="delete", params=params,
                                what=f"stopping job {job_id}").body
        return body

    def scale(self, job_id: str, group: str, count: int, *, job_modify_index: int, message: str) -> Json:
        """POST /v1/job/:id/scale for one group; JobModifyIndex makes it a check-and-set (reference §3.1)."""
        request = {"Count": count, "Target": {"Job": job_id, "Group": group}, "Message": message,
                   "JobModifyIndex": job_modify_index}
        body: Json = self._json(self._job, _id(job_id), "scale", method="post", body=request,
                                what=f"scaling {group} of job {job_id} to {count}").body
        return body

    def scale_status(self, job_id: str) -> Json | None:
        """GET /v1/job/:id/scale: desired, placed, running and healthy per group."""
        try:
            body: Json = self._json(self._job, _id(job_id), "scale", method="get",
                                    what=f"reading the scale status of job {job_id}").body
        except NotFound:
            return None
        return body

    def allocations(self, job_id: str, *, index: int = 0, wait: float = 0.0) -> Answer:
        """GET /v1/job/:id/allocations, blocking until the allocations change past index (at most wait seconds)."""
        return self._json(self._job, _id(job_id), "allocations", method="get", params=_blocking(index, wait),
                          shape="list", timeout=REQUEST_TIMEOUT + wait,
                          what=f"reading the allocations of job {job_id}")

    def deployment(self, job_id: str, *, index: int = 0, wait: float = 0.0) -> Answer:
        """GET /v1/job/:id/deployment: the latest deployment or None, blocking like allocations()."""
        return self._json(self._job, _id(job_id), "deployment", method="get", params=_blocking(index, wait),
                          shape="object or null", timeout=REQUEST_TIMEOUT + wait,
                          what=f"reading the deployment of job {job_id}")

    def evaluation(self, eval_id: str) -> Json | None:
        """GET /v1/evaluation/:id (its FailedTGAllocs say why allocations were not placed), or None if unknown."""
        try:
            # python-nomad adds ?namespace= only to job-like endpoints; every procfleet request names its namespace.
            body: Json = self._json(self._evaluation, _id(eval_id), method="get",
                                    params={"namespace": self.connection.namespace},
                                    what=f"reading evaluation {eval_id[:8]}").body
        except NotFound:
            return None
        return body

    def nodes(self) -> list[Json]:
        """GET /v1/nodes: every client node's stub (Name, Status, SchedulingEligibility); needs node:read."""
        nodes: list[Json] = self._json(self._nodes_api, method="get", shape="list", what="listing the nodes").body
        return nodes

    def restart_allocation(self, alloc_id: str) -> Json:
        """PUT /v1/client/allocation/:id/restart: the client restarts the allocation's running tasks in place."""
        body: Json = self._json(self._client_alloc, _id(alloc_id), "restart", method="put", body={},
                                what=f"restarting allocation {alloc_id[:8]}").body
        return body

    # -- logs ---------------------------------------------------------------------------------------

    def read_log(self, alloc_id: str, task: str, stream: str, *, tail_bytes: int | None, start: int = 0) -> str:
        """A task's stdout or stderr as plain text: all of it from byte `start` on, or the last tail_bytes bytes."""
        params = {"task": task, "type": stream, "plain": "true", "follow": "false",
                  "origin": "start" if tail_bytes is None else "end",
                  "offset": str(start if tail_bytes is None else tail_bytes)}
        response = self._send(self._logs, _id(alloc_id), method="get", params=params,
                              what=f"reading the {stream} of allocation {alloc_id[:8]}")
        return response.content.decode(errors="replace")

    def log_files(self, alloc_id: str) -> list[Json]:
        """GET /v1/client/fs/ls/:alloc?path=alloc/logs: each rotated log file's Name, Size and ModTime (the only
        times Nomad keeps of a task's output); needs the read-fs capability."""
        files: list[Json] = self._json(self._ls, _id(alloc_id), method="get", params={"path": "alloc/logs"},
                                       shape="list", what=f"listing the log files of allocation {alloc_id[:8]}").body
        return files

    def follow_log(self, alloc_id: str, task: str, stream: str, *, from_start: bool, start: int = 0) -> Iterator[str]:
        """A task's stdout or stderr line by line as it grows: all of it first (from byte `start` on), or only
        what comes next."""
        params = {"task": task, "type": stream, "plain": "true", "follow": "true",
                  "origin": "start" if from_start else "end", "offset": str(start if from_start else 0)}
        response = self._send(self._logs, _id(alloc_id), method="get", params=params, stream=True, timeout=None,
                              what=f"following the {stream} of allocation {alloc_id[:8]}")
        with response:
            for line in response.iter_lines(decode_unicode=False):
                yield line.decode(errors="replace")

    # -- plumbing -----------------------------------------------------------------------------------

    def _json(self, requester: Any, *parts: str, method: str, what: str, params: dict[str, str] | None = None,
              body: Json | None = None, timeout: float | None = REQUEST_TIMEOUT, shape: str = "object") -> Answer:
        """Send and parse a JSON answer with its index; an answer of another shape than Nomad's (an object, a list
        of objects, or an object or null) is an error, never a crash further on."""
        response = self._send(requester, *parts, method=method, params=params, body=body, timeout=timeout,
                              what=what)
        try:
            parsed = response.json()
        except ValueError as exc:
            raise PlatformError(f"Nomad answered {what} with something that is not JSON "
                                f"({response.status_code}): {response.text[:200]!r}") from exc
        fits = {"object": isinstance(parsed, dict), "object or null": parsed is None or isinstance(parsed, dict),
                "list": isinstance(parsed, list) and all(isinstance(item, dict) for item in parsed)}[shape]
        if not fits:
            raise PlatformError(f"Nomad answered {what} with JSON that is not {_article(shape)} as Nomad's API "
                                f"returns: {response.text[:120]!r}; check that NOMAD_ADDR is a Nomad agent")
        index = response.headers.get("X-Nomad-Index", "0") or "0"
        if not index.isascii() or not index.isdigit():
            raise PlatformError(f"Nomad answered {what} with an X-Nomad-Index that is not a number: {index[:40]!r}")
        return Answer(parsed, int(index))

    def _send(self, requester: Any, *parts: str, method: str, what: str, params: dict[str, str] | None = None,
              body: Json | None = None, stream: bool = False,
              timeout: float | None = REQUEST_TIMEOUT) -> requests.Response:
        """One request through python-nomad, its exceptions turned into PlatformError with Nomad's own words."""
        try:
            with warnings.catch_warnings():
                if self.connection.verify is False:
                    # NOMAD_SKIP_VERIFY was asked for; the Nomad CLI honours it silently, while urllib3 would
                    # warn on every request and bury the output.
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                response: requests.Response = requester.request(*parts, method=method, params=dict(params or {}),
                                                                 json=body, stream=stream, timeout=timeout)
        except URLNotFoundNomadException as exc:
            if not exc.nomad_resp.text.strip():
                # Nomad's handlers always say what was not found ("job not found"); an empty 404 is its
                # fallthrough for a path no API has (command/agent/http.go handleRootFallthrough): NOMAD_ADDR
                # points under a prefix, or at something else
                path = urlsplit(exc.nomad_resp.url).path
                raise PlatformError(f"{self.connection.address} has no Nomad API at {path} (404 with no message) "
                                    f"while {what}: NOMAD_ADDR must be the agent's "
                                    "address, such as http://127.0.0.1:4646, with no path") from exc
            raise NotFound(self._refusal_text(what, exc.nomad_resp)) from exc
        except URLNotAuthorizedNomadException as exc:
            raise PlatformError(self._denied(what, exc.nomad_resp)) from exc
        except BaseNomadException as exc:
            if isinstance(exc.nomad_resp, requests.Response):
                raise self._refused(what, exc.nomad_resp) from exc
            raise PlatformError(self._unreachable(exc.nomad_resp)) from exc
        except TimeoutNomadException as exc:  # not a BaseNomadException (reference §5.2)
            raise PlatformError(self._unreachable(exc)) from exc
        if response.status_code >= 300:  # python-nomad lets 3xx through as "ok"; Nomad itself never redirects
            location = response.headers.get("Location", "")
            raise PlatformError(f"Nomad at {self.connection.address} answered {what} with a redirect "
                                f"({response.status_code} {location}): check NOMAD_ADDR")
        return response

    def _refusal_text(self, what: str, response: requests.Response) -> str:
        return f"Nomad refused {what} ({response.status_code}): {nomad_message(response.text)}"

    def _refused(self, what: str, response: requests.Response) -> PlatformError:
        """The error for a 400/500/… answer, recognising the two refusals procfleet reacts to."""
        text = nomad_message(response.text)
        if INDEX_CONFLICT in text:
            return IndexConflict(f"the job changed on Nomad since procfleet read it, so {what} was refused and "
                                 f"nothing was overwritten ({text}): run the command again")
        if SCALING_BLOCKED in text:
            return ScalingBlocked(f"Nomad refused {what}: {text}")
        return PlatformError(self._refusal_text(what, response))

    def _denied(self, what: str, response: requests.Response) -> str:
        """A 403, with what to check about NOMAD_TOKEN."""
        text = nomad_message(response.text)
        if self.connection.token is None:
            hint = "NOMAD_TOKEN is not set and this cluster has ACLs enabled"
        elif "token not found" in text.lower():
            hint = "NOMAD_TOKEN is not a token this cluster knows"
        else:
            hint = f"the token in NOMAD_TOKEN is not allowed to do this in namespace {self.connection.namespace}"
        return f"Nomad denied {what} (403 {text}): {hint}"

    def _unreachable(self, error: object) -> str:
        """A connection failure, with the reason the OS or TLS gave and what to check."""
        text, where = str(error), f"cannot reach Nomad at {self.connection.address}"
        if isinstance(error, requests.exceptions.SSLError):
            found = _SSL_REASON.search(text) or _NAME_MISMATCH.search(text) or _OS_REASON.search(text)
            reason = found.group(1).strip() if found else "handshake failed"
            if "wrong version number" in reason:
                hint = "the agent does not speak TLS there: use http:// in NOMAD_ADDR"
            elif ("alert" in reason or "EOF" in reason) and self.connection.client_cert is None:
                hint = ("the agent ended the handshake; if it requires client certificates, set NOMAD_CLIENT_CERT "
                        "and NOMAD_CLIENT_KEY")
            elif "alert" in reason or "EOF" in reason:
                hint = "the agent refused the client certificate in NOMAD_CLIENT_CERT"
            elif "mismatch" in reason or "doesn't match" in reason:
                name = self.connection.tls_server_name
                hint = (f"the agent's certificate is not for {name} (NOMAD_TLS_SERVER_NAME)" if name else
                        "the agent's certificate names another host: set NOMAD_TLS_SERVER_NAME to its name "
                        "(Nomad's own certificates name server.<region>.nomad)")
            else:
                hint = "set NOMAD_CACERT or NOMAD_CAPATH to the agent's CA (or NOMAD_SKIP_VERIFY=true)"
            return f"{where}: TLS failed ({reason}): {hint}"
        if isinstance(error, requests.Timeout | TimeoutNomadException):
            return f"{where}: no answer within {REQUEST_TIMEOUT}s (is NOMAD_ADDR the agent's HTTP address?)"
        found = _ERRNO.search(text) or _DISCONNECTED.search(text) or _OS_REASON.search(text)
        reason = found.group(1).strip() if found else type(error).__name__
        return f"{where}: {reason} (is the agent running, and NOMAD_ADDR its HTTP address with the right scheme?)"

MESSAGE_LIMIT = 600  # Nomad's own errors are a few lines; a proxy's HTML page or a dump is cut


def nomad_message(text: str) -> str:
    """Nomad's text/plain error, its multierror layout kept readable on one screen, cut past MESSAGE_LIMIT."""
    text = text.strip()
    if len(text) > MESSAGE_LIMIT:
        text = f"{text[:MESSAGE_LIMIT]}… ({len(text) - MESSAGE_LIMIT} more characters)"
    return text.replace("\n\t", "\n  ")


def _id(job_or_alloc_id: str) -> str:
    """A path segment: python-nomad pastes IDs into the URL as they are (reference §5.2)."""
    return quote(job_or_alloc_id, safe="")


def _blocking(index: int, wait: float) -> dict[str, str]:
    """The query of a blocking read (reference §4 'Also useful'): wake when the index moves past index."""
    if index <= 0 or wait <= 0:
        return {}
    return {"index": str(index), "wait": f"{max(1, round(wait * 1000))}ms"}


def _article(shape: str) -> str:
    """'an object', 'a list of objects', 'an object or null' for messages."""
    return {"object": "an object", "list": "a list of objects", "object or null": "an object or null"}[shape]
