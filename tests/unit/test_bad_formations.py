"""The bad-input corpus: every broken formation exits 2 with one line naming the file and the key path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

APP = '[app]\nname = "shop"\n'
WEB = '[processes.web]\ncommand = "serve"\n'

# (case id, formation text, the key path (or location) the message must name, a phrase it must contain)
CORPUS: list[tuple[str, str, str, str]] = [
    ("malformed-toml", "[app\nname = 'x'\n", "line 1", "invalid TOML"),
    ("malformed-value", APP + WEB + "count = \n", "line 5", "invalid TOML"),
    ("duplicate-key", APP + WEB + 'command = "again"\n', "line 5", "invalid TOML"),
    ("missing-app", WEB, "app", "missing table [app]"),
    ("app-not-table", 'app = "shop"\n' + WEB, "app", "expected a table"),
    ("missing-app-name", "[app]\n" + WEB, "app.name", "missing"),
    ("app-name-uppercase", '[app]\nname = "Shop"\n' + WEB, "app.name", "invalid app name"),
    ("app-name-underscore", '[app]\nname = "my_shop"\n' + WEB, "app.name", "invalid app name"),
    ("app-name-leading-digit", '[app]\nname = "1shop"\n' + WEB, "app.name", "invalid app name"),
    ("app-name-trailing-dash", '[app]\nname = "shop-"\n' + WEB, "app.name", "invalid app name"),
    ("app-name-too-long", f'[app]\nname = "{"a" * 64}"\n' + WEB, "app.name", "at most 63"),
    ("app-name-number", "[app]\nname = 3\n" + WEB, "app.name", "expected a string"),
    ("unknown-app-key", APP + 'imgae = "x"\n' + WEB, "app.imgae", 'did you mean "image"'),
    ("unknown-top-key", APP + WEB + "[proceses.worker]\ncommand = \"x\"\n", "proceses", 'did you mean "processes"'),
    ("missing-processes", APP, "processes", "missing table [processes]"),
    ("empty-processes", APP + "[processes]\n", "processes", "no process types"),
    ("processes-not-table", 'processes = ["web"]\n' + APP, "processes", "expected a table"),
    ("missing-command", APP + "[processes.web]\ncount = 2\n", "processes.web.command",
     "the local backend runs no images"),
    ("env-port", APP + WEB + 'env = { PORT = "3000" }\n', "processes.web.env.PORT", "procfleet sets PORT"),
    ("app-env-process-name", '[app]\nname = "shop"\nenv = { PROCFLEET_PROCESS = "x" }\n' + WEB,
     "app.env.PROCFLEET_PROCESS", "procfleet sets PROCFLEET_PROCESS"),
    ("after-unknown", APP + WEB + 'after = ["db"]\n', "processes.web.after[0]", 'no process type "db"'),
    ("after-itself", APP + WEB + 'after = ["web"]\n', "processes.web.after[0]", "cannot wait for itself"),
    ("after-circle", APP + WEB + 'after = ["worker"]\n[processes.worker]\ncommand = "w"\nafter = ["web"]\n',
     "processes.web.after", "circle: web → worker → web"),
    ("after-healthy-without-check", APP + WEB + 'after = { worker = "healthy" }\n[processes.worker]\ncommand = "w"\n',
     "processes.web.after.worker", "no health check"),
    ("after-bad-readiness", APP + WEB + 'after = { worker = "up" }\n[processes.worker]\ncommand = "w"\n',
     "processes.web.after.worker", "started"),
    ("command-and-args", APP + '[processes.web]\ncommand = "serve"\nargs = ["serve"]\n', "processes.web.args",
     "either command"),
    ("args-not-list", APP + '[processes.web]\nargs = "serve"\n', "processes.web.args", "an array of strings"),
    ("flag-args-on-local", APP + '[processes.db]\nargs = ["--default-authentication-plugin=x"]\n',
     "processes.db.args", "option for the image's ENTRYPOINT"),
    ("unknown-build-key", APP + '[processes.web]\ncommand = "x"\nbuild = { context = ".", cache = 1 }\n',
     "processes.web.build.cache", "unknown key"),
    ("empty-command", APP + '[processes.web]\ncommand = "  "\n', "processes.web.command", "must not be empty"),
    ("command-not-string", APP + "[processes.web]\ncommand = [\"a\"]\n", "processes.web.command", "expected a string"),
    ("bad-type-name", APP + '[processes.Web_1]\ncommand = "x"\n', "processes.Web_1", "invalid process type name"),
    ("count-string", APP + WEB + 'count = "ten"\n', "processes.web.count", 'got "ten"'),
    ("count-negative", APP + WEB + "count = -1\n", "processes.web.count", "non-negative integer"),
    ("count-float", APP + WEB + "count = 1.5\n", "processes.web.count", "non-negative integer"),
    ("count-bool", APP + WEB + "count = true\n", "processes.web.count", "non-negative integer"),
    ("unknown-process-key", APP + WEB + "cuont = 3\n", "processes.web.cuont", 'did you mean "count"'),
    ("port-zero", APP + WEB + "port = 0\n", "processes.web.port", "between 1 and 65535"),
    ("port-too-big", APP + WEB + "port = 70000\n", "processes.web.port", "between 1 and 65535"),
    ("port-string", APP + WEB + 'port = "80"\n', "processes.web.port", "between 1 and 65535"),
    ("bad-restart", APP + WEB + 'restart = "sometimes"\n', "processes.web.restart", "always | on-failure | never"),
    ("restart-typo", APP + WEB + 'restart = "alwyas"\n', "processes.web.restart", 'did you mean "always"'),
    ("bad-signal", APP + WEB + 'stop_signal = "SIGFOO"\n', "processes.web.stop_signal", "unknown signal"),
    ("signal-number", APP + WEB + "stop_signal = 15\n", "processes.web.stop_signal", "expected a string"),
    ("bad-duration", APP + WEB + 'stop_timeout = "10 seconds"\n', "processes.web.stop_timeout", "duration"),
    ("negative-duration", APP + WEB + "stop_timeout = -5\n", "processes.web.stop_timeout", "duration"),
    ("duration-unit-missing", APP + WEB + 'stop_timeout = "10"\n', "processes.web.stop_timeout", "duration"),
    ("bad-memory", APP + WEB + 'resources = { memory = "lots" }\n', "processes.web.resources.memory", "size"),
    ("memory-number", APP + WEB + "resources = { memory = 256 }\n", "processes.web.resources.memory", "size"),
    ("cpu-negative", APP + WEB + "resources = { cpu = -1 }\n", "processes.web.resources.cpu", "positive"),
    ("unknown-resource", APP + WEB + "resources = { cpus = 1 }\n", "processes.web.resources.cpus",
     'did you mean "cpu"'),
    ("health-two-kinds", APP + WEB + 'port = 80\nhealth = { http = "/", tcp = true }\n', "processes.web.health",
     "exactly one"),
    ("health-none", APP + WEB + 'health = { interval = "5s" }\n', "processes.web.health", "exactly one"),
    ("health-http-no-slash", APP + WEB + 'port = 80\nhealth = { http = "healthz" }\n', "processes.web.health.http",
     'starting with "/"'),
    ("health-http-no-port", APP + WEB + 'health = { http = "/" }\n', "processes.web.health.http", "port"),
    ("health-bad-interval", APP + WEB + 'health = { command = "true", interval = "soon" }\n',
     "processes.web.health.interval", "duration"),
    ("health-zero-timeout", APP + WEB + 'health = { command = "true", timeout = "0s" }\n',
     "processes.web.health.timeout", "above zero"),
    ("health-unknown-key", APP + WEB + 'health = { command = "true", retires = 3 }\n',
     "processes.web.health.retires", 'did you mean "retries"'),
    ("env-bad-name", APP + WEB + 'env = { "1BAD" = "x" }\n', "processes.web.env.1BAD", "environment variable name"),
    ("env-table-value", APP + WEB + "env = { A = { b = 1 } }\n", "processes.web.env.A", "expected a string"),
    ("app-env-array", APP + 'env = { A = [1] }\n' + WEB, "app.env.A", "expected a string"),
    ("env-file-missing", APP + 'env_file = [".env.prod"]\n' + WEB, "app.env_file[0]", "env file not found"),
    ("env-file-number", APP + "env_file = [3]\n" + WEB, "app.env_file[0]", "expected a string"),
    ("image-empty", APP + 'image = ""\n' + WEB, "app.image", "must not be empty"),
    ("backend-bad-name", APP + 'backend = "Docker Compose"\n' + WEB, "app.backend", "invalid backend name"),
    ("app-backend-not-installed", APP + 'backend = "kubernetes"\n' + WEB, "app.backend", "unknown backend"),
    ("unknown-backend-table", APP + WEB + "[backends.locl]\n", "backends.locl", 'did you mean "local"'),
    ("local-bad-option", APP + WEB + "[backends.local]\nbase_prot = 5000\n", "backends.local.base_prot",
     'did you mean "base_port"'),
    ("local-bad-base-port", APP + WEB + "[backends.local]\nbase_port = 0\n", "backends.local.base_port",
     "between 1 and 65535"),
]


def test_corpus_is_large_enough() -> None:
    """The issue asks for at least 40 bad formations."""
    assert len(CORPUS) >= 40
    assert len({case[0] for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("text", "key", "phrase"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_bad_formation_is_one_clear_line(text: str, key: str, phrase: str, write_formation: Callable[[str], Path],
                                         cli: Callable[..., CliResult]) -> None:
    """check exits 2, names the file and the key path, and prints exactly one line, no traceback."""
    write_formation(text)
    result = cli("check")
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: formation.toml: ")
    assert key in lines[0]
    assert phrase in lines[0]
    assert "Traceback" not in result.err


def test_pyproject_errors_name_the_tool_table(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """In pyproject.toml the key path starts at tool.procfleet."""
    (tmp_path / "pyproject.toml").write_text('[tool.procfleet.app]\nname = "shop"\n[tool.procfleet.processes.web]\n'
                                             'command = "x"\ncount = -2\n')
    result = cli("check")
    assert result.code == 2
    assert "pyproject.toml: tool.procfleet.processes.web.count: expected a non-negative integer" in result.err
