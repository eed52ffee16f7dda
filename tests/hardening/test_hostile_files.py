"""Hostile files to import: a billion laughs, an anchor inside itself, a file that never ends: exit 2, at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet.cli import main


def _billion_laughs() -> str:
    lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append("services:\n  web:\n    image: busybox\n    command: sh\n    environment:\n      X: *i")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "message"), [
    (_billion_laughs(), "expand past 200000 values"),
    ("services: &s\n  web:\n    image: busybox\n    labels: *s\n", "an alias to itself"),
], ids=["billion-laughs", "self-reference"])
def test_a_yaml_bomb_is_refused_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                              message: str) -> None:
    """PyYAML builds both without trouble (shared references); walking them would take forever or recurse."""
    (tmp_path / "compose.yaml").write_text(text)
    assert main(["-f", str(tmp_path / "formation.toml"), "import", str(tmp_path / "compose.yaml")]) == 2
    err = capsys.readouterr().err
    assert message in err and "compose.yaml" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "formation.toml").exists()


@pytest.mark.parametrize("fmt", [[], ["--format", "compose"], ["--format", "procfile"]])
def test_importing_a_file_that_never_ends_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     fmt: list[str]) -> None:
    assert main(["-f", str(tmp_path / "formation.toml"), "import", "/dev/zero", *fmt]) == 2
    err = capsys.readouterr().err
    assert "/dev/zero" in err and "MiB" in err and len(err.strip().splitlines()) == 1
