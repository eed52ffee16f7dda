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


@pytest.mark.engine("docker")
def test_read_only_commands_write_nothing_and_down_removes_procfleets_state(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], docker_engine: None) -> None:
    """ps, logs and down of an app never deployed leave the folder as it was; deploy then down leaves no
    .procfleet behind (as `docker compose down` leaves nothing of a project)."""
    import secrets

    from tests.integration.conftest import BUSYBOX_IMAGE

    name = f"pfro{secrets.token_hex(3)}"
    (tmp_path / "formation.toml").write_text(f'[app]\nname = "{name}"\nimage = "{BUSYBOX_IMAGE}"\n'
                                             '[processes.web]\ncommand = "sleep 60"\ncount = 1\nstop_timeout = "1s"\n')
    args = ["-f", str(tmp_path / "formation.toml"), "-b", "compose"]
    assert main([*args, "ps"]) == 0
    assert main([*args, "logs"]) == 1
    assert main([*args, "down"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["formation.toml"]
    assert main([*args, "deploy", "-q"]) == 0
    assert (tmp_path / ".procfleet").is_dir()
    assert main([*args, "down", "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["formation.toml"]
    capsys.readouterr()
