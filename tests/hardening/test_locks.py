"""The scale lock lives in a folder only this user can write, never one another user prepared."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet.errors import PlatformError
from procfleet.locks import app_lock, lock_folder


def test_a_shared_lock_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "procfleet").mkdir(mode=0o777)
    (tmp_path / "procfleet").chmod(0o777)
    with pytest.raises(PlatformError, match="not a private folder"):
        lock_folder()


def test_the_lock_is_a_private_file_released_after_use(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with app_lock("local", "shop"):
        (lock,) = (tmp_path / "procfleet").iterdir()
        assert lock.stat().st_mode & 0o777 == 0o600
    with app_lock("local", "shop"):  # released: taking it again does not block
        pass
