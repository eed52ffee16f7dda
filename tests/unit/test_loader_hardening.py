"""Hostile formations: every one is a one-line error naming the file and the key (exit 2), or a formation.

Values no program can receive (a NUL byte), numbers that are not numbers (inf, nan, fullwidth digits), names
that only look valid (a trailing newline), files that never end (/dev/zero) or are not text; and a property
test over generated formations: the loader never fails any other way.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procfleet.cli import main
from procfleet.errors import FormationError
from procfleet.loader import load
from procfleet.model import Formation

BASE = '[app]\nname = "a"\n'


@pytest.mark.parametrize(("body", "key"), [
    ('[processes.web]\ncommand = "serve\\u0000 --port 1"\n', "processes.web.command"),
    ('[processes.web]\ncommand = "serve"\nenv = { A = "x\\u0000y" }\n', "processes.web.env.A"),
    ('[processes."web\\n"]\ncommand = "serve"\n', 'processes.web\n'),
    ('[processes.web]\ncommand = "serve"\nenv = { "A\\n" = "x" }\n', "processes.web.env.A\n"),
    ('[processes.web]\ncommand = "serve"\nstop_timeout = inf\n', "processes.web.stop_timeout"),
    ('[processes.web]\ncommand = "serve"\nstop_timeout = nan\n', "processes.web.stop_timeout"),
    ('[processes.web]\ncommand = "serve"\nresources = { cpu = inf }\n', "processes.web.resources.cpu"),
    ('[processes.web]\ncommand = "serve"\nresources = { cpu = nan }\n', "processes.web.resources.cpu"),
    ('[processes.web]\ncommand = "serve"\nstop_timeout = "\\uff11s"\n', "processes.web.stop_timeout"),
    ('[processes.web]\ncommand = "serve"\nresources = { memory = "\\uff12G" }\n', "processes.web.resources.memory"),
    ('[processes.web]\ncommand = "serve"\nenv = { A = nan }\n', "processes.web.env.A"),
], ids=["nul-command", "nul-env", "name-newline", "env-name-newline", "inf-timeout", "nan-timeout", "inf-cpu",
        "nan-cpu", "fullwidth-duration", "fullwidth-memory", "nan-env"])
def test_a_value_that_only_looks_valid_is_a_formation_error(tmp_path: Path, body: str, key: str) -> None:
    path = tmp_path / "formation.toml"
    path.write_text(BASE + body)
    with pytest.raises(FormationError) as caught:
        load(path)
    assert caught.value.key == key and caught.value.exit_code == 2


def test_check_of_dev_zero_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    """A file that never ends is read up to a bound, not into all the memory."""
    assert main(["-f", "/dev/zero", "check"]) == 2
    err = capsys.readouterr().err
    assert "/dev/zero" in err and "not a formation file" in err and len(err.strip().splitlines()) == 1


def test_an_env_file_that_is_not_text_is_a_formation_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.env").write_bytes(b"\xff\xfe\x00binary")
    path = tmp_path / "formation.toml"
    path.write_text('[app]\nname = "a"\nenv_file = ["app.env"]\n[processes.web]\ncommand = "serve"\n')
    assert main(["-f", str(path), "check"]) == 2
    err = capsys.readouterr().err
    assert "app.env_file[0]" in err and "not UTF-8 text" in err and len(err.strip().splitlines()) == 1


SCALARS = st.one_of(st.text(string.printable + "\x00é\uff11", max_size=12), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.booleans())
KEYS = st.sampled_from(["name", "image", "env", "env_file", "backend", "command", "count", "port", "health",
                        "restart", "stop_signal", "stop_timeout", "resources", "cpu", "memory", "http", "interval",
                        "web", "worker", "x", "PORT", "A\n", ""])
VALUES: Any = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner,
                                                                                                  max_size=4),
                           max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(app=st.dictionaries(KEYS, VALUES, max_size=5), processes=st.dictionaries(KEYS, VALUES, max_size=3))
def test_the_loader_only_ever_returns_a_formation_or_a_formation_error(tmp_path: Path, app: dict[str, Any],
                                                                       processes: dict[str, Any]) -> None:
    """Whatever TOML it is given: a Formation, or a FormationError of one line naming the file (exit 2)."""
    path = tmp_path / "formation.toml"
    document = {"app": {"name": "a", **app}, "processes": processes}
    try:
        path.write_text(tomlkit.dumps(json.loads(json.dumps(document, allow_nan=True))))
    except (ValueError, TypeError):
        return  # not expressible as TOML
    try:
        assert isinstance(load(path), Formation)
    except FormationError as error:
        assert error.exit_code == 2 and str(error).startswith(str(path))
        assert "\n" not in str(error)  # control characters in keys and values are escaped: one line
