"""The other end of the control socket: a blocking connection that sends requests and reads replies."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from procfleet.errors import PlatformError, ProcfleetError, UsageError
from procfleet.exitcodes import ExitCode
from procfleet_local import runtime
from procfleet_local.runtime import Address

TIMEOUT = 10.0


class Client:
    """One connection to a running supervisor."""

    def __init__(self, sock: socket.socket, where: Address) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb")
        self.where = where

    @classmethod
    def connect(cls, where: Address) -> Client | None:
        """Connect to the app's supervisor; None when none listens (no socket, or a stale one)."""
        if not runtime.check_private(where.socket.parent):
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(str(where.socket))
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()  # refused: the socket file outlived its supervisor
            runtime.clear_stale(where)
            return None
        except OSError as exc:
            sock.close()
            raise PlatformError(f"cannot reach the supervisor at {where.socket}: {exc.strerror}") from exc
        return cls(sock, where)

    def request(self, op: str, timeout: float | None = TIMEOUT, **fields: Any) -> dict[str, Any]:
        """Send one request and return its reply; a refusal becomes the matching procfleet error."""
        self.send(op, **fields)
        reply = self.receive(timeout)
        if reply is None:
            raise PlatformError(f"the supervisor at {self.where.socket} hung up without answering")
        return reply

    def send(self, op: str, **fields: Any) -> None:
        """Send one request."""
        try:
            self._sock.sendall(json.dumps({"op": op, **fields}).encode() + b"\n")
        except OSError as exc:
            raise PlatformError(f"lost the supervisor at {self.where.socket}: {exc}") from exc

    def receive(self, timeout: float | None = TIMEOUT) -> dict[str, Any] | None:
        """The next message, None once the supervisor closes the connection."""
        self._sock.settimeout(timeout)
        try:
            line = self._reader.readline()
        except TimeoutError:
            raise PlatformError(f"the supervisor at {self.where.socket} did not answer within "
                                f"{timeout:g}s") from None
        except OSError as exc:
            raise PlatformError(f"lost the supervisor at {self.where.socket}: {exc}") from exc
        if not line:
            return None
        message: Any = None
        with contextlib.suppress(ValueError):
            message = json.loads(line)
        if not isinstance(message, dict):  # not our supervisor's protocol: something else listens there
            raise PlatformError(f"{self.where.socket} answered with something that is not a procfleet supervisor's "
                                f"reply: {line[:80]!r}")
        if message.get("ok") is False:
            raise _refusal(message)
        return message

    def stream(self) -> Iterator[dict[str, Any]]:
        """Messages until the supervisor ends the stream or the connection."""
        while (message := self.receive(None)) is not None and not message.get("end"):
            yield message
        if message is not None and message.get("error"):
            raise PlatformError(f"logs: {message['error']}")

    def close(self) -> None:
        """Hang up."""
        self._reader.close()
        self._sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _refusal(message: dict[str, Any]) -> ProcfleetError:
    text = str(message.get("error", "the supervisor refused the request"))
    return UsageError(text) if message.get("exit_code") == ExitCode.USAGE else PlatformError(text)
