"""Malformed control-socket messages get an error reply; the supervisor never prints a traceback and keeps on."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

from procfleet_local import runtime
from tests.integration.local.harness import LocalApp, eventually, pid_alive

GARBAGE = [b"\xff\xfe not utf-8\n", b"[]\n", b"42\n", b'{"no": "op"}\n', b'{"op": "scale", "targets": "web"}\n',
           b'{"op": "scale", "targets": {"web": "many"}}\n', b'{"op": "reconcile", "formation": 1, "counts": 2}\n',
           b'{"op": "explode"}\n', b'{"op": "logs", "types": "web", "tail": "x"}\n']


def test_garbage_on_the_control_socket_is_refused_one_message_at_a_time(tmp_path: Path) -> None:
    app = LocalApp(tmp_path)
    app.write('[processes.web]\ncommand = "sleep 60"\ncount = 1\nstop_timeout = "1s"\n')
    try:
        supervisor = app.deploy()
        app.wait_status(lambda s: s.types[0].running == 1, "web.1 running")
        where = runtime.address(app.formation(), app.folder, app.env)
        for message in GARBAGE:
            with socket.socket(socket.AF_UNIX) as connection:
                connection.settimeout(10)
                connection.connect(str(where.socket))
                connection.sendall(message)
                line = connection.makefile("rb").readline()
                assert line, message
                reply = json.loads(line)
            assert reply["ok"] is False and reply["exit_code"] == 2 and reply["error"], (message, reply)
        assert app.counts() == {"web": (1, 1)}
        assert "Traceback" not in supervisor.output()
    finally:
        app.cleanup()


def test_a_deleted_socket_is_made_again_so_ps_and_down_find_the_supervisor(tmp_path: Path) -> None:
    """A tmp cleaner or a user removes the socket file: the supervisor notices and listens again, instead of
    `ps` saying nothing runs while its instances do."""
    app = LocalApp(tmp_path)
    app.write('[processes.web]\ncommand = "sleep 60"\ncount = 1\nstop_timeout = "1s"\n')
    try:
        supervisor = app.deploy()
        pid = app.wait_status(lambda s: s.types[0].running == 1, "web.1 running").instances[0].pid
        where = runtime.address(app.formation(), app.folder, app.env)
        where.socket.unlink()
        eventually(lambda: app.counts() == {"web": (1, 1)}, what="ps to find the supervisor again")
        assert app.cli_process("down").returncode == 0
        assert supervisor.exit_code() == 0 and pid is not None and not pid_alive(pid)
    finally:
        app.cleanup()


def test_the_files_of_a_killed_supervisor_are_cleaned_by_the_next_command(tmp_path: Path) -> None:
    """SIGKILL leaves the socket and lock files behind (no code runs); the next `ps` finds them stale (the lock
    is free, the socket refuses), shows nothing running and removes them, and a new deploy starts cleanly."""
    app = LocalApp(tmp_path)
    app.write('[processes.web]\ncommand = "sleep 60"\ncount = 1\nstop_timeout = "1s"\n')
    try:
        supervisor = app.deploy()
        instance = app.wait_status(lambda s: s.types[0].running == 1, "web.1 running").instances[0].pid
        where = runtime.address(app.formation(), app.folder, app.env)
        assert where.socket.exists() and where.lock.exists()
        supervisor.process.send_signal(signal.SIGKILL)
        supervisor.exit_code()
        eventually(lambda: instance is not None and not pid_alive(instance), what="the watchdog to end web.1")
        assert where.socket.exists() and where.lock.exists()  # what SIGKILL leaves
        done = app.cli_process("ps", "--json")
        assert done.returncode == 0 and json.loads(done.stdout)["types"] == {}, done
        assert not where.socket.exists() and not where.lock.exists()
        again = app.deploy()
        app.wait_status(lambda s: s.types[0].running == 1, "web.1 running again")
        assert app.cli_process("down").returncode == 0 and again.exit_code() == 0
    finally:
        app.cleanup()


def test_a_live_supervisors_files_are_never_taken_for_stale(tmp_path: Path) -> None:
    app = LocalApp(tmp_path)
    app.write('[processes.web]\ncommand = "sleep 60"\ncount = 1\nstop_timeout = "1s"\n')
    try:
        app.deploy()
        app.wait_status(lambda s: s.types[0].running == 1, "web.1 running")
        where = runtime.address(app.formation(), app.folder, app.env)
        assert runtime.clear_stale(where) is False
        assert where.socket.exists() and where.lock.exists() and app.counts() == {"web": (1, 1)}
    finally:
        app.cleanup()
