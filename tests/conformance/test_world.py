"""What a process sees, the same on every backend: its command as written, its environment, its name."""

from __future__ import annotations

import json

from tests.conformance.platforms import Platform

# The command exactly as written in the formation: the shell expands $PORT and ${A:-b}, keeps what is quoted.
COMMAND = r'''python3 probe.py "$PORT" "${UNSET:-fallback}" '${A:-b}' '$$' "two words" 'it'"'"'s' "%{x}" "$GREETING"'''

FORMATION = f"""
env = {{ GREETING = "from app", SHARED = "app", PRICE = "5$ or $HOME" }}

[processes.web]
command = {json.dumps(COMMAND)}
count = 2
port = 8000
env = {{ SHARED = "web" }}
stop_timeout = "2s"

[processes.worker]
command = "python3 probe.py worker"
count = 1
stop_timeout = "2s"
"""


def test_the_command_reaches_the_shell_as_written(platform: Platform) -> None:
    platform.write(FORMATION)
    platform.deploy()
    reports = platform.reports(3)
    web = [r for r in reports.values() if r["argv"][:1] != ["worker"]]
    assert len(web) == 2
    for report in web:
        port = report["env"]["PORT"]
        assert report["argv"] == [port, "fallback", "${A:-b}", "$$", "two words", "it's", "%{x}", "from app"]
        assert report["bound"] is True
        assert report["env"]["SHARED"] == "web" and report["env"]["GREETING"] == "from app"
        assert report["env"]["PRICE"] == "5$ or $HOME"  # a value with `$` arrives as written
    platform.down()
    assert platform.leftovers() == []


ENV_FILE = r"""PLAIN=plain value
SINGLE='pa${ss}word $HOME'
DOUBLE="two\nlines ${PLAIN}"
REF=$PLAIN-x
DOLLAR=cost $$5
SHARED=file
"""

ENV_FORMATION = """
env_file = ["app.env"]
env = { SHARED = "app", APP_ONLY = "app" }

[processes.web]
command = "python3 probe.py"
count = 1
env = { SHARED = "web" }
stop_timeout = "1s"
"""


def test_env_files_and_precedence_mean_the_same_everywhere(platform: Platform) -> None:
    """Compose's env-file rules (single quotes literal, the rest interpolated) on every backend, and DESIGN §1's
    precedence: the env files, then app.env, then the type's env."""
    (platform.folder / "app.env").write_text(ENV_FILE)
    platform.write(ENV_FORMATION)
    platform.deploy()
    env = platform.reports(1)["web.1"]["env"]
    assert {key: env.get(key) for key in ("PLAIN", "SINGLE", "DOUBLE", "REF", "DOLLAR", "SHARED", "APP_ONLY")} == {
        "PLAIN": "plain value", "SINGLE": "pa${ss}word $HOME", "DOUBLE": "two\nlines plain value",
        "REF": "plain value-x", "DOLLAR": "cost $5", "SHARED": "web", "APP_ONLY": "app"}
    platform.down()


MULTILINE = '''
[processes.web]
command = """
echo "first line of $PROCFLEET_PROCESS"
exec python3 probe.py multi "${UNSET:-line}"
"""
count = 1
stop_timeout = "1s"
'''


def test_a_multi_line_command_runs_line_by_line(platform: Platform) -> None:
    """A command of several lines is one shell script, as a Procfile line continued or a compose `command: |`."""
    platform.write(MULTILINE)
    platform.deploy()
    report = platform.reports(1)["web.1"]
    assert report["argv"] == ["multi", "line"]
    first = [text for name, text in platform.logs("web") if text.startswith("first line of ")]
    assert first and first[0].startswith("first line of web"), first
    platform.down()
