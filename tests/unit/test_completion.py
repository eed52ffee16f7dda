"""Shell completion, run as the shells run it: a `procfleet` on PATH asked through typer's environment protocol."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from procfleet.registry import discover

FORMATION = """\
[app]
name = "shop"

[processes.web]
command = "gunicorn shop.wsgi -b 0.0.0.0:$PORT"
port = 8000

[processes.worker]
command = "celery -A shop worker --loglevel info --concurrency 4 --queues default,mail,reports,exports"

[processes.clock-tick]
command = "python -m shop.clock"
"""
TYPES = ["web", "worker", "clock-tick"]
COMMANDS = ["check", "render", "backends", "import", "plan", "deploy", "scale", "ps", "restart", "logs", "run",
            "down", "migrate"]


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """A folder holding a formation, and a `procfleet` console script of this interpreter first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "procfleet"
    script.write_text(f"#!{sys.executable}\nfrom procfleet.cli import entry\nentry()\n")
    script.chmod(0o755)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "formation.toml").write_text(FORMATION)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("_PROCFLEET", "_TYPER", "COMP_"))}
    for key in ("PROCFLEET_FILE", "TERMINAL_WIDTH", "COLUMNS"):
        env.pop(key, None)
    env.update({"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "HOME": str(tmp_path / "home")})
    return env


def _run(env: dict[str, str], cwd: Path, **protocol: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["procfleet"], cwd=cwd, env={**env, **protocol}, capture_output=True, text=True,
                          check=False, timeout=60)


def bash(env: dict[str, str], cwd: Path, line: str) -> list[str]:
    """What bash's completion function would put in COMPREPLY for the line (the cursor at its end)."""
    words = line.split(" ")
    done = _run(env, cwd, _PROCFLEET_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    assert done.returncode == 0 and done.stderr == "", done
    return done.stdout.split()


def zsh(env: dict[str, str], cwd: Path, line: str) -> str:
    done = _run(env, cwd, _PROCFLEET_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS=line)
    assert done.returncode == 0 and done.stderr == "", done
    return done.stdout


def fish(env: dict[str, str], cwd: Path, line: str) -> list[tuple[str, str]]:
    """(candidate, description) pairs, one a line, as fish reads them."""
    done = _run(env, cwd, _PROCFLEET_COMPLETE="complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args",
                _TYPER_COMPLETE_ARGS=line)
    assert done.returncode == 0 and done.stderr == "", done
    return [(value, description) for value, _, description in (row.partition("\t") for row in
                                                                 done.stdout.splitlines())]


def test_commands_and_options(shell_env: dict[str, str], tmp_path: Path) -> None:
    """Every command but the hidden pointers (up, start, status, stop); a command's own options."""
    here = tmp_path / "app"
    assert bash(shell_env, here, "procfleet ") == COMMANDS
    assert bash(shell_env, here, "procfleet re") == ["render", "restart"]
    assert {"--file", "--backend", "--json", "--timeout", "--exit-with"} <= set(bash(shell_env, here,
                                                                                      "procfleet deploy --"))
    assert {"--install-completion", "--show-completion"} <= set(bash(shell_env, here, "procfleet --"))


def test_backend_names_from_the_installed_entry_points(shell_env: dict[str, str], tmp_path: Path) -> None:
    installed = sorted(discover())
    assert installed
    here = tmp_path / "app"
    for line in ("procfleet -b ", "procfleet ps --backend ", "procfleet migrate --from local --to ",
                 "procfleet import --from-backend "):
        assert bash(shell_env, here, line) == installed, line
    assert bash(shell_env, here, "procfleet --color ") == ["auto", "always", "never"]


@pytest.mark.parametrize("command", ["ps", "logs", "restart", "deploy"])
def test_the_formations_types_for_type_arguments(command: str, shell_env: dict[str, str], tmp_path: Path) -> None:
    """The types of the formation the command would read: -f before or after the command, or $PROCFLEET_FILE."""
    here = tmp_path / "app"
    assert bash(shell_env, here, f"procfleet {command} ") == TYPES
    assert bash(shell_env, here, f"procfleet {command} w") == ["web", "worker"]
    assert bash(shell_env, here, f"procfleet {command} web ") == ["worker", "clock-tick"]  # not named twice
    file = "--file" if command == "logs" else "-f"  # logs' -f is --follow
    assert bash(shell_env, tmp_path, f"procfleet -f app/formation.toml {command} ") == TYPES
    assert bash(shell_env, tmp_path, f"procfleet {command} {file} app/formation.toml ") == TYPES
    assert bash({**shell_env, "PROCFLEET_FILE": str(here / "formation.toml")}, tmp_path,
                f"procfleet {command} ") == TYPES


def test_options_naming_one_type(shell_env: dict[str, str], tmp_path: Path) -> None:
    here = tmp_path / "app"
    assert bash(shell_env, here, "procfleet run --type ") == TYPES
    assert bash(shell_env, here, "procfleet deploy --exit-with web --exit-with ") == TYPES


def test_scale_offers_type_equals(shell_env: dict[str, str], tmp_path: Path) -> None:
    """`TYPE=` for each type not given yet, after spaces or Foreman's commas."""
    here = tmp_path / "app"
    assert bash(shell_env, here, "procfleet scale ") == ["web=", "worker=", "clock-tick="]
    assert bash(shell_env, here, "procfleet scale c") == ["clock-tick="]
    assert bash(shell_env, here, "procfleet scale web+2 ") == ["worker=", "clock-tick="]
    assert bash(shell_env, here, "procfleet scale web=2,w") == ["web=2,worker="]
    assert bash(shell_env, here, "procfleet scale clock-tick-1 web=2,worker=3,") == []


@pytest.mark.parametrize("formation", [None, "[app\nname = ", '[app]\nname = "x"\ncolour = 1\n[processes.web]\n',
                                       "\x00\xff"], ids=["missing", "not TOML", "unknown key", "binary"])
def test_a_missing_or_broken_formation_completes_nothing_and_says_nothing(
        formation: str | None, shell_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    if formation is not None:
        (folder / "formation.toml").write_text(formation, encoding="latin-1")
    for line in ("procfleet ps ", "procfleet scale ", "procfleet run --type ", "procfleet -f nope.toml logs "):
        assert bash(shell_env, folder, line) == [], line  # bash() also asserts stderr is empty and status 0
    assert bash(shell_env, folder, "procfleet d") == ["deploy", "down"]


def test_zsh_gets_candidates_with_descriptions(shell_env: dict[str, str], tmp_path: Path) -> None:
    here = tmp_path / "app"
    types = zsh(shell_env, here, "procfleet ps ")
    assert types.startswith("_arguments '*: :((") and '"web":"gunicorn shop.wsgi -b 0.0.0.0\\\\:\\$PORT"' in types
    assert '"check":"Validate the formation' in zsh(shell_env, here, "procfleet ")
    assert zsh(shell_env, here, "procfleet ps -f ").strip() == "_files"  # a path: zsh completes files


def test_fish_gets_one_line_per_candidate_however_long_its_description(shell_env: dict[str, str],
                                                                       tmp_path: Path) -> None:
    """Typer wraps descriptions at 80 columns when no terminal is attached; fish would take each piece for a
    candidate."""
    here = tmp_path / "app"
    commands = fish(shell_env, here, "procfleet ")
    assert [value for value, _ in commands] == COMMANDS
    assert dict(commands)["render"].endswith("without touching anything.")
    types = dict(fish(shell_env, here, "procfleet logs "))
    assert list(types) == TYPES and types["worker"].endswith("exports")
    assert [value for value, _ in fish(shell_env, here, "procfleet -b ")] == sorted(discover())
    options = dict(fish(shell_env, here, "procfleet -"))
    assert options["--backend"] == "Backend to use (default: the formation's app.backend, else local)."
    is_args = _run(shell_env, here, _PROCFLEET_COMPLETE="complete_fish", _TYPER_COMPLETE_FISH_ACTION="is-args",
                   _TYPER_COMPLETE_ARGS="procfleet ps -f ")
    assert is_args.returncode == 1  # nothing of ours to offer: fish completes file names


@pytest.mark.parametrize(("shell", "marker", "installed"), [
    ("bash", "_PROCFLEET_COMPLETE=complete_bash", ".bash_completions/procfleet.sh"),
    ("zsh", "_PROCFLEET_COMPLETE=complete_zsh", ".zfunc/_procfleet"),
    ("fish", "_PROCFLEET_COMPLETE=complete_fish", ".config/fish/completions/procfleet.fish"),
])
def test_show_and_install_completion(shell: str, marker: str, installed: str, shell_env: dict[str, str],
                                     tmp_path: Path) -> None:
    """--show-completion prints the script, --install-completion writes it where the shell loads it from.
    (typer's own switch names the shell instead of detecting the one procfleet runs in.)"""
    env = {**shell_env, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}

    def procfleet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["procfleet", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              check=False, timeout=60)

    shown = procfleet("--show-completion", shell)
    assert shown.returncode == 0 and marker in shown.stdout, shown
    assert procfleet("--install-completion", shell).returncode == 0
    assert (tmp_path / "home" / installed).read_text().strip() == shown.stdout.strip()
    sourced = _run(shell_env, tmp_path, _PROCFLEET_COMPLETE=f"source_{shell}")  # the same script, no detection
    assert sourced.returncode == 0 and sourced.stdout.strip() == shown.stdout.strip()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_sources_the_script_and_completes(shell_env: dict[str, str], tmp_path: Path) -> None:
    """The script --show-completion prints, sourced by a real (non-interactive) bash, fills COMPREPLY."""
    here = tmp_path / "app"
    script = _run(shell_env, here, _PROCFLEET_COMPLETE="source_bash").stdout
    (tmp_path / "procfleet.bash").write_text(script)
    probe = """
        source ../procfleet.bash
        complete -p procfleet
        for line in "procfleet sc" "procfleet scale " "procfleet logs w" "procfleet -b lo"; do
            read -r -a COMP_WORDS <<< "$line"
            [[ $line == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMPREPLY=()
            _procfleet_completion procfleet
            echo "${COMPREPLY[*]}"
        done
    """
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", probe], cwd=here, env=shell_env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done
    assert done.stdout.splitlines() == ["complete -o default -F _procfleet_completion procfleet", "scale",
                                        "web= worker= clock-tick=", "web worker", "local"]


def test_help_pays_nothing_for_completion(tmp_path: Path) -> None:
    """--help reads no formation, lists no backend, renders nothing with rich, and has typer inspect no completer:
    the completers are handed to typer only when a shell asks."""
    probe = ("import sys\nimport typer\nfrom procfleet.cli import app, main\ncode = main(['--help'])\n"
             "group = typer.main.get_command(app)\n"
             "completed = [p.name for c in group.commands.values() for p in c.params if p._custom_shell_complete]\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich' or m in "
             "('procfleet.loader', 'procfleet.registry', 'importlib.metadata')), completed, code)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.stdout.splitlines()[-1] == "[] [] 0", done
