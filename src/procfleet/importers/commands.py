"""Commands from exec-form argument lists, made the shell lines a formation holds (run by /bin/sh -c)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from procfleet.shellcommand import without_exec, without_numbering
from procfleet.validation import Where

SHELLS = ("/bin/sh", "sh")  # only a POSIX sh script is unwrapped: bash's -c script may rely on bash


def from_argv(argv: Sequence[str]) -> str:
    """`sh -c SCRIPT` becomes SCRIPT; any other argv is quoted so the shell passes each word through as it is.

    The `exec` that procfleet puts before a simple command when it renders one is dropped: it adds it back.
    """
    if len(argv) == 3 and argv[0] in SHELLS and argv[1] == "-c":
        return without_exec(without_numbering(argv[2].strip()))
    return shlex.join(argv)


COMPOSE_OPERATORS = frozenset(";&|<>")


def compose_words(text: str, where: Where) -> tuple[list[str], str]:
    """A string command split as Compose splits it (go-shellwords), and what Compose drops: it stops at the
    first unquoted `;`, `&`, `|`, `<` or `>` (`a && b` runs only `a`), with no shell to read the rest."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars="".join(sorted(COMPOSE_OPERATORS)))
    lexer.whitespace_split = True
    words: list[str] = []
    try:
        for token in lexer:
            if token and set(token) <= COMPOSE_OPERATORS:
                return words, shlex.join([token, *lexer]).replace(f"'{token}'", token, 1)
            words.append(token)
    except ValueError as exc:
        raise where.error(f"cannot split the command into words: {exc}") from None
    return words, ""


def split(text: str, where: Where) -> list[str]:
    """A command string split into words as a shell (and Compose) splits it."""
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise where.error(f"cannot split the command into words: {exc}") from None


def from_words_text(text: str, where: Where) -> str:
    """A command written as one string but run without a shell: kept as written when sh would read it the same."""
    words = split(text, where)
    stripped = text.strip()
    if "\n" not in stripped and all(shlex.quote(word) == word for word in words):
        return stripped
    return from_argv(words)
