"""The request and response objects passed between the HTTP server and the endpoint handlers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .acl import token_from_headers
from .gotypes import parse_bool


@dataclass
class Request:
    """One HTTP request, with the path already URL-decoded."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def arg(self, name: str, default: str = "") -> str:
        """The first value of a query parameter."""
        return self.query.get(name, [default])[0]

    def flag(self, name: str) -> bool:
        """A boolean query parameter, parsed like Go's strconv.ParseBool; absent is false."""
        return parse_bool(name, self.arg(name)) if name in self.query else False

    @property
    def token(self) -> str:
        """The ACL secret the request carries."""
        return token_from_headers(self.headers)

    @property
    def namespace(self) -> str:
        """The namespace of a read: ?namespace=, else default."""
        return self.arg("namespace") or "default"


@dataclass
class Response:
    """An answer: JSON (body is data) or text/plain (body is str), or raw bytes with a content type."""

    status: int
    body: Any
    index: int | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None  # a streamed answer (chunked), written as it comes after body


def ok(body: Any, index: int) -> Response:
    """A 200 JSON answer with an X-Nomad-Index."""
    return Response(200, body, index=max(index, 1))
