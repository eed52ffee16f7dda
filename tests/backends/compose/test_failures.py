"""Docker's error output → one line a user can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet_compose import failures
from tests.backends.compose.helpers import formation

ENGINE_DOWN = ("unable to get image 'x': Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
               "Is the docker daemon running?")
NO_PLUGIN_OLD_CLI = "docker: 'compose' is not a docker command.\nSee 'docker --help'"
NO_PLUGIN_FLAG = "unknown flag: --file\nSee 'docker --help'."
PORT_TAKEN = (" Container shop-web-1  Starting\nError response from daemon: driver failed programming external "
              "connectivity on endpoint shop-web-1 (a65449d5): Error starting userland proxy: listen tcp4 "
              "127.0.0.1:18080: bind: address already in use\n")
PORT_ALLOCATED = "Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated"
PULL = (' web Pulling \n web Error Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: '
        'no such host\nError response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
        "registry-1.docker.io: no such host\n")
DENIED = "Error response from daemon: pull access denied for nope, repository does not exist or may require login"


@pytest.mark.parametrize(("stderr", "kind"), [
    (ENGINE_DOWN, "engine-down"),
    ("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
     "no-access"),
    (NO_PLUGIN_OLD_CLI, "compose-missing"),
    (NO_PLUGIN_FLAG, "compose-missing"),
    ("docker: unknown command: docker compose", "compose-missing"),
    (PORT_TAKEN, "port-in-use"),
    (PORT_ALLOCATED, "port-in-use"),
    (PULL, "pull-failed"),
    (DENIED, "pull-failed"),
    ("service \"web\" refers to undefined network", "other"),
])
def test_classify(stderr: str, kind: str) -> None:
    """Each failure the issue names is recognised from Docker's own words."""
    assert failures.classify(stderr) == kind


def test_engine_down_says_how_to_start_it(tmp_path: Path) -> None:
    """The message quotes Docker and says what to do."""
    message = failures.explain(ENGINE_DOWN, formation(tmp_path))
    assert "the Docker engine does not answer (" in message and "Is the docker daemon running?" in message
    assert "systemctl start docker" in message and "DOCKER_HOST" in message


def test_compose_missing_says_how_to_install_it(tmp_path: Path) -> None:
    """Where to get the plugin."""
    message = failures.explain(NO_PLUGIN_FLAG, formation(tmp_path))
    assert "Docker Compose v2 is not installed" in message
    assert "docker-compose-plugin" in message and "~/.docker/cli-plugins/" in message


def test_port_in_use_names_the_port_and_its_key(tmp_path: Path) -> None:
    """The host port, and the formation key that asked for it."""
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "serve"\nport = 80\n'
                            "[backends.compose]\nports = { web = 18080 }\n")
    message = failures.explain(PORT_TAKEN, f)
    assert message.startswith("host port 18080 (web: backends.compose.ports.web) is already in use")
    assert failures.explain(PORT_ALLOCATED, f).startswith("host port 8080 is already in use")


def test_images_missing() -> None:
    """The image, why it could not be pulled, and how to build it."""
    message = failures.images_missing(["shop:dev"], failures.key_line(PULL))
    assert message.startswith("image shop:dev is not on this machine and could not be pulled (Error response")
    assert "docker build -t shop:dev ." in message


def test_key_line_picks_the_error_not_the_progress() -> None:
    """Compose's progress lines come before the error; the error is what the user needs."""
    assert failures.key_line(PORT_TAKEN).startswith("Error response from daemon: driver failed")
    assert failures.key_line('time="2026-01-01T00:00:00Z" level=warning msg="x"\nboom') == "boom"
    assert failures.key_line("") == "no error output"
    assert len(failures.key_line("error " + "x" * 400)) == 300
