"""What Foreman, Honcho, Overmind and process-compose users rely on, on the local backend, with real processes.

Each test's docstring quotes the peer behaviour it matches.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

from tests.integration.local.harness import LocalApp

# A process that says which signals it gets, and how SIGINT is set up for it (an inherited SIG_IGN survives exec).
LISTENER = ("import signal, sys, time\n"
            "inherited = 'ignored' if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else 'live'\n"
            "def said(number, frame):\n"
            "    print('got', signal.Signals(number).name, flush=True)\n"
            "    if number in (signal.SIGINT, signal.SIGTERM): sys.exit(0)\n"
            "for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2): signal.signal(sig, said)\n"
            "print('SIGINT is', inherited, flush=True)  # once the handlers are in place\n"
            "while True: time.sleep(0.05)\n")


def _listener_formation(app: LocalApp, extra: str = "") -> None:
    (app.folder / "listener.py").write_text(LISTENER)
    app.write(f'[processes.web]\ncommand = "{sys.executable} listener.py"\nstop_timeout = "2s"\n{extra}')


def test_run_gets_ctrl_c_from_the_terminal(app: LocalApp) -> None:
    """`foreman run`/`heroku run` leave the terminal's Ctrl-C to the one-off (a REPL can be interrupted): procfleet
    waits for its status instead, and never hands it an ignored SIGINT."""
    _listener_formation(app)
    # a terminal sends Ctrl-C to its foreground process group: here, a group of procfleet and its child
    process = subprocess.Popen([sys.executable, "-m", "procfleet", "run", "--", sys.executable, "listener.py"],
                               cwd=app.folder, env=app.env, stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "SIGINT is live"
    os.killpg(process.pid, signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert "got SIGINT" in out and process.returncode == 0, out


def test_sigterm_to_run_is_passed_on_to_the_child(app: LocalApp) -> None:
    """`kill <procfleet run's pid>` must not leave the child orphaned: it gets the SIGTERM too, and its status
    comes back."""
    _listener_formation(app)
    process = subprocess.Popen([sys.executable, "-m", "procfleet", "run", "--", sys.executable, "listener.py"],
                               cwd=app.folder, env=app.env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()
    process.send_signal(signal.SIGTERM)  # to procfleet alone
    out, _ = process.communicate(timeout=30)
    assert "got SIGTERM" in out and process.returncode == 0, out


def test_run_type_runs_that_types_command(app: LocalApp) -> None:
    """`foreman run web` runs the Procfile's web command, with the app's environment."""
    app.write('[processes.web]\ncommand = "echo web says $GREETING as $PROCFLEET_PROCESS"\n',
              app='env = { GREETING = "hello" }\n')
    done = app.cli_process("run", "web")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "web says hello as run.1\n"


def test_usr1_and_usr2_are_passed_on_and_sigquit_stops_gracefully(app: LocalApp) -> None:
    """Foreman forwards SIGUSR1 and SIGUSR2 to every process; any terminating signal (SIGQUIT here) stops them
    with their stop signal first, never an abrupt death that leaves them to SIGKILL."""
    _listener_formation(app, "count = 2\n")
    supervisor = app.deploy()
    for name in ("web.1", "web.2"):  # each has its handlers in place
        supervisor.wait_for(name, r"^SIGINT is live")
    for sig in (signal.SIGUSR1, signal.SIGUSR2):
        supervisor.process.send_signal(sig)
        for name in ("web.1", "web.2"):
            supervisor.wait_for(name, rf"^got {sig.name}$")
    supervisor.process.send_signal(signal.SIGQUIT)
    assert supervisor.exit_code() == 128 + signal.SIGQUIT
    for name in ("web.1", "web.2"):
        assert supervisor.find(name, r"^got SIGTERM$"), supervisor.output()


def test_crlf_and_lone_cr_end_lines(app: LocalApp) -> None:
    """Honcho splits output with str.splitlines and Foreman chomps each line: no carriage return reaches the
    terminal to overwrite the prefix."""
    app.write('[processes.web]\ncommand = "printf \'dos\\\\r\\\\nbar 10%%\\\\rbar 20%%\\\\n\'; sleep 60"\n'
              'stop_timeout = "1s"\n')
    supervisor = app.deploy()
    supervisor.wait_for("web.1", r"^bar 20%$")
    texts = [line.text for line in supervisor.lines if line.name == "web.1"]
    assert texts[:3] == ["dos", "bar 10%", "bar 20%"], texts
    assert not any("\r" in line for line in supervisor.raw)


def _supervise_until(app: LocalApp, args: list[str], wanted: list[str]) -> list[str]:
    """Run `procfleet deploy ARGS` into a pipe until every wanted text was printed; its stdout lines."""
    process = subprocess.Popen([sys.executable, "-m", "procfleet", "deploy", *args], cwd=app.folder, env=app.env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    try:
        while not all(any(text in line for line in lines) for text in wanted) and time.monotonic() < deadline:
            lines.append(process.stdout.readline().rstrip("\n"))
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    return lines


def test_no_timestamp_no_prefix_and_forced_color(app: LocalApp) -> None:
    """honcho's --no-prefix and its timestamps off; `--color always` colors a pipe (for `less -R`), in honcho's
    palette order (honcho/colour.py get_colours): cyan, yellow, green, magenta, red, blue."""
    types = "".join(f'[processes.t{n}]\ncommand = "echo line-{n}; sleep 60"\nstop_timeout = "1s"\n'
                    for n in range(6))
    app.write(types)
    wanted = [f"line-{n}" for n in range(6)]
    colored = _supervise_until(app, ["--color", "always", "--no-timestamp"], wanted)
    for n, code in enumerate(("36", "33", "32", "35", "31", "34")):
        line = next(line for line in colored if f"line-{n}" in line)
        assert line.startswith(f"\033[{code}mt{n}.1") and not re.search(r"\d\d:\d\d:\d\d", line), repr(line)
    bare = _supervise_until(app, ["--no-prefix"], wanted)
    assert all(text in bare for text in wanted), bare  # the lines exactly as the processes wrote them


def test_port_in_the_callers_environment_sets_the_base_port(app: LocalApp) -> None:
    """honcho and Foreman take the base port from PORT (Rails' bin/dev exports PORT=3000 first)."""
    app.path.write_text(f'[app]\nname = "{app.name}"\n[processes.web]\ncommand = "echo port=$PORT; sleep 60"\n'
                        'stop_timeout = "1s"\n')
    base = app.base_port
    supervisor = app.deploy(env={**app.env, "PORT": str(base)})
    supervisor.wait_for("web.1", rf"^port={base}$")


def test_port_in_an_env_file_sets_the_base_port(app: LocalApp) -> None:
    """Foreman reads PORT from .env as the base port too."""
    (app.folder / ".env").write_text(f"PORT={app.base_port + 7}\n")
    app.path.write_text(f'[app]\nname = "{app.name}"\nenv_file = ".env"\n[processes.web]\n'
                        'command = "echo port=$PORT; sleep 60"\nstop_timeout = "1s"\n')
    supervisor = app.deploy()
    supervisor.wait_for("web.1", rf"^port={app.base_port + 7}$")


def test_a_port_held_by_another_program_is_said_and_never_healthy(app: LocalApp) -> None:
    """process-compose and Overmind users meet "address already in use" from the app itself; procfleet says who
    holds the port before starting, and a health check never counts another program's answer as healthy."""
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", app.base_port))
    holder.listen()
    try:
        app.write('[processes.web]\ncommand = "sleep 60"\nport = 8000\nstop_timeout = "1s"\n'
                  'health = { tcp = true, interval = "1s" }\n')
        supervisor = app.deploy()
        found = supervisor.wait_for("system", rf"^web\.1 could not start: port {app.base_port} is in use by "
                                               rf"pid (\d+) \(([^)]+)\)")
        assert int(found[0][1]) == os.getpid() and found[0][2], found[0][0]
    finally:
        holder.close()
    # free now: the restart starts it; then another program takes the port the instance never binds
    supervisor.wait_for("system", r"^web\.1 started")
    intruder = socket.socket()
    intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    intruder.bind(("127.0.0.1", app.base_port))
    intruder.listen()
    try:
        time.sleep(3)  # three check intervals
        assert app.status().types[0].healthy == 0
        assert not supervisor.find("system", r"^web\.1 healthy")
    finally:
        intruder.close()


def test_exit_with_ends_the_supervisor_with_that_types_status(app: LocalApp) -> None:
    """Compose's `up --exit-code-from SERVICE`: when the named type's process ends, every process is stopped and
    its status is the supervisor's, so a CI wrapper neither hangs nor loses the result."""
    app.write('[processes.web]\ncommand = "sleep 60"\nstop_timeout = "1s"\n'
              '[processes.tests]\ncommand = "sleep 0.5; exit 3"\nrestart = "never"\n')
    supervisor = app.deploy("--exit-with", "tests")
    assert supervisor.exit_code() == 3
    assert supervisor.find("system", r"^tests\.1 exited with status 3: stopping every process \(--exit-with tests\)")
    assert supervisor.find("system", r"^web\.1 killed by SIGTERM|^web\.1 exited")


def test_exit_with_against_a_running_supervisor_is_refused_and_changes_nothing(app: LocalApp) -> None:
    """A running supervisor keeps the ending it was started with: a second `deploy --exit-with` that reconciled it
    would let the user believe it now ends with that type, so it is refused, and the formation is not applied."""
    app.write('[processes.web]\ncommand = "sleep 60"\nstop_timeout = "1s"\n')
    supervisor = app.deploy()
    app.wait_status(lambda s: [(t.name, t.running) for t in s.types] == [("web", 1)], "web running")
    app.write('[processes.web]\ncommand = "sleep 60"\nstop_timeout = "1s"\ncount = 2\n'
              '[processes.tests]\ncommand = "sleep 0.5; exit 3"\nrestart = "never"\n')
    for flags in (["--exit-with", "tests"], ["--abort-on-exit"]):
        done = app.cli_process("deploy", *flags)
        assert done.returncode == 2, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "already runs this app" in errors[0], done.stderr
        assert "Traceback" not in done.stderr and not done.stdout  # refused before any plan is shown
    assert app.counts() == {"web": (1, 1)}  # nothing reconciled: still the formation it was started with
    assert not supervisor.ended


def test_abort_on_exit_ends_with_the_first_exit(app: LocalApp) -> None:
    """`honcho start` and Foreman stop everything when any process exits, with that process's status."""
    app.write('[processes.web]\ncommand = "sleep 60"\nstop_timeout = "1s"\n'
              '[processes.flaky]\ncommand = "sleep 0.5; exit 4"\n')
    supervisor = app.deploy("--abort-on-exit")
    assert supervisor.exit_code() == 4
    assert supervisor.find("system", r"^flaky\.1 exited with status 4: stopping every process \(--abort-on-exit\)")


def test_when_every_one_shot_task_is_done_the_supervisor_says_so_and_ends(app: LocalApp) -> None:
    """process-compose ends when every process has completed; one-shot tasks that exit 0 are done, not crashed,
    and the supervisor exits 0 (or the first failure's status) instead of waiting for nothing."""
    app.write('[processes.migrate]\ncommand = "echo migrated"\nrestart = "on-failure"\n'
              '[processes.seed]\ncommand = "sleep 0.3; echo seeded"\nrestart = "never"\n')
    supervisor = app.deploy()
    assert supervisor.exit_code() == 0
    assert supervisor.find("system", r"^every process has ended and none will restart: exiting")
    app.write('[processes.migrate]\ncommand = "echo migrated"\nrestart = "on-failure"\n'
              '[processes.seed]\ncommand = "exit 5"\nrestart = "never"\n')
    assert app.deploy().exit_code() == 5


def test_deploy_of_some_types_starts_only_those(app: LocalApp) -> None:
    """`foreman start web` / `honcho start web worker` start only the named processes."""
    app.write('[processes.web]\ncommand = "sleep 60"\nstop_timeout = "1s"\n'
              '[processes.worker]\ncommand = "sleep 60"\nstop_timeout = "1s"\n'
              '[processes.clock]\ncommand = "sleep 60"\nstop_timeout = "1s"\n')
    app.deploy("web", "clock")
    status = app.wait_status(lambda s: bool(s.types) and sum(t.running for t in s.types) == 2, "web and clock running")
    assert {t.name: t.running for t in status.types} == {"web": 1, "worker": 0, "clock": 1}
    # a second deploy naming worker starts it and leaves the others as they run
    assert app.cli_process("deploy", "worker").returncode == 0
    status = app.wait_status(lambda s: sum(t.running for t in s.types) == 3, "all three running")
    assert {t.name: t.running for t in status.types} == {"web": 1, "worker": 1, "clock": 1}


def test_after_starts_a_type_once_those_it_waits_for_are_ready(app: LocalApp) -> None:
    """process-compose's depends_on and Compose's `condition: service_completed_successfully` /
    `service_healthy`: web starts only once the migration has exited 0 and the api answers its health check."""
    app.write('''
        [processes.migrate]
        command = "sleep 1; echo migrated"
        restart = "never"

        [processes.api]
        command = "sleep 1.5; exec python3 -m http.server $PORT --bind 127.0.0.1"
        port = 8000
        health = { http = "/", interval = "1s" }
        stop_timeout = "1s"

        [processes.web]
        command = "echo web up; sleep 60"
        after = { migrate = "done", api = "healthy" }
        stop_timeout = "1s"
    ''')
    supervisor = app.deploy()
    supervisor.wait_for("system", r"^web waits for migrate to be done, api to be healthy \(after\)")
    supervisor.wait_for("web.1", r"^web up$", timeout=30)
    said = [line.text for line in supervisor.lines if line.name == "system"]  # in the order printed
    started = next(i for i, text in enumerate(said) if text.startswith("web.1 started"))
    migrated = next(i for i, text in enumerate(said) if text.startswith("migrate.1 exited with status 0"))
    healthy = said.index("api.1 healthy")
    assert migrated < started and healthy < started, said
