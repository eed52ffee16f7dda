"""Which engine the API reads go to (only the one the docker CLI would reach the same way), and how they fail."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from procfleet import dockerapi
from procfleet.errors import PlatformError


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A socket that answers like the engine: /containers/json with one container, 404 for any other path; the
    request lines it got are recorded."""
    seen: list[str] = []

    class Engine(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while True:
                request = self.rfile.readline().decode().strip()
                if not request:
                    return
                while self.rfile.readline().strip():
                    pass
                seen.append(request)
                found = request.startswith("GET /containers/json?")
                body = json.dumps([{"Id": "abc"}] if found else {"message": "No such container: x"}).encode()
                status = b"200 OK" if found else b"404 Not Found"
                self.wfile.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)

    path = tmp_path / "docker.sock"
    with socketserver.ThreadingUnixStreamServer(str(path), Engine) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield path, seen
        server.shutdown()


def test_reads_go_on_one_connection_and_a_404_can_mean_gone(engine: tuple[Path, list[str]]) -> None:
    path, seen = engine
    found = dockerapi.socket_for({"DOCKER_HOST": f"unix://{path}", "HOME": str(path.parent)})
    assert found is not None
    with found as api:
        listed = api.get("/containers/json", "listing", {"all": "1", "filters": dockerapi.filters(label=["a=b"])})
        assert listed == [{"Id": "abc"}]
        assert api.get("/containers/abc/json", "inspecting", missing_ok=True) is None
        with pytest.raises(PlatformError, match=r"^inspecting: the Docker engine answered 404: No such container: x$"):
            api.get("/containers/abc/json", "inspecting")
    assert seen[0] == "GET /containers/json?all=1&filters=%7B%22label%22%3A+%5B%22a%3Db%22%5D%7D HTTP/1.1"
    assert len(seen) == 3


@pytest.mark.parametrize("environ", [
    {"DOCKER_HOST": "tcp://10.0.0.1:2376"},
    {"DOCKER_HOST": "ssh://me@host"},
    {"DOCKER_CONTEXT": "prod"},
], ids=["tcp", "ssh", "context"])
def test_an_engine_the_cli_reaches_another_way_is_left_to_the_cli(environ: dict[str, str], tmp_path: Path) -> None:
    assert dockerapi.socket_for({**environ, "HOME": str(tmp_path)}) is None


def test_a_current_context_in_the_clis_config_is_left_to_the_cli(tmp_path: Path) -> None:
    (tmp_path / "docker.sock").touch()
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    environ = {"DOCKER_CONFIG": str(tmp_path), "DOCKER_HOST": f"unix://{tmp_path / 'docker.sock'}"}
    assert dockerapi.socket_for(environ) is None
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert dockerapi.socket_for(environ) is not None


def test_no_socket_file_is_left_to_the_cli_and_a_dead_one_is_one_line(tmp_path: Path) -> None:
    assert dockerapi.socket_for({"DOCKER_HOST": f"unix://{tmp_path / 'absent.sock'}", "HOME": str(tmp_path)}) is None
    dead = tmp_path / "dead.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(dead))
    listener.close()  # the file stays, nothing listens: what a crashed dockerd leaves
    api = dockerapi.socket_for({"DOCKER_HOST": f"unix://{dead}", "HOME": str(tmp_path)})
    assert api is not None
    with pytest.raises(PlatformError) as raised:
        api.get("/containers/json", "cannot list the project's containers")
    assert str(raised.value) == (f"cannot list the project's containers: cannot reach the Docker engine at "
                                 f"unix://{dead} (Connection refused): is dockerd running, and may this user use its "
                                 "socket?")


def test_two_threads_reading_at_once_each_get_their_answers(engine: tuple[Path, list[str]]) -> None:
    """down's progress view reads from its own thread while the command reads too: one HTTP connection carries
    one conversation at a time, so each thread has its own."""
    path, _ = engine
    api = dockerapi.EngineSocket(str(path))
    answers: list[object] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(30):
                answers.append(api.get("/containers/json", "listing", {"all": "1"}))
        except BaseException as exc:  # collected for the assertion below, not swallowed
            failures.append(exc)
        finally:
            api.close()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and answers == [[{"Id": "abc"}]] * 90


def frame(stream: int, data: bytes) -> bytes:
    """One frame of the engine's multiplexed log stream: the stream, three zero bytes, the size, the bytes."""
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def test_a_multiplexed_log_is_split_into_lines_with_their_stream_in_order() -> None:
    body = (frame(1, b"2026-01-01T00:00:00.1Z out one\n") + frame(2, b"2026-01-01T00:00:00.2Z err one\n")
            + frame(1, b"2026-01-01T00:00:00.3Z out tw") + frame(1, b"o\r\n")
            + frame(2, b"2026-01-01T00:00:00.4Z tail"))
    assert dockerapi.log_lines(body) == [
        (False, "2026-01-01T00:00:00.1Z out one"), (True, "2026-01-01T00:00:00.2Z err one"),
        (False, "2026-01-01T00:00:00.3Z out two"), (True, "2026-01-01T00:00:00.4Z tail")]


def test_a_tty_containers_log_is_its_bare_output_on_stdout() -> None:
    body = b"2026-01-01T00:00:00.1Z one\r\n2026-01-01T00:00:00.2Z two\n"
    assert dockerapi.log_lines(body) == [(False, "2026-01-01T00:00:00.1Z one"), (False, "2026-01-01T00:00:00.2Z two")]
    assert dockerapi.log_lines(b"") == []
