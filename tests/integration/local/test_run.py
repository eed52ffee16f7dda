"""Issue 3.1: deploy runs every type with its count, Foreman's ports, the layered env, and clean output."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
import time

from tests.integration.local.harness import LINE, LocalApp, eventually


def test_instances_get_foreman_ports_and_the_layered_environment(app: LocalApp) -> None:
    """web.1…web.N numbered, PORT = base + 100 × position + n − 1, env lowest to highest per DESIGN §1."""
    (app.folder / ".env").write_text("FROM_FILE=file\nFROM_APP=file\nFROM_TYPE=file\n")
    show = 'echo "port=$PORT me=$PROCFLEET_PROCESS $FROM_CALLER $FROM_FILE $FROM_APP $FROM_TYPE"; exec sleep 30'
    app.write(f"""
        [processes.web]
        command = '''{show}'''
        count = 2
        env = {{ FROM_TYPE = "type" }}
        stop_timeout = "1s"

        [processes.worker]
        command = '''{show}'''
        stop_timeout = "1s"
    """, app='env_file = [".env"]\nenv = { FROM_APP = "app", FROM_TYPE = "app" }\n')
    env = {**app.env, "FROM_CALLER": "caller", "FROM_FILE": "caller", "FROM_APP": "caller", "FROM_TYPE": "caller"}
    supervisor = app.deploy(env=env)
    base = app.base_port
    # Each layer beats the ones below it (a PORT in the formation's env is an error: procfleet sets it).
    expected = {"web.1": base, "web.2": base + 1, "worker.1": base + 100}
    for name, port in expected.items():
        own = "type" if name.startswith("web") else "app"  # worker has no env of its own
        supervisor.wait_for(name, rf"^port={port} me={re.escape(name)} caller file app {own}$")
    assert not supervisor.find("web.3", ".")
    assert {i.name: i.ports for i in app.status().instances} == {n: str(p) for n, p in expected.items()}


def test_lines_are_never_cut_and_a_final_partial_line_is_flushed(app: LocalApp) -> None:
    """Long lines written in small pieces by several instances come out whole; a last line without \\n too."""
    writer = app.folder / "writer.py"
    writer.write_text(
        "import os, sys\n"
        "me = os.environ['PROCFLEET_PROCESS']\n"
        "for n in range(200):\n"
        "    line = f'{me} line {n} ' + 'x' * 3000 + ' end\\n'\n"
        "    for i in range(0, len(line), 700):\n"  # pieces, each flushed: the pipe sees partial lines
        "        sys.stdout.write(line[i:i + 700]); sys.stdout.flush()\n"
        "sys.stdout.write(f'{me} last words without newline'); sys.stdout.flush()\n"
    )
    app.write(f'''
        [processes.chatty]
        command = "{sys.executable} writer.py"
        count = 4
        restart = "never"
    ''')
    supervisor = app.deploy()
    for number in range(1, 5):
        name = f"chatty.{number}"
        supervisor.wait_for(name, rf"^{name} last words without newline$")
        lines = supervisor.find(name, r"^chatty\.\d+ line \d+ ")
        assert len(lines) == 200
        for n, match in enumerate(lines):
            assert match.string == f"{name} line {n} " + "x" * 3000 + " end"
    assert all(LINE.match(raw) for raw in supervisor.raw), "every printed line carries a prefix"


def test_python_children_are_unbuffered(app: LocalApp) -> None:
    """A Python child's print() reaches the terminal while it runs, not when it exits."""
    app.write(f'''
        [processes.py]
        command = "{sys.executable} -c 'import time; print(\\"ready\\"); time.sleep(60)'"
        stop_timeout = "1s"
    ''')
    env = {key: value for key, value in app.env.items() if key != "PYTHONUNBUFFERED"}
    supervisor = app.deploy(env=env)
    supervisor.wait_for("py.1", "^ready$", timeout=5)
    assert app.status().types[0].running == 1  # still running: the line was not flushed by an exit


def _read_tty(env: dict[str, str], app: LocalApp) -> str:
    """Run deploy with stdout on a pseudo-terminal until its instance has spoken; return what it printed."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "procfleet", "deploy"], cwd=app.folder, env=env,
                               stdout=secondary, stderr=subprocess.DEVNULL)
    os.close(secondary)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        eventually(lambda: b"hello from tty" in b"".join(chunks), what="the instance's line on the tty")
        time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(10)
        reader.join(5)
        os.close(primary)
    return b"".join(chunks).decode()


def test_colors_only_on_a_terminal_and_never_with_no_color(app: LocalApp) -> None:
    """One color per type on a TTY; none with NO_COLOR; none on a pipe."""
    app.write('''
        [processes.web]
        command = "echo hello from tty; exec sleep 30"
        stop_timeout = "1s"

        [processes.worker]
        command = "echo hello from tty; exec sleep 30"
        stop_timeout = "1s"
    ''')
    colored = _read_tty(app.env, app)
    web = re.search(r"\x1b\[([\d;]+)m\d\d:\d\d:\d\d web\.1", colored)
    worker = re.search(r"\x1b\[([\d;]+)m\d\d:\d\d:\d\d worker\.1", colored)
    assert web and worker and web[1] != worker[1], colored
    plain = _read_tty({**app.env, "NO_COLOR": "1"}, app)
    assert "hello from tty" in plain and "\x1b[" not in plain
    piped = app.deploy()
    piped.wait_for("web.1", "^hello from tty$")
    assert not any("\x1b[" in raw for raw in piped.raw)
