"""import --from-backend compose: the file a project was started from, at its live counts, changing nothing."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.integration.compose.conftest import ComposeApp
from tests.integration.conftest import BUSYBOX_IMAGE
from tests.integration.engine_app import TICK, WEB, docker

pytestmark = pytest.mark.engine("docker")

FORMATION = f"""
[app]
name = "{{app}}"
image = "{{image}}"
env_file = [".env"]
env = {{ PRICE = "$5" }}

[processes.web]
command = "{WEB}"
count = 2
port = 8080
health = {{ http = "/", interval = "1s" }}
stop_timeout = "1s"

[processes.worker]
command = "{TICK}"
stop_timeout = "1s"
"""


def _started(app: ComposeApp) -> dict[str, tuple[str, str]]:
    """Each container's ID and start time: what any recreate or restart would change."""
    return {name: (cid, app.inspect(cid)["State"]["StartedAt"]) for name, cid in app.containers().items()}


def test_adopt_reads_what_runs_at_its_live_counts_and_touches_nothing(app: ComposeApp) -> None:
    """Deployed from one folder and scaled live; adopted into another: the live counts, the same definition (env
    file and `$` included), the same containers, and a plan from the adopted file with nothing to do."""
    (app.folder / ".env").write_text("GREETING=hi\n")
    app.write(FORMATION)
    app.ok("deploy", "-q")
    app.ok("scale", "worker=3", "web=1", "--wait", "-q")
    before = _started(app)

    adopted = app.folder / "adopted" / "formation.toml"
    result = app.run_cli("import", "--from-backend", "compose", "--app", app.name, "-f", str(adopted), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["backend"], report["format"], report["app"]) == ("compose", "compose", app.name)
    assert report["counts"] == {"web": 1, "worker": 3} and report["warnings"] == []
    assert report["source"] == str(app.folder / ".procfleet" / "compose" / f"{app.name}.yaml")
    written = tomllib.loads(adopted.read_text())
    assert written["app"] == {"name": app.name, "image": BUSYBOX_IMAGE, "env_file": [str(app.folder / ".env")],
                              "env": {"PRICE": "$5"}, "backend": "compose"}
    assert {name: p["count"] for name, p in written["processes"].items()} == {"web": 1, "worker": 3}
    assert written["processes"]["web"]["command"] == WEB
    assert written["processes"]["web"]["health"] == {"http": "/", "interval": "1s"}

    assert _started(app) == before
    plan = app.run_cli("plan", "-b", "compose", "--exit-code", "-f", str(adopted), "--json")
    assert plan.code == 0, plan.out + plan.err
    assert {c["action"] for c in json.loads(plan.out)["changes"]} == {"unchanged"}
    assert _started(app) == before


def test_a_project_started_by_hand_is_adopted_with_what_procfleet_cannot_take(app: ComposeApp) -> None:
    """`docker compose up` of someone's compose.yaml: the file it ran from is read (names made portable, volumes
    reported), the live count is written, a warning says deploy will not take the containers over, and they stay."""
    project = f"{app.name}_legacy"
    compose = app.folder / "legacy" / "compose.yaml"
    compose.parent.mkdir()
    compose.write_text(f"""
services:
  queue_worker:
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "{TICK}"]
    volumes: ["/tmp:/data"]
""")
    docker("compose", "-p", project, "-f", str(compose), "up", "-d", "--scale", "queue_worker=2")
    try:
        ids = docker("ps", "-q", "--filter", f"label=com.docker.compose.project={project}").split()
        assert len(ids) == 2
        result = app.run_cli("import", "--from-backend", "compose", "--app", project)
        assert result.code == 0, result.err
        assert f"the containers of the Compose project {project} were not created by procfleet" in result.err
        assert "services.queue_worker.volumes: not carried over" in result.err
        written = tomllib.loads((app.folder / "formation.toml").read_text())
        assert written["app"]["name"] == f"{app.name}-legacy"
        # its command word for word, handed to the image's ENTRYPOINT as Docker does (no entrypoint to unwrap)
        assert written["processes"] == {"queue-worker": {"args": ["sh", "-c", TICK], "count": 2, "restart": "never"}}
        assert written["backends"] == {"compose": {"project": project}}
        assert docker("ps", "-q", "--filter", f"label=com.docker.compose.project={project}").split() == ids
    finally:
        docker("compose", "-p", project, "-f", str(compose), "down", "-t", "0", check=False)


def test_adopt_from_a_backend_without_export_and_an_app_that_is_not_there(app: ComposeApp) -> None:
    """local has no export: a usage error (exit 2); a project with no containers: exit 1; no file either way."""
    no_export = app.run_cli("import", "--from-backend", "local", "--app", app.name)
    assert no_export.code == 2 and "the local backend cannot export what it runs" in no_export.err
    missing = app.run_cli("import", "--from-backend", "compose", "--app", app.name)
    assert missing.code == 1 and f'nothing called "{app.name}" runs on compose' in missing.err
    assert not (app.folder / "formation.toml").exists()
