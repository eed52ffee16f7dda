"""A one-shot task (restart = "never") that a command waits for: done once it exits 0, a failure once it exits
with anything else, told by the name `ps` gives it and with its last output, on every backend. Compose's own
`up --wait` counts a container that exits 0 as done since docker/compose#13661; local's supervisor and systemd
did so already. A one-shot that ended stays as it ended (done, or failed) when the formation is deployed again
unchanged, as the plan says: only a changed definition runs it again."""

from __future__ import annotations

import json
import time

from procfleet import registry
from procfleet.backend import declared_differences
from tests.conformance.platforms import Platform

FORMATION = """
[processes.web]
command = "python3 probe.py"
count = 1
stop_timeout = "1s"

[processes.once]
command = "python3 probe.py"
env = { PROBE_EXIT = "0", PROBE_EXIT_AFTER = "0.5" }
restart = "never"
count = 0

[processes.bad]
command = "python3 probe.py"
env = { PROBE_EXIT = "3", PROBE_EXIT_AFTER = "0.5" }
restart = "never"
count = 0
"""


def test_a_one_shot_task_is_done_after_exit_0_and_a_failure_after_exit_3(platform: Platform) -> None:
    platform.write(FORMATION)
    platform.deploy()
    finished = platform.cli("scale", "once=1", "--wait", "--timeout", "90")
    if "restart-on-success" in declared_differences(registry.load(platform.backend)):
        # the platform takes exit 0 as it takes any other exit (the declared difference): a failure to wait for
        assert finished.code == 1, finished.err
        said = next(line for line in finished.err.splitlines() if line.startswith("error:"))
        assert said.startswith("error: once.1 "), said
        # its next deployment would place once.1 again, to fail the same way first
        assert platform.cli("scale", "once=0", "--wait", "--timeout", "90").code == 0
    else:
        assert finished.code == 0, finished.err
        # done, not missing: ps counts it so, and the closing line does not call it wanted
        assert json.loads(platform.cli("ps", "--json").out)["types"]["once"]["done"] == 1
        assert "once 0 (1 done)" in finished.out + finished.err, (finished.out, finished.err)
    failed = platform.cli("scale", "bad=1", "--wait", "--timeout", "90")
    assert failed.code == 1, (failed.out, failed.err)
    errors = [line for line in failed.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in failed.err, failed.err
    assert errors[0].startswith("error: bad.1 "), errors[0]  # the name ps gives it, first
    assert " 3" in errors[0], errors[0]  # its exit status
    assert "PROBE-EXIT 3" in failed.err  # its last output
    shown = json.loads(platform.cli("ps", "--json").out)
    assert shown["types"]["bad"]["done"] == 0  # a failure is not done
    running = {i["name"] for i in shown["instances"] if i["state"] == "running"}
    assert "web.1" in running, running  # the others are not touched
    platform.down()
    assert platform.leftovers() == []


def test_an_unchanged_deploy_leaves_an_ended_one_shot_as_it_ended(platform: Platform) -> None:
    platform.write(FORMATION)
    platform.deploy()
    differs = "restart-on-success" in declared_differences(registry.load(platform.backend))
    scaled = platform.cli("scale", "once=1", "--wait", "--timeout", "90")
    assert scaled.code == (1 if differs else 0), scaled.err
    assert platform.cli("scale", "bad=1", "--wait", "--timeout", "90").code == 1
    # without a count in the file the next deploy keeps the live ones (1); the rest of the file stays as it was
    path = platform.folder / "formation.toml"
    path.write_text(path.read_text().replace('restart = "never"\ncount = 0\n', 'restart = "never"\n'))
    planned = json.loads(platform.cli("plan", "--json").out)
    actions = {change["process"]: change["action"] for change in planned["changes"]}
    assert actions["once"] == actions["bad"] == "unchanged", planned
    again = platform.cli("deploy", "--timeout", "90")
    # the failed one is still failed, and the deploy says so as the scale did (on Nomad the one that exited 0
    # fails the same way: the declared difference)
    assert again.code == 1, again.err
    errors = [line for line in again.err.splitlines() if line.startswith("error:")]
    named = ("error: bad.1 ", "error: once.1 ") if differs else ("error: bad.1 ",)
    assert len(errors) == 1 and errors[0].startswith(named), again.err
    time.sleep(3)  # long enough for a container or process started again to print its start line
    assert platform.starts("once") == {"once.1": 1}  # neither ran again
    assert platform.starts("bad") == {"bad.1": 1}
    assert platform.starts("web") == {"web.1": 1}
    platform.down()
    assert platform.leftovers() == []


def test_restart_runs_an_ended_one_shot_again(platform: Platform) -> None:
    platform.write(FORMATION)
    platform.deploy()
    differences = declared_differences(registry.load(platform.backend))
    on_success = "restart-on-success" in differences
    assert platform.cli("scale", "once=1", "--wait", "--timeout", "90").code == (1 if on_success else 0)
    assert platform.cli("scale", "bad=1", "--wait", "--timeout", "90").code == 1
    done = platform.cli("restart", "once", "--timeout", "90")
    failed = platform.cli("restart", "bad", "--timeout", "90")
    time.sleep(1)  # long enough for a process started again to print its start line
    if "restart-ended" in differences:
        # the platform cannot run an ended one again (the declared difference): restart says so, and runs nothing
        for name, said in (("once.1", done), ("bad.1", failed)):
            assert said.code == 0, said.err
            assert f"warning: {name} has ended" in said.err, said.err
        assert platform.starts("once") == {"once.1": 1} and platform.starts("bad") == {"bad.1": 1}
    else:
        assert done.code == 0, done.err  # waited for, as scale --wait waits: done once it exits 0
        assert failed.code == 1, failed.err  # and a failure once it exits 3, said as scale says it
        errors = [line for line in failed.err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and errors[0].startswith("error: bad.1 ") and " 3" in errors[0], failed.err
        assert "PROBE-EXIT 3" in failed.err
        assert platform.starts("once") == {"once.1": 2} and platform.starts("bad") == {"bad.1": 2}
    assert platform.starts("web") == {"web.1": 1}  # the others are not touched
    platform.down()
    assert platform.leftovers() == []
