"""Which commands the shell hands over to the program (`exec`), and which keep their shell."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from procfleet.importers.commands import from_argv
from procfleet.shellcommand import exec_form, numbered_from_zero, without_exec, without_numbering


@pytest.mark.parametrize("command", [
    "gunicorn app:wsgi -b 0.0.0.0:$PORT",
    "python3 -m http.server ${PORT:-8000}",
    "  ./bin/worker --queue 'high prio'  ",
    "celery -A shop worker",
])
def test_a_simple_command_is_execd(command: str) -> None:
    """One program with its arguments: the shell becomes it."""
    assert exec_form(command) == f"exec {command.strip()}"


@pytest.mark.parametrize("command", [
    "echo up; exec sleep 60",  # a list
    "sleep 300 & wait",  # a background job
    "yes | head -n 3",  # a pipe
    "app > out.log",  # a redirection
    "python -c 'import x; x.run()'",  # a separator inside quotes: kept, to be safe
    "echo $(date)",  # command substitution
    "echo `date`",
    "bundle exec rails s\nsleep 1",  # several lines
    "RAILS_ENV=production rails s",  # an assignment: `exec RAILS_ENV=… rails s` would fail
    "exec sleep 60",  # already
    "cd web && npm start",
    "trap 'exit 0' TERM",
    "if true; then sleep 1; fi",
    "{ sleep 1; }",
    "! false",
    "exit 3",
    "",
])
def test_anything_else_keeps_its_shell(command: str) -> None:
    """Lists, pipes, redirections, substitutions, compound commands and builtins are left as written."""
    assert exec_form(command) == command


def test_the_shell_really_becomes_the_program() -> None:
    """Under /bin/sh -c the exec'd program takes the shell's place: our child, with its own exit and signals."""
    launched = subprocess.run(["/bin/sh", "-c", "echo $$; " + exec_form("sh -c 'echo $PPID'")],
                              capture_output=True, text=True, check=True)
    shell_pid, parent_seen = launched.stdout.split()
    assert parent_seen == str(os.getpid()), f"the program ran under the shell {shell_pid}"
    killed = subprocess.run(["/bin/sh", "-c", exec_form("sh -c 'kill -TERM $$'")], check=False)
    assert killed.returncode == -signal.SIGTERM  # killed by the signal itself, not a shell's `exited 143`


def test_import_drops_only_the_exec_procfleet_adds() -> None:
    """Round trip: what exec_form made comes back as written; an exec before anything else stays."""
    for command in ("gunicorn app", "python3 worker.py --n 2"):
        assert without_exec(exec_form(command)) == command
    assert without_exec("exec sleep 1; echo done") == "exec sleep 1; echo done"
    assert without_exec("exec RAILS_ENV=x rails") == "exec RAILS_ENV=x rails"


@pytest.mark.parametrize("command", ["exec serve --port $PORT", "a && b", 'echo "$$" ${X:-y}'])
def test_the_instance_number_preamble_is_added_and_removed_exactly(command: str) -> None:
    """What the Nomad backend puts before a command, the importer takes off, and nothing else."""
    numbered = numbered_from_zero(command, "web", "NOMAD_ALLOC_INDEX")
    assert numbered == f'export PROCFLEET_PROCESS="web.$((NOMAD_ALLOC_INDEX + 1))"; {command}'
    assert without_numbering(numbered) == command
    assert without_numbering(command) == command
    assert from_argv(["/bin/sh", "-c", numbered]) == without_exec(command)
