"""How a type's command is handed to `/bin/sh -c`: as the shell itself, when it is one simple command."""

from __future__ import annotations

import re

# Any of these makes the command more than one simple command (lists, pipes, redirections, subshells, command
# substitution, several lines); such commands keep their shell.
_COMPOUND = re.compile(r"[;&|<>()`\n]")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Reserved words start compound commands; builtins without a program of the same name cannot be exec'd.
_NOT_A_PROGRAM = frozenset({
    "!", "{", "}", "[[", "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if",
    "in", "select", "then", "time", "until", "while",
    ".", ":", "alias", "bg", "break", "cd", "command", "continue", "eval", "exec", "exit", "export", "fg",
    "getopts", "hash", "jobs", "local", "read", "readonly", "return", "set", "shift", "source", "trap", "type",
    "ulimit", "umask", "unalias", "unset", "wait",
})


def exec_form(command: str) -> str:
    """The command with `exec` in front when it is one simple command, so that the shell becomes the program.

    dash, Debian's /bin/sh, forks even for `sh -c 'app'`, and the shell then stands between the app and whoever
    stops it: a stop signal sent by a container's init reaches the shell, not the app, which is killed when the
    container ends, and the exit status reported is the shell's. bash and busybox sh exec such a command on their
    own, and Foreman runs it without a shell; `exec` gives every shell that behaviour.
    """
    stripped = command.strip()
    if not stripped or _COMPOUND.search(stripped):
        return command
    first = stripped.split(None, 1)[0]
    if first in _NOT_A_PROGRAM or first.startswith("#") or _ASSIGNMENT.match(first):
        return command
    return f"exec {stripped}"


def without_exec(command: str) -> str:
    """The command as written before exec_form added `exec`, for importing what procfleet rendered."""
    stripped = command.strip()
    if stripped.startswith("exec "):
        rest = stripped[len("exec "):].lstrip()
        if exec_form(rest) == f"exec {rest}":
            return rest
    return command


# Where a platform numbers instances from 0 (Nomad's NOMAD_ALLOC_INDEX) and its env cannot do arithmetic, the
# shell line sets PROCFLEET_PROCESS first, so the process sees `web.1` as on every other backend.
_NUMBERED = re.compile(r'^export PROCFLEET_PROCESS="[A-Za-z0-9_-]+\.\$\(\(\$?\{?[A-Za-z_][A-Za-z0-9_]*\}? \+ 1\)\)"; ')


def numbered_from_zero(command: str, process: str, index_variable: str) -> str:
    """The command after a preamble that exports PROCFLEET_PROCESS as `<process>.<index + 1>`."""
    return f'export PROCFLEET_PROCESS="{process}.$(({index_variable} + 1))"; {command}'


def without_numbering(command: str) -> str:
    """The command without the preamble numbered_from_zero adds, for importing what procfleet rendered."""
    return _NUMBERED.sub("", command, count=1)
