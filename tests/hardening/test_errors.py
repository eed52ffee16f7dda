"""Every error is one clear line with the right exit status, never a traceback, whatever the file or binary."""

from __future__ import annotations

import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from procfleet.cli import main

FORMATION = '[app]\nname = "a"\nimage = "i:1"\n[processes.web]\ncommand = "serve"\ncount = 1\n'


def one_line(err: str) -> str:
    """The single error line of err, failing the test on a traceback or a message spread over lines."""
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1, err
    return lines[0]


def test_a_symlink_loop_as_the_formation_is_a_formation_error(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    assert main(["check", "-f", str(tmp_path / "a.toml")]) == 2
    assert "a.toml: cannot read: Too many levels of symbolic links" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(("text", "message"), [
    ('tool = 3\n', "pyproject.toml: tool: expected a table, got int"),
    ('[tool]\nprocfleet = "x"\n', "pyproject.toml: tool.procfleet: expected a table, got str"),
    ('[tool]\nprocfleet = [1, 2]\n', "pyproject.toml: tool.procfleet: expected a table, got list"),
    ('[tool.procfleet]\napp = []\n', "pyproject.toml: tool.procfleet.app: expected a table, got an array"),
    ('[tool.other]\nx = 1\n', "pyproject.toml: tool.procfleet: missing table [tool.procfleet]"),
], ids=["tool-int", "procfleet-str", "procfleet-list", "app-array", "no-table"])
def test_odd_pyproject_shapes_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                           message: str) -> None:
    """`-f pyproject.toml` is read through [tool.procfleet], whatever else the file holds."""
    (tmp_path / "pyproject.toml").write_text(text)
    assert main(["check", "-f", str(tmp_path / "pyproject.toml")]) == 2
    assert one_line(capsys.readouterr().err).endswith(message)


def test_a_pyproject_found_on_its_own_with_a_bad_procfleet_table_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nprocfleet = "x"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert "tool.procfleet: expected a table" in one_line(capsys.readouterr().err)


def _render(tmp_path: Path, out: Path) -> int:
    return main(["-f", str(tmp_path / "formation.toml"), "render", "-b", "compose", "-o", str(out)])


def test_render_into_a_file_or_under_one_is_a_usage_error(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "formation.toml").write_text(FORMATION)
    assert _render(tmp_path, tmp_path / "formation.toml") == 2
    assert "is a file, not a folder" in one_line(capsys.readouterr().err)
    assert _render(tmp_path, tmp_path / "formation.toml" / "out") == 2
    assert "formation.toml is a file, not a folder" in one_line(capsys.readouterr().err)
    assert (tmp_path / "formation.toml").read_text() == FORMATION


def test_render_never_replaces_a_folder_or_trusts_a_foreign_manifest(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "formation.toml").write_text(FORMATION)
    occupied = tmp_path / "occupied"
    (occupied / "compose.yaml").mkdir(parents=True)
    assert _render(tmp_path, occupied) == 2
    assert "compose.yaml is a folder" in one_line(capsys.readouterr().err)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "compose.yaml").write_text("services: {}\n")  # the user's own file
    for manifest in ("[1", '{"compose.yaml": 3}', '["compose.yaml"]'):
        # a manifest that claims the user's file must not make render overwrite it
        (foreign / ".procfleet-rendered.json").write_text(manifest)
        assert _render(tmp_path, foreign) == 2
        assert "is not a manifest procfleet wrote" in one_line(capsys.readouterr().err)
    assert (foreign / "compose.yaml").read_text() == "services: {}\n"

    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".procfleet-rendered.json").symlink_to(tmp_path / "elsewhere.json")
    assert _render(tmp_path, linked) == 2
    assert "is not a file procfleet wrote" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "elsewhere.json").exists()


def test_a_run_target_that_is_not_executable_is_one_line_with_the_shells_status(tmp_path: Path) -> None:
    """126 and 127 as a shell reports them, so scripts calling `procfleet run` can tell the two apart."""
    (tmp_path / "formation.toml").write_text(FORMATION.replace('image = "i:1"\n', ""))
    script = tmp_path / "task.sh"
    script.write_text("#!/bin/sh\necho ran\n")
    script.chmod(0o644)
    for target, status, words in (("./task.sh", 126, "permission denied"), ("./absent", 127, "command not found")):
        done = subprocess.run([sys.executable, "-m", "procfleet", "run", target], cwd=tmp_path, text=True, check=False,
                              capture_output=True, env={**os.environ, "NO_COLOR": "1"}, timeout=60)
        assert done.returncode == status, done
        assert words in one_line(done.stderr) and "ran" not in done.stdout


GARBAGE = "<html>proxy says hello</html>"


@pytest.fixture
def garbage_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Docker that lies both ways procfleet reaches it: a `docker` first on PATH that prints something that is
    not Docker's output and succeeds, and a DOCKER_HOST socket that answers every request with a web page."""
    folder = tmp_path / "bin"
    folder.mkdir()
    docker = folder / "docker"
    docker.write_text(f"#!/bin/sh\necho '{GARBAGE}'\nexit 0\n")
    docker.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    with socketserver.ThreadingUnixStreamServer(str(tmp_path / "docker.sock"), _WebPage) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
        yield docker
        server.shutdown()


class _WebPage(socketserver.StreamRequestHandler):
    """Answers any HTTP request with a 200 and a web page, as a proxy in the way would."""

    def handle(self) -> None:
        while self.rfile.readline().strip():  # the request line and headers
            pass
        body = GARBAGE.encode()
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


@pytest.mark.parametrize("backend", ["compose", "swarm"])
@pytest.mark.parametrize("command", [["ps"], ["plan"], ["scale", "web=2"], ["down"]], ids=" ".join)
def test_a_docker_that_prints_garbage_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  garbage_docker: Path, backend: str, command: list[str]) -> None:
    (tmp_path / "formation.toml").write_text(FORMATION)
    assert main(["-f", str(tmp_path / "formation.toml"), "-b", backend, *command]) == 1
    line = one_line(capsys.readouterr().err)
    assert f"something that is not Docker's output ({GARBAGE})" in line or \
        f"answered something that is not Docker's ({GARBAGE})" in line, line


@pytest.mark.parametrize(("argv", "shown"), [
    (["scale", "web\nx=3"], 'cannot read "web\\nx=3"'),
    (["-b", "lo\ncal", "ps"], 'unknown backend "lo\\ncal"'),
    (["logs", "we\nb"], 'no process type "we\\nb"'),
], ids=["scale", "backend", "type"])
def test_values_with_newlines_are_quoted_and_the_message_stays_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str],
        shown: str) -> None:
    (tmp_path / "formation.toml").write_text(FORMATION.replace('image = "i:1"\n', ""))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert shown in one_line(capsys.readouterr().err)


def test_a_file_name_with_a_newline_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-f", str(tmp_path / "a\nb.toml")]) == 2
    assert "a\\nb.toml: file not found" in one_line(capsys.readouterr().err)
