"""Formation → Compose document: one service per type, with everything issue 4 lists, and nothing interpolated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from procfleet.errors import FormationError
from procfleet.exitcodes import ExitCode
from procfleet.model import fingerprint
from procfleet_compose.backend import ComposeBackend
from procfleet_compose.options import ComposeOptions, settings
from procfleet_compose.translate import compose_document, file_counts
from tests.backends.compose.helpers import GOLDEN, ROOT, SCHEMA, formation


def test_one_service_per_type_with_shell_command_and_labels(tmp_path: Path) -> None:
    """Each type is a service running its command through `/bin/sh -c`, labelled with app, type and fingerprint."""
    f = formation(tmp_path)
    document = compose_document(f, {"web": 2, "worker": 1}, ComposeOptions())
    assert document["name"] == "shop"
    assert list(document["services"]) == ["web", "worker"]
    web = document["services"]["web"]
    assert web["image"] == "shop:1"
    assert web["entrypoint"] == ["/bin/sh", "-c"] and web["init"] is True
    assert web["command"] == ["exec serve --port $$PORT"]  # the program, not a shell, gets the stop signal
    assert web["labels"] == {"procfleet.app": "shop", "procfleet.process": "web",
                             "procfleet.fingerprint": fingerprint(f, f.processes["web"])}
    assert document["networks"] == {"default": {"labels": {"procfleet.app": "shop"}}}


def test_replicas_come_from_the_counts_given(tmp_path: Path) -> None:
    """deploy passes the plan's counts; render uses the file's, 1 for a type whose count the platform owns."""
    f = formation(tmp_path)
    assert file_counts(f) == {"web": 2, "worker": 1}
    document = compose_document(f, {"web": 5, "worker": 0}, ComposeOptions())
    assert document["services"]["web"]["deploy"] == {"replicas": 5}
    assert document["services"]["worker"]["deploy"] == {"replicas": 0}


def test_environment_precedence_and_what_procfleet_sets(tmp_path: Path) -> None:
    """App env, then type env, then PORT (the container port) and PROCFLEET_PROCESS (the type)."""
    f = formation(tmp_path, """
        [app]
        name = "shop"
        image = "shop:1"
        env = { A = "app", B = "app" }
        [processes.web]
        command = "serve"
        port = 8000
        env = { B = "web" }
        [processes.worker]
        command = "work"
    """)
    services = compose_document(f, file_counts(f), ComposeOptions())["services"]
    assert services["web"]["environment"] == {"A": "app", "B": "web", "PORT": "8000", "PROCFLEET_PROCESS": "web"}
    assert services["worker"]["environment"] == {"A": "app", "B": "app", "PROCFLEET_PROCESS": "worker"}


def test_env_files_are_referenced_not_copied(tmp_path: Path) -> None:
    """Relative to the formation's folder when rendered; absolute in procfleet's own copy (which lives elsewhere)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "base.env").write_text("SECRET_KEY=from-file\n")
    (tmp_path / "app" / "local.env").write_text("X=1\n")
    f = formation(tmp_path / "app", """
        [app]
        name = "shop"
        image = "shop:1"
        env_file = ["base.env", "local.env"]
        [processes.web]
        command = "serve"
    """)
    web = compose_document(f, file_counts(f), ComposeOptions())["services"]["web"]
    assert web["env_file"] == ["base.env", "local.env"]
    assert "SECRET_KEY" not in web["environment"]
    stored = compose_document(f, file_counts(f), ComposeOptions(), cwd=tmp_path)["services"]["web"]
    assert stored["env_file"] == [str(tmp_path / "app" / "base.env"), str(tmp_path / "app" / "local.env")]


def test_env_files_relative_to_the_formation_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-f app/formation.toml` from the parent folder still renders `env_file: [base.env]`."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "base.env").write_text("X=1\n")
    (tmp_path / "app" / "formation.toml").write_text(
        '[app]\nname = "shop"\nimage = "i"\nenv_file = ["base.env"]\n[processes.web]\ncommand = "serve"\n')
    monkeypatch.chdir(tmp_path)
    from procfleet.loader import load

    f = load(Path("app/formation.toml"))
    assert compose_document(f, {"web": 1}, ComposeOptions())["services"]["web"]["env_file"] == ["base.env"]


def test_ports_are_ephemeral_so_replicas_never_collide(tmp_path: Path) -> None:
    """The container port is published without a host port (Compose picks a free one per container)."""
    f = formation(tmp_path)
    web = compose_document(f, {"web": 3, "worker": 1}, ComposeOptions())["services"]["web"]
    assert web["ports"] == [{"target": 8000, "protocol": "tcp"}]
    assert "ports" not in compose_document(f, {"web": 3, "worker": 1}, ComposeOptions())["services"]["worker"]
    on_loopback = compose_document(f, {"web": 3, "worker": 1}, ComposeOptions(host_ip="127.0.0.1"))
    assert on_loopback["services"]["web"]["ports"] == [{"target": 8000, "protocol": "tcp", "host_ip": "127.0.0.1"}]


def test_fixed_host_port(tmp_path: Path) -> None:
    """`[backends.compose] ports = { web = 8080 }` publishes that host port, for one instance only."""
    f = formation(tmp_path)
    web = compose_document(f, {"web": 1, "worker": 1}, ComposeOptions(ports={"web": 8080}))["services"]["web"]
    assert web["ports"] == [{"target": 8000, "protocol": "tcp", "published": "8080"}]
    with pytest.raises(FormationError, match=r"backends\.compose\.ports\.web: a fixed host port allows one instance"):
        compose_document(f, {"web": 2, "worker": 1}, ComposeOptions(ports={"web": 8080}))
    with pytest.raises(FormationError, match=r'ports\.wbe: no process type "wbe" \(did you mean "web"\?\)'):
        compose_document(f, {"web": 1, "worker": 1}, ComposeOptions(ports={"wbe": 8080}))
    with pytest.raises(FormationError, match=r"ports\.worker: processes\.worker has no port"):
        compose_document(f, {"web": 1, "worker": 1}, ComposeOptions(ports={"worker": 8080}))


def test_health_checks(tmp_path: Path) -> None:
    """http and tcp probes run inside the container against its own port; command checks run as written."""
    f = formation(tmp_path, """
        [app]
        name = "shop"
        image = "shop:1"
        [processes.web]
        command = "serve"
        port = 8000
        health = { http = "/healthz", interval = "5s", timeout = "1500ms", retries = 4, start_period = "1m" }
        [processes.cache]
        command = "cache"
        port = 6379
        health = { tcp = true }
        [processes.worker]
        command = "work"
        health = { command = "test -f /tmp/ready" }
    """)
    services = compose_document(f, file_counts(f), ComposeOptions())["services"]
    web = services["web"]["healthcheck"]
    assert web["test"][0] == "CMD-SHELL"
    assert "wget -q -O /dev/null http://127.0.0.1:8000/healthz" in web["test"][1]
    assert "curl -fsS" in web["test"][1] and "python3 -c" in web["test"][1]
    assert {k: v for k, v in web.items() if k != "test"} == {"interval": "5s", "timeout": "1.5s", "retries": 4,
                                                             "start_period": "1m"}
    assert "nc -z 127.0.0.1 6379" in services["cache"]["healthcheck"]["test"][1]
    assert services["worker"]["healthcheck"]["test"] == ["CMD-SHELL", "test -f /tmp/ready"]


def test_stop_restart_and_resources(tmp_path: Path) -> None:
    """stop_signal, stop_grace_period, restart (never → "no") and cpu/memory limits."""
    f = formation(tmp_path, """
        [app]
        name = "shop"
        image = "shop:1"
        [processes.worker]
        command = "work"
        restart = "never"
        stop_signal = "INT"
        stop_timeout = "1m30s"
        resources = { cpu = 0.5, memory = "256M" }
        [processes.clock]
        command = "tick"
        restart = "on-failure"
    """)
    services = compose_document(f, file_counts(f), ComposeOptions())["services"]
    worker = services["worker"]
    assert (worker["restart"], worker["stop_signal"], worker["stop_grace_period"]) == ("no", "SIGINT", "1m30s")
    assert worker["deploy"] == {"replicas": 1, "resources": {"limits": {"cpus": 0.5, "memory": "256M"}}}
    assert (services["clock"]["restart"], services["clock"]["stop_grace_period"]) == ("on-failure", "10s")


def test_every_dollar_is_escaped(tmp_path: Path) -> None:
    """Commands, env values and health commands reach Compose with `$` doubled; Compose halves them again."""
    f = formation(tmp_path, """
        [app]
        name = "shop"
        image = "shop:1"
        env = { URL = "postgres://u:p$ss@db", PLAIN = "x" }
        [processes.web]
        command = "echo $HOME $$ ${X:-y}"
        health = { command = "test $$ -gt 0" }
    """)
    web = compose_document(f, file_counts(f), ComposeOptions())["services"]["web"]
    assert web["command"] == ["exec echo $$HOME $$$$ $${X:-y}"]
    assert web["environment"]["URL"] == "postgres://u:p$$ss@db"
    assert web["healthcheck"]["test"] == ["CMD-SHELL", "test $$$$ -gt 0"]
    # What Compose does with it: every `$$` becomes `$` and nothing else is touched.
    assert web["command"][0].replace("$$", "$") == "exec echo $HOME $$ ${X:-y}"


def test_a_type_without_an_image_is_a_formation_error(tmp_path: Path) -> None:
    """Compose runs images: the error names the key to set, exit status 2."""
    f = formation(tmp_path, '[app]\nname = "shop"\n[processes.web]\ncommand = "serve"\n')
    with pytest.raises(FormationError, match=r"processes\.web\.image: the compose backend needs an image") as info:
        compose_document(f, file_counts(f), ComposeOptions())
    assert info.value.exit_code == ExitCode.USAGE


def test_project_option(tmp_path: Path) -> None:
    """The project is the app's name unless `[backends.compose] project` overrides it."""
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "serve"\n'
                            '[backends.compose]\nproject = "shop-staging"\n')
    assert settings(f).project_for(f) == "shop-staging"
    assert compose_document(f, file_counts(f), settings(f))["name"] == "shop-staging"


@pytest.mark.parametrize("source", [GOLDEN / "kitchen-sink.toml", ROOT / "examples" / "02-compose" / "formation.toml"])
def test_rendered_files_match_the_compose_spec(source: Path) -> None:
    """The rendered YAML validates against the Compose specification's JSON schema."""
    from procfleet.backend import Session
    from procfleet.loader import load

    rendered = ComposeBackend(Session()).render(load(source), "compose")
    assert [r.name for r in rendered] == ["compose.yaml"]
    document = yaml.safe_load(rendered[0].content)
    jsonschema = pytest.importorskip("jsonschema")  # a test dependency (noxfile TEST_DEPS)
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(document)  # the schema says draft-07


def test_after_is_depends_on_with_its_condition(tmp_path: Path) -> None:
    """`after` says what ready means, and Compose's depends_on conditions say the same three things."""
    f = formation(tmp_path, """
        [app]
        name = "shop"
        image = "shop:1"
        [processes.db]
        command = "db"
        port = 5432
        health = { tcp = true }
        [processes.migrate]
        command = "migrate"
        restart = "never"
        [processes.web]
        command = "serve"
        after = ["db", "migrate"]
        [processes.worker]
        command = "work"
        after = { migrate = "done", db = "started" }
    """)
    services = compose_document(f, file_counts(f), ComposeOptions())["services"]
    assert services["web"]["depends_on"] == {"db": {"condition": "service_healthy"},
                                             "migrate": {"condition": "service_started"}}
    assert services["worker"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"},
                                                "db": {"condition": "service_started"}}
    assert "depends_on" not in services["db"]
