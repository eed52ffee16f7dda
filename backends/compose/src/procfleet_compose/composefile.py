"""compose.yaml as text, and procfleet's own copy of it in `<formation folder>/.procfleet/compose/`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from procfleet.errors import UsageError
from procfleet.files import write_atomic
from procfleet.model import Formation

MARK = "# Written by procfleet"  # the first line of every file procfleet writes; it overwrites no other
STATE_FOLDER = ".procfleet"


def to_yaml(document: Mapping[str, Any], formation: Formation) -> str:
    """The document as YAML, under a header naming where it comes from."""
    header = (f'{MARK} from {formation.source.name} (app "{formation.app.name}"). '
              "`procfleet deploy` and `scale` rewrite procfleet's own copy.\n")
    body = yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)
    return header + body


def stored_path(folder: Path, project: str) -> Path:
    """Where deploy keeps the file it applied: inside a folder only procfleet writes to."""
    return folder / STATE_FOLDER / "compose" / f"{project}.yaml"


def is_ours(path: Path) -> bool:
    """Whether procfleet wrote this file (its first line says so)."""
    with path.open(encoding="utf-8", errors="replace") as stream:
        return stream.readline().startswith(MARK)


def write(path: Path, text: str) -> None:
    """Write procfleet's copy; a file there that procfleet did not write is never overwritten."""
    if path.exists() and not is_ours(path):
        raise UsageError(f"{path} exists and was not written by procfleet: not overwriting it; "
                         "move it away and deploy again")
    ignore = path.parent.parent / ".gitignore"
    if path.parent.parent.name == STATE_FOLDER and not ignore.exists():
        write_atomic(ignore, "# procfleet's state: nothing here belongs in version control\n*\n")
    write_atomic(path, text, private=True)  # it holds the app's env values


def remove_empty_state(path: Path) -> None:
    """After down: the folder of procfleet's compose copies, and the state folder with its .gitignore, go when
    nothing else is left in them (a user's own files there are kept, and so are the folders)."""
    folder = path.parent
    state = folder.parent
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    ignore = state / ".gitignore"
    if state.name == STATE_FOLDER and state.is_dir() and {p.name for p in state.iterdir()} <= {".gitignore"}:
        if ignore.is_file() and ignore.read_text().startswith("# procfleet's state"):
            ignore.unlink()
        if not any(state.iterdir()):
            state.rmdir()


def read(path: Path) -> dict[str, Any] | None:
    """procfleet's copy as data, or None when there is none (or it is not procfleet's)."""
    if not path.is_file() or not is_ours(path):
        return None
    # libyaml's safe loader where PyYAML has it: the same documents, parsed in C, read on every ps and every look
    # while waiting (the pure-Python one takes tens of milliseconds for a few services)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # a safe loader, C or Python
    return loaded if isinstance(loaded, dict) else None


def replicas(document: Mapping[str, Any] | None) -> dict[str, int]:
    """Each service's `deploy.replicas` (what the last deploy or scale asked for)."""
    services = (document or {}).get("services") or {}
    return {name: int((spec.get("deploy") or {}).get("replicas", 1)) for name, spec in services.items()}


def with_replicas(document: Mapping[str, Any], targets: Mapping[str, int]) -> dict[str, Any]:
    """A copy of the document with new replica counts for some services."""
    updated = copy.deepcopy(dict(document))
    for name, count in targets.items():
        updated["services"][name].setdefault("deploy", {})["replicas"] = count
    return updated
