"""Version constraints as the `version` and `semver` constraint operands check them (hashicorp/go-version's rules).

Covered: versions like `1.10.0`, `v1.2`, `1.6.3-dev`, `1.2.3+ent`; constraints joined by commas, each with one of
`=`, `!=`, `>`, `<`, `>=`, `<=`, `~>` (none means `=`). A version or constraint that does not parse matches
nothing, as checkVersionMatch returns false (scheduler/feasible/feasible.go).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.~-]+))?(?:\+([0-9A-Za-z.~-]+))?$")
_CONSTRAINT = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$")


@dataclass(frozen=True)
class Version:
    """A parsed version: numeric segments (padded to three), how many were written, and its pre-release."""

    segments: tuple[int, ...]
    written: int
    prerelease: str

    def key(self) -> tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]:
        """A sort key: segments, then a release above its pre-releases, then pre-release parts."""
        parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease.split(".") if p)
        return self.segments, 0 if self.prerelease else 1, parts


def parse_version(text: str) -> Version | None:
    """go-version's NewVersion; None when it would fail."""
    found = _VERSION.match(text.strip())
    if found is None:
        return None
    numbers = [int(n) for n in found.group(1).split(".")]
    padded = tuple(numbers + [0] * (3 - len(numbers)))
    return Version(padded, len(numbers), found.group(2) or "")


def _compare(version: Version, other: Version) -> int:
    """-1, 0 or 1."""
    left, right = version.key(), other.key()
    return (left > right) - (left < right)


def _pessimistic(version: Version, bound: Version) -> bool:
    """`~> 1.2` allows 1.2 up to (not including) 2.0; `~> 1.2.3` allows 1.2.3 up to 1.3."""
    if _compare(version, bound) < 0:
        return False
    fixed = max(bound.written - 1, 1)
    return version.segments[:fixed] == bound.segments[:fixed]


def _one(version: Version, operator: str, bound: Version, *, semver: bool) -> bool:
    """One constraint term."""
    order = _compare(version, bound)
    if operator in ("", "="):
        return order == 0
    if operator == "!=":
        return order != 0
    if not semver and version.prerelease and (not bound.prerelease or version.segments != bound.segments):
        # go-version: a pre-release only satisfies ordering constraints naming a pre-release of the same version.
        return False
    if operator == "~>":
        return _pessimistic(version, bound)
    return {">": order > 0, "<": order < 0, ">=": order >= 0, "<=": order <= 0}[operator]


def version_matches(value: str, constraint: str, *, semver: bool = False) -> bool:
    """Whether value satisfies every comma-separated term of constraint."""
    version = parse_version(value)
    if version is None:
        return False
    terms = [term for term in constraint.split(",")]
    for term in terms:
        found = _CONSTRAINT.match(term)
        bound = parse_version(found.group(2)) if found else None
        if found is None or bound is None:
            return False
        if not _one(version, found.group(1) or "", bound, semver=semver):
            return False
    return True
