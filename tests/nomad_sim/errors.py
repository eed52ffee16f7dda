"""Errors the simulated API answers with, and Nomad's multierror text format."""

from __future__ import annotations

from collections.abc import Sequence


class ApiError(Exception):
    """An HTTP error answer: a status code and a text/plain body, as Nomad's `wrap()` writes them."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def multierror(items: Sequence[str]) -> str:
    """Format errors the way hashicorp/go-multierror's default formatter does."""
    if len(items) == 1:
        return f"1 error occurred:\n\t* {items[0]}\n\n"
    points = "\n\t".join(f"* {item}" for item in items)
    return f"{len(items)} errors occurred:\n\t{points}\n\n"


def validation_failed(items: Sequence[str]) -> ApiError:
    """Register/plan validation failures: a plain RPC error, so HTTP 500 (reference §2)."""
    return ApiError(500, multierror(items))


def permission_denied() -> ApiError:
    """The answer for a token that lacks a capability."""
    return ApiError(403, "Permission denied")


def job_not_found() -> ApiError:
    """The answer of GET job, summary and scale status for an unknown job."""
    return ApiError(404, "job not found")
