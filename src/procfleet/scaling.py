"""Parses `scale web=3 worker+2 clock-1` and resolves it against live counts, as `heroku ps:scale` does."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from procfleet.errors import UsageError, quoted
from procfleet.validation import unknown_type

_SPEC = re.compile(r"^([a-z][a-z0-9-]*)(=|\+|-)([0-9]+)\Z")  # ASCII digits, and no newline after them


@dataclass(frozen=True)
class ScaleSpec:
    """One `type=N`, `type+N` or `type-N` argument."""

    process: str
    op: Literal["=", "+", "-"]
    amount: int

    def target(self, current: int) -> int:
        """The count this spec asks for, given the live count."""
        if self.op == "=":
            return self.amount
        if self.op == "+":
            return current + self.amount
        return current - self.amount


def parse_specs(arguments: Iterable[str]) -> list[ScaleSpec]:
    """Parse every argument, rejecting malformed ones and a type named twice."""
    specs: list[ScaleSpec] = []
    seen: set[str] = set()
    # Foreman's `-m web=2,worker=3` form too: commas separate specs as spaces do
    for argument in (part for given in arguments for part in given.split(",") if part.strip() or not given):
        match = _SPEC.match(argument.strip())
        if not match:
            raise UsageError(f'cannot read {quoted(argument)}: write TYPE=N, TYPE+N or TYPE-N (e.g. web=3 worker+2)')
        process, op, amount = match.group(1), match.group(2), int(match.group(3))
        if process in seen:
            raise UsageError(f'"{process}" is named twice')
        seen.add(process)
        specs.append(ScaleSpec(process, op, amount))  # type: ignore[arg-type]  # op is one of =+- by the regex
    if not specs:
        raise UsageError("nothing to scale: give TYPE=N, TYPE+N or TYPE-N")
    return specs


def resolve_targets(specs: Iterable[ScaleSpec], known: Iterable[str], current: Mapping[str, int]) -> dict[str, int]:
    """Absolute targets for each spec; unknown types and counts below zero are errors."""
    names = list(known)
    targets: dict[str, int] = {}
    for spec in specs:
        if spec.process not in names:
            raise UsageError(unknown_type(spec.process, names))
        target = spec.target(current.get(spec.process, 0))
        if target < 0:
            raise UsageError(f"{spec.process} would go below zero ({current.get(spec.process, 0)} "
                             f"{spec.op} {spec.amount})")
        targets[spec.process] = target
    return targets
