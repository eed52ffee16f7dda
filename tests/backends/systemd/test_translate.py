"""What the systemd backend renders: template units, the target and environment files, pure and exact."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from procfleet import conformance
from procfleet.backend import Session
from procfleet.errors import FormationError
from procfleet.loader import load
from procfleet.model import Formation
from procfleet_systemd import escape, readback
from procfleet_systemd.backend import SystemdBackend

FORMATION = """
[app]
name = "shop"
env_file = [".env"]
env = { PRICE = "$5 100%", API_TOKEN = "s3cret" }

[processes.web]
command = "gunicorn shop.wsgi -b 0.0.0.0:$PORT"
count = 2
port = 8000
health = { http = "/healthz" }
resources = { cpu = 0.5, memory = "256M" }
stop_timeout = "1m30s"

[processes.worker]
command = "celery -A shop worker --name %h"
stop_signal = "SIGINT"
restart = "never"

[processes.clock]
entrypoint = ["python3", "-m"]
args = ["clock", "--say", "it's $5"]
restart = "on-failure"

[backends.systemd]
base_port = 6000
"""


def formation(tmp_path: Path, text: str = FORMATION, env: str = "PORT=7000\nGREETING='hi $x'\n") -> Formation:
    """The formation written into tmp_path (with its .env), loaded as the CLI loads it."""
    (tmp_path / ".env").write_text(env)
    path = tmp_path / "formation.toml"
    path.write_text(textwrap.dedent(text))
    return load(path)


def rendered(tmp_path: Path, text: str = FORMATION) -> dict[str, str]:
    """render -b systemd, by file name."""
    backend = SystemdBackend(Session(environ={"HOME": "/home/dev"}, cwd=tmp_path))
    return {item.name: item.content for item in backend.render(formation(tmp_path, text), "units")}


def keys(unit: str) -> dict[str, str]:
    """A unit's keys (the last of each), sections flattened; for assertions."""
    return dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))


def test_one_template_per_type_a_target_and_env_files(tmp_path: Path) -> None:
    """The files render prints, named as systemd and procfleet find them."""
    assert list(rendered(tmp_path)) == ["shop.target", "shop-web@.service", "shop-web.env", "shop-worker@.service",
                                        "shop-worker.env", "shop-clock@.service", "shop-clock.env"]


def test_units_carry_everything_the_formation_says(tmp_path: Path) -> None:
    """Signals, timeouts, restart policy with a start limit, limits, folder, env file, markers."""
    units = rendered(tmp_path)
    web, worker, clock = (keys(units[f"shop-{name}@.service"]) for name in ("web", "worker", "clock"))
    assert web["ExecStart"] == '/bin/sh -c "export PORT=$$((5999 + %i)); exec gunicorn shop.wsgi -b 0.0.0.0:$$PORT"'
    assert web["Environment"] == '"PROCFLEET_PROCESS=web.%i" "PYTHONUNBUFFERED=1"'
    assert web["EnvironmentFile"] == "/home/dev/.config/procfleet/systemd/shop-web.env"
    assert web["WorkingDirectory"] == str(tmp_path)
    assert (web["KillSignal"], web["TimeoutStopSec"], web["Restart"]) == ("SIGTERM", "1m30s", "always")
    assert (web["CPUQuota"], web["MemoryMax"]) == ("50%", str(256 * 2**20))
    assert (web["StartLimitBurst"], web["StartLimitIntervalSec"], web["RestartSec"]) == ("5", "1m", "500ms")
    assert (web["X-Procfleet-App"], web["X-Procfleet-Process"], web["X-Procfleet-Port"]) == ("shop", "web", "8000")
    assert web["PartOf"] == web["WantedBy"] == "shop.target"
    assert (worker["KillSignal"], worker["Restart"]) == ("SIGINT", "no")
    assert worker["ExecStart"].endswith('exec celery -A shop worker --name %%h"')  # no specifier for systemd
    assert clock["ExecStart"] == ('/bin/sh -c "export PORT=$$((6199 + %i)); exec \\"$$@\\"" sh "python3" "-m" '
                                  '"clock" "--say" "it\'s $$5"')
    assert clock["Restart"] == "on-failure" and clock["X-Procfleet-Entrypoint"] == "2"
    assert "WantedBy=default.target" in units["shop.target"]


def test_env_files_hold_the_values_as_other_backends_see_them(tmp_path: Path) -> None:
    """Compose's env-file rules applied by procfleet, quoted for systemd; PORT (the base port) and secrets left out."""
    web = rendered(tmp_path)["shop-web.env"]
    assert "GREETING=\"hi \\$x\"" in web  # single-quoted in .env: taken literally, then escaped for systemd
    assert 'PRICE="\\$5 100%"' in web and 'API_TOKEN="******"' in web and "PORT=" not in web
    values = readback.env_file(web)
    assert values["GREETING"] == "hi $x" and values["PRICE"] == "$5 100%"


def test_a_port_in_the_env_file_is_the_base_port(tmp_path: Path) -> None:
    """As the local backend and Foreman take it, when base_port is not set."""
    text = FORMATION.replace("[backends.systemd]\nbase_port = 6000\n", "")
    assert "$$((6999 + %i))" in rendered(tmp_path, text)["shop-web@.service"]


def test_an_env_name_systemd_would_drop_is_an_error_naming_the_key(tmp_path: Path) -> None:
    """systemd takes letters, digits and _ only; Compose and the formation also allow . and -."""
    with pytest.raises(FormationError) as error:
        rendered(tmp_path, FORMATION.replace('API_TOKEN = "s3cret"', '"log.level" = "x"'))
    assert "formation.toml: app.env.log.level: log.level: systemd takes environment names" in str(error.value)


def test_user_scope_by_default_system_scope_when_asked(tmp_path: Path) -> None:
    """The system instance's units live in /etc and start with multi-user.target."""
    units = rendered(tmp_path, FORMATION + 'scope = "system"\n')
    assert keys(units["shop-web@.service"])["EnvironmentFile"] == "/etc/procfleet/systemd/shop-web.env"
    assert "WantedBy=multi-user.target" in units["shop.target"]


def test_fingerprint_ignores_what_systemd_does_not_run(tmp_path: Path) -> None:
    """Health and image change no unit; the command, the base port and the folder do."""
    backend = SystemdBackend(Session(environ={"HOME": "/home/dev"}, cwd=tmp_path))
    base = formation(tmp_path)
    web = base.processes["web"]
    from dataclasses import replace

    same = replace(base, processes={**base.processes, "web": replace(web, health=None, image="x:1")})
    other = replace(base, processes={**base.processes, "web": replace(web, command="other")})
    assert backend.fingerprint(same, same.processes["web"]) == backend.fingerprint(base, web)
    assert backend.fingerprint(other, other.processes["web"]) != backend.fingerprint(base, web)


@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0")))
def test_exec_words_read_back_as_written(text: str) -> None:
    """Whatever a command holds, ExecStart= gives it back word for word (systemd's own reading is tested in the
    container, tests/integration/systemd)."""
    assert [readback.unescaped(word) for word in readback.words(escape.exec_word(text))] == [text]


@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0")))
def test_env_file_values_read_back_as_written(text: str) -> None:
    """An environment file line keeps every character, newlines included."""
    assert readback.env_file(escape.env_file_line("A", text) + "\n") == {"A": text}


def test_conformance_checks() -> None:
    """The checks every backend passes."""
    conformance.check_declarations(SystemdBackend)
    conformance.check_render_is_pure_and_deterministic(SystemdBackend, conformance.sample_formation())
    conformance.check_options_reject_unknown_keys(SystemdBackend)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("scope", '"session"', "expected one of user | system"),
    ("base_port", "0", "a port between 1 and 65535"),
    ("crash_limit", "0", "a positive integer"),
    ("working_directory", '"srv"', "expected an absolute path"),
])
def test_bad_options_name_the_key(tmp_path: Path, key: str, value: str, message: str) -> None:
    """A bad [backends.systemd] value is a formation error on its key (exit 2 at the CLI)."""
    text = FORMATION.replace("base_port = 6000", f"{key} = {value}")
    with pytest.raises(FormationError) as error:
        rendered(tmp_path, text)
    assert f"backends.systemd.{key}" in str(error.value) and message in str(error.value)
