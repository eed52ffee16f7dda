"""The compose importer on the points the corpus does not pin down: errors, precedence and procfleet's own shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet.errors import FormationError
from procfleet.importers import read_source
from procfleet.importers.compose import read_compose
from procfleet.importers.result import ImportResult
from tests.unit.importers.conftest import Write

WEB = """\
services:
  web:
    image: app:1
    command: ./serve
"""


def _read(path: Path, environ: dict[str, str] | None = None) -> ImportResult:
    return read_source(path, "compose", environ or {})


def _error(path: Path) -> str:
    with pytest.raises(FormationError) as caught:
        _read(path)
    return str(caught.value)


def test_the_callers_environment_wins_over_dotenv(write: Write) -> None:
    """Variables come from .env beside the file, overridden by the environment, as in Compose."""
    write(".env", "TAG=from-dotenv\nLEVEL=debug\n")
    path = write("compose.yaml", WEB.replace("app:1", "app:${TAG}") + "    environment:\n      LEVEL: $LEVEL\n")
    result = _read(path, {"TAG": "from-shell"})
    assert result.image == "app:from-shell"
    assert result.processes["web"].env == {"LEVEL": "debug"}


def test_compose_project_name_wins_over_name(write: Write) -> None:
    """COMPOSE_PROJECT_NAME names the project (and so the app) over `name:`, as `docker compose` does."""
    path = write("compose.yaml", "name: fromfile\n" + WEB)
    assert _read(path).app_name == "fromfile"
    assert _read(path, {"COMPOSE_PROJECT_NAME": "fromenv"}).app_name == "fromenv"


def test_yaml_is_read_as_yaml_1_2(write: Write) -> None:
    """`yes` stays a string and `22:22` a port mapping: Compose's YAML is 1.2, PyYAML's default is 1.1."""
    path = write("compose.yaml", WEB + "    ports: [22:22]\n    environment:\n      DEBUG: yes\n      ON: on\n")
    result = _read(path)
    assert result.processes["web"].env == {"DEBUG": "yes", "ON": "on"}
    assert result.processes["web"].port == 22
    assert result.backends["compose"]["ports"] == {"web": 22}


def test_a_file_without_a_name_keeps_the_project_compose_names_after_its_folder(write: Write,
                                                                                tmp_path: Path) -> None:
    """`docker compose up` in `My_Shop/` runs the project `my_shop`: procfleet's app is `my-shop`, so the
    project is kept in [backends.compose] for adopt and migrate to find the containers."""
    folder = tmp_path / "My_Shop"
    folder.mkdir()
    (folder / "compose.yaml").write_text(WEB)
    assert read_compose(folder / "compose.yaml", {}).backends == {"compose": {"project": "my_shop"}}
    plain = tmp_path / "shop"
    plain.mkdir()
    (plain / "compose.yaml").write_text(WEB)
    assert read_compose(plain / "compose.yaml", {}).backends == {}


def test_extends_in_a_circle_is_an_error(write: Write) -> None:
    """A service that ends up extending itself is refused with the key path."""
    path = write("compose.yaml", """\
        services:
          a: {extends: b, command: x}
          b: {extends: a, command: y}
        """)
    assert "compose.yaml: services.a.extends.extends: extends goes round in a circle" in _error(path)


def test_extends_of_a_missing_service_is_an_error(write: Write) -> None:
    """extends naming no service says which file it looked in."""
    write("base.yaml", WEB)
    path = write("compose.yaml", "services:\n  w:\n    extends: {file: base.yaml, service: nope}\n")
    assert 'no service "nope" in' in _error(path)


def test_scale_and_replicas_must_agree(write: Write) -> None:
    """Compose refuses distinct scale and deploy.replicas; so does import."""
    path = write("compose.yaml", WEB + "    scale: 2\n    deploy: {replicas: 3}\n")
    assert "services.web.scale: scale (2) and deploy.replicas (3) disagree" in _error(path)


def test_a_missing_required_env_file_is_an_error(write: Write) -> None:
    """A required env file that is not there fails, as `docker compose up` would."""
    path = write("compose.yaml", WEB + "    env_file: [missing.env]\n")
    assert "compose.yaml: services.web.env_file[0]: env file not found" in _error(path)


def test_a_file_without_services_is_an_error(write: Write) -> None:
    """No services: nothing that could become a process type."""
    assert "compose.yaml: services: no services" in _error(write("compose.yaml", "volumes: {}\n"))


def test_a_service_without_a_command_runs_its_images_own(write: Write) -> None:
    """postgres, redis, kong: imported as a type running that image, not dropped as a backing service."""
    path = write("compose.yaml", "services:\n  db: {image: postgres:16}\n  gateway: {image: 'kong:latest'}\n")
    result = _read(path)
    for name, image in (("db", "postgres:16"), ("gateway", "kong:latest")):
        process = result.processes[name]
        assert process.runs_image_command and process.image == image, process
    assert not [line for line in result.warnings if "backing service" in line]


def test_a_command_of_flags_only_keeps_the_images_entrypoint(write: Write) -> None:
    """mysql's `command: --default-authentication-plugin=…` passes options to its ENTRYPOINT, as Docker's CMD."""
    path = write("compose.yaml", "services:\n  db:\n    image: mysql:8\n"
                 "    command: --default-authentication-plugin=mysql_native_password\n"
                 "  cache:\n    image: memcached\n    command: -I 1M\n")
    result = _read(path)
    db, cache = result.processes["db"], result.processes["cache"]
    flags = ("--default-authentication-plugin=mysql_native_password",)
    assert (db.command, db.entrypoint, db.args) == (None, None, flags)
    assert cache.args == ("-I", "1M") and cache.entrypoint is None


def test_a_string_command_stops_where_compose_stops_and_the_rest_is_reported(write: Write) -> None:
    """Compose splits a string command into words (go-shellwords) and stops at `&&`, `;` or `|`: `a && b` runs
    only `a`. Import carries what Compose runs and names what it drops."""
    path = write("compose.yaml", WEB.replace("./serve", "python manage.py migrate && gunicorn app"))
    result = _read(path)
    assert result.processes["web"].args == ("python", "manage.py", "migrate")
    assert any("services.web.command" in line and "drops `&& gunicorn app`" in line for line in result.warnings)


def test_a_bare_environment_name_takes_the_value_compose_would_from_the_dotenv(write: Write) -> None:
    """`- SECRET_KEY` with no value: Compose looks in the caller's environment, then the project's .env."""
    write(".env", "SECRET_KEY=from-dotenv\n")
    path = write("compose.yaml", WEB + "    environment:\n      - SECRET_KEY\n      - NOWHERE\n")
    result = _read(path)
    assert result.processes["web"].env == {"SECRET_KEY": "from-dotenv"}
    assert any("services.web.environment.NOWHERE" in line and "neither the shell nor the .env" in line
               for line in result.warnings)


def test_a_build_is_carried(write: Write) -> None:
    path = write("compose.yaml", "services:\n  web:\n    build:\n      context: ./app\n"
                 "      dockerfile: Dockerfile.prod\n      target: runtime\n      args: [VERSION=1.2, FROM_SHELL]\n")
    result = _read(path)
    built = result.processes["web"].build
    assert built is not None and built.context.endswith("/app") and built.dockerfile == "Dockerfile.prod"
    assert built.target == "runtime" and dict(built.args) == {"VERSION": "1.2"}
    assert any("services.web.build.args.FROM_SHELL" in line for line in result.warnings)


def test_a_look_alike_probe_on_another_port_stays_a_command(write: Write) -> None:
    """Only procfleet's own probe on the type's own port becomes an http check; anything else is a command."""
    probe = ("if command -v wget >/dev/null; then wget -q -O /dev/null http://127.0.0.1:9999/x; else echo "
             '"procfleet: the image has no wget, curl or python3 for this health check"; fi')
    path = write("compose.yaml", WEB + f"    ports: ['8000']\n    healthcheck:\n      test: ['CMD-SHELL', '{probe}']\n")
    health = _read(path).processes["web"].health
    assert health is not None and health.kind == "command" and health.command == probe


def test_interpolation_errors_stop_the_import(write: Write) -> None:
    """A required variable without a value is Compose's error, with the file and key path."""
    path = write("compose.yaml", WEB + "    environment:\n      SECRET: ${SECRET:?set SECRET}\n")
    assert "compose.yaml: services.web.environment.SECRET: required variable SECRET is missing a value: set SECRET" \
        in _error(path)


def test_string_commands_run_without_a_shell_keep_their_meaning(write: Write) -> None:
    """A string command is split into words by Compose and run with no shell: nothing is expanded."""
    path = write("compose.yaml", WEB.replace("./serve", "echo $$HOME *.txt"))
    assert _read(path).processes["web"].args == ("echo", "$HOME", "*.txt")


def test_service_names_become_portable(write: Write) -> None:
    """`_` and `.` become `-` with a note; two names that collide are an error."""
    path = write("compose.yaml", "services:\n  my_web.v2: {image: a, command: x}\n")
    result = _read(path)
    assert list(result.processes) == ["my-web-v2"]
    assert any('services.my_web.v2: process type renamed "my-web-v2"' in line for line in result.warnings)
    clash = write("compose.yaml", "services:\n  a_b: {image: a, command: x}\n  a-b: {image: a, command: y}\n")
    assert 'would both become the process type "a-b"' in _error(clash)


def test_an_included_file_that_is_missing_is_an_error(write: Write) -> None:
    """The entry's key and the path Compose would look for."""
    path = write("compose.yaml", "include:\n  - shared/missing.yaml\n" + WEB)
    assert "include[0].path: file not found:" in _error(path) and "shared/missing.yaml" in _error(path)


def test_a_service_defined_twice_through_include_is_an_error(write: Write) -> None:
    """Compose refuses a service that the file and an included file both define; so does import."""
    write("other.yaml", WEB)
    path = write("compose.yaml", "include:\n  - other.yaml\n" + WEB)
    assert 'services.web: the service "web" is also defined by a file in include:' in _error(path)


def test_include_in_a_circle_is_an_error(write: Write) -> None:
    """A file that includes, through another, the one including it."""
    write("other.yaml", "include:\n  - compose.yaml\n")
    path = write("compose.yaml", "include:\n  - other.yaml\n" + WEB)
    assert "includes itself" in _error(path)


def test_merge_tags_without_extends_leave_the_plain_value(write: Write) -> None:
    """`!override` of a key nothing is merged into is its value; `!reset` of one is no key at all."""
    path = write("compose.yaml", WEB + "    environment: !override\n      A: '1'\n    ports: !reset []\n")
    process = _read(path).processes["web"]
    assert process.env == {"A": "1"} and process.port is None
