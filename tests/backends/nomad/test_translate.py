"""Formation → Nomad job JSON: every field with the API's exact name and type (reference §1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procfleet.cli import main
from procfleet.errors import FormationError
from procfleet.model import fingerprint
from procfleet_nomad.translate import (
    META_APP,
    META_FINGERPRINT,
    META_PROCESS,
    META_SPEC,
    RESTART_POLICIES,
    SECOND,
    register_request,
    translate,
)
from tests.backends.nomad.formations import NASTY, SHOP, formation

# The preamble that gives the process PROCFLEET_PROCESS=<type>.<alloc index + 1>, as on every backend.
NUMBERED = 'export PROCFLEET_PROCESS="{}.$((NOMAD_ALLOC_INDEX + 1))"; '

Json = dict[str, Any]
# Maps whose keys the user or the driver chooses (reference §1.2): everything else must be PascalCase.
USER_MAPS = ("Config", "Env", "Meta")
DURATIONS = ("KillTimeout", "Interval", "Timeout", "Delay", "Grace")


def job(text: str = SHOP, options: dict[str, Any] | None = None, counts: dict[str, int] | None = None) -> Json:
    return translate(formation(text, options), counts).job


def group(job_json: Json, name: str) -> Json:
    return next(g for g in job_json["TaskGroups"] if g["Name"] == name)


def task(job_json: Json, name: str) -> Json:
    tasks: list[Json] = group(job_json, name)["Tasks"]
    assert len(tasks) == 1, "one task per group"
    return tasks[0]


def struct_keys(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) of the API structs, not descending into user-keyed maps."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key, item
            if key not in USER_MAPS:
                yield from struct_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from struct_keys(item, f"{path}[{index}]")


@pytest.mark.parametrize("text", [SHOP, NASTY], ids=["shop", "nasty"])
@pytest.mark.parametrize("driver", [None, "docker", "exec", "raw_exec"])
def test_every_struct_key_is_pascal_case_and_every_duration_integer_nanoseconds(text: str, driver: str | None) -> None:
    """No snake_case or camelCase field, and no "10s" where Nomad wants nanoseconds."""
    options = {"driver": driver} if driver else None
    for path, key, value in struct_keys(job(text, options)):
        assert key[:1].isupper() and "_" not in key, f"{path}.{key} is not PascalCase"
        if key in DURATIONS:
            assert isinstance(value, int) and not isinstance(value, bool), f"{path}.{key} = {value!r}"


def test_job_level_fields() -> None:
    """One service job per app, named after it, owned through its meta; options set placement."""
    plain = job()
    assert {k: plain[k] for k in ("ID", "Name", "Type", "Datacenters")} == {
        "ID": "shop", "Name": "shop", "Type": "service", "Datacenters": ["*"]}
    assert plain["Meta"] == {META_APP: "shop"}
    assert "Namespace" not in plain and "Region" not in plain and "NodePool" not in plain
    placed = job(options={"datacenters": ["dc1", "dc2"], "namespace": "apps", "region": "eu", "node_pool": "gpu"})
    assert (placed["Datacenters"], placed["Namespace"], placed["Region"], placed["NodePool"]) == (
        ["dc1", "dc2"], "apps", "eu", "gpu")
    assert [g["Name"] for g in plain["TaskGroups"]] == ["web", "worker"]


def test_docker_runs_the_command_through_sh_and_publishes_the_group_port() -> None:
    """The shell is the entrypoint (an image's ENTRYPOINT cannot take the command), Docker's init is PID 1 (the app
    gets the stop signal), and the port label is published: config keys as drivers/docker/config.go names them."""
    web = task(job(), "web")
    assert web["Driver"] == "docker"
    assert web["Config"] == {"image": "ghcr.io/acme/shop:1.4", "entrypoint": ["/bin/sh", "-c"],
                             "args": [NUMBERED.format("web") + "exec gunicorn shop.wsgi -b 0.0.0.0:$PORT"],
                             "init": True, "ports": ["port"]}
    assert "ports" not in task(job(), "worker")["Config"]  # no port, nothing to publish


@pytest.mark.parametrize("driver", ["exec", "raw_exec"])
def test_exec_drivers_take_command_and_args_only(driver: str) -> None:
    """exec and raw_exec have no image and share the host network: no To, $PORT is the dynamic port."""
    result = translate(formation(SHOP, {"driver": driver}))
    web = task(result.job, "web")
    assert web["Driver"] == driver
    assert web["Config"] == {"command": "/bin/sh", "args": [
        "-c", NUMBERED.format("web") + "exec gunicorn shop.wsgi -b 0.0.0.0:$PORT"]}
    assert group(result.job, "web")["Networks"] == [{"Mode": "host", "DynamicPorts": [{"Label": "port"}]}]
    assert web["Env"]["PORT"] == "${NOMAD_PORT_port}"
    assert result.warnings == ()  # the image is the app's, not set on a type: nothing to warn about


def test_default_driver_is_docker_with_an_image_and_exec_without() -> None:
    text = '[app]\nname = "mixed"\n[processes.a]\ncommand = "x"\nimage = "i:1"\n[processes.b]\ncommand = "y"\n'
    mixed = job(text)
    assert (task(mixed, "a")["Driver"], task(mixed, "b")["Driver"]) == ("docker", "exec")


def test_group_network_maps_a_dynamic_port_to_the_formation_port_and_sets_port() -> None:
    """Group network (not the deprecated task-level one), PORT from NOMAD_PORT_<label>."""
    shop = job()
    assert group(shop, "web")["Networks"] == [{"Mode": "host", "DynamicPorts": [{"Label": "port", "To": 8000}]}]
    assert task(shop, "web")["Env"]["PORT"] == "${NOMAD_PORT_port}"
    assert "Resources" not in task(shop, "worker") or "Networks" not in task(shop, "worker")["Resources"]
    worker = group(shop, "worker")
    assert "Networks" not in worker and "Services" not in worker and "PORT" not in task(shop, "worker")["Env"]


def test_http_service_check_with_nanosecond_durations_and_check_restart() -> None:
    """A Nomad-provider service named <app>-<type> on the port label, with the formation's check."""
    services = group(job(), "web")["Services"]
    assert services == [{
        "Name": "shop-web", "PortLabel": "port", "Provider": "nomad",
        "Checks": [{"Name": "health", "Type": "http", "Path": "/healthz", "Interval": 10 * SECOND,
                    "Timeout": 2 * SECOND, "CheckRestart": {"Limit": 4, "Grace": 5 * SECOND}}],
    }]


def test_tcp_check_has_no_path_and_a_command_check_is_a_warning() -> None:
    """Nomad's provider runs http and tcp checks only (reference §1.4): a command check is not rendered."""
    result = translate(formation(NASTY))
    check = group(result.job, "web")["Services"][0]["Checks"][0]
    assert check["Type"] == "tcp" and "Path" not in check
    assert check["Interval"] == 3 * SECOND and check["Timeout"] == SECOND
    assert "Services" not in group(result.job, "cron-job")
    assert len(result.warnings) == 1
    assert "processes.cron-job.health.command" in result.warnings[0]


def test_stop_signal_timeout_and_resources() -> None:
    """KillSignal, KillTimeout in ns, CPU in MHz (1 core = 1000) and MemoryMB; Nomad's defaults otherwise."""
    web, worker = task(job(), "web"), task(job(), "worker")
    assert (web["KillSignal"], web["KillTimeout"]) == ("SIGQUIT", 20 * SECOND)
    assert web["Resources"] == {"CPU": 500, "MemoryMB": 256}
    assert (worker["KillSignal"], worker["KillTimeout"], "Resources" in worker) == ("SIGINT", 10 * SECOND, False)
    odd = job('[app]\nname = "a"\nimage = "i"\n[processes.p]\ncommand = "x"\n'
              'resources = { cpu = 0.0001, memory = "10485761" }\n')
    assert task(odd, "p")["Resources"] == {"CPU": 1, "MemoryMB": 11}  # at least 1 MHz; MiB rounded up


@pytest.mark.parametrize("restart", ["always", "on-failure", "never"])
def test_restart_policies(restart: str) -> None:
    """Each restart policy as a valid Nomad RestartPolicy; never also turns rescheduling off."""
    text = f'[app]\nname = "a"\nimage = "i"\n[processes.p]\ncommand = "x"\nrestart = "{restart}"\n'
    rendered = group(job(text), "p")
    policy = rendered["RestartPolicy"]
    assert policy == RESTART_POLICIES[restart]
    assert policy["Interval"] >= 5 * SECOND and policy["Attempts"] * policy["Delay"] <= policy["Interval"]
    assert policy["Mode"] == ("delay" if restart == "always" else "fail")
    assert ("ReschedulePolicy" in rendered) == (restart == "never")
    if restart == "never":
        assert rendered["ReschedulePolicy"] == {"Attempts": 0, "Unlimited": False}


def test_env_precedence_and_what_procfleet_sets() -> None:
    """App env, then type env, then PORT (PROCFLEET_PROCESS is the shell line's); every value a string."""
    env = task(job(), "web")["Env"]
    assert env == {"LOG_LEVEL": "info", "WEB_CONCURRENCY": "4", "PORT": "${NOMAD_PORT_port}"}
    overridden = job('[app]\nname = "a"\nimage = "i"\nenv = { X = "app" }\n'
                     '[processes.p]\ncommand = "x"\nport = 80\nenv = { X = "type" }\n')
    assert task(overridden, "p")["Env"]["X"] == "type"
    assert task(overridden, "p")["Env"]["PORT"] == "${NOMAD_PORT_port}"


def test_ownership_meta_and_fingerprint() -> None:
    """Each group says which app and type it is and carries model.fingerprint, as live() reads it back."""
    shop = formation(SHOP)
    rendered = translate(shop).job
    for name, process in shop.processes.items():
        meta = group(rendered, name)["Meta"]
        assert meta[META_APP] == "shop" and meta[META_PROCESS] == name
        assert meta[META_FINGERPRINT] == fingerprint(shop, process)
        assert list(group(rendered, name))[:3] == ["Name", "Count", "Meta"]


def test_spec_hash_ignores_counts_and_follows_nomad_only_settings() -> None:
    """The spec hash changes with the driver or datacenters (not in the fingerprint), never with a count."""
    base = group(job(), "worker")["Meta"][META_SPEC]
    assert group(job(counts={"worker": 7}), "worker")["Meta"][META_SPEC] == base
    assert group(job(options={"driver": "raw_exec"}), "worker")["Meta"][META_SPEC] != base
    assert group(job(options={"datacenters": ["dc9"]}), "worker")["Meta"][META_SPEC] != base
    fingerprints = {group(job(options=o), "worker")["Meta"][META_FINGERPRINT] for o in ({}, {"driver": "exec"})}
    assert len(fingerprints) == 1


def test_counts_file_new_type_and_given() -> None:
    """Render uses the file's count (1 for a type that leaves it to the platform); deploy passes its own."""
    assert [g["Count"] for g in job()["TaskGroups"]] == [2, 1]
    assert [g["Count"] for g in job(counts={"web": 0, "worker": 9})["TaskGroups"]] == [0, 9]


@pytest.mark.parametrize(("text", "key", "words"), [
    ('[app]\nname = "a"\n[processes.p]\ncommand = "x"\n', "processes.p.image", "docker driver needs an image"),
    ('[app]\nname = "a"\nimage = "i"\n[processes.p]\ncommand = "x"\nresources = { memory = "5M" }\n',
     "processes.p.resources.memory", "at least 10M"),
    ('[app]\nname = "a"\nimage = "i"\n[processes.p]\ncommand = "x"\nport = 1\n'
     'health = { http = "/", interval = "500ms" }\n', "processes.p.health.interval", "at least 1s"),
    (f'[app]\nname = "{"a" * 40}"\nimage = "i"\n[processes.{"p" * 30}]\ncommand = "x"\nport = 1\n',
     f"processes.{'p' * 30}", "longer than 63"),
], ids=["docker-without-image", "memory", "check-interval", "service-name"])
def test_what_nomad_would_reject_is_a_formation_error(text: str, key: str, words: str) -> None:
    """Caught before any request, naming the key, with exit status 2."""
    options = {"driver": "docker"} if "image" not in text else None
    with pytest.raises(FormationError) as caught:
        translate(formation(text, options))
    assert caught.value.key == key and words in caught.value.message
    assert caught.value.exit_code == 2


def test_image_on_an_exec_type_is_a_warning() -> None:
    text = '[app]\nname = "a"\n[processes.p]\ncommand = "x"\nimage = "i:1"\n'
    result = translate(formation(text, {"driver": "exec"}))
    assert "Config" in task(result.job, "p") and "image" not in task(result.job, "p")["Config"]
    assert any("processes.p.image" in w and "runs no image" in w for w in result.warnings)


def test_register_request_enforces_the_index_read() -> None:
    """EnforceIndex with the JobModifyIndex read (0: the job must not exist yet), PreserveCounts as asked."""
    rendered = job()
    assert register_request(rendered, job_modify_index=0, preserve_counts=False) == {
        "Job": rendered, "EnforceIndex": True, "JobModifyIndex": 0, "PreserveCounts": False}
    assert register_request(rendered, job_modify_index=42, preserve_counts=True)["JobModifyIndex"] == 42


def test_commands_and_values_pass_through_verbatim() -> None:
    """Env values go as written; the driver config is escaped for the client's HCL2 pass (written out by hand)."""
    nasty = formation(NASTY)
    rendered = translate(nasty).job
    assert task(rendered, "web")["Config"]["args"] == [NUMBERED.format("web") +
        "echo \"$GREETING\" && printf '%s\\n' $${HOME} %%{x} $$${y} && exec serve --port $PORT"]
    assert {k: v for k, v in task(rendered, "web")["Env"].items() if k in nasty.app.env} == dict(nasty.app.env)


@pytest.mark.parametrize(("command", "escaped"), [
    ("sleep ${TICK:-30}", "sleep $${TICK:-30}"),
    ("echo ${HOME}", "echo $${HOME}"),
    ("printf '%{x}'", "printf '%%{x}'"),
    ("echo $$ $PORT", "echo $$ $PORT"),
    ('echo "a \'b\' ${c}"', 'echo "a \'b\' $${c}"'),
    ("echo $${kept}", "echo $$${kept}"),
], ids=["default", "unknown-variable", "directive", "pid-and-variable", "quotes", "already-escaped"])
@pytest.mark.parametrize("driver", ["docker", "exec", "raw_exec"])
def test_driver_config_is_escaped_for_the_clients_template_pass(command: str, escaped: str, driver: str) -> None:
    """`${` → `$${` and `%{` → `%%{` in every Config string, so the client's HCL2 evaluation hands the shell the
    command as written (client/allocrunner/taskrunner/task_runner.go runDriver; hashicorp/nomad#5809)."""
    text = f'[app]\nname = "a"\nimage = "i:1"\n[processes.p]\ncommand = {json.dumps(command)}\n'
    config = task(translate(formation(text, {"driver": driver})).job, "p")["Config"]
    assert config["args"][-1] in (NUMBERED.format("p") + escaped, NUMBERED.format("p") + f"exec {escaped}")
    assert all("${" not in word.replace("$${", "") for word in config["args"])


@pytest.mark.parametrize("signal", ["SIGCHLD", "SIGURG", "SIGPWR", "SIGSTKFLT", "SIGVTALRM", "SIGRTMIN"])
def test_a_stop_signal_nomad_clients_cannot_send_is_a_formation_error(signal: str) -> None:
    """Not in the table clients fingerprint as attr.os.signals, the job could never be placed."""
    text = f'[app]\nname = "a"\nimage = "i:1"\n[processes.p]\ncommand = "x"\nstop_signal = "{signal}"\n'
    with pytest.raises(FormationError) as caught:
        translate(formation(text))
    assert caught.value.key == "processes.p.stop_signal" and signal in caught.value.message
    assert caught.value.exit_code == 2


def test_check_with_the_nomad_backend_refuses_such_a_stop_signal(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`check -b nomad` says what `render`/`deploy` would refuse, before anything reaches a cluster."""
    path = tmp_path / "formation.toml"
    path.write_text('[app]\nname = "a"\nimage = "i:1"\n[processes.p]\ncommand = "x"\nstop_signal = "SIGPWR"\n')
    assert main(["-f", str(path), "check", "-b", "nomad"]) == 2
    err = capsys.readouterr().err
    assert "processes.p.stop_signal" in err and "SIGPWR" in err and len(err.strip().splitlines()) == 1
    assert main(["-f", str(path), "check", "-b", "local"]) == 0


def test_a_formation_relying_on_a_declared_difference_is_warned_and_refused_with_strict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """restart = "on-failure" means "not after exit 0", which Nomad cannot do: a warning naming the key, and
    --strict refuses (exit 2); on a backend that honours it, nothing is said."""
    path = tmp_path / "formation.toml"
    path.write_text('[app]\nname = "a"\nimage = "i:1"\n[processes.p]\ncommand = "x"\nrestart = "on-failure"\n')
    assert main(["-f", str(path), "check", "-b", "nomad"]) == 0
    assert "processes.p.restart: on nomad, a service task is restarted after exit 0 too" in capsys.readouterr().err
    assert main(["-f", str(path), "--strict", "check", "-b", "nomad"]) == 2
    assert "(--strict)" in capsys.readouterr().err
    assert main(["-f", str(path), "check", "-b", "compose"]) == 0
    assert "restart" not in capsys.readouterr().err
