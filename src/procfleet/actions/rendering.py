"""render -o DIR: writes artefacts, refusing to overwrite any file procfleet did not write."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from procfleet.backend import RenderedFile
from procfleet.errors import UsageError
from procfleet.files import write_atomic

MANIFEST = ".procfleet-rendered.json"  # the files procfleet wrote here, with the hash of what it wrote


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_rendered(folder: Path, files: list[RenderedFile]) -> list[Path]:
    """Write each file into folder; an existing file is replaced only if procfleet wrote it and it is unedited."""
    manifest_path = folder / MANIFEST
    manifest: dict[str, str] = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    for item in files:
        path = folder / item.name
        if path.is_symlink():
            raise UsageError(f"{path} is a symlink: render writes only files of its own; choose another folder")
        if path.exists() and manifest.get(item.name) != _digest(path.read_text(encoding="utf-8", errors="replace")):
            raise UsageError(f"{path} exists and was not written by procfleet (or was edited since): "
                             "not overwriting it; move it away or choose another folder")
    written = []
    for item in files:
        write_atomic(folder / item.name, item.content, private=True)  # rendered env values may be secrets
        manifest[item.name] = _digest(item.content)
        written.append(folder / item.name)
    write_atomic(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return written
