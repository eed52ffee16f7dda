"""The CLI's read-only commands: check, render, backends and import, with global options anywhere."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

HELLO = """
[app]
name = "hello"
env = { GREETING = "hi", API_TOKEN = "s3cret" }

[processes.web]
command = "python3 -m http.server $PORT"
count = 2
port = 8000

[processes.worker]
command = "sh -c 'echo working'"
"""


@pytest.mark.parametrize("args", [["-f", "x.toml", "check", "--json"], ["check", "-f", "x.toml", "--json"],
                                  ["--json", "check", "-f", "x.toml"], ["-f", "x.toml", "--json", "check"]])
def test_global_options_before_and_after(args: list[str], write_formation: Callable[..., Path],
                                         cli: Callable[..., CliResult]) -> None:
    """-f and --json work before and after the command."""
    write_formation(HELLO, "x.toml")
    result = cli(*args)
    assert result.code == 0, result.err
    assert json.loads(result.out)["app"]["name"] == "hello"


def test_check_json_shape(write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """The normalised formation: app, processes with every default filled in, backends; secrets masked."""
    write_formation(HELLO)
    data = json.loads(cli("check", "--json").out)
    assert set(data) == {"app", "processes", "backends"}
    assert data["app"] == {"name": "hello", "image": None, "env_file": [], "backend": "local",
                           "env": {"GREETING": "hi", "API_TOKEN": "******"}}
    assert list(data["processes"]) == ["web", "worker"]
    assert data["processes"]["worker"] == {
        "command": "sh -c 'echo working'", "entrypoint": None, "args": None, "count": None, "port": None,
        "health": None, "env": {}, "env_file": [], "after": {}, "restart": "always", "stop_signal": "SIGTERM",
        "stop_timeout": "10s", "resources": {"cpu": None, "memory": None}, "image": None, "build": None,
    }
    assert data["processes"]["web"]["count"] == 2
    assert data["backends"] == {}


def test_check_table(write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """The summary names each type with its count and port."""
    write_formation(HELLO)
    result = cli("check")
    assert result.code == 0
    assert "web" in result.out and "8000" in result.out and "platform" in result.out
    assert "ok (2 process types" in result.err


def test_render_local_instances(write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """render (local) expands instances with Foreman's ports: 5000 + 100 × position + instance − 1."""
    write_formation(HELLO + "\n[backends.local]\nbase_port = 7000\n")
    lines = cli("render").out.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["web.1", "PORT=7000"], ["web.2", "PORT=7001"],
                                                       ["worker.1", "PORT=7100"]]
    assert "API_TOKEN=******" in lines[0]
    assert lines[0].endswith("python3 -m http.server $PORT")


def test_render_procfile_round_trips_through_import(write_formation: Callable[..., Path],
                                                    cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """render --format procfile gives a Procfile that import reads back into the same types and commands."""
    write_formation(HELLO)
    procfile = cli("render", "--format", "procfile").out
    assert "web: python3 -m http.server $PORT\n" in procfile
    (tmp_path / "Procfile").write_text(procfile)
    result = cli("-f", "again.toml", "import", "Procfile", "--app", "hello")
    assert result.code == 0, result.err
    again = json.loads(cli("check", "-f", "again.toml", "--json").out)
    assert {name: p["command"] for name, p in again["processes"].items()} == {
        "web": "python3 -m http.server $PORT", "worker": "sh -c 'echo working'"}


def test_render_unknown_format(write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """An unknown format lists the backend's formats."""
    write_formation(HELLO)
    result = cli("render", "--format", "procfil")
    assert result.code == 2
    assert 'did you mean "procfile"' in result.err


def test_render_to_folder_never_overwrites_foreign_files(write_formation: Callable[..., Path],
                                                         cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """render -o writes files, rewrites its own, and refuses a file it did not write."""
    write_formation(HELLO)
    assert cli("render", "--format", "procfile", "-o", "out").code == 0
    assert (tmp_path / "out" / "Procfile").read_text().startswith("# hello")
    assert cli("render", "--format", "procfile", "-o", "out").code == 0
    (tmp_path / "out" / "Procfile").write_text("web: mine\n")
    result = cli("render", "--format", "procfile", "-o", "out")
    assert result.code == 2
    assert "not written by procfleet" in result.err
    assert (tmp_path / "out" / "Procfile").read_text() == "web: mine\n"


PROCFILE = """\
# a comment
web: bundle exec puma -p $PORT

release_tasks: ./release.sh
worker:   celery -A shop worker\t\t
not a process line
"""


def test_import_procfile(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """Foreman's parsing: comments and stray lines skipped, _ becomes - with a warning, .env picked up."""
    (tmp_path / "Procfile").write_text(PROCFILE)
    (tmp_path / ".env").write_text("A=1\n")
    result = cli("import", "Procfile", "--app", "shop")
    assert result.code == 0, result.err
    assert 'process type "release_tasks" renamed "release-tasks"' in result.err
    data = json.loads(cli("check", "--json").out)
    assert {name: p["command"] for name, p in data["processes"].items()} == {
        "web": "bundle exec puma -p $PORT", "release-tasks": "./release.sh", "worker": "celery -A shop worker"}
    assert data["app"]["env_file"] == [".env"]


def test_import_never_overwrites_without_force(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """An existing formation file is kept unless --force is given."""
    (tmp_path / "Procfile").write_text("web: serve\n")
    (tmp_path / "formation.toml").write_text("# mine\n")
    result = cli("import", "Procfile")
    assert result.code == 2
    assert "--force" in result.err
    assert (tmp_path / "formation.toml").read_text() == "# mine\n"
    assert cli("import", "Procfile", "--force").code == 0
    assert "serve" in (tmp_path / "formation.toml").read_text()


def test_import_empty_procfile(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """A Procfile without process lines is a clear error."""
    (tmp_path / "Procfile").write_text("# nothing\n")
    result = cli("import", "Procfile")
    assert result.code == 2
    assert "Procfile: no process types found" in result.err


def test_backends_json(cli: Callable[..., CliResult]) -> None:
    """backends --json lists each backend with its distribution and features."""
    result = cli("backends", "--json")
    data = json.loads(result.out)
    local = next(b for b in data["backends"] if b["name"] == "local")
    assert local["distribution"] == "procfleet-local"
    assert "health" in local["features"] and "image" not in local["features"]
    assert "procfile" in local["formats"]


def test_unknown_backend_lists_available(write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """An unknown -b name is an error listing what is installed."""
    write_formation(HELLO)
    result = cli("render", "-b", "locall")
    assert result.code == 2
    assert 'unknown backend "locall" (did you mean "local"?); available: ' in result.err
    assert "local" in result.err.split("available: ")[1].strip().split(", ")


def test_strict_makes_unhonoured_keys_errors(write_formation: Callable[..., Path],
                                             cli: Callable[..., CliResult]) -> None:
    """A key the backend cannot honour is a warning, and an error with --strict."""
    write_formation(HELLO.replace('count = 2', 'count = 2\nresources = { memory = "64M" }'))
    warned = cli("render")
    assert warned.code == 0
    assert "processes.web.resources.memory: the local backend does not honour this key" in warned.err
    strict = cli("render", "--strict")
    assert strict.code == 2
    assert "processes.web.resources.memory" in strict.err


def test_unhonoured_keys_are_warned_where_they_matter_once_not_on_every_look(
        write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """check, plan and render say it; ps, logs and down, which a person runs over and over, do not."""
    write_formation(HELLO.replace('count = 2', 'count = 2\nresources = { memory = "64M" }'))
    warning = "processes.web.resources.memory: the local backend does not honour this key"
    for command in (["plan"], ["render"], ["check", "-b", "local"]):
        assert warning in cli(*command).err, command
    for command in (["ps"], ["down"], ["logs"]):
        assert warning not in cli(*command).err, command


def test_a_formation_the_backend_cannot_run_fails_before_any_plan(
        write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """No image for compose: the one error line, and no plan table printed first as if deploy would go ahead."""
    write_formation(HELLO)
    for command in ("deploy", "plan"):
        result = cli(command, "-b", "compose")
        assert result.code == 2 and "the compose backend needs an image" in result.err, result.err
        assert "plan for" not in result.out + result.err


def test_words_from_other_tools_point_at_procfleets_own(write_formation: Callable[..., Path],
                                                       cli: Callable[..., CliResult]) -> None:
    """`docker compose up`, `foreman start`, `heroku ps`-style `status`, `stop`: one line naming the command."""
    for word, command in (("up", "deploy"), ("start", "deploy"), ("status", "ps"), ("stop", "down")):
        result = cli(word, "-d")
        assert result.code == 2 and f"procfleet has no `{word}`: `procfleet {command}`" in result.err, result.err


def test_scale_with_no_argument_prints_the_counts_and_foremans_commas_are_read(
        write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """`heroku ps:scale` alone prints the formation; `foreman start -m web=2,worker=3` separates with commas."""
    write_formation(HELLO)
    shown = cli("scale")
    assert shown.code == 0 and shown.out.strip() == "web=0 worker=0", shown
    from procfleet.scaling import parse_specs

    assert [(s.process, s.op, s.amount) for s in parse_specs(["web=2,worker+3", "clock-1"])] == [
        ("web", "=", 2), ("worker", "+", 3), ("clock", "-", 1)]


def test_no_color_env(write_formation: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    """With NO_COLOR set nothing carries an escape sequence."""
    write_formation(HELLO.replace("count = 2", "count = -1"))
    result = cli("check")
    assert "\x1b[" not in result.err + result.out


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as a real one would."""

    def isatty(self) -> bool:
        return True


def test_no_escape_code_at_all_without_color_even_on_a_terminal() -> None:
    """NO_COLOR, --no-color and TERM=dumb: bold and italic go too, not only the colors."""
    from rich.table import Table

    from procfleet.console import Output, color_wanted

    terminal = _Terminal()
    assert color_wanted(False, {"TERM": "dumb"}, terminal) is False
    assert color_wanted(False, {"NO_COLOR": "1"}, terminal) is False
    assert color_wanted(False, {"TERM": "dumb"}, terminal, "always") is True
    table = Table(title="shop on local")
    table.add_column("type", style="bold")
    table.add_row("web")
    Output(color=False, out=terminal).table(table)
    assert "web" in terminal.getvalue() and "\x1b" not in terminal.getvalue()


def test_ps_of_some_types_and_of_a_type_the_formation_lacks(write_formation: Callable[..., Path],
                                                           cli: Callable[..., CliResult]) -> None:
    write_formation(HELLO)
    assert cli("ps", "web").code == 0
    missing = cli("ps", "clock")
    assert missing.code == 2 and 'no process type "clock"' in missing.err
