"""Files procfleet did not write stay untouched: symlinks are followed or refused, never replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from procfleet.cli import main

FORMATION = '[app]\nname = "a"\nimage = "i:1"\n[processes.web]\ncommand = "serve"\ncount = 1\n'


def test_writing_through_a_symlinked_formation_updates_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    """What `scale --save` does to a formation.toml that links to a shared file (dotfiles, monorepos)."""
    from procfleet.writer import save_counts

    real = tmp_path / "shared" / "formation.toml"
    real.parent.mkdir()
    real.write_text(FORMATION)
    link = tmp_path / "formation.toml"
    link.symlink_to(real)
    save_counts(link, "", {"web": 3})
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "count = 3" in real.read_text()


def test_render_never_writes_through_a_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "formation.toml").write_text(FORMATION)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim"
    (out / "docker-compose.yaml").symlink_to(victim)  # dangling: rendering would create the victim
    (out / "compose.yaml").symlink_to(victim)
    assert main(["-f", str(tmp_path / "formation.toml"), "render", "-b", "compose", "-o", str(out)]) == 2
    assert "is a symlink" in capsys.readouterr().err
    assert not victim.exists()


def test_import_never_replaces_a_dangling_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Procfile").write_text("web: serve\n")
    victim = tmp_path / "victim.toml"
    (tmp_path / "formation.toml").symlink_to(victim)
    code = main(["-f", str(tmp_path / "formation.toml"), "import", str(tmp_path / "Procfile"), "--force"])
    assert code == 2 and "is a symlink" in capsys.readouterr().err
    assert not victim.exists() and (tmp_path / "formation.toml").is_symlink()
