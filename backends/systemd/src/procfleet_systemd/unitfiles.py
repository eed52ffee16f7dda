"""The unit and environment files procfleet wrote: found by their markers, read back, replaced and removed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from procfleet.errors import PlatformError
from procfleet_systemd import names
from procfleet_systemd.layout import Layout

Sections = dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class InstalledType:
    """A type's template unit as procfleet wrote it, and the instances enabled under the app's target."""

    process: str
    path: Path
    sections: Sections
    enabled: tuple[int, ...] = ()

    @property
    def template(self) -> str:
        """The template unit's name."""
        return self.path.name

    def value(self, section: str, key: str) -> str | None:
        """The last value of a key (systemd's rule for keys set twice), None when unset."""
        values = self.sections.get(section, {}).get(key)
        return values[-1] if values else None

    @property
    def fingerprint(self) -> str | None:
        """The definition hash the unit was written with."""
        return self.value("Unit", names.FINGERPRINT_KEY)


def parse(text: str) -> Sections:
    """A unit file's sections and keys; comments dropped, continued lines joined as systemd joins them."""
    sections: Sections = {}
    current: dict[str, list[str]] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw
        if line.endswith("\\") and not line.startswith(("#", ";")):
            pending = line[:-1] + " "
            continue
        pending = ""
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = sections.setdefault(stripped[1:-1], {})
        elif "=" in stripped:
            key, value = stripped.split("=", 1)
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def is_ours(path: Path) -> bool:
    """Whether procfleet wrote the file (its first line says so)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.readline().startswith(names.HEADER)
    except OSError:
        return False


@dataclass
class Installed:
    """What procfleet installed of one app in one scope: its types' templates, its target, its env files."""

    layout: Layout
    app: str
    types: dict[str, InstalledType] = field(default_factory=dict)

    @property
    def target_path(self) -> Path:
        """The app's target unit file."""
        return self.layout.unit_dir / names.target(self.app)

    @property
    def wants_dir(self) -> Path:
        """Where `systemctl enable` links the instances that start with the target."""
        return self.layout.unit_dir / f"{names.target(self.app)}.wants"

    @property
    def exists(self) -> bool:
        """Whether anything of the app is installed."""
        return bool(self.types) or is_ours(self.target_path)


def installed(layout: Layout, app: str) -> Installed:
    """The app's templates (those whose markers name it) with their enabled instances; reads files only."""
    found = Installed(layout, app)
    wants = found.wants_dir
    linked = sorted(entry.name for entry in wants.iterdir()) if wants.is_dir() else []
    for path in sorted(layout.unit_dir.glob(f"{app}-*@.service")):
        if not is_ours(path):
            continue
        sections = parse(path.read_text(encoding="utf-8", errors="replace"))
        unit = sections.get("Unit", {})
        if unit.get(names.APP_KEY, [""])[-1] != app or not unit.get(names.PROCESS_KEY):
            continue  # another app's whose name and type read the same way (`a-b` + `c`, `a` + `b-c`)
        numbers = [parsed[1] for parsed in map(names.parse_instance, linked)
                   if parsed is not None and parsed[0] == path.name]
        process = unit[names.PROCESS_KEY][-1]
        found.types[process] = InstalledType(process, path, sections, tuple(sorted(numbers)))
    return found


def write(path: Path, text: str, mode: int = 0o644) -> bool:
    """Write the file procfleet owns (temp file + rename); False when it already says this. Refuses any other."""
    if path.exists():
        if not is_ours(path):
            raise PlatformError(f"{path} exists and procfleet did not write it: procfleet only touches its own "
                                "units; rename the app or remove that file")
        if path.read_text(encoding="utf-8", errors="replace") == text and (path.stat().st_mode & 0o777) == mode:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return True


def remove(path: Path) -> bool:
    """Remove a file procfleet wrote; False when it is not there (or not procfleet's, which stays)."""
    if not is_ours(path):
        return False
    path.unlink()
    return True
