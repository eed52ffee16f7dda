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


def _read_manifest(path: Path) -> dict[str, str]:
    """The files procfleet wrote in this folder; a manifest it did not write is refused, never trusted."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UsageError(f"{path} is not a file procfleet wrote: move it away or choose another folder")
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_bytes()[:2**20])
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or not all(isinstance(value, str) for value in manifest.values()):
        raise UsageError(f"{path} is not a manifest procfleet wrote: move it away or choose another folder")
    return manifest


def write_rendered(folder: Path, files: list[RenderedFile]) -> list[Path]:
    """Write each file into folder; an existing file is replaced only if procfleet wrote it and it is unedited."""
    nearest = next((path for path in (folder, *folder.parents) if path.exists()), None)
    if nearest is not None and not nearest.is_dir():
        raise UsageError(f"-o {folder}: {nearest} is a file, not a folder: render -o takes the folder to write into")
    manifest_path = folder / MANIFEST
    manifest = _read_manifest(manifest_path)
    for item in files:
        path = folder / item.name
        if path.is_symlink():
            raise UsageError(f"{path} is a symlink: render writes only files of its own; choose another folder")
        if path.is_dir():
            raise UsageError(f"{path} is a folder: render would write a file there; choose another folder")
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
