"""A failing health check says what it got: in `ps` under the row, and once in the progress view while waiting."""

from __future__ import annotations

import json

from tests.integration.local.harness import LocalApp

FORMATION = """
    [processes.web]
    command = "exec python3 -m http.server $PORT"
    port = 8000
    health = { http = "/nothing-here", interval = "1s", retries = 1, timeout = "2s" }
    stop_timeout = "1s"

    [processes.queue]
    command = "exec sleep 60"
    health = { command = "echo checking the queue; echo queue is empty >&2; exit 3", interval = "1s" }
    stop_timeout = "1s"
"""


def test_a_failing_check_says_what_it_got(app: LocalApp) -> None:
    """The HTTP status line the instance answered, and a command's exit status with its last line of output, as
    Docker's health log keeps them; `scale --wait` says it while waiting and gives up at its timeout."""
    app.write(FORMATION)
    app.deploy("--no-wait")

    def details() -> dict[str, str]:
        status = json.loads(app.cli("ps", "--json").stdout)
        return {i["name"]: i["detail"] for i in status["instances"] if i["detail"]}

    found = app.wait_status(lambda s: len([i for i in s.instances if i.detail.startswith(
        ("health check: GET", "health check: exit"))]) == 2, "both checks to have failed once the server listens")
    assert {i.name: i.detail for i in found.instances} == {
        "web.1": "health check: GET /nothing-here: HTTP/1.0 404 File not found",
        "queue.1": "health check: exit status 3: queue is empty"}
    assert details() == {i.name: i.detail for i in found.instances}
    waited = app.cli("scale", "queue=1", "--wait", "--timeout", "2")
    assert waited.returncode == 1
    assert "queue.1 is not healthy yet: health check: exit status 3: queue is empty" in waited.stderr
